// Limits on single parameters of a JobSpec, shared by the validator
// (planner/validate.ts), the op rules' parameter schemas (src/ops/params.ts), the
// JSON Schema (planner/jobspec-schema.ts) and the CLI's job settings (cli/conf.ts),
// which must all say the same.

export const MAX_PARTITIONS = 100_000;
/** Buckets of a histogram: the master holds one count per bucket and partition. */
export const MAX_HISTOGRAM_BUCKETS = 100_000;
export const DEFAULT_MAX_TASK_RETRIES = 3;
/** Spark's spark.task.maxFailures is 4; past 100 a failing task only keeps the cluster busy. */
export const MAX_TASK_RETRIES = 100;
/** The longest job name. */
export const MAX_NAME_LENGTH = 200;
