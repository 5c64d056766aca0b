// Limits on single parameters of a JobSpec, shared by the validator
// (planner/validate.ts), the op rules' parameter schemas (src/ops/params.ts) and the
// JSON Schema (planner/jobspec-schema.ts), which must all say the same.

export const MAX_PARTITIONS = 100_000;
/** Buckets of a histogram: the master holds one count per bucket and partition. */
export const MAX_HISTOGRAM_BUCKETS = 100_000;
