// The narrow ops that see a whole partition: mapPartitions,
// mapPartitionsWithIndex and glom. Each is a step that takes the partition as
// an iterable and returns one.
import { defineOp, defineStep, named, type OpFamily, type PartitionStep } from "./op-rule.js";
import { fn, params } from "./params.js";
import { userIterable } from "./user-iterable.js";

const mapPartitions: PartitionStep<null> = {
  name: "mapPartitions",
  kind: "partition",
  run: ({ fn: f, env, where }, _index, input) => userIterable(where, () => f!(input, env)),
};

const mapPartitionsWithIndex: PartitionStep<null> = {
  name: "mapPartitionsWithIndex",
  kind: "partition",
  run: ({ fn: f, env, where }, index, input) => userIterable(where, () => f!(index, input, env)),
};

const glom: PartitionStep<null> = { name: "glom", kind: "partition", run: (_s, _index, input) => [[...input]] };

export const PARTITION_OPS: OpFamily = {
  ops: {
    mapPartitions: defineOp({
      kind: "narrow",
      inputs: 1,
      params: params({ fn: fn() }),
      plan: (pl, p, node, parents) => named(node, pl.narrow(pl.input(node.inputs[0]!, parents), mapPartitions, p.fn, node.env, null)),
    }),
    mapPartitionsWithIndex: defineOp({
      kind: "narrow",
      inputs: 1,
      params: params({ fn: fn() }),
      plan: (pl, p, node, parents) => named(node, pl.narrow(pl.input(node.inputs[0]!, parents), mapPartitionsWithIndex, p.fn, node.env, null)),
    }),
    glom: defineOp({ kind: "narrow", inputs: 1, params: params({}), plan: (pl, _p, node, parents) => named(node, pl.narrow(pl.input(node.inputs[0]!, parents), glom, null, node.env, null)) }),
  },
  steps: [mapPartitions, mapPartitionsWithIndex, glom].map(defineStep),
};
