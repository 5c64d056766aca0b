// take, first and isEmpty: the first records, partition by partition.
import { defineOp, type OpFamily } from "./op-rule.js";
import { count, params } from "./params.js";

export const TAKE: OpFamily = {
  first: defineOp({ kind: "action", inputs: 1, params: params({}) }),
  take: defineOp({ kind: "action", inputs: 1, params: params({ num: count() }) }),
  isEmpty: defineOp({ kind: "action", inputs: 1, params: params({}) }),
};
