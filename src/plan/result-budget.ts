// The bound on what a job hands back to the master (like Spark's
// spark.driver.maxResultSize, --max-result-size): the results a job's tasks
// report are added up per job as they arrive, the value assembled from them is
// measured again before it is stored, and the report route's body limit
// follows the budget. Past it the job fails with advice; nothing is built that
// could pass V8's string limit (about 2^29 characters: a stored value is one
// JSON string), so no result size ends the master, now or when it resumes the
// job after a restart. Pure; used by the master's /task-reports handler and by
// the job service when a job ends.
import type { TaskResult } from "./task.js";

const MB = 1024 * 1024;
/**
 * The largest budget honoured, whatever --max-result-size says: a value this
 * size, its JSON and the job's view fit one string each, well below V8's
 * maximum string length (2^29 - 24 on 64-bit).
 */
export const MAX_RESULT_CEILING = 384 * MB;
/** A report batch carries one result at the budget plus its envelope and a few small reports. */
const REPORT_SLACK = 4 * MB;

export class ResultTooLargeError extends Error {}

/** The budget in force for a --max-result-size of `configured` bytes. */
export function resultBudget(configured: number): number {
  return Math.max(0, Math.min(configured, MAX_RESULT_CEILING));
}

/** The body limit of POST /task-reports for a budget. */
export function reportBodyLimit(budget: number): number {
  return budget + REPORT_SLACK;
}

/**
 * Results whose size grows with the data (collected records, ordered entries,
 * sampled keys) or with the partitions times the job's choice (HyperLogLog
 * sketches, up to 2^18 registers each); the others are bounded by the plan.
 */
export function countsTowardBudget(result: TaskResult): boolean {
  return result.type === "collect" || result.type === "keyed" || result.type === "sample" || result.type === "hyperLogLog" || result.type === "sampled";
}

/** The UTF-8 size of `value`'s JSON, or Infinity when it cannot be one string. */
export function encodedBytes(value: unknown): number {
  try {
    return Buffer.byteLength(JSON.stringify(value) ?? "");
  } catch (e) {
    // V8 throws RangeError("Invalid string length") past its limit: that is larger than any budget.
    if (e instanceof RangeError) return Infinity;
    throw e;
  }
}

export function tooLargeMessage(op: string, budget: number): string {
  return `the results of ${op}() are larger than the master's limit (--max-result-size ${budget} bytes); write them with save instead, or raise the limit`;
}

/** Throws ResultTooLargeError when a job's assembled value is past the budget. */
export function checkValueSize(op: string, value: unknown, budget: number): void {
  if (encodedBytes(value) > budget) throw new ResultTooLargeError(tooLargeMessage(op, budget));
}
