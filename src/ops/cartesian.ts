// cartesian: every pair of a record of the first input and one of the second.
import { defineOp, type OpFamily } from "./op-rule.js";
import { params } from "./params.js";

export const CARTESIAN: OpFamily = {
  cartesian: defineOp({ kind: "narrow", inputs: 2, params: params({}) }),
};
