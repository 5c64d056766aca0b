// The live state of a job on the master: its stages, their tasks and every
// attempt of every task. Stage and task states are explicit:
//
//   stage:  WAITING ──parents done──▶ RUNNING ──all tasks done──▶ COMPLETED
//              ▲                        │  ▲                         │
//              └──a parent lost output──┘  └──its own output lost────┘
//   task:   PENDING ─launch─▶ RUNNING ─▶ SUCCEEDED | back to PENDING (retry,
//           lost worker, fetch failure) | FAILED (out of retries: job fails)
//
// Owned and mutated only by the scheduler; read by the API views.
import type { AttemptId, JobId, WorkerId } from "../common/ids.js";
import type { TaskMetrics, TaskResult } from "../common/protocol.js";
import type { JobPlan, Stage } from "../plan/physical.js";

export type JobStatus = "PENDING" | "RUNNING" | "COMPLETED" | "FAILED" | "CANCELLED";
export type StageStatus = "WAITING" | "RUNNING" | "COMPLETED" | "FAILED" | "CANCELLED";
export type TaskStatus = "PENDING" | "RUNNING" | "SUCCEEDED" | "FAILED";
export type AttemptState = "RUNNING" | "FINISHED" | "FAILED" | "FETCH_FAILED" | "KILLED" | "LOST" | "LAUNCH_FAILED" | "TIMED_OUT";

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
  status: StageStatus;
  tasks: TaskRun[];
  /** How many tasks are SUCCEEDED (kept as a count: stages can have many thousands). */
  succeeded: number;
  /** Partitions waiting to be launched, in order. */
  pending: number[];
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
  plan: JobPlan;
  status: JobStatus;
  stages: StageRun[];
  maxTaskRetries: number;
  /** 0: no limit. */
  taskTimeoutMs: number;
  startedAt: number;
  finishedAt: number | null;
  error: string | null;
}

export function newJobRun(id: JobId, name: string, plan: JobPlan, limits: JobLimits, now: number): JobRun {
  return {
    id,
    name,
    plan,
    status: "RUNNING",
    maxTaskRetries: limits.maxTaskRetries,
    taskTimeoutMs: limits.taskTimeoutMs,
    startedAt: now,
    finishedAt: null,
    error: null,
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
      pending: Array.from({ length: stage.numTasks }, (_, i) => i),
      startedAt: null,
      finishedAt: null,
      fetchFailures: 0,
      timedTasks: 0,
      taskMsTotal: 0,
    })),
  };
}
