// parallelize: a collection given in the JobSpec, cut into slices as Spark's
// ParallelCollectionRDD does.
import { defineOp, type OpFamily } from "./op-rule.js";
import { array, params, positive } from "./params.js";

export const PARALLELIZE: OpFamily = {
  parallelize: defineOp({ kind: "source", inputs: 0, params: params({ data: array(), numSlices: positive().partitions().maybe() }) }),
};
