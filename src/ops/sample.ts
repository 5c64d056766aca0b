// sample: Bernoulli sampling without replacement, Poisson(fraction) copies
// with it, as Spark does; seeded per partition so a retried task samples the
// same records. The fraction and seed are the step's own arguments, not the
// user's env.
import { mulberry32 } from "../common/random.js";
import { defineOp, defineStep, named, type OpFamily, type PartitionStep } from "./op-rule.js";
import { boolean, int, number, params } from "./params.js";

type SampleArgs = { withReplacement: boolean; fraction: number; seed: number };

const sampleStep: PartitionStep<SampleArgs> = {
  name: "sample",
  kind: "partition",
  run: ({ args }, index, input) => sample(input, args.withReplacement, args.fraction, args.seed ^ Math.imul(index + 1, 0x9e3779b1)),
};

function* sample(input: Iterable<unknown>, withReplacement: boolean, fraction: number, seed: number): Iterable<unknown> {
  const rand = mulberry32(seed);
  for (const x of input) {
    if (!withReplacement) {
      if (rand() < fraction) yield x;
      continue;
    }
    for (let k = poisson(fraction, rand); k > 0; k--) yield x;
  }
}

function poisson(mean: number, rand: () => number): number {
  // Knuth's method: fine for the small means sampling uses.
  const limit = Math.exp(-mean);
  let k = 0;
  let p = rand();
  while (p > limit) {
    k++;
    p *= rand();
  }
  return k;
}

export const SAMPLE: OpFamily = {
  ops: {
    sample: defineOp({
      kind: "narrow",
      inputs: 1,
      params: params({ withReplacement: boolean(), fraction: number().refine((s) => ({ ...s, minimum: 0 })), seed: int().maybe() }, (p) => {
        if (p.fraction !== undefined && p.fraction < 0) return ['parameter "fraction" must be >= 0'];
        return p.withReplacement === false && p.fraction !== undefined && p.fraction > 1 ? ['parameter "fraction" must be <= 1 without replacement'] : [];
      }),
      plan: (pl, p, node, parents) =>
        named(node, pl.narrow(pl.input(node.inputs[0]!, parents), sampleStep, null, {}, { withReplacement: p.withReplacement, fraction: p.fraction, seed: p.seed ?? 0 })),
    }),
  },
  steps: [defineStep(sampleStep)],
};
