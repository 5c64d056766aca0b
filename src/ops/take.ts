// take, first and isEmpty: the first records, partition by partition.
import { defineOp, type OpFamily } from "./op-rule.js";
import { count, params } from "./params.js";

export const TAKE: OpFamily = {
  ops: {
    first: defineOp({ kind: "action", inputs: 1, params: params({}), plan: (_pl, _p, _a, input) => ({ rdd: input, result: { type: "take", num: 1 } }) }),
    take: defineOp({ kind: "action", inputs: 1, params: params({ num: count() }), plan: (_pl, p, _a, input) => ({ rdd: input, result: { type: "take", num: p.num } }) }),
    isEmpty: defineOp({ kind: "action", inputs: 1, params: params({}), plan: (_pl, _p, _a, input) => ({ rdd: input, result: { type: "take", num: 1 } }) }),
  },
};
