// repartition (round-robin over the new partitions) and partitionBy (by key,
// or by Spark's partitionFunc: key → integer, modulo numPartitions).
import { defineOp, type OpFamily } from "./op-rule.js";
import { fn, params, positive } from "./params.js";

export const REPARTITION: OpFamily = {
  repartition: defineOp({ kind: "wide", inputs: 1, params: params({ numPartitions: positive().partitions() }) }),
  partitionBy: defineOp({ kind: "wide", inputs: 1, params: params({ numPartitions: positive().partitions(), fn: fn().maybe() }) }),
};
