// distinct: each record once, by a shuffle of [x, null] keeping the first per
// key on the map side.
import { defineOp, defineStep, type OpFamily } from "./op-rule.js";
import { PAIR_WITH_NULL } from "./pair-with-null.js";
import { params, positive } from "./params.js";
import { HASH, shuffleOnce } from "./shuffle-once.js";

export const DISTINCT: OpFamily = {
  ops: {
    distinct: defineOp({
      kind: "wide",
      inputs: 1,
      params: params({ numPartitions: positive().partitions().maybe() }),
      plan: (pl, p, node, parents) => {
        const [one] = pl.wideInputs(node);
        const n = pl.defaultShufflePartitions(p.numPartitions, [one!.rdd]);
        return shuffleOnce(pl, node, one!, pl.narrow(one!.rdd, PAIR_WITH_NULL, null, {}, null), n, HASH, { type: "first" }, { type: "distinct" }, parents);
      },
    }),
  },
  steps: [defineStep(PAIR_WITH_NULL)],
};
