// groupByKey, and groupBy (keyBy + groupByKey): every value of a key in one list.
import { defineOp, type OpFamily } from "./op-rule.js";
import { fn, params, positive } from "./params.js";

const numPartitions = positive().partitions().maybe();

export const GROUP_BY_KEY: OpFamily = {
  groupByKey: defineOp({ kind: "wide", inputs: 1, params: params({ numPartitions }) }),
  groupBy: defineOp({ kind: "wide", inputs: 1, params: params({ fn: fn(), numPartitions }) }),
};
