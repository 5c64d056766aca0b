// The JSON bodies of the master's client REST API (DESIGN.md section 2,
// docs/openapi.json), written once: the master's routes and views build them,
// the REST client and the CLI read them, the library exports them (src/index.ts)
// and the tests check against them. Types, and the one rule a client needs
// about them (which job states are final). The worker-facing messages are in
// cluster/protocol.ts.
import type { ErrorCode } from "./errors.js";

/** A JSON value: what records, parameters, env values and action values are made of. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A job's state: PENDING until the scheduler starts it, RUNNING, then one of the three final states. */
export type JobStatus = "PENDING" | "RUNNING" | "COMPLETED" | "FAILED" | "CANCELLED";

/** The states a job ends in. */
export type JobEndStatus = Exclude<JobStatus, "PENDING" | "RUNNING">;

/** Whether a job in this state has ended: it changes no more. */
export function hasEnded(status: JobStatus): status is JobEndStatus {
  return status === "COMPLETED" || status === "FAILED" || status === "CANCELLED";
}

/** A stage's state: WAITING for its parents, RUNNING, then COMPLETED, FAILED or CANCELLED. */
/** SKIPPED: not run, because every stage that would read its output reads cached blocks instead (Spark's skipped stages). */
export type StageStatus = "WAITING" | "RUNNING" | "COMPLETED" | "FAILED" | "CANCELLED" | "SKIPPED";

/**
 * What a stage's tasks produce: a shuffle's map side, the action's result, or
 * what the planner probes first (a sort's key sample, zipWithIndex's partition
 * sizes, a histogram's range).
 */
export type StageKind = "shuffleMap" | "result" | "sample" | "countProbe" | "rangeProbe" | "csvProbe";

/** A task's state: PENDING until launched, RUNNING, SUCCEEDED, or FAILED after all its retries. */
export type TaskStatus = "PENDING" | "RUNNING" | "SUCCEEDED" | "FAILED";

/** How one attempt at a task ended, or RUNNING while it runs. */
export type AttemptState = "RUNNING" | "FINISHED" | "FAILED" | "FETCH_FAILED" | "KILLED" | "LOST" | "LAUNCH_FAILED" | "TIMED_OUT";

/** A worker's state on the master: ALIVE while it beats, DEAD once unheard for the lease, LEFT once it deregistered. */
export type WorkerStatus = "ALIVE" | "DEAD" | "LEFT";

/** What one task attempt measured; summed over a stage's finished attempts in {@link StageInfo.metrics}. */
export interface TaskMetrics {
  /** The attempt's run time on its worker. */
  durationMs: number;
  /** Records the task read. */
  recordsIn: number;
  /** Records the task wrote or returned. */
  recordsOut: number;
  /** Bytes of input files read. */
  bytesRead: number;
  /** Shuffle bytes written for the next stage. */
  shuffleBytesWritten: number;
  /** Shuffle bytes read from the previous stage. */
  shuffleBytesRead: number;
  /** The part of shuffleBytesRead fetched from other workers. */
  shuffleBytesFetchedRemote: number;
  /** Runs written to disk when the task's share of memory ran out. */
  spillCount: number;
  /** Bytes of those runs. */
  spillBytes: number;
}

/** How many of a stage's tasks are in each state. */
export interface TaskCounts {
  /** Not started yet. */
  pending: number;
  /** Running now. */
  running: number;
  /** Done. */
  succeeded: number;
  /** Failed after all their retries. */
  failed: number;
}

