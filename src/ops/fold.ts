// fold and aggregate: each partition folded from a copy of the zero, the
// partial results folded again from another copy on one worker.
import { defineOp, type OpFamily } from "./op-rule.js";
import { fn, json, params } from "./params.js";

export const FOLD: OpFamily = {
  fold: defineOp({ kind: "action", inputs: 1, params: params({ zeroValue: json(), fn: fn() }) }),
  aggregate: defineOp({ kind: "action", inputs: 1, params: params({ zeroValue: json(), seqOp: fn(), combOp: fn() }) }),
};
