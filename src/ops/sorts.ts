// sortBy and sortByKey: records keyed by the sort key, a range-partitioned
// shuffle (bounds from a key sample stage, plan/resolution.ts) and a sort within each
// reduce partition. Spark's sorts keep their input's partition count unless
// told otherwise.
import type { StageId } from "../common/ids.js";
import type { NodeSpec } from "../plan/job-spec.js";
import type { Rdd } from "../plan/physical.js";
import { asPair } from "../functions/record-shape.js";
import { defineOp, defineStep, type OpFamily, type PlanBuilder, type RecordStep } from "./op-rule.js";
import { boolean, fn, params, positive } from "./params.js";
import { RecordCall } from "./record-call.js";
import { KEY_BY } from "./record-ops.js";
import { shuffleOnce } from "./shuffle-once.js";

/** [k, v] → [fn ? fn(k) : k, [k, v]], for sortByKey's key function. */
export const sortKeyOfPair: RecordStep<null> = {
  name: "sortKeyOfPair",
  kind: "record",
  push: ({ fn: f, env, where }, next) => {
    const c = new RecordCall(where, env);
    return (x) => {
      c.n++;
      const [k] = asPair(x, where);
      next([f ? c.apply(f, x, k) : k, x]);
    };
  },
};

/** A key function that returns its argument as it is ("x => x", "(line) => line"). */
const IDENTITY = /^\s*\(?\s*([A-Za-z_$][\w$]*)\s*\)?\s*=>\s*\1\s*$/;

function planSort(pl: PlanBuilder, node: NodeSpec, key: RecordStep<null>, fnSrc: string | null, ascending: boolean | undefined, explicit: number | undefined, parents: Set<StageId>): Rdd {
  const [one] = pl.wideInputs(node);
  const partitions = explicit ?? one!.rdd.numPartitions;
  const up = ascending ?? true;
  // Sorting by the record itself: the record is shipped, sampled, sorted and spilled alone, not beside a copy of itself as its key.
  if (key === KEY_BY && fnSrc !== null && IDENTITY.test(fnSrc)) {
    return shuffleOnce(pl, node, one!, one!.rdd, partitions, { type: "range", ascending: up, bounds: null, keyIsRecord: true }, null, { type: "sort", ascending: up, keyIsRecord: true }, parents);
  }
  return shuffleOnce(pl, node, one!, pl.narrow(one!.rdd, key, fnSrc, node.env, null), partitions, { type: "range", ascending: up, bounds: null }, null, { type: "sort", ascending: up }, parents);
}

export const SORTS: OpFamily = {
  ops: {
    sortBy: defineOp({
      kind: "wide",
      inputs: 1,
      params: params({ fn: fn(), ascending: boolean().maybe(), numPartitions: positive().partitions().maybe() }),
      plan: (pl, p, node, parents) => planSort(pl, node, KEY_BY, p.fn, p.ascending, p.numPartitions, parents),
    }),
    sortByKey: defineOp({
      kind: "wide",
      inputs: 1,
      params: params({ ascending: boolean().maybe(), fn: fn().maybe(), numPartitions: positive().partitions().maybe() }),
      plan: (pl, p, node, parents) => planSort(pl, node, sortKeyOfPair, p.fn ?? null, p.ascending, p.numPartitions, parents),
    }),
  },
  steps: [defineStep(sortKeyOfPair)],
};