/** One stage of a job as the master reports it (a stage ends at a shuffle or at the action). */
export interface StageInfo {
  /** The stage's number within its job. */
  id: number;
  /** What the stage computes, named after its last op. */
  name: string;
  /** Where the stage is. */
  status: StageStatus;
  /** What its tasks produce. */
  kind: StageKind;
  /** The stages whose output it reads. */
  parents: number[];
  /** One task per partition. */
  numTasks: number;
  /** How many of its tasks are pending (not started), running, succeeded, or failed after all retries. */
  tasks: TaskCounts;
  /** Attempts at its tasks, retries included. */
  attempts: number;
  /** Attempts that failed (FAILED or FETCH_FAILED). */
  failedAttempts: number;
  /** When its first task started (ISO 8601), or null. */
  startedAt: string | null;
  /** When its last task ended, or null. */
  finishedAt: string | null;
  /** From its first task's start to its last one's end (so far, while it runs); null until it starts. */
  durationMs: number | null;
  /** Its successful attempts' metrics, summed. */
  metrics: TaskMetrics;
}

/** One attempt of a task in {@link FailedTaskInfo}. */
export interface FailedTaskAttempt {
  /** The attempt's id. */
  id: string;
  /** The worker it ran on. */
  worker: string;
  /** How it ended, or RUNNING. */
  state: AttemptState;
  /** Why it failed, else null. */
  error: string | null;
  /** Its run time, null while it runs. */
  durationMs: number | null;
}

/** A task that had failed attempts, with its attempt history. */
export interface FailedTaskInfo {
  /** Its stage. */
  stage: number;
  /** Its partition. */
  partition: number;
  /** Where the task is now. */
  status: TaskStatus;
  /** Every attempt, oldest first. */
  attempts: FailedTaskAttempt[];
}

/** Something recorded about a job (submitted, started, a task attempt failed, ended, …). */
export interface JobEvent {
  /** When (milliseconds since the epoch). */
  time: number;
  /** What happened, e.g. "job started". */
  kind: string;
  /** Its details, by kind. */
  detail: { [key: string]: Json };
}

/**
 * A job's totals in {@link JobInfo.metrics}, summed over its stages. A job
 * that ended before it ran (cancelled or refused while queued) has only durationMs.
 */
export interface JobMetrics {
  /** From its start to its end (so far, while it runs); null if it never started. */
  durationMs: number | null;
  /** Its stages. */
  stages?: number;
  /** Of those, the ones COMPLETED. */
  stagesCompleted?: number;
  /** Its tasks, over all stages. */
  tasks?: number;
  /** Of those, the ones SUCCEEDED. */
  tasksSucceeded?: number;
  /** Attempts at its tasks, retries included. */
  attempts?: number;
  /** Attempts that failed (FAILED or FETCH_FAILED). */
  failedAttempts?: number;
  /** Attempts beyond each task's first. */
  retries?: number;
  /** Records its tasks read, summed over stages. */
  recordsIn?: number;
  /** Records its result stage wrote or returned. */
  recordsOut?: number;
  /** Bytes of input files read. */
  bytesRead?: number;
  /** Shuffle bytes written. */
  shuffleBytesWritten?: number;
  /** Shuffle bytes read. */
  shuffleBytesRead?: number;
  /** The part of shuffleBytesRead fetched from other workers. */
  shuffleBytesFetchedRemote?: number;
  /** Runs spilled to disk. */
  spillCount?: number;
  /** Bytes of those runs. */
  spillBytes?: number;
  /** Its successful attempts' run times on the workers, summed. */
  taskTimeMs?: number;
}

