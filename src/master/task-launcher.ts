// Sends the scheduler's launches to workers, one request per worker per turn of
// the event loop: a batch of reports frees many slots at once, and the tasks
// that fill them travel together. A task the worker refuses, or that cannot
// reach it, goes back to the scheduler through `failed`.
import { MinisparkError, errorMessage } from "../common/errors.js";
import type { AttemptId, WorkerId } from "../common/ids.js";
import type { WorkerClient } from "./worker-client.js";
import type { WorkerInfo } from "./worker-registry.js";
import type { TaskLaunch } from "../plan/task.js";

/** `refused`: the worker understood the task and will not run it (not merely busy, shutting down or unreachable). */
export type LaunchFailed = (task: TaskLaunch, worker: WorkerInfo, error: string, refused: boolean) => void;

/** Refusals that say nothing about the task: it goes back in line. */
const RETRYABLE = new Set(["BUSY", "DRAINING"]);

export class TaskLauncher {
  private readonly batches = new Map<WorkerId, { worker: WorkerInfo; tasks: TaskLaunch[] }>();

  constructor(
    private readonly client: WorkerClient,
    private readonly failed: LaunchFailed,
  ) {}

  launch(worker: WorkerInfo, task: TaskLaunch): void {
    if (this.batches.size === 0) setImmediate(() => this.send());
    let batch = this.batches.get(worker.id);
    if (!batch) this.batches.set(worker.id, (batch = { worker, tasks: [] }));
    batch.tasks.push(task);
  }

  /** Takes back a launch not sent yet; false if it is already on its way. */
  withdraw(attemptId: AttemptId): boolean {
    for (const batch of this.batches.values()) {
      const i = batch.tasks.findIndex((t) => t.attemptId === attemptId);
      if (i >= 0) {
        batch.tasks.splice(i, 1);
        return true;
      }
    }
    return false;
  }

  private send(): void {
    for (const { worker, tasks } of this.batches.values()) {
      if (tasks.length > 0) void this.sendBatch(worker, tasks);
    }
    this.batches.clear();
  }

  private async sendBatch(worker: WorkerInfo, tasks: TaskLaunch[]): Promise<void> {
    try {
      const { refused } = await this.client.launch(worker.address, tasks);
      const byId = new Map(tasks.map((t) => [t.attemptId, t]));
      for (const r of refused) {
        const task = byId.get(r.attemptId);
        if (task) this.failed(task, worker, r.error, !RETRYABLE.has(r.code));
      }
    } catch (e) {
      const refused = e instanceof MinisparkError && e.status < 500 && !RETRYABLE.has(e.code);
      for (const task of tasks) this.failed(task, worker, errorMessage(e), refused);
    }
  }
}
