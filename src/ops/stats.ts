// sum, mean and stats: per-partition moments (Welford, kernels/batch-stats.ts) merged
// on the master with Chan et al.'s pairwise formula.
import type { Json } from "../plan/keys.js";
import { numberStats } from "./kernels/batch-stats.js";
import { EmptyDatasetError } from "./collected.js";
import { defineOp, type OpFamily } from "./op-rule.js";
import { params } from "./params.js";
import type { TaskResult } from "../plan/task.js";

interface Moments {
  count: number;
  sum: number;
  min: number;
  max: number;
  m2: number;
}

function mergeStats(results: TaskResult[]): Moments {
  const acc: Moments = { count: 0, sum: 0, min: Infinity, max: -Infinity, m2: 0 };
  for (const r of results) {
    if (r.type !== "stats" || r.count === 0) continue;
    if (acc.count > 0) {
      const delta = r.sum / r.count - acc.sum / acc.count;
      acc.m2 += r.m2 + (delta * delta * acc.count * r.count) / (acc.count + r.count);
    } else acc.m2 = r.m2;
    acc.count += r.count;
    acc.sum += r.sum;
    acc.min = Math.min(acc.min, r.min);
    acc.max = Math.max(acc.max, r.max);
  }
  return acc;
}

/** PySpark's StatCounter fields; with no values, count 0 and nulls where Spark has NaN or ±inf. */
function statsValue(s: Moments): Json {
  if (s.count === 0) {
    return { count: 0, mean: null, sum: 0, min: null, max: null, variance: null, stdev: null, sampleVariance: null, sampleStdev: null };
  }
  const variance = s.m2 / s.count;
  const sampleVariance = s.count > 1 ? s.m2 / (s.count - 1) : null;
  return {
    count: s.count,
    mean: s.sum / s.count,
    sum: s.sum,
    min: s.min,
    max: s.max,
    variance,
    stdev: Math.sqrt(variance),
    sampleVariance,
    sampleStdev: sampleVariance === null ? null : Math.sqrt(sampleVariance),
  };
}

const stats = (value: (s: Moments) => Json) =>
  defineOp({ kind: "action", inputs: 1, params: params({}), plan: (_pl, _p, _a, input) => ({ rdd: input, result: { type: "stats" } }), value: (results) => value(mergeStats(results)) });

export const STATS: OpFamily = {
  ops: {
    sum: stats((s) => s.sum),
    mean: stats((s) => {
      if (s.count === 0) throw new EmptyDatasetError("mean() has no value on an empty dataset");
      return s.sum / s.count;
    }),
    stats: stats(statsValue),
  },
  results: { stats: (_action, batches) => numberStats(batches, "sum(), mean() and stats()") },
};
