// The control-plane messages between master and workers. Every message carries
// PROTOCOL_VERSION (common/version.ts); a peer that speaks another version is
// refused with a clear error rather than misread. Shared by master/ and worker/,
// which never import each other.
import type { S3JobSettings } from "../plan/job-spec.js";
import type { AppId, AttemptId, BroadcastId, ShuffleId, WorkerId } from "../common/ids.js";
import type { TaskMetrics, WorkerLoad } from "../common/api-types.js";
import type { StoredBlock, TaskLaunch, TaskResult } from "../plan/task.js";
import type { InputSplit, SplitSource } from "../plan/physical.js";
import type { Json } from "../plan/keys.js";
import type { DatasetId } from "../plan/storage-level.js";

/**
 * The most tasks a worker accepts beyond its free slots, per slot, to run as
 * slots come free. The master sends tasks ahead only for stages of short tasks,
 * where the launch and report round trip would otherwise leave threads idle.
 */
export const QUEUED_TASKS_PER_SLOT = 64;

/** Whether a worker runs tasks as it beats (its state on the master, ALIVE, DEAD or LEFT, is api-types.ts's WorkerStatus). */
export type HeartbeatActivity = "IDLE" | "BUSY";

/** POST /heartbeat (worker → master). The first one registers the worker. */
export interface Heartbeat extends WorkerLoad {
  protocol: number;
  worker_id: WorkerId;
  /** host:port where the master and other workers reach this worker. */
  address: string;
  status: HeartbeatActivity;
  /** Unix seconds. */
  last_heartbeat: number;
  /** Attempts the worker is running, so the master can reconcile after restarts. */
  running_attempts: AttemptId[];
  /** Shutting down: finishing its tasks and serving its shuffle output, taking no new tasks. */
  draining?: boolean;
  /** The worker's own credential (HeartbeatReply.credential); absent only on the registering heartbeat. */
  credential?: string;
  /** The broadcasts the worker holds (at most MAX_REPORTED_BROADCASTS): the master lists it as their holder. */
  broadcasts_held?: { application: AppId; id: BroadcastId }[];
  /** Cached blocks it no longer holds in memory since its last heartbeat (at most MAX_REPORTED_EVICTIONS): the master forgets them, or keeps them as on disk. */
  blocks_evicted?: EvictedBlock[];
}

/** Dataset releases queued per worker at most (and a task launch's `unpersisted`): a heartbeat reply stays small however often clients unpersist. */
export const MAX_QUEUED_RELEASES = 1000;

/** Evictions a heartbeat carries at most; older ones beyond it are dropped (the master then learns of them when a task finds the block gone). */
export const MAX_REPORTED_EVICTIONS = 10_000;

/** A cached block a worker's memory no longer holds: evicted for execution, or lost with a task thread that died. */
export interface EvictedBlock {
  application: AppId;
  datasetId: DatasetId;
  partition: number;
  /** Its file's size when it is still on disk (MEMORY_AND_DISK), else 0: the worker no longer has it. */
  diskBytes: number;
}

export interface HeartbeatReply {
  protocol: number;
  /** Attempts the master no longer wants: the worker kills them. */
  kill: AttemptId[];
  /** To a draining worker: nothing runs there and no running job needs its shuffle output, so it may leave. */
  release: boolean;
  /** In the reply that registered the worker: the credential its later messages must carry. */
  credential?: string;
  /**
   * Applications ended in the last 10 minutes (the newest 1000): the worker
   * releases what it holds for them (idempotently: each is named in many replies).
   */
  ended_apps: AppId[];
  /** Datasets unpersisted since the worker's last heartbeat whose blocks it held: it drops them. */
  unpersist?: { application: AppId; datasetId: DatasetId }[];
  /** Broadcasts destroyed since the worker's last heartbeat that it held: it drops them. */
  broadcasts_destroyed?: { application: AppId; id: BroadcastId }[];
}

/** POST /deregister (worker → master): a worker leaving the cluster on purpose. */
export interface Deregister {
  protocol: number;
  worker_id: WorkerId;
  credential?: string;
}

/** POST /tasks (master → worker): the tasks the master placed on this worker in one turn, in order. */
export interface TaskLaunchBatch {
  protocol: number;
  tasks: TaskLaunch[];
}

/** The tasks of a batch the worker did not take, and why (BUSY: its slots and queue are full; DRAINING: it is shutting down). */
export interface TaskLaunchReply {
  protocol: number;
  refused: { attemptId: AttemptId; code: string; error: string }[];
}

/** Defined with the API, which shows them summed per stage. */
export type { TaskMetrics };

export interface FetchFailure {
  shuffleId: ShuffleId;
  mapId: number;
  workerId: WorkerId;
  address: string;
  message: string;
}

/** POST /task-reports (worker → master): the reports that piled up while the previous batch was on its way. */
export interface TaskReportBatch {
  protocol: number;
  worker_id: WorkerId;
  credential?: string;
  reports: TaskReport[];
}

/** Per report: false when stale (the attempt is unknown or no longer runs there). */
export interface TaskReportReply {
  protocol: number;
  accepted: boolean[];
}

export type TaskReport = {
  protocol: number;
  worker_id: WorkerId;
  attemptId: AttemptId;
  metrics: TaskMetrics | null;
  /** FINISHED reports only: the task's accumulator deltas, absent when it added to none. */
  accumulators?: AccumulatorDeltas;
  /** FINISHED: the cached blocks the task stored (none when absent). */
  blocksStored?: StoredBlock[];
} & (
  | { state: "FINISHED"; result: TaskResult }
  | { state: "FAILED"; error: string; blockMissing?: BlockMissing }
  | { state: "FETCH_FAILED"; error: string; fetchFailure: FetchFailure }
  | { state: "KILLED"; error: string }
);

/**
 * A FAILED task's cached block that was gone from its worker (evicted, or never
 * there), so the task computed the block from its lineage and met a shuffle it
 * was given no blocks of: the stage writing it was skipped for that block.
 */
export interface BlockMissing {
  datasetId: DatasetId;
  partition: number;
  shuffleId: ShuffleId;
}

/** POST /splits (master → worker): list the splits of file sources. */
export interface SplitRequest {
  protocol: number;
  sources: SplitSource[];
  /** The job's own S3 settings, for `s3://` inputs (secrets: never logged); absent when it has none. */
  s3?: S3JobSettings;
}

export interface SplitReply {
  protocol: number;
  splits: Record<string, InputSplit[]>;
}

/** A FINISHED task's accumulator deltas by accumulator id (only those it added to): merged once per partition by the master. */
export type AccumulatorDeltas = Record<string, Json>;
