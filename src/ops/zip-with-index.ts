// zipWithIndex: each record paired with its position in the dataset; a count
// probe gives each partition's first index when there is more than one.
import { defineOp, type OpFamily } from "./op-rule.js";
import { params } from "./params.js";

export const ZIP_WITH_INDEX: OpFamily = {
  zipWithIndex: defineOp({ kind: "narrow", inputs: 1, params: params({}) }),
};
