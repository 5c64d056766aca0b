// groupByKey, and groupBy (keyBy + groupByKey): every value of a key in one
// list, gathered on the reduce side in a table that spills.
import { defineOp, type OpFamily } from "./op-rule.js";
import { fn, params, positive } from "./params.js";
import { KEY_BY } from "./record-ops.js";
import { HASH, shuffleOnce } from "./shuffle-once.js";

const numPartitions = positive().partitions().maybe();

export const GROUP_BY_KEY: OpFamily = {
  ops: {
    groupByKey: defineOp({
      kind: "wide",
      inputs: 1,
      params: params({ numPartitions }),
      plan: (pl, p, node, parents) => {
        const [one] = pl.wideInputs(node);
        const n = pl.defaultShufflePartitions(p.numPartitions, [one!.rdd]);
        return shuffleOnce(pl, node, one!, one!.rdd, n, HASH, null, { type: "groupByKey" }, parents);
      },
    }),
    groupBy: defineOp({
      kind: "wide",
      inputs: 1,
      params: params({ fn: fn(), numPartitions }),
      plan: (pl, p, node, parents) => {
        const [one] = pl.wideInputs(node);
        const n = pl.defaultShufflePartitions(p.numPartitions, [one!.rdd]);
        return shuffleOnce(pl, node, one!, pl.narrow(one!.rdd, KEY_BY, p.fn, node.env, null), n, HASH, null, { type: "groupByKey" }, parents);
      },
    }),
  },
};
