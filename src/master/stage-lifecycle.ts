// The lifecycles of a stage and of its tasks, and the one place their statuses
// are assigned, together with what mirrors task statuses on the stage (the
// count of succeeded tasks and the queue of pending ones), so the counters
// cannot drift from the tasks they count. Pure; called only by the scheduler.
//
// Every move the tables below allow, and why it happens:
//
//   stage:
//     WAITING ──parents complete, input all there────────▶ RUNNING ──its tasks all succeeded──▶ COMPLETED
//     WAITING ◀──a parent's map output was lost─────────── RUNNING
//     WAITING ◀──its own output was lost while a later stage still needs it──────────────── COMPLETED
//     WAITING | RUNNING ──a task ran out of retries──▶ FAILED
//     WAITING | RUNNING ──its job ended──▶ COMPLETED (the job completed) | CANCELLED (it failed or was cancelled)
//     WAITING ──attempts still running from before it waited finished its last tasks──▶ COMPLETED
//     WAITING ──no stage that still runs needs it: its readers read cached blocks──▶ SKIPPED
//     SKIPPED ──a cached block it stood in for is gone, so its output is needed──▶ WAITING
//     FAILED, CANCELLED: final; SKIPPED stays so when its job ends.
//
//   task:
//     PENDING ──launched──▶ RUNNING ──its attempt finished──▶ SUCCEEDED
//     PENDING ──its map output outlived a master restart──▶ SUCCEEDED
//     RUNNING ──its attempt failed, was lost or not launched; its input could not be fetched──▶ PENDING
//     RUNNING ──out of retries──▶ FAILED (final; the job fails)
//     SUCCEEDED ──its map output was lost──▶ PENDING
import type { StageStatus, TaskStatus } from "../common/api-types.js";
import type { StageRun, TaskRun } from "./job-run.js";
import { transition, type Transitions } from "./transitions.js";

export const STAGE_TRANSITIONS: Transitions<StageStatus> = {
  WAITING: ["RUNNING", "COMPLETED", "FAILED", "CANCELLED", "SKIPPED"],
  RUNNING: ["WAITING", "COMPLETED", "FAILED", "CANCELLED"],
  COMPLETED: ["WAITING"],
  FAILED: [],
  CANCELLED: [],
  SKIPPED: ["WAITING"],
};

export const TASK_TRANSITIONS: Transitions<TaskStatus> = {
  PENDING: ["RUNNING", "SUCCEEDED"],
  RUNNING: ["PENDING", "SUCCEEDED", "FAILED"],
  SUCCEEDED: ["PENDING"],
  FAILED: [],
};

/**
 * Moves a stage by its own progress: it starts (its first start is kept), ends
 * when its tasks complete or fail it, or waits again (and is no longer finished).
 */
export function moveStage(stage: StageRun, to: StageStatus, now: number): void {
  stage.status = transition(STAGE_TRANSITIONS, "stage", stage.status, to);
  if (to === "RUNNING") stage.startedAt ??= now;
  else if (to === "WAITING" || to === "SKIPPED") stage.finishedAt = null;
  else stage.finishedAt = now;
}

/**
 * Closes a stage because its job ended: one still waiting or running ends as
 * its job did (COMPLETED, or CANCELLED if the job failed or was cancelled),
 * with no end time of its own, and nothing of it is launched any more.
 */
export function endStageWithJob(stage: StageRun, jobStatus: "COMPLETED" | "FAILED" | "CANCELLED"): void {
  if (stage.status === "WAITING" || stage.status === "RUNNING") {
    stage.status = transition(STAGE_TRANSITIONS, "stage", stage.status, jobStatus === "COMPLETED" ? "COMPLETED" : "CANCELLED");
  }
  stage.pending.clear();
}

/** Moves a task, keeping its stage's succeeded count and pending queue in step (a task that becomes PENDING joins the end of the queue). */
export function moveTask(stage: StageRun, task: TaskRun, to: TaskStatus): void {
  const from = task.status;
  task.status = transition(TASK_TRANSITIONS, "task", from, to);
  if (from === "SUCCEEDED") stage.succeeded--;
  if (to === "SUCCEEDED") stage.succeeded++;
  if (from === "PENDING") stage.pending.delete(task.partition);
  if (to === "PENDING") stage.pending.add(task.partition);
}

/** Whether every task of the stage has succeeded. */
export function allSucceeded(stage: StageRun): boolean {
  return stage.succeeded === stage.tasks.length;
}
