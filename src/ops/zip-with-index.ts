// zipWithIndex: each record paired with its position in the dataset. With more
// than one partition a count probe stage gives each partition's first index
// (plan/resolution.ts resolves the offsets).
import { defineOp, type OpFamily } from "./op-rule.js";
import { params } from "./params.js";

export const ZIP_WITH_INDEX: OpFamily = {
  ops: {
    zipWithIndex: defineOp({
      kind: "narrow",
      inputs: 1,
      params: params({}),
      plan: (pl, _p, node, parents) => {
        const parent = pl.input(node.inputs[0]!, parents);
        if (parent.numPartitions > 1) parents.add(pl.addStage(parent, new Set(parents), { type: "countProbe", node: node.id }));
        const offsets = parent.numPartitions > 1 ? null : [0];
        return { kind: "zipWithIndex", node: node.id, parent, offsets, numPartitions: parent.numPartitions };
      },
    }),
  },
};
