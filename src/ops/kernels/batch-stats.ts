// Counts and number statistics over a partition's record batches: what the
// count and stats actions return per partition and what the histogram's
// min/max probe needs. Runs in a task thread.
import { UserCodeError, describeRecord } from "../../functions/user-function.js";
import type { TaskResult } from "../../plan/task.js";

export function countAll(batches: Iterable<unknown[]>): number {
  let count = 0;
  for (const batch of batches) count += batch.length;
  return count;
}

/** Welford's online mean and squared deviations: exact enough, and mergeable across partitions. */
export function numberStats(batches: Iterable<unknown[]>, what: string): TaskResult & { type: "stats" } {
  let count = 0;
  let mean = 0;
  let m2 = 0;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const batch of batches) {
    for (const x of batch) {
      if (typeof x !== "number") throw new UserCodeError(`${what} need numbers, got ${describeRecord(x)}`);
      count++;
      sum += x;
      const d = x - mean;
      mean += d / count;
      m2 += d * (x - mean);
      if (x < min) min = x;
      if (x > max) max = x;
    }
  }
  return { type: "stats", count, sum, min: count ? min : 0, max: count ? max : 0, m2 };
}
