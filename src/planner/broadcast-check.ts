// Checks a job's broadcast env values at submit time (issue 17, item 4): each
// `{ "$broadcast": … }` is well formed (plan/broadcasts.ts), and a job that
// names one names an application (a broadcast belongs to one; whether that one
// owns it and it is not destroyed is the master's check, job-service.ts). Pure;
// called by validate.ts.
import type { AppId } from "../common/ids.js";
import type { ActionSpec, NodeSpec } from "../plan/job-spec.js";
import { isBroadcastRef, parseBroadcast } from "../plan/broadcasts.js";

/** Problems with the broadcasts in the envs of `nodes` and `action`, each naming where it is. */
export function broadcastProblems(nodes: readonly NodeSpec[], action: ActionSpec | null, application: AppId | null): string[] {
  const problems: string[] = [];
  const holders: [string, Record<string, unknown>][] = nodes.map((n) => [`node "${n.id}" (${n.op})`, n.env]);
  if (action) holders.push([`action (${action.op})`, action.env]);
  let named = false;
  for (const [where, env] of holders) {
    for (const [name, v] of Object.entries(env)) {
      if (!isBroadcastRef(v)) continue;
      const parsed = parseBroadcast(v);
      if ("problem" in parsed) problems.push(`${where}: env "${name}": ${parsed.problem}`);
      named = true;
    }
  }
  if (named && application === null) problems.push('the job uses broadcast variables but names no "application": a broadcast belongs to the application that made it');
  return problems;
}
