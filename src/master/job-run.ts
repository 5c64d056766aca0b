// The live state of a job on the master: its stages, their tasks and every
// attempt of every task, and the job run's lifecycle, which the scheduler drives:
//
//   job run:
//     RUNNING ──its result stage completed──▶ COMPLETED
//     RUNNING ──a task ran out of retries, a stage out of fetch failures, or aborted──▶ FAILED
//     RUNNING ──cancelled──▶ CANCELLED
//     COMPLETED, FAILED, CANCELLED: final.
//
// (where a job is outside its run, and what the API shows, is job-lifecycle.ts's
// to say: a run does not cover it, since a job resumed after a master restart
// keeps its store row RUNNING while it waits to be handed over again, and one
// finishing a stored commit shows RUNNING with no run at all). Stage and task
// lifecycles are in stage-lifecycle.ts, attempts' in attempt-state.ts. Owned
// and mutated only by the scheduler; read by the API views.
import type { S3JobSettings } from "../plan/job-spec.js";
import type { AttemptState, JobStatus, StageStatus, TaskMetrics, TaskStatus } from "../common/api-types.js";
import type { AttemptId, JobId, ShuffleId, WorkerId } from "../common/ids.js";
import { transition, type Transitions } from "./transitions.js";
import type { JobPlan, Stage } from "../plan/physical.js";
import { unresolved, type PlanResolution } from "../plan/resolution.js";
import type { TaskResult } from "../plan/task.js";
import type { DatasetId } from "../plan/storage-level.js";
import { planAccumulators } from "../plan/accumulators.js";
import { JobAccumulators } from "./job-accumulators.js";
import { PendingQueue } from "./pending-queue.js";

/** The states of a job the scheduler runs: the API's JobStatus but PENDING. */
export type JobRunStatus = Exclude<JobStatus, "PENDING">;

export interface Attempt {
  id: AttemptId;
  n: number;
  workerId: WorkerId;
  startedAt: number;
  finishedAt: number | null;
  state: AttemptState;
  error: string | null;
  metrics: TaskMetrics | null;
  /** Consecutive heartbeats of its worker that did not list it. */
  missedHeartbeats?: number;
  /** When it got a slot on its worker (null while queued there): task timeouts count from here. */
  runningSince?: number | null;
}

export interface TaskRun {
  partition: number;
  /** Assigned only by stage-lifecycle.ts's moveTask. */
  status: TaskStatus;
  attempts: Attempt[];
  /** Failed attempts that count against maxTaskRetries. */
  failures: number;
  /** Attempts lost with their worker (count as failures only past a cap). */
  lost: number;
  result: TaskResult | null;
  /** The attempt whose result was taken (the first to finish): for a save, the one whose staged part is published. */
  resultAttempt?: AttemptId;
}

export interface StageRun {
  stage: Stage;
  /** Assigned only in stage-lifecycle.ts, as are succeeded and pending. */
  status: StageStatus;
  tasks: TaskRun[];
  /** How many tasks are SUCCEEDED (kept as a count, not counted per event: stages can have 100k tasks). */
  succeeded: number;
  /** Partitions waiting to be launched, in order. */
  pending: PendingQueue;
  startedAt: number | null;
  finishedAt: number | null;
  fetchFailures: number;
  /** Finished attempts and their summed run time on the workers: whether its tasks are short. */
  timedTasks: number;
  taskMsTotal: number;
}

export interface JobLimits {
  maxTaskRetries: number;
  /** 0: no limit. */
  taskTimeoutMs: number;
}

export interface JobRun {
  id: JobId;
  name: string;
  /** As planned: never changed while the job runs. */
  plan: JobPlan;
  /** What its probe stages found so far; replaced (never mutated) by the scheduler as each one completes. */
  resolution: PlanResolution;
  /** Assigned only by endJobRun. */
  status: JobRunStatus;
  stages: StageRun[];
  maxTaskRetries: number;
  /** 0: no limit. */
  taskTimeoutMs: number;
  startedAt: number;
  finishedAt: number | null;
  error: string | null;
  /** Its accumulators' merged values: each partition's delta once (job-accumulators.ts). */
  accumulators: JobAccumulators;
  /** Persisted datasets this job computes from their lineage though they look cached: a task found one of their blocks gone. */
  uncached: Set<DatasetId>;
  /** Shuffles whose output an earlier job of the application wrote and this one reads (retained-shuffles.ts): their stages run only to replace lost parts. */
  reused: Set<ShuffleId>;
  /** Whether some of its own shuffle output was retained when it ended, so its shuffle directories stay. */
  filesRetained: boolean;
  /** The job's own S3 settings, sent with its tasks (secrets: in memory only, never in a view or the store). */
  s3: S3JobSettings | null;
}

/** `resolution`: what a resumed job's probes found before (nothing for a job starting afresh). */
export function newJobRun(id: JobId, name: string, plan: JobPlan, limits: JobLimits, now: number, resolution: PlanResolution = unresolved(), s3: S3JobSettings | null = null): JobRun {
  return {
    id,
    name,
    plan,
    resolution,
    status: "RUNNING",
    maxTaskRetries: limits.maxTaskRetries,
    taskTimeoutMs: limits.taskTimeoutMs,
    startedAt: now,
    finishedAt: null,
    error: null,
    accumulators: new JobAccumulators(planAccumulators(plan)),
    uncached: new Set(),
    reused: new Set(),
    filesRetained: false,
    s3,
    stages: plan.stages.map((stage) => ({
      stage,
      status: "WAITING",
      tasks: Array.from({ length: stage.numTasks }, (_, partition) => ({
        partition,
        status: "PENDING",
        attempts: [],
        failures: 0,
        lost: 0,
        result: null,
      })),
      succeeded: 0,
      pending: new PendingQueue(stage.numTasks),
      startedAt: null,
      finishedAt: null,
      fetchFailures: 0,
      timedTasks: 0,
      taskMsTotal: 0,
    })),
  };
}

export const JOB_RUN_TRANSITIONS: Transitions<JobRunStatus> = {
  RUNNING: ["COMPLETED", "FAILED", "CANCELLED"],
  COMPLETED: [],
  FAILED: [],
  CANCELLED: [],
};

/** Ends a running job: its status, error and end time change together, once. */
export function endJobRun(job: JobRun, to: Exclude<JobRunStatus, "RUNNING">, error: string | null, now: number): void {
  job.status = transition(JOB_RUN_TRANSITIONS, "job run", job.status, to);
  job.error = error;
  job.finishedAt = now;
}
