// parallelize: a collection given in the JobSpec, cut into slices as Spark's
// ParallelCollectionRDD does (a task is sent only its own slice, task-rdd.ts).
import { defineOp, type OpFamily } from "./op-rule.js";
import { array, params, positive } from "./params.js";

export const PARALLELIZE: OpFamily = {
  ops: {
    parallelize: defineOp({
      kind: "source",
      inputs: 0,
      params: params({ data: array(), numSlices: positive().partitions().maybe() }),
      plan: (pl, p, node) => ({ kind: "parallelize", node: node.id, data: p.data, dataOffset: 0, dataLength: p.data.length, numPartitions: pl.slices(p.numSlices) }),
    }),
  },
};
