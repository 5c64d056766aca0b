// getNumPartitions: runs nothing; the value is the number of partitions.
import { defineOp, type OpFamily } from "./op-rule.js";
import { params } from "./params.js";

export const GET_NUM_PARTITIONS: OpFamily = {
  ops: {
    getNumPartitions: defineOp({
      kind: "action",
      inputs: 1,
      params: params({}),
      plan: (_pl, _p, _a, input) => ({ rdd: input, result: { type: "numPartitions" } }),
      value: (results) => results.length,
    }),
  },
  results: { numPartitions: () => ({ type: "count", count: 0 }) },
};
