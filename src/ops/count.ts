// count: the number of records.
import { countAll } from "./kernels/batch-stats.js";
import { defineOp, type OpFamily } from "./op-rule.js";
import { params } from "./params.js";

export const COUNT: OpFamily = {
  ops: {
    count: defineOp({
      kind: "action",
      inputs: 1,
      params: params({}),
      plan: (_pl, _p, _a, input) => ({ rdd: input, result: { type: "count" } }),
      value: (results) => results.reduce((n, r) => n + (r.type === "count" ? r.count : 0), 0),
    }),
  },
  results: {
    count: (_action, batches, task) => {
      const count = countAll(batches);
      task.out.records = count;
      return { type: "count", count };
    },
  },
};
