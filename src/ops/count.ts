// count: the number of records.
import { defineOp, type OpFamily } from "./op-rule.js";
import { params } from "./params.js";

export const COUNT: OpFamily = {
  count: defineOp({ kind: "action", inputs: 1, params: params({}) }),
};
