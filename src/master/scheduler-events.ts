// The closed set of events the scheduler decides on, and the commands it
// decides: scheduler.ts turns (its state, an event, the time) into commands;
// scheduler-loop.ts posts the events and carries the commands out. Types only.
import type { S3JobSettings } from "../plan/job-spec.js";
import type { AppId, AttemptId, JobId, WorkerId } from "../common/ids.js";
import type { EvictedBlock, TaskReport } from "../cluster/protocol.js";
import type { JobPlan } from "../plan/physical.js";
import type { PlanResolution } from "../plan/resolution.js";
import type { Attempt, JobLimits, JobRun, StageRun, TaskRun } from "./job-run.js";
import type { MapStatus } from "./map-output-tracker.js";
import type { WorkerInfo } from "./worker-registry.js";
import type { TaskLaunch } from "../plan/task.js";

/** A map output an earlier master process registered, handed to a resumed job. */
interface RecoveredOutput {
  shuffle: number;
  mapId: number;
  status: MapStatus;
}

export type SchedulerEvent =
  /** Run a planned job. A resumed job brings the map outputs its earlier run registered. */
  /** `resolution`: what a resumed job's probes found before its master restarted (absent: nothing yet). */
  | { type: "jobSubmitted"; jobId: JobId; name: string; plan: JobPlan; resolution?: PlanResolution; limits: JobLimits; recovered: readonly RecoveredOutput[]; s3?: S3JobSettings | null }
  /** A worker's report of how an attempt ended (stale ones change nothing). */
  | { type: "taskReported"; report: TaskReport }
  /** A launch did not reach its worker, or the worker would not take it; `refused`: it understood and refused the task itself. */
  | { type: "launchFailed"; attemptId: AttemptId; error: string; refused: boolean }
  /** A worker registered: its slots are free. */
  | { type: "workerJoined"; workerId: WorkerId }
  /** A worker's heartbeat, with the attempts it runs. */
  | { type: "workerSeen"; workerId: WorkerId; running: readonly AttemptId[]; evicted?: readonly EvictedBlock[] }
  /** A worker's lease ran out, or (`left`) it deregistered and handed back what it ran. */
  | { type: "workerLost"; workerId: WorkerId; left: boolean }
  /** `error`: why, when not the user's cancel (its application ended). */
  | { type: "jobCancelled"; jobId: JobId; error?: string }
  /** Fail a running job from outside the task flow (e.g. its results grew too large). */
  | { type: "jobAborted"; jobId: JobId; error: string }
  /** An ended job is settled (its end stored, or settling it failed): drop its state. */
  | { type: "jobForgotten"; jobId: JobId }
  /** An application ended: the shuffle output kept for its later jobs goes (after its jobs were cancelled). */
  | { type: "applicationEnded"; app: AppId }
  /** The clock moved: stop attempts past their timeout, and retry launches held back. */
  | { type: "tick" };

/** One attempt, with where it belongs. */
export interface AttemptRef {
  job: JobRun;
  stage: StageRun;
  task: TaskRun;
  attempt: Attempt;
}

export type SchedulerCommand =
  | { type: "launch"; worker: WorkerInfo; task: TaskLaunch }
  | { type: "kill"; worker: WorkerInfo; attemptId: AttemptId }
  /** The job reached COMPLETED, FAILED or CANCELLED. */
  | { type: "jobEnded"; job: JobRun }
  /** For durability: map output registered or forgotten, and the job's resolution changed (a probe stage completed). */
  | { type: "mapOutputAdded"; job: JobRun; shuffle: number; mapId: number; status: MapStatus }
  | { type: "mapOutputLost"; jobId: JobId; shuffle: number; mapId: number }
  | { type: "resolutionChanged"; job: JobRun }
  /** No retained shuffle output is in these jobs' shuffle directories any more: the workers may drop them. */
  | { type: "shuffleFilesReleased"; jobs: JobId[] }
  | ({ type: "attemptStarted" } & AttemptRef)
  | ({ type: "attemptEnded" } & AttemptRef);
