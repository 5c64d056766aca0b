// Combines the per-partition results of a job's result stage into the action's
// value (DESIGN.md 3.4). Only built-in merges happen here — concatenating,
// adding, comparing keys the workers computed — because actions that combine
// with a user function are planned with a final shuffle and finished on a
// worker. Pure.
import type { TaskResult } from "../common/protocol.js";
import type { ActionSpec } from "../plan/job-spec.js";
import { KeyMap } from "../plan/key-map.js";
import { compareKeys, type Json } from "../plan/keys.js";

export class EmptyDatasetError extends Error {}

type Of<T extends TaskResult["type"]> = Extract<TaskResult, { type: T }>;

export function actionValue(action: ActionSpec, results: TaskResult[]): Json {
  switch (action.op) {
    case "count":
      return results.reduce((n, r) => n + (r.type === "count" ? r.count : 0), 0);
    case "getNumPartitions":
      return results.length;
    case "take":
      return records(results).slice(0, action.params.num as number);
    case "isEmpty":
      return records(results).length === 0;
    case "first":
    case "reduce":
      return firstOf(action.op, records(results));
    case "fold":
    case "aggregate":
      return records(results)[0] ?? null;
    case "takeOrdered":
    case "top":
      return ordered(results, action.op === "top").slice(0, action.params.num as number);
    case "min":
    case "max":
      return firstOf(action.op, ordered(results, action.op === "max"));
    case "sum":
      return mergeStats(results).sum;
    case "mean": {
      const s = mergeStats(results);
      if (s.count === 0) throw new EmptyDatasetError("mean() has no value on an empty dataset");
      return s.sum / s.count;
    }
    case "stats":
      return statsValue(mergeStats(results));
    case "histogram":
      return histogramValue(results.filter((r): r is Of<"histogram"> => r.type === "histogram"));
    case "collectAsMap":
      return lastValuePerKey(records(results));
    case "save": {
      const saved = results.filter((r): r is Of<"saved"> => r.type === "saved");
      return { path: action.params.path as string, files: saved.map((r) => r.file), records: saved.reduce((s, r) => s + r.records, 0) };
    }
    default:
      return records(results);
  }
}

function records(results: TaskResult[]): Json[] {
  const out: Json[] = [];
  for (const r of results) if (r.type === "collect") for (const rec of r.records) out.push(rec);
  return out;
}

function firstOf(op: string, values: Json[]): Json {
  if (values.length === 0) throw new EmptyDatasetError(`${op}() has no value on an empty dataset`);
  return values[0]!;
}

/** Every partition's best records, merged by the keys the workers computed. */
function ordered(results: TaskResult[], descending: boolean): Json[] {
  const entries = results.flatMap((r) => (r.type === "keyed" ? r.entries : []));
  entries.sort(descending ? (a, b) => compareKeys(b[0], a[0]) : (a, b) => compareKeys(a[0], b[0]));
  return entries.map((e) => e[1]);
}

interface Moments {
  count: number;
  sum: number;
  min: number;
  max: number;
  m2: number;
}

/** Chan et al.'s pairwise merge of count, mean and squared deviations. */
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

function histogramValue(results: Of<"histogram">[]): Json {
  const edges = results[0]?.edges ?? [];
  if (edges.length === 0) throw new EmptyDatasetError("histogram() with a bucket count has no value on an empty dataset");
  const counts = new Array<number>(edges.length - 1).fill(0);
  for (const r of results) r.counts.forEach((c, i) => (counts[i]! += c));
  return [edges, counts];
}

/** Like a Python dict built from the pairs: one entry per key, the last value wins. */
function lastValuePerKey(pairs: Json[]): Json {
  const map = new KeyMap<Json>();
  for (const p of pairs) {
    const [k, v] = p as [Json, Json];
    map.set(k, v);
  }
  return [...map.entries()].map(([k, v]) => [k as Json, v]);
}
