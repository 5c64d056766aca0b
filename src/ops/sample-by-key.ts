// sampleByKey(withReplacement, fractions, seed): a per-key sample of [key,
// value] pairs (kernels/sample-by-key.ts). `fractions` is an object (string
// keys) or an array of [key, fraction] pairs (any JSON key); a key met in the
// data with no fraction fails the task with the kernel's message, as Spark
// fails. The fractions are checked at submit; the step reads them back as
// typed arguments, never through the user's env.
import type { Json } from "../plan/keys.js";
import { type Fractions, fractionTable, fractionsProblem, sampleByKeyPartition } from "./kernels/sample-by-key.js";
import { defineOp, defineStep, named, type OpFamily, type PartitionStep } from "./op-rule.js";
import { boolean, int, json, params } from "./params.js";

type SampleByKeyArgs = { withReplacement: boolean; fractions: Json; seed: number };

const sampleByKeyStep: PartitionStep<SampleByKeyArgs> = {
  name: "sampleByKey",
  kind: "partition",
  run: ({ args }, index, input) => sampleByKeyPartition(input, fractionTable(args.fractions as Fractions, args.withReplacement), args.withReplacement, args.seed, index),
};

/** Why `fractions` is not an object of fractions or a list of [key, fraction] pairs, or null. */
function fractionsShapeProblem(fractions: Json): string | null {
  if (Array.isArray(fractions)) {
    return fractions.every((e) => Array.isArray(e) && e.length === 2) ? null : 'parameter "fractions" must be an object or an array of [key, fraction] pairs';
  }
  return fractions !== null && typeof fractions === "object" ? null : 'parameter "fractions" must be an object or an array of [key, fraction] pairs';
}

export const SAMPLE_BY_KEY: OpFamily = {
  ops: {
    sampleByKey: defineOp({
      kind: "narrow",
      inputs: 1,
      params: params(
        {
          withReplacement: boolean(),
          fractions: json().refine((s) => ({
            ...s,
            description: "each key's fraction: an object (string keys) or an array of [key, fraction] pairs",
            anyOf: [
              { type: "object", additionalProperties: { type: "number", minimum: 0 } },
              { type: "array", items: { type: "array", minItems: 2, maxItems: 2 } },
            ],
          })),
          seed: int().maybe(),
        },
        (p) => {
          if (p.fractions === undefined) return [];
          const shape = fractionsShapeProblem(p.fractions);
          if (shape) return [shape];
          const problem = fractionsProblem(p.fractions as Fractions, p.withReplacement ?? true);
          return problem ? [`parameter "fractions": ${problem}`] : [];
        },
      ),
      plan: (pl, p, node, parents) =>
        named(node, pl.narrow(pl.input(node.inputs[0]!, parents), sampleByKeyStep, null, {}, { withReplacement: p.withReplacement, fractions: p.fractions, seed: p.seed ?? 0 })),
    }),
  },
  steps: [defineStep(sampleByKeyStep)],
};
