// takeOrdered, top, min and max: each partition's best records by key, merged
// on the master by the keys the workers computed.
import { defineOp, type OpFamily } from "./op-rule.js";
import { count, fn, params } from "./params.js";

export const TAKE_ORDERED: OpFamily = {
  ops: {
    takeOrdered: defineOp({
      kind: "action",
      inputs: 1,
      params: params({ num: count(), fn: fn().maybe() }),
      plan: (_pl, p, a, input) => ({ rdd: input, result: { type: "takeOrdered", num: p.num, fn: p.fn ?? null, env: a.env, descending: false } }),
    }),
    top: defineOp({
      kind: "action",
      inputs: 1,
      params: params({ num: count(), fn: fn().maybe() }),
      plan: (_pl, p, a, input) => ({ rdd: input, result: { type: "takeOrdered", num: p.num, fn: p.fn ?? null, env: a.env, descending: true } }),
    }),
    min: defineOp({
      kind: "action",
      inputs: 1,
      params: params({ fn: fn().maybe() }),
      plan: (_pl, p, a, input) => ({ rdd: input, result: { type: "takeOrdered", num: 1, fn: p.fn ?? null, env: a.env, descending: false } }),
    }),
    max: defineOp({
      kind: "action",
      inputs: 1,
      params: params({ fn: fn().maybe() }),
      plan: (_pl, p, a, input) => ({ rdd: input, result: { type: "takeOrdered", num: 1, fn: p.fn ?? null, env: a.env, descending: true } }),
    }),
  },
};
