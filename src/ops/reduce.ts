// reduce: a shuffle of [null, x] into one partition that merges with fn, so
// the master never runs user code.
import { defineOp, type OpFamily } from "./op-rule.js";
import { fn, params } from "./params.js";

export const REDUCE: OpFamily = {
  reduce: defineOp({ kind: "action", inputs: 1, params: params({ fn: fn() }) }),
};
