// collectPartition(partition): the records of one partition, as Spark's
// runJob(rdd, f, [partition]) gives them; what the library's toLocalIterator
// runs once per partition so that the client holds one partition at a time.
// The job still has a task per partition, but every task but the one asked
// for returns nothing without reading its input (computing is lazy, so its
// narrow chain and source are not read); map stages upstream of a shuffle do
// run in full for each such job, as nothing is cached between jobs.
import type { Json } from "../plan/keys.js";
import { collectedRecords } from "./collected.js";
import { defineOp, type OpFamily } from "./op-rule.js";
import { count, params } from "./params.js";

export const COLLECT_PARTITION: OpFamily = {
  ops: {
    collectPartition: defineOp({
      kind: "action",
      inputs: 1,
      params: params({ partition: count() }),
      plan: (_pl, p, _a, input) => ({ rdd: input, result: { type: "collectPartition", partition: p.partition } }),
      // One result per partition: an index past them is the job's error, as Spark's runJob refuses it.
      value: (results, p) => {
        if (p.partition >= results.length) throw new RangeError(`collectPartition(${p.partition}): the dataset has ${results.length} partitions`);
        return collectedRecords(results);
      },
    }),
  },
  results: {
    collectPartition: (action, batches, task) => {
      const records: Json[] = [];
      if (task.partition === action.partition) for (const batch of batches) for (const r of batch) records.push(r as Json);
      task.out.records = records.length;
      return { type: "collect", records };
    },
  },
};
