// reduceByKey, foldByKey, aggregateByKey and combineByKey: one shuffle with
// map-side combining, merged by key on the reduce side.
import { defineOp, type OpFamily } from "./op-rule.js";
import { fn, json, params, positive } from "./params.js";

const numPartitions = positive().partitions().maybe();

export const BY_KEY_AGGREGATIONS: OpFamily = {
  reduceByKey: defineOp({ kind: "wide", inputs: 1, params: params({ fn: fn(), numPartitions }) }),
  foldByKey: defineOp({ kind: "wide", inputs: 1, params: params({ zeroValue: json(), fn: fn(), numPartitions }) }),
  aggregateByKey: defineOp({ kind: "wide", inputs: 1, params: params({ zeroValue: json(), seqFunc: fn(), combFunc: fn(), numPartitions }) }),
  combineByKey: defineOp({ kind: "wide", inputs: 1, params: params({ createCombiner: fn(), mergeValue: fn(), mergeCombiners: fn(), numPartitions }) }),
};
