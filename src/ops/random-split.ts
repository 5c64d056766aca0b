// randomSplit(weights, seed): one split of a random partition of the input
// (kernels/random-split.ts). In a JobSpec each split is its own node, naming
// the same parent, weights and seed and its `index` (0-based, which weight it
// is); the library's Dataset.randomSplit builds one node per weight. All
// splits draw the same seeded stream per partition, so for one seed they are
// disjoint and together cover the input, on every run. With no seed the seed
// is 0, as for sample: splits that leave it out still agree with each other.
import { splitPartition, splitRanges, weightsProblem } from "./kernels/random-split.js";
import { defineOp, defineStep, named, type OpFamily, type PartitionStep } from "./op-rule.js";
import { array, count, int, params } from "./params.js";

/** The split's share of [0, 1) (kernels/random-split.ts's SplitRange) and the seed. */
type RandomSplitArgs = { lower: number; upper: number; seed: number };

const randomSplitStep: PartitionStep<RandomSplitArgs> = {
  name: "randomSplit",
  kind: "partition",
  run: ({ args }, index, input) => splitPartition(input, args, args.seed, index),
};

function weightsOf(weights: unknown[]): number[] | null {
  return weights.length > 0 && weights.every((w) => typeof w === "number") ? (weights as number[]) : null;
}

export const RANDOM_SPLIT: OpFamily = {
  ops: {
    randomSplit: defineOp({
      kind: "narrow",
      inputs: 1,
      params: params(
        {
          weights: array().refine((s) => ({ ...s, items: { type: "number", minimum: 0 }, minItems: 1 })),
          seed: int().maybe(),
          index: count().refine((s) => ({ ...s, description: "which split this node is: the index of its weight" })),
        },
        (p) => {
          if (p.weights === undefined) return [];
          const weights = weightsOf(p.weights);
          if (!weights) return ['parameter "weights" must be a non-empty array of numbers'];
          const problem = weightsProblem(weights);
          if (problem) return [`parameter "weights": ${problem}`];
          return p.index !== undefined && p.index >= weights.length ? [`parameter "index" must be below the number of weights (${weights.length})`] : [];
        },
      ),
      plan: (pl, p, node, parents) => {
        const { lower, upper } = splitRanges(p.weights as number[])[p.index]!;
        return named(node, pl.narrow(pl.input(node.inputs[0]!, parents), randomSplitStep, null, {}, { lower, upper, seed: p.seed ?? 0 }));
      },
    }),
  },
  steps: [defineStep(randomSplitStep)],
};
