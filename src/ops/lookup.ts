// lookup: the values of the pairs whose key equals `key` (compared by value:
// composite keys by their canonical JSON).
import { canonicalJson, type Json } from "../plan/keys.js";
import { asPair } from "../functions/record-shape.js";
import { defineOp, defineStep, type OpFamily, type RecordStep } from "./op-rule.js";
import { collectedRecords } from "./collected.js";
import { json, params } from "./params.js";
import { VALUES } from "./record-ops.js";

/** Keeps the pairs whose key equals args.key. */
const lookupKey: RecordStep<{ key: Json }> = {
  name: "lookupKey",
  kind: "record",
  push: ({ args, where }, next) => {
    const same = sameKeyAs(args.key);
    return (x) => {
      if (same(asPair(x, where)[0])) next(x);
    };
  },
};

function sameKeyAs(wanted: unknown): (k: unknown) => boolean {
  if (wanted === null || typeof wanted !== "object") return (k) => k === wanted;
  const id = canonicalJson(wanted);
  return (k) => k !== null && typeof k === "object" && canonicalJson(k) === id;
}

export const LOOKUP: OpFamily = {
  ops: {
    lookup: defineOp({
      kind: "action",
      inputs: 1,
      params: params({ key: json() }),
      plan: (pl, p, _action, input) => ({ rdd: pl.narrow(pl.narrow(input, lookupKey, null, {}, { key: p.key }), VALUES, null, {}, null), result: { type: "collect" } }),
      value: collectedRecords,
    }),
  },
  steps: [defineStep(lookupKey)],
};
