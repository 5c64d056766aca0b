// lookup: the values of the pairs whose key equals `key`.
import { defineOp, type OpFamily } from "./op-rule.js";
import { json, params } from "./params.js";

export const LOOKUP: OpFamily = {
  lookup: defineOp({ kind: "action", inputs: 1, params: params({ key: json() }) }),
};