/** A job as `GET /api/v1/jobs/{id}` reports it (also the reply of a cancel, and the entries of the job list). */
export interface JobInfo {
  /** The job's id, as submit returned it. */
  id: string;
  /** The JobSpec's name (the library's: "<appName>: <action>"). */
  name: string;
  /** Where the job is. */
  status: JobStatus;
  /** The percentage of its tasks finished, 0 to 100. */
  progress: number;
  /** When the job was submitted (ISO 8601, as the other times). */
  submittedAt: string;
  /** When the first task started, or null. */
  startedAt: string | null;
  /** When the job ended, or null. */
  finishedAt: string | null;
  /** Why a FAILED job failed (the failing task's error and record position), else null. */
  error: string | null;
  /** Its action's op once it has been planned, else null. */
  action: string | null;
  /** Its stages, in planning order (empty in the job list). */
  stages: StageInfo[];
  /** Tasks with failed attempts, each with its attempt history (at most 100; empty in the job list). */
  failedTasks: FailedTaskInfo[];
  /** The job's recorded events, oldest first (the last 200; empty in the job list). */
  events: JobEvent[];
  /** Its duration and totals: records and bytes read, shuffled and written. */
  metrics: JobMetrics;
  /** The application it belongs to (its JobSpec's "application"), or null. */
  application: string | null;
  /** The accumulators its functions add to, merged once per partition (absent for jobs that use none, and in the job list). */
  accumulators?: AccumulatorInfo[];
  /** The datasets it persists (nodes with "persist"), with the ids DELETE /api/v1/apps/{app}/datasets/{datasetId} takes (absent when none, and in the job list). */
  datasets?: PersistedDatasetInfo[];
}

/** `GET /api/v1/jobs`: the jobs the master knows, newest first. */
export interface JobList {
  /** The jobs, without their stages, failed tasks and events. */
  jobs: JobInfo[];
}

/** `POST /api/v1/jobs`: the accepted job's id (status 201). */
export interface SubmitReply {
  /** The new job's id. */
  id: string;
}

/** A completed job's value, as `GET /api/v1/jobs/{id}/results` returns it. */
export interface JobResults<T = unknown> {
  /** The job's id. */
  id: string;
  /** The action that computed the value. */
  action: string;
  /** The action's value as JSON (for save, a SaveResult). */
  value: T;
}

/** A job's plan as text (Spark's toDebugString), as `GET /api/v1/jobs/{id}/plan` returns it. */
export interface JobPlanText {
  /** The job's id. */
  id: string;
  /** Each stage, what it ends in and its RDD tree, one line per RDD (src/plan/explain.ts). */
  plan: string;
}

/** One attempt at a task, as `GET /api/v1/jobs/{id}/stages/{stage}/tasks` lists it. */
export interface AttemptInfo {
  /** The attempt's id. */
  id: string;
  /** The task's partition. */
  partition: number;
  /** The attempt's number, from 0. */
  n: number;
  /** The worker it ran on. */
  worker: string;
  /** How it ended, or RUNNING. */
  state: AttemptState;
  /** When it was launched (milliseconds since the epoch). */
  startedAt: number;
  /** When it ended, or null. */
  finishedAt: number | null;
  /** Why it failed, else null. */
  error: string | null;
  /** Its run time, null while it runs. */
  durationMs: number | null;
}

/** `GET /api/v1/jobs/{id}/stages/{stage}/tasks`: one stage's tasks that have run or run now, each with its attempts. */
export interface StageTasks {
  /** The stage. */
  stage: number;
  /** By partition, the tasks with at least one attempt. */
  tasks: { partition: number; attempts: AttemptInfo[] }[];
}

/** One heartbeat's load sample, in {@link WorkerSummary.history}. */
export interface LoadSample {
  /** When the master got the heartbeat (milliseconds since the epoch). */
  at: number;
  /** CPU use of the worker process. */
  cpu_percent: number;
  /** The worker process's resident memory. */
  mem_usage_mb: number;
  /** Tasks running then. */
  active_tasks: number;
}

