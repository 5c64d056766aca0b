// The narrow ops that see a whole partition: mapPartitions,
// mapPartitionsWithIndex and glom.
import { defineOp, type OpFamily } from "./op-rule.js";
import { fn, params } from "./params.js";

export const PARTITION_OPS: OpFamily = {
  mapPartitions: defineOp({ kind: "narrow", inputs: 1, params: params({ fn: fn() }) }),
  mapPartitionsWithIndex: defineOp({ kind: "narrow", inputs: 1, params: params({ fn: fn() }) }),
  glom: defineOp({ kind: "narrow", inputs: 1, params: params({}) }),
};
