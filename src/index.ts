// The public API of the `minispark` package (package.json "exports"): the
// TypeScript library of DESIGN.md section 5 — connect() and the Context, typed
// Datasets, the JobSpec types it builds — and the REST client for tools that
// follow jobs themselves. Everything else in src/ is internal.
export { connect, Context, type ConnectOptions, type CsvOptions, type CsvValue, type FileOptions, type JobRunner, type ParquetOptions, type ParquetValue } from "./client/context.js";
export { Dataset, type Env, type EnvOption, type NoEnv, type SaveOptions, type SaveResult, type StatCounter } from "./client/dataset.js";
export { ClosureError } from "./client/closure.js";
export type { JobSpec, JobSpecAction, JobSpecNode, S3Settings } from "./client/job-builder.js";
export { JobFailedError, MinisparkClient } from "./client/rest-client.js";
// The JSON bodies of the REST API, as the client returns them.
export type {
  AppInfo,
  AppStatus,
  AttemptState,
  FailedTaskAttempt,
  FailedTaskInfo,
  JobEvent,
  JobInfo,
  JobMetrics,
  JobPlanText,
  JobResults,
  JobStatus,
  Json,
  LoadSample,
  StageInfo,
  StageKind,
  StageStatus,
  TaskCounts,
  TaskMetrics,
  TaskStatus,
  WorkerStatus,
  WorkerSummary,
} from "./common/api-types.js";
// Inside a task, TaskContext.get() tells the attempt number, partition and stage (as in Spark).
export { TaskContext } from "./worker/task-context.js";
// Job settings a Context adds to each of its jobs (from `minispark submit --conf` or the defaults file).
export type { JobSettings } from "./common/job-settings.js";
// Accumulators: sc.accumulator(0), sc.listAccumulator(), sc.setAccumulator(), passed to functions in env.
export { Accumulator, type AccumulatorOptions, type CustomAccumulatorOptions, type NumberMerge } from "./client/accumulator.js";
export type { AccumulatorInfo } from "./common/api-types.js";
// Persisted datasets: ds.cache(), ds.persist(level), ds.unpersist().
export { STORAGE_LEVELS, type StorageLevel } from "./plan/storage-level.js";
export type { PersistedDatasetInfo, UnpersistReply } from "./common/api-types.js";
// Broadcast variables: await sc.broadcast(value), passed to functions in env, read there as env.<name>.value.
export { Broadcast } from "./client/broadcast.js";
export type { BroadcastCreated, BroadcastDestroyed } from "./common/api-types.js";
