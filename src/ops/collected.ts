// What the master's merges of several actions share: the records the result
// tasks collected, and the error of an action that has no value on an empty
// dataset. Used by the actions' `value` in src/ops; EmptyDatasetError is how
// the job service tells that failure from others.
import type { Json } from "../plan/keys.js";
import type { TaskResult } from "../plan/task.js";

export class EmptyDatasetError extends Error {}

export type ResultOfType<T extends TaskResult["type"]> = Extract<TaskResult, { type: T }>;

/** Every collected record, partition by partition. */
export function collectedRecords(results: TaskResult[]): Json[] {
  const out: Json[] = [];
  for (const r of results) if (r.type === "collect") for (const rec of r.records) out.push(rec);
  return out;
}

export function firstOf(op: string, values: Json[]): Json {
  if (values.length === 0) throw new EmptyDatasetError(`${op}() has no value on an empty dataset`);
  return values[0]!;
}
