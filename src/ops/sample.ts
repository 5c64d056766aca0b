// sample: Bernoulli sampling without replacement, Poisson(fraction) copies
// with it, as Spark does; seeded per partition so a retried task samples the
// same records. The fraction and seed are the step's own arguments, not the
// user's env. The draws come from kernels/poisson.ts, which past a mean of 20
// counts exponential gaps: Knuth's product of uniforms, used before for every
// mean, underflows past ~745 and drew too few copies (below 20 both draw the
// same, so seeded samples are unchanged).
import { partitionRandom } from "./kernels/partition-random.js";
import { poissonDraw } from "./kernels/poisson.js";
import { defineOp, defineStep, named, type OpFamily, type PartitionStep } from "./op-rule.js";
import { boolean, int, number, params } from "./params.js";

type SampleArgs = { withReplacement: boolean; fraction: number; seed: number };

const sampleStep: PartitionStep<SampleArgs> = {
  name: "sample",
  kind: "partition",
  run: ({ args }, index, input) => sample(input, args.withReplacement, args.fraction, partitionRandom(args.seed, index)),
};

function* sample(input: Iterable<unknown>, withReplacement: boolean, fraction: number, rand: () => number): Iterable<unknown> {
  for (const x of input) {
    if (!withReplacement) {
      if (rand() < fraction) yield x;
      continue;
    }
    for (let k = poissonDraw(fraction, rand); k > 0; k--) yield x;
  }
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
      plan: (pl, p, node, parents) => named(node, pl.narrow(pl.input(node.inputs[0]!, parents), sampleStep, null, {}, { withReplacement: p.withReplacement, fraction: p.fraction, seed: p.seed ?? 0 })),
    }),
  },
  steps: [defineStep(sampleStep)],
};
