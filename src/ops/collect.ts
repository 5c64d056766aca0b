// collect, and collectAsMap (one entry per key, the last value winning).
import { defineOp, type OpFamily } from "./op-rule.js";
import { params } from "./params.js";

export const COLLECT: OpFamily = {
  ops: {
    collect: defineOp({ kind: "action", inputs: 1, params: params({}), plan: (_pl, _p, _a, input) => ({ rdd: input, result: { type: "collect" } }) }),
    collectAsMap: defineOp({ kind: "action", inputs: 1, params: params({}), plan: (_pl, _p, _a, input) => ({ rdd: input, result: { type: "collect" } }) }),
  },
};