/** A worker's load as its heartbeat reports it (POST /heartbeat) and `GET /api/v1/workers` shows it. */
export interface WorkerLoad {
  /** How many tasks it runs at once. */
  slots: number;
  /** Tasks running now. */
  active_tasks: number;
  /** The worker process's resident memory. */
  mem_usage_mb: number;
  /** CPU use of the worker process. */
  cpu_percent: number;
  /** The mean run time of its recent tasks. */
  avg_task_ms: number;
  /** Tasks it finished. */
  tasks_completed: number;
  /** Tasks that failed on it. */
  tasks_failed: number;
  /** The worker process's JavaScript heap in use. */
  heap_used_mb: number;
  /** Shuffle bytes it served to other workers. */
  shuffle_bytes_served: number;
  /** The worker's --memory. */
  memory_budget_mb: number;
  /** The part of memory_budget_mb running tasks' aggregation, sort and shuffle buffers hold now. */
  execution_memory_mb: number;
  /** How often the tasks it finished spilled to disk. */
  spill_count: number;
  /** Bytes those spills wrote. */
  spill_bytes: number;
}

/** A worker as `GET /api/v1/workers` reports it, from its last heartbeat. */
export interface WorkerSummary extends WorkerLoad {
  /** The worker's id. */
  id: string;
  /** The URL the worker serves tasks and shuffle blocks at. */
  address: string;
  /** Where the worker is. */
  status: WorkerStatus;
  /** Its recent load, oldest first, one sample per heartbeat. */
  history: LoadSample[];
  /** When it registered (ISO 8601). */
  registeredAt: string;
  /** When the master last heard from it (ISO 8601). */
  lastHeartbeatAt: string;
}

/** `GET /api/v1/workers`. */
export interface WorkerList {
  /** Every worker the master has seen, in the order they registered. */
  workers: WorkerSummary[];
}

/** `GET /api/v1/version`. */
export interface VersionInfo {
  /** The master's package version. */
  version: string;
  /** The master–worker protocol version it speaks. */
  protocol: number;
}

/** `GET /healthz`: liveness only. */
export interface Health {
  /** Always true. */
  ok: true;
}

/**
 * Every error reply's body, with its HTTP status. `code` is one of the master's
 * codes, or HTTP_<status> for a request the HTTP parser refused before any route saw it.
 */
export interface ApiError {
  /** What went wrong. */
  error: { code: ErrorCode | `HTTP_${number}`; message: string };
}

/** Where an application is: held by its client, ended by it (DELETE), or ended because its lease ran out. */
export type AppStatus = "ACTIVE" | "ENDED" | "EXPIRED";

/** An application (a client session that jobs belong to): `POST /api/v1/apps`, `GET /api/v1/apps/{id}`, renew and DELETE. */
export interface AppInfo {
  /** Its id, made by the master ("app-<time>-<hex>"). */
  id: string;
  /** The name its client gave (the library's appName). */
  name: string;
  /** ACTIVE while its client renews it; ENDED (by DELETE) or EXPIRED (its lease ran out) for good. */
  status: AppStatus;
  /** When it registered (epoch milliseconds, as the other times). */
  createdAt: number;
  /** When its lease was last renewed (its registration, or the start of a restarted master). */
  renewedAt: number;
  /** When it ended, or null while ACTIVE. */
  endedAt: number | null;
  /** How long a lease lasts without a renewal. */
  leaseMs: number;
  /** Why it ended (null while ACTIVE). */
  endReason: string | null;
  /** Jobs submitted under it. */
  jobs: number;
}

/** `GET /api/v1/apps`: applications, newest first. */
export interface AppList {
  /** Newest first. */
  apps: AppInfo[];
}

/**
 * One accumulator of a job (JobInfo.accumulators): each (stage, partition)'s
 * delta is merged once, from the first successful attempt, so retries and
 * recomputed map output never count twice.
 */
export interface AccumulatorInfo {
  /** The id the env names it by. */
  id: string;
  /** The name the program gave it, or null. */
  name: string | null;
  /** The built-in merge, or "custom" for a merge function (which the library runs, not the master). */
  merge: "sum" | "max" | "min" | "list" | "set" | "custom";
  /** Built-in merges: the zero merged with every partition's delta (a set's members in canonical-JSON order; max/min: null until a task adds). */
  value?: Json;
  /** A custom merge: every partition's delta, in (stage, partition) order, for the library to fold. */
  deltas?: Json[];
  /** Partitions (of all stages) whose delta has been merged. */
  partitions: number;
  /** Map partitions a job resumed after a master restart reused, whose deltas died with that master: the value lacks whatever they added. Absent when none. */
  unknownPartitions?: number;
}

