// zipWithUniqueId: each record paired with an id unique across the dataset,
// k, n + k, 2n + k, … in partition k of n (kernels/zip-with-unique-id.ts), so
// that, unlike zipWithIndex, no count probe runs first.
import { zipWithUniqueId } from "./kernels/zip-with-unique-id.js";
import { defineOp, defineStep, named, type OpFamily, type PartitionStep } from "./op-rule.js";
import { params } from "./params.js";

const uniqueIdStep: PartitionStep<{ numPartitions: number }> = {
  name: "zipWithUniqueId",
  kind: "partition",
  run: ({ args }, index, input) => zipWithUniqueId(input, index, args.numPartitions),
};

export const ZIP_WITH_UNIQUE_ID: OpFamily = {
  ops: {
    zipWithUniqueId: defineOp({
      kind: "narrow",
      inputs: 1,
      params: params({}),
      plan: (pl, _p, node, parents) => {
        const parent = pl.input(node.inputs[0]!, parents);
        return named(node, pl.narrow(parent, uniqueIdStep, null, {}, { numPartitions: parent.numPartitions }));
      },
    }),
  },
  steps: [defineStep(uniqueIdStep)],
};
