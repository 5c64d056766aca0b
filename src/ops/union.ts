// union: the partitions of every input, one after another.
import { defineOp, type OpFamily } from "./op-rule.js";
import { params } from "./params.js";

export const UNION: OpFamily = {
  union: defineOp({ kind: "narrow", inputs: { many: true, min: 2 }, params: params({}) }),
};
