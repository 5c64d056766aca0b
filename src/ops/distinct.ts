// distinct: each record once, by a shuffle of [x, null] keeping the first.
import { defineOp, type OpFamily } from "./op-rule.js";
import { params, positive } from "./params.js";

export const DISTINCT: OpFamily = {
  distinct: defineOp({ kind: "wide", inputs: 1, params: params({ numPartitions: positive().partitions().maybe() }) }),
};
