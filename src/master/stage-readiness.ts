// Which stages of a job run, from the map output that exists: the part of the
// scheduler that works on stages rather than tasks (Spark's DAGScheduler side).
// Pure over a job run and the map output tracker; called by scheduler.ts after
// any event that can change either.
import type { Stage } from "../plan/physical.js";
import { shufflesRead } from "../plan/task-rdd.js";
import type { JobRun } from "./job-run.js";
import type { MapOutputTracker } from "./map-output-tracker.js";
import { allSucceeded, moveStage, moveTask } from "./stage-lifecycle.js";

/**
 * Brings stage states in line with what exists: reopens map stages whose output
 * was lost while a consumer still needs it, and runs exactly the stages whose
 * parents are complete and whose input is all there. Reopening a stage can make
 * an earlier stage's lost output needed again, so it repeats until stable.
 */
export function refreshStages(job: JobRun, tracker: MapOutputTracker, now: number): void {
  while (refreshOnce(job, tracker, now));
}

/** One pass in id order (parents have lower ids); true if it reopened a stage. */
function refreshOnce(job: JobRun, tracker: MapOutputTracker, now: number): boolean {
  let reopened = false;
  for (const stage of job.stages) {
    if (stage.status === "FAILED" || stage.status === "CANCELLED") continue;
    const output = stage.stage.output;
    if (allSucceeded(stage) && output.type === "shuffle") {
      const missing = tracker.missing(job.id, output.shuffle, stage.stage.numTasks);
      const needed = job.stages.some((s) => s.status !== "COMPLETED" && shufflesRead(s.stage.rdd).includes(output.shuffle));
      if (missing.length > 0 && needed) {
        for (const m of missing) moveTask(stage, stage.tasks[m]!, "PENDING");
        if (stage.status !== "WAITING") moveStage(stage, "WAITING", now);
        reopened = true;
      }
    }
    if (stage.status === "COMPLETED") continue;
    const ready = stage.stage.parents.every((p) => job.stages[p]!.status === "COMPLETED") && inputsPresent(job, tracker, stage.stage);
    if (ready && stage.status === "WAITING") moveStage(stage, "RUNNING", now);
    else if (!ready && stage.status !== "WAITING") moveStage(stage, "WAITING", now);
    // A stage can start complete: map outputs recovered after a master restart.
    if (stage.status === "RUNNING" && allSucceeded(stage) && stage.stage.output.type !== "result") moveStage(stage, "COMPLETED", now);
  }
  return reopened;
}

function inputsPresent(job: JobRun, tracker: MapOutputTracker, stage: Stage): boolean {
  return shufflesRead(stage.rdd).every((s) => tracker.missing(job.id, s, mapCount(job, s)).length === 0);
}

/** How many map tasks write shuffle `s`. */
export function mapCount(job: JobRun, s: number): number {
  return job.stages[job.plan.shuffles[s]!.mapStage]!.stage.numTasks;
}
