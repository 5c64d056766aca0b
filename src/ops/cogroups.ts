// The ops that are a cogroup read differently: cogroup itself, the four joins,
// subtractByKey, and subtract and intersection on whole records.
import { defineOp, type OpFamily } from "./op-rule.js";
import { params, positive } from "./params.js";

const two = () => defineOp({ kind: "wide", inputs: 2, params: params({ numPartitions: positive().partitions().maybe() }) });

export const COGROUPS: OpFamily = {
  join: two(),
  leftOuterJoin: two(),
  rightOuterJoin: two(),
  fullOuterJoin: two(),
  cogroup: defineOp({ kind: "wide", inputs: { many: true, min: 2 }, params: params({ numPartitions: positive().partitions().maybe() }) }),
  subtract: two(),
  subtractByKey: two(),
  intersection: two(),
};
