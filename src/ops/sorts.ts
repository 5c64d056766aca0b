// sortBy and sortByKey: a range-partitioned shuffle (bounds from a key sample)
// sorted within each partition.
import { defineOp, type OpFamily } from "./op-rule.js";
import { boolean, fn, params, positive } from "./params.js";

export const SORTS: OpFamily = {
  sortBy: defineOp({ kind: "wide", inputs: 1, params: params({ fn: fn(), ascending: boolean().maybe(), numPartitions: positive().partitions().maybe() }) }),
  sortByKey: defineOp({ kind: "wide", inputs: 1, params: params({ ascending: boolean().maybe(), fn: fn().maybe(), numPartitions: positive().partitions().maybe() }) }),
};
