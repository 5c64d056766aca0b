// histogram: counts per bucket, from given edges or from a bucket count whose
// even edges a min/max probe finds first, as PySpark does.
import type { Json } from "../plan/keys.js";
import { MAX_HISTOGRAM_BUCKETS } from "../plan/spec-limits.js";
import { defineOp, type OpFamily } from "./op-rule.js";
import { json, params, type JsonSchema } from "./params.js";

const SAFE_INT = { type: "integer", minimum: Number.MIN_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER };
const bucketsSchema = (): JsonSchema => ({
  anyOf: [{ ...SAFE_INT, minimum: 1 }, { type: "array", items: { type: "number" }, minItems: 2 }],
  description: "a bucket count, or the bucket edges in increasing order",
});

function bucketsRule(b: Json | undefined): string[] {
  const count = Array.isArray(b) ? b.length - 1 : b;
  if (typeof count === "number" && count > MAX_HISTOGRAM_BUCKETS) return [`parameter "buckets" asks for ${count} buckets, more than the limit of ${MAX_HISTOGRAM_BUCKETS}`];
  if (typeof b === "number" && Number.isSafeInteger(b) && b >= 1) return [];
  if (Array.isArray(b) && b.length >= 2 && b.every((x): x is number => typeof x === "number" && Number.isFinite(x))) {
    return b.every((x, i) => i === 0 || x > b[i - 1]!) ? [] : ['parameter "buckets" must be strictly increasing edges'];
  }
  return ['parameter "buckets" must be a bucket count >= 1 or an array of at least two bucket edges'];
}

export const HISTOGRAM: OpFamily = {
  histogram: defineOp({ kind: "action", inputs: 1, params: params({ buckets: json().refine(bucketsSchema) }, (p) => bucketsRule(p.buckets)) }),
};
