// sample: Bernoulli sampling without replacement, Poisson copies with it,
// seeded per partition as Spark does.
import { defineOp, type OpFamily } from "./op-rule.js";
import { boolean, int, number, params } from "./params.js";

export const SAMPLE: OpFamily = {
  sample: defineOp({
    kind: "narrow",
    inputs: 1,
    params: params({ withReplacement: boolean(), fraction: number().refine((s) => ({ ...s, minimum: 0 })), seed: int().maybe() }, (p) => {
      if (p.fraction !== undefined && p.fraction < 0) return ['parameter "fraction" must be >= 0'];
      return p.withReplacement === false && p.fraction !== undefined && p.fraction > 1 ? ['parameter "fraction" must be <= 1 without replacement'] : [];
    }),
  }),
};
