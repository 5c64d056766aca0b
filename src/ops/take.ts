// take, first and isEmpty: the first records, partition by partition.
import type { Json } from "../plan/keys.js";
import { collectedRecords, firstOf } from "./collected.js";
import { defineOp, type OpFamily } from "./op-rule.js";
import { count, params } from "./params.js";

export const TAKE: OpFamily = {
  ops: {
    first: defineOp({
      kind: "action",
      inputs: 1,
      params: params({}),
      plan: (_pl, _p, _a, input) => ({ rdd: input, result: { type: "take", num: 1 } }),
      value: (results, _p, action) => firstOf(action.op, collectedRecords(results)),
    }),
    take: defineOp({
      kind: "action",
      inputs: 1,
      params: params({ num: count() }),
      plan: (_pl, p, _a, input) => ({ rdd: input, result: { type: "take", num: p.num } }),
      value: (results, p) => collectedRecords(results).slice(0, p.num),
    }),
    isEmpty: defineOp({
      kind: "action",
      inputs: 1,
      params: params({}),
      plan: (_pl, _p, _a, input) => ({ rdd: input, result: { type: "take", num: 1 } }),
      value: (results) => collectedRecords(results).length === 0,
    }),
  },
  results: {
    take: (action, batches, task) => {
      const records: Json[] = [];
      if (action.num > 0) {
        for (const batch of batches) {
          for (const r of batch) {
            records.push(r as Json);
            if (records.length >= action.num) break;
          }
          if (records.length >= action.num) break;
        }
      }
      task.out.records = records.length;
      return { type: "collect", records };
    },
  },
};
