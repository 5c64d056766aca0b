// countByKey and countByValue: a summing shuffle of [k, 1] or [x, 1].
import { defineOp, type OpFamily } from "./op-rule.js";
import { params } from "./params.js";

export const COUNT_BY: OpFamily = {
  countByKey: defineOp({ kind: "action", inputs: 1, params: params({}) }),
  countByValue: defineOp({ kind: "action", inputs: 1, params: params({}) }),
};
