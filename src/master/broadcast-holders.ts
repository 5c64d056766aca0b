// Where the master's broadcast registry meets the workers (issue 17, item 4):
// a task launch lists, for each broadcast its stage's envs name, the addresses
// of the live workers that hold it (the worker fetches from one when it has
// none), and a heartbeat's list of the broadcasts a worker holds makes it a
// holder (one it holds that is gone is released to it with its next reply).
// Called by master-process.ts.
import { APP_ID_PATTERN, BROADCAST_ID_PATTERN, type AppId, type BroadcastId, type WorkerId } from "../common/ids.js";
import { stageEnvs } from "../plan/accumulators.js";
import { envBroadcasts } from "../plan/broadcasts.js";
import type { TaskLaunch } from "../plan/task.js";
import { MAX_REPORTED_BROADCASTS, type BroadcastRegistry } from "./broadcast-registry.js";
import type { WorkerRegistry } from "./worker-registry.js";

/** The launch with its broadcasts' holders, or the launch itself when its stage names none. */
export function withBroadcastHolders(task: TaskLaunch, broadcasts: BroadcastRegistry, workers: Pick<WorkerRegistry, "get" | "isAlive">): TaskLaunch {
  const ids = envBroadcasts(stageEnvs(task.stage, task.outputShuffle));
  if (ids.length === 0) return task;
  const holders: Record<string, string[]> = {};
  for (const id of ids) holders[id] = broadcasts.holders(id, (w) => workers.isAlive(w)).map((w) => workers.get(w)!.address);
  return { ...task, broadcasts: holders };
}

/** A heartbeat's `broadcasts_held` (a peer's list: entries of another shape are skipped). */
export function heldBroadcasts(body: unknown, worker: WorkerId, broadcasts: BroadcastRegistry): void {
  const held = (body as { broadcasts_held?: unknown }).broadcasts_held;
  if (!Array.isArray(held)) return;
  for (const b of held.slice(0, MAX_REPORTED_BROADCASTS)) {
    if (typeof b !== "object" || b === null) continue;
    const { application, id } = b as { application?: unknown; id?: unknown };
    if (typeof application !== "string" || typeof id !== "string" || !APP_ID_PATTERN.test(application) || !BROADCAST_ID_PATTERN.test(id)) continue;
    broadcasts.reportHeld(application as AppId, id as BroadcastId, worker);
  }
}
