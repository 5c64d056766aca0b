// reduceByKey, foldByKey, aggregateByKey and combineByKey: one hash shuffle
// with map-side combining, merged by key on the reduce side. The three with a
// combiner share one: the map side creates and merges values, the reduce side
// merges combiners.
import type { StageId } from "../common/ids.js";
import type { NodeSpec } from "../plan/job-spec.js";
import type { Json } from "../plan/keys.js";
import type { Rdd } from "../plan/physical.js";
import { defineOp, type OpFamily, type PlanBuilder } from "./op-rule.js";
import { fn, json, params, positive } from "./params.js";
import { HASH, shuffleOnce } from "./shuffle-once.js";

const numPartitions = positive().partitions().maybe();

function planCombiner(
  pl: PlanBuilder,
  node: NodeSpec,
  explicit: number | undefined,
  c: { createCombiner: string | null; zero: Json; mergeValue: string; mergeCombiners: string },
  parents: Set<StageId>,
): Rdd {
  const [one] = pl.wideInputs(node);
  const n = pl.defaultShufflePartitions(explicit, [one!.rdd]);
  const env = node.env;
  return shuffleOnce(pl, node, one!, one!.rdd, n, HASH, { type: "combiner", ...c, env }, { type: "reduceByKey", fn: c.mergeCombiners, env }, parents);
}

export const BY_KEY_AGGREGATIONS: OpFamily = {
  ops: {
    reduceByKey: defineOp({
      kind: "wide",
      inputs: 1,
      params: params({ fn: fn(), numPartitions }),
      plan: (pl, p, node, parents) => {
        const [one] = pl.wideInputs(node);
        const n = pl.defaultShufflePartitions(p.numPartitions, [one!.rdd]);
        return shuffleOnce(pl, node, one!, one!.rdd, n, HASH, { type: "fn", fn: p.fn, env: node.env }, { type: "reduceByKey", fn: p.fn, env: node.env }, parents);
      },
    }),
    foldByKey: defineOp({
      kind: "wide",
      inputs: 1,
      params: params({ zeroValue: json(), fn: fn(), numPartitions }),
      plan: (pl, p, node, parents) => planCombiner(pl, node, p.numPartitions, { createCombiner: null, zero: p.zeroValue, mergeValue: p.fn, mergeCombiners: p.fn }, parents),
    }),
    aggregateByKey: defineOp({
      kind: "wide",
      inputs: 1,
      params: params({ zeroValue: json(), seqFunc: fn(), combFunc: fn(), numPartitions }),
      plan: (pl, p, node, parents) => planCombiner(pl, node, p.numPartitions, { createCombiner: null, zero: p.zeroValue, mergeValue: p.seqFunc, mergeCombiners: p.combFunc }, parents),
    }),
    combineByKey: defineOp({
      kind: "wide",
      inputs: 1,
      params: params({ createCombiner: fn(), mergeValue: fn(), mergeCombiners: fn(), numPartitions }),
      plan: (pl, p, node, parents) => planCombiner(pl, node, p.numPartitions, { createCombiner: p.createCombiner, zero: null, mergeValue: p.mergeValue, mergeCombiners: p.mergeCombiners }, parents),
    }),
  },
};
