// count: the number of records.
import { defineOp, type OpFamily } from "./op-rule.js";
import { params } from "./params.js";

export const COUNT: OpFamily = {
  ops: {
    count: defineOp({ kind: "action", inputs: 1, params: params({}), plan: (_pl, _p, _a, input) => ({ rdd: input, result: { type: "count" } }) }),
  },
};
