// Combines the per-partition results of a job's result stage into the action's
// value (DESIGN.md 3.4). Only built-in merges happen here — concatenation,
// counting, slicing — because actions that combine with a user function are
// planned with a final shuffle and finished on a worker. Pure.
import type { TaskResult } from "../common/protocol.js";
import type { ActionSpec } from "../plan/job-spec.js";
import type { Json } from "../plan/keys.js";

export class EmptyDatasetError extends Error {}

export function actionValue(action: ActionSpec, results: TaskResult[]): Json {
  switch (action.op) {
    case "count":
      return results.reduce((n, r) => n + (r.type === "count" ? r.count : 0), 0);
    case "take":
      return records(results).slice(0, action.params.num as number);
    case "first":
    case "reduce": {
      const all = records(results);
      if (all.length === 0) {
        throw new EmptyDatasetError(`${action.op}() has no value on an empty dataset`);
      }
      return all[0]!;
    }
    case "save": {
      const files = results.flatMap((r) => (r.type === "saved" ? [r.file] : []));
      const n = results.reduce((s, r) => s + (r.type === "saved" ? r.records : 0), 0);
      return { path: action.params.path as string, files, records: n };
    }
    default:
      return records(results);
  }
}

function records(results: TaskResult[]): Json[] {
  const out: Json[] = [];
  for (const r of results) if (r.type === "collect") for (const rec of r.records) out.push(rec);
  return out;
}
