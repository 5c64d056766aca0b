// repartitionAndSortWithinPartitions: one shuffle by key hash (or by Spark's
// partitionFunc: key → integer, modulo numPartitions), each reduce partition
// sorted by key (or by keyfunc(key)) in the reader's external sorter, which
// spills as sortByKey's does. Records travel as [target, [sortKey, [k, v]]]:
// the shuffle key places them, the sort key orders them.
import type { Partitioner } from "../plan/physical.js";
import { asPair } from "../functions/record-shape.js";
import { defineOp, defineStep, type OpFamily, type RecordStep } from "./op-rule.js";
import { boolean, fn, params, positive } from "./params.js";
import { RecordCall } from "./record-call.js";
import { shuffleOnce } from "./shuffle-once.js";
import { partitionOf } from "./repartition.js";
import { sortKeyOfPair } from "./sorts.js";

/** [s, [k, v]] → [target, [s, [k, v]]]: the target is partitionFunc(k) mod n, or k itself for the hash partitioner. */
const targetOfSorted: RecordStep<{ partitions: number }> = {
  name: "targetOfSorted",
  kind: "record",
  push: ({ fn: f, env, args, where }, next) => {
    const c = new RecordCall(where, env);
    const { partitions } = args;
    return (x) => {
      c.n++;
      const rec = (x as [unknown, unknown])[1];
      const k = asPair(rec, where)[0];
      if (!f) return next([k, x]);
      next([partitionOf(c.apply(f, rec, k), partitions, where, c.n), x]);
    };
  },
};

export const REPARTITION_AND_SORT: OpFamily = {
  ops: {
    repartitionAndSortWithinPartitions: defineOp({
      kind: "wide",
      inputs: 1,
      params: params({ numPartitions: positive().partitions().maybe(), partitionFunc: fn().maybe(), ascending: boolean().maybe(), keyfunc: fn().maybe() }),
      plan: (pl, p, node, parents) => {
        const [one] = pl.wideInputs(node);
        const n = pl.defaultShufflePartitions(p.numPartitions, [one!.rdd]);
        const sortKeyed = pl.narrow(one!.rdd, sortKeyOfPair, p.keyfunc ?? null, node.env, null);
        const targeted = pl.narrow(sortKeyed, targetOfSorted, p.partitionFunc ?? null, node.env, { partitions: n });
        const partitioner: Partitioner = p.partitionFunc === undefined ? { type: "hash" } : { type: "direct" };
        return shuffleOnce(pl, node, one!, targeted, n, partitioner, null, { type: "sortValues", ascending: p.ascending ?? true }, parents);
      },
    }),
  },
  steps: [defineStep(targetOfSorted)],
};
