// union: the partitions of every input, one after another (parent-partitions.ts
// says which input's partition each is).
import { defineOp, type OpFamily } from "./op-rule.js";
import { params } from "./params.js";

export const UNION: OpFamily = {
  ops: {
    union: defineOp({
      kind: "narrow",
      inputs: { many: true, min: 2 },
      params: params({}),
      plan: (pl, _p, node, parents) => {
        const inputs = node.inputs.map((i) => pl.input(i, parents));
        const numPartitions = inputs.reduce((s, r) => s + r.numPartitions, 0);
        pl.budget.partitions(node.id, node.op, numPartitions);
        return { kind: "union", node: node.id, parents: inputs, numPartitions };
      },
    }),
  },
};
