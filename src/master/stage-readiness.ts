// Which stages of a job run, from the map output, the cached blocks and the
// shuffle output earlier jobs of the application kept that exist: the part of
// the scheduler that works on stages rather than tasks (Spark's DAGScheduler
// side). Pure over a job run, the map output tracker and a view of the cached
// blocks; called by scheduler.ts after any event that can change them.
import type { ShuffleId } from "../common/ids.js";
import type { Rdd } from "../plan/physical.js";
import type { CacheMarker } from "../plan/storage-level.js";
import { shufflesReadPast } from "../plan/task-rdd.js";
import type { JobRun, StageRun } from "./job-run.js";
import type { MapOutputTracker } from "./map-output-tracker.js";
import { allSucceeded, moveStage, moveTask } from "./stage-lifecycle.js";

/** Whether every partition of a persisted RDD is held by some live worker, for the job's application. */
export type WhollyCached = (rdd: Rdd & { cache: CacheMarker }) => boolean;

/**
 * Brings stage states in line with what exists: reopens map stages whose output
 * was lost while a consumer still needs it, skips stages no running stage needs
 * (their readers read cached blocks) and brings them back when a block is gone,
 * and runs exactly the stages whose needed parents are complete and whose input
 * is all there. Reopening a stage can make an earlier stage's lost output
 * needed again, so it repeats until stable.
 */
export function refreshStages(job: JobRun, tracker: MapOutputTracker, now: number, whollyCached: WhollyCached = () => false): void {
  // A dataset a task found a block of gone is computed for the rest of the job.
  const cached: WhollyCached = (rdd) => !job.uncached.has(rdd.cache.datasetId) && whollyCached(rdd);
  while (refreshOnce(job, tracker, now, cached));
}

/** One pass in id order (parents have lower ids); true if it reopened a stage. */
function refreshOnce(job: JobRun, tracker: MapOutputTracker, now: number, cached: WhollyCached): boolean {
  const reads = job.stages.map((s) => shufflesReadPast(s.stage.rdd, cached));
  const needed = neededStages(job, tracker, reads);
  let reopened = false;
  for (const stage of job.stages) {
    if (stage.status === "FAILED" || stage.status === "CANCELLED") continue;
    const id = stage.stage.id;
    if (!needed[id]) {
      // One already running is let finish; one not begun is skipped.
      if (stage.status === "RUNNING" && allSucceeded(stage) && stage.stage.output.type !== "result") moveStage(stage, "COMPLETED", now);
      else if (stage.status === "WAITING" && !stage.tasks.some((t) => t.status === "RUNNING")) moveStage(stage, "SKIPPED", now);
      continue;
    }
    if (stage.status === "SKIPPED") moveStage(stage, "WAITING", now);
    const output = stage.stage.output;
    // A reused shuffle's stage runs only for the parts that are gone: the rest its tasks need not write.
    if (output.type === "shuffle" && job.reused.has(output.shuffle)) adoptReused(job, tracker, stage, output.shuffle);
    if (allSucceeded(stage) && output.type === "shuffle") {
      const missing = tracker.missing(job.id, output.shuffle, stage.stage.numTasks);
      const read = job.stages.some((s) => needed[s.stage.id] && s.status !== "COMPLETED" && reads[s.stage.id]!.includes(output.shuffle));
      if (missing.length > 0 && read) {
        for (const m of missing) moveTask(stage, stage.tasks[m]!, "PENDING");
        if (stage.status !== "WAITING") moveStage(stage, "WAITING", now);
        reopened = true;
      }
    }
    if (stage.status === "COMPLETED") continue;
    const ready = neededParents(job, tracker, stage, reads[id]!).every((p) => job.stages[p]!.status === "COMPLETED") && inputsPresent(job, tracker, reads[id]!);
    if (ready && stage.status === "WAITING") moveStage(stage, "RUNNING", now);
    else if (!ready && stage.status !== "WAITING") moveStage(stage, "WAITING", now);
    // A stage can start complete: map outputs recovered after a master restart.
    if (stage.status === "RUNNING" && allSucceeded(stage) && stage.stage.output.type !== "result") moveStage(stage, "COMPLETED", now);
  }
  return reopened;
}

/**
 * Which stages the job needs, by id: the result stage, and every parent a
 * needed stage that has not completed still needs. A parent writing a shuffle
 * is needed only if the stage reads that shuffle past its cached RDDs and the
 * shuffle is not one an earlier job wrote whole; a probe stage (a sort's
 * sample, zipWithIndex's count) always is.
 */
function neededStages(job: JobRun, tracker: MapOutputTracker, reads: ShuffleId[][]): boolean[] {
  const needed = job.stages.map(() => false);
  needed[job.plan.resultStage] = true;
  // Children have higher ids than their parents.
  for (let id = job.stages.length - 1; id >= 0; id--) {
    const stage = job.stages[id]!;
    if (!needed[id] || stage.status === "COMPLETED") continue;
    for (const p of neededParents(job, tracker, stage, reads[id]!)) needed[p] = true;
  }
  return needed;
}

function neededParents(job: JobRun, tracker: MapOutputTracker, stage: StageRun, reads: ShuffleId[]): number[] {
  return stage.stage.parents.filter((p) => {
    const out = job.stages[p]!.stage.output;
    if (out.type !== "shuffle") return true;
    const reusedWhole = job.reused.has(out.shuffle) && tracker.missing(job.id, out.shuffle, mapCount(job, out.shuffle)).length === 0;
    return reads.includes(out.shuffle) && !reusedWhole;
  });
}

function adoptReused(job: JobRun, tracker: MapOutputTracker, stage: StageRun, shuffle: ShuffleId): void {
  const missing = new Set(tracker.missing(job.id, shuffle, stage.stage.numTasks));
  for (const task of stage.tasks) if (task.status === "PENDING" && !missing.has(task.partition)) moveTask(stage, task, "SUCCEEDED");
}

function inputsPresent(job: JobRun, tracker: MapOutputTracker, reads: ShuffleId[]): boolean {
  return reads.every((s) => tracker.missing(job.id, s, mapCount(job, s)).length === 0);
}

/** How many map tasks write shuffle `s`. */
export function mapCount(job: JobRun, s: number): number {
  return job.stages[job.plan.shuffles[s]!.mapStage]!.stage.numTasks;
}
