// Combines the per-partition results of a job's result stage into the action's
// value (DESIGN.md 3.4), by the action's own rule (src/ops). Only built-in
// merges happen there — concatenating, adding, comparing keys the workers
// computed — because actions that combine with a user function are planned
// with a final shuffle and finished on a worker. Pure; called by the job
// service and the inline runner.
import { opRule } from "../ops/registry.js";
import type { ActionSpec } from "../plan/job-spec.js";
import type { Json } from "../plan/keys.js";
import type { TaskResult } from "../plan/task.js";

export { EmptyDatasetError } from "../ops/collected.js";

export function actionValue(action: ActionSpec, results: TaskResult[]): Json {
  const rule = opRule(action.op);
  if (rule?.kind !== "action") throw new Error(`no rule for action "${action.op}"`);
  return rule.value(action, results);
}