/** `DELETE /api/v1/apps/{app}/datasets/{datasetId}`: a persisted dataset's blocks released (idempotent). */
export interface UnpersistReply {
  /** The application. */
  application: string;
  /** The dataset's id (its lineage hash, as the job's plan shows it). */
  datasetId: string;
  /** How many of its partitions were cached (0: none, or released already). */
  partitions: number;
  /** How many workers are told to drop its blocks with their next heartbeat. */
  workers: number;
}

/** A persisted node of a job (JobInfo.datasets). */
export interface PersistedDatasetInfo {
  /** The JobSpec node's id. */
  node: string;
  /** Its dataset id: the hash of its lineage, scoped to the job's application. */
  datasetId: string;
  /** Its storage level. */
  level: string;
}

/** One worker's share of a cached dataset (CachedDatasetInfo.workers). */
export interface CachedDatasetWorker {
  /** The worker's id, as GET /api/v1/workers lists it. */
  worker: string;
  /** How many of the dataset's partitions it holds. */
  partitions: number;
  /** Bytes of those blocks in its memory. */
  memoryBytes: number;
  /** Bytes of those blocks on its disk. */
  diskBytes: number;
}

/** A persisted dataset some worker holds blocks of (StorageList.datasets). */
export interface CachedDatasetInfo {
  /** The application it belongs to (it lives until the application ends or unpersists it). */
  application: string;
  /** Its dataset id (the hash of its lineage), as DELETE /api/v1/apps/{app}/datasets/{datasetId} takes it. */
  datasetId: string;
  /** The JobSpec node of the latest job that stored a block of it, or null when no task report named it (never, on a running master). */
  node: string | null;
  /** Its storage level, as the persisting job named it (a block's own level when no job did). */
  level: string;
  /** How many partitions it has, or null when no job named it. */
  numPartitions: number | null;
  /** How many of them some worker holds. */
  cachedPartitions: number;
  /** Bytes in memory over all its blocks (a partition held by two workers counts twice). */
  memoryBytes: number;
  /** Bytes on disk over all its blocks. */
  diskBytes: number;
  /** Each worker that holds some of it, in the order they first stored a block. */
  workers: CachedDatasetWorker[];
}

/** `GET /api/v1/storage`: every cached dataset of every application, as the master's block tracker knows them. */
export interface StorageList {
  /** By application (in the order their first blocks arrived), then dataset. */
  datasets: CachedDatasetInfo[];
}

/** `POST /api/v1/apps/{app}/broadcasts`'s body: how many bytes of JSON the client is about to upload. */
export interface BroadcastDeclaration {
  bytes: number;
}

/** `POST /api/v1/apps/{app}/broadcasts`'s reply: the broadcast's id and the worker to PUT its JSON to (`PUT <uploadTo>/broadcasts/{app}/{id}`, with the cluster token). */
export interface BroadcastCreated {
  /** The broadcast's id (bc-…), as a JobSpec's env names it. */
  id: string;
  /** The application it belongs to. */
  application: string;
  /** The worker's base URL (http://host:port). */
  uploadTo: string;
  /** The declared size, as the master counts it to choose upload workers; the worker bounds an upload by its --max-broadcast-size. */
  bytes: number;
}

/** `DELETE /api/v1/apps/{app}/broadcasts/{id}`'s reply (idempotent: a destroyed one answers again with 0 workers). */
export interface BroadcastDestroyed {
  /** The broadcast's id. */
  id: string;
  /** The application it belonged to. */
  application: string;
  /** How many workers are told to drop it with their next heartbeat. */
  workers: number;
}
