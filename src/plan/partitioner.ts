// Where a key goes in a shuffle: hash partitioning for aggregations and joins,
// range partitioning (bounds chosen from a weighted key sample, as Spark's
// RangePartitioner does) for sorts, so that reduce partition i holds only keys
// that sort before those of partition i+1. Pure; used by the worker's shuffle
// writer and by the master when it turns samples into bounds.
import { compareKeys, hashKey, type Json } from "./keys.js";
import type { Partitioner } from "./physical.js";

export function hashPartition(key: unknown, numPartitions: number): number {
  return numPartitions === 1 ? 0 : hashKey(key) % numPartitions;
}

/** Index of the first bound >= key (keys equal to a bound go to its partition). */
export function rangePartition(key: unknown, bounds: readonly Json[], ascending: boolean): number {
  let lo = 0;
  let hi = bounds.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareKeys(key, bounds[mid]) > 0) lo = mid + 1;
    else hi = mid;
  }
  return ascending ? lo : bounds.length - lo;
}

export function partitionFunction(p: Partitioner, numPartitions: number): (key: unknown) => number {
  if (p.type === "hash") return (k) => hashPartition(k, numPartitions);
  if (p.type === "direct") return (k) => k as number;
  if (numPartitions === 1) return () => 0;
  if (!p.bounds) throw new Error("range partitioner used before its bounds were computed");
  const bounds = p.bounds;
  return (k) => rangePartition(k, bounds, p.ascending);
}

/** One partition's sample: its keys and how many records it had in all. */
export interface KeySample {
  keys: Json[];
  total: number;
}

/**
 * Up to numPartitions - 1 strictly increasing bounds that split the sampled
 * keys into ranges of about equal weight; each sampled key weighs as many
 * records as it stands for in its partition.
 */
export function rangeBounds(samples: readonly KeySample[], numPartitions: number): Json[] {
  const weighted: { key: Json; weight: number }[] = [];
  for (const s of samples) {
    if (s.keys.length === 0) continue;
    const weight = s.total / s.keys.length;
    for (const key of s.keys) weighted.push({ key, weight });
  }
  if (weighted.length === 0 || numPartitions <= 1) return [];
  weighted.sort((a, b) => compareKeys(a.key, b.key));
  const totalWeight = weighted.reduce((sum, w) => sum + w.weight, 0);
  const step = totalWeight / numPartitions;
  const bounds: Json[] = [];
  let cumulative = 0;
  let target = step;
  for (const { key, weight } of weighted) {
    cumulative += weight;
    if (cumulative < target) continue;
    const last = bounds[bounds.length - 1];
    if (bounds.length === 0 || compareKeys(key, last) > 0) {
      bounds.push(key);
      target += step;
      if (bounds.length === numPartitions - 1) break;
    }
  }
  return bounds;
}
