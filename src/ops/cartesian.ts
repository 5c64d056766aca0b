// cartesian: every pair of a record of the first input and one of the second;
// partition p pairs a partition of each (parent-partitions.ts).
import type { Rdd } from "../plan/physical.js";
import { defineOp, type OpFamily } from "./op-rule.js";
import { params } from "./params.js";

export const CARTESIAN: OpFamily = {
  ops: {
    cartesian: defineOp({
      kind: "narrow",
      inputs: 2,
      params: params({}),
      plan: (pl, _p, node, parents) => {
        const [a, b] = node.inputs.map((i) => pl.input(i, parents)) as [Rdd, Rdd];
        return { kind: "cartesian", node: node.id, parents: [a, b], numPartitions: pl.budget.product(node.id, a.numPartitions, b.numPartitions) };
      },
    }),
  },
};
