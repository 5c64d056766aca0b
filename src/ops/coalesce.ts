// coalesce: fewer partitions, each reading a run of its input's
// (parent-partitions.ts); with shuffle: true it is repartition.
import { defineOp, type OpFamily } from "./op-rule.js";
import { boolean, params, positive } from "./params.js";
import { planRoundRobin } from "./repartition.js";

export const COALESCE: OpFamily = {
  ops: {
    coalesce: defineOp({
      kind: "narrow",
      inputs: 1,
      params: params({ numPartitions: positive().partitions(), shuffle: boolean().maybe() }),
      plan: (pl, p, node, parents) => {
        if (p.shuffle === true) return planRoundRobin(pl, node, p.numPartitions, parents);
        const parent = pl.input(node.inputs[0]!, parents);
        return { kind: "coalesce", node: node.id, parent, numPartitions: Math.min(p.numPartitions, parent.numPartitions) };
      },
    }),
  },
};
