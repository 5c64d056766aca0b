// coalesce: fewer partitions, each reading a run of its input's; with
// shuffle: true it is repartition.
import { defineOp, type OpFamily } from "./op-rule.js";
import { boolean, params, positive } from "./params.js";

export const COALESCE: OpFamily = {
  coalesce: defineOp({ kind: "narrow", inputs: 1, params: params({ numPartitions: positive().partitions(), shuffle: boolean().maybe() }) }),
};
