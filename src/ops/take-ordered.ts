// takeOrdered, top, min and max: each partition's best records by key, merged
// on the master by the keys the workers computed.
import { defineOp, type OpFamily } from "./op-rule.js";
import { count, fn, params } from "./params.js";

export const TAKE_ORDERED: OpFamily = {
  takeOrdered: defineOp({ kind: "action", inputs: 1, params: params({ num: count(), fn: fn().maybe() }) }),
  top: defineOp({ kind: "action", inputs: 1, params: params({ num: count(), fn: fn().maybe() }) }),
  min: defineOp({ kind: "action", inputs: 1, params: params({ fn: fn().maybe() }) }),
  max: defineOp({ kind: "action", inputs: 1, params: params({ fn: fn().maybe() }) }),
};
