// Broadcast variables in the job model (issue 17, item 4): the JobSpec env form
// `{ "$broadcast": { "id": "bc-…" } }`, the size limit's default, and which
// broadcasts a job or a stage's tasks name (the master checks a job's at submit
// and lists a stage's holders in its task launches; a worker binds them in its
// threads). Pure. Used by the validator (planner), the master, the worker and
// the library.
import { BROADCAST_ID_PATTERN, asBroadcastId, type BroadcastId } from "../common/ids.js";
import type { ValidJob } from "./job-spec.js";
import type { Env } from "./physical.js";

/** The env member that marks a broadcast variable. */
export const BROADCAST_KEY = "$broadcast";
/** `--max-broadcast-size`'s default: one broadcast's JSON, at upload and at fetch. */
export const DEFAULT_MAX_BROADCAST_BYTES = 64 * 1024 * 1024;
/** The flag's ceiling: a worker keeps every broadcast it reads whole in memory, and a JSON string is at most ~512 MiB in V8. */
export const MAX_BROADCAST_CEILING = 512 * 1024 * 1024;

/** Whether an env value is a broadcast reference (its shape is checked by parseBroadcast). */
export function isBroadcastRef(v: unknown): v is { [BROADCAST_KEY]: unknown } {
  return typeof v === "object" && v !== null && !Array.isArray(v) && Object.hasOwn(v, BROADCAST_KEY);
}

/** The id an env value names, or what is wrong with it. */
export function parseBroadcast(v: { [BROADCAST_KEY]: unknown }): { id: BroadcastId } | { problem: string } {
  const problem = broadcastProblem(v);
  return problem === null ? { id: asBroadcastId((v[BROADCAST_KEY] as { id: string }).id) } : { problem };
}

function broadcastProblem(v: { [BROADCAST_KEY]: unknown }): string | null {
  if (Object.keys(v).length !== 1) return `a broadcast is {"${BROADCAST_KEY}": {"id": …}} and nothing else`;
  const b = v[BROADCAST_KEY];
  if (typeof b !== "object" || b === null || Array.isArray(b)) return `"${BROADCAST_KEY}" must be an object {"id": "bc-…"}`;
  const extra = Object.keys(b).filter((k) => k !== "id");
  if (extra.length > 0) return `a broadcast takes only an id, not ${extra.map((k) => JSON.stringify(k.slice(0, 50))).join(", ")}`;
  const id = (b as { id?: unknown }).id;
  if (typeof id !== "string" || !BROADCAST_ID_PATTERN.test(id))
    return `a broadcast's id must be one the master made (bc-<9 base-36 digits>-<8 hex digits>), got ${JSON.stringify(id)?.slice(0, 80) ?? "none"}`;
  return null;
}

/** The broadcasts some envs name, each once, in the order first named (envs already validated: a malformed member is skipped). */
export function envBroadcasts(envs: readonly Env[]): BroadcastId[] {
  const found = new Set<BroadcastId>();
  for (const env of envs) {
    for (const v of Object.values(env)) {
      if (!isBroadcastRef(v)) continue;
      const parsed = parseBroadcast(v);
      if ("id" in parsed) found.add(parsed.id);
    }
  }
  return [...found];
}

/** The broadcasts a job's nodes and action name. */
export function jobBroadcasts(job: Pick<ValidJob, "nodes" | "action">): BroadcastId[] {
  return envBroadcasts([...job.nodes.map((n) => n.env), job.action.env]);
}
