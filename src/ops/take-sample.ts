// takeSample(withReplacement, num, seed): `num` records drawn at random (with
// or without replacement), in random order, the same for the same seed.
// PySpark runs a count job, then sample jobs (with a fresh seed while one falls
// short), then shuffles and trims on the driver (kernels/take-sample.ts's
// TakeSample steps). A plan here is one job of fixed stages and cannot loop, so
// this runs as ONE job of one stage that needs no count beforehand and never
// falls short: every record of a partition draws a seeded uniform key and the
// task returns its partition's count and its (at most) `num` records of
// smallest key, in key order — a uniformly random ordered subset of the
// partition. The master then
// - without replacement keeps the `num` smallest keys overall: a uniform
//   sample of min(num, count) records, already in random order;
// - with replacement draws `num` positions in [0, count) from the seed's own
//   stream; the distinct positions that fall in a partition are served, in
//   order of first draw, by that partition's records in key order (any fixed
//   matching of a random subset is again a random subset), so each of the
//   `num` draws is a uniform pick of the whole dataset.
// A task keeps O(num) records and the master at most partitions × num, as
// takeOrdered does. With replacement the value can be far larger than what the
// tasks sent (a huge num over a few records), so the master stops drawing, and
// fails the job, once the value's JSON would pass the largest result budget
// there is, rather than build it and fail afterwards (or not at all). Works the
// same from the library, the CLI and REST.
import { mulberry32 } from "../common/random.js";
import { MAX_RESULT_CEILING, ResultTooLargeError, encodedBytes, tooLargeMessage } from "../plan/result-budget.js";
import type { Json } from "../plan/keys.js";
import { partitionRandom } from "./kernels/partition-random.js";
import { sampleSizeProblem } from "./kernels/take-sample.js";
import { defineOp, type Batches, type OpFamily } from "./op-rule.js";
import { boolean, count, int, params } from "./params.js";
import type { TaskResult } from "../plan/task.js";

/** One partition's part of a takeSample: its record count and its `num` records of smallest key, in key order. */
export interface PartitionSample {
  count: number;
  entries: [number, Json][];
}

/** The partition's records of the `num` smallest seeded keys, in a buffer trimmed when it doubles (O(num) memory). */
export function partitionSample(batches: Batches, num: number, seed: number, partition: number): PartitionSample {
  const rand = partitionRandom(seed, partition);
  const byKey = (a: [number, Json], b: [number, Json]) => a[0] - b[0];
  let kept: [number, Json][] = [];
  let n = 0;
  for (const batch of batches) {
    for (const rec of batch) {
      n++;
      const key = rand();
      if (num === 0) continue;
      kept.push([key, rec as Json]);
      if (kept.length >= 2 * num + 1024) kept = kept.sort(byKey).slice(0, num);
    }
  }
  return { count: n, entries: kept.sort(byKey).slice(0, num) };
}

/** A uniform integer in [0, n) for any safe n: 53 random bits from two 32-bit draws. */
function below(n: number, rand: () => number): number {
  const u = (Math.floor(rand() * 2 ** 21) * 2 ** 32 + Math.floor(rand() * 2 ** 32)) / 2 ** 53;
  return Math.floor(u * n);
}

/** The action's value from every partition's part, in partition order; throws ResultTooLargeError past `maxBytes` of JSON. */
export function mergeSamples(parts: PartitionSample[], withReplacement: boolean, num: number, seed: number, maxBytes = MAX_RESULT_CEILING): Json[] {
  if (!withReplacement) {
    // A stable sort of the parts in partition order: equal keys (vanishingly rare) still give one answer per seed.
    return parts
      .flatMap((p) => p.entries)
      .sort((a, b) => a[0] - b[0])
      .slice(0, num)
      .map((e) => e[1]);
  }
  const total = parts.reduce((n, p) => n + p.count, 0);
  if (total === 0) return [];
  const starts: number[] = [];
  parts.reduce((start, p) => {
    starts.push(start);
    return start + p.count;
  }, 0);
  const served = parts.map(() => new Map<number, number>());
  /** Each served record's JSON size plus its comma, by partition and slot. */
  const sizes: number[][] = parts.map(() => []);
  const rand = mulberry32(seed);
  const out: Json[] = [];
  let bytes = 2;
  for (let i = 0; i < num; i++) {
    const g = below(total, rand);
    let p = upperBound(starts, g) - 1;
    while (parts[p]!.count === 0) p--;
    const local = g - starts[p]!;
    const slots = served[p]!;
    let slot = slots.get(local);
    if (slot === undefined) {
      slot = slots.size;
      slots.set(local, slot);
      sizes[p]![slot] = encodedBytes(parts[p]!.entries[slot]![1]) + 1;
    }
    bytes += sizes[p]![slot]!;
    if (bytes > maxBytes) throw new ResultTooLargeError(tooLargeMessage("takeSample", maxBytes));
    out.push(parts[p]!.entries[slot]![1]);
  }
  return out;
}

/** The number of starts <= g (starts ascend). */
function upperBound(starts: number[], g: number): number {
  let lo = 0;
  let hi = starts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (starts[mid]! <= g) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function partsOf(results: TaskResult[]): PartitionSample[] {
  return results.flatMap((r) => (r.type === "sampled" ? [{ count: r.count, entries: r.entries }] : []));
}

export const TAKE_SAMPLE: OpFamily = {
  ops: {
    takeSample: defineOp({
      kind: "action",
      inputs: 1,
      params: params({ withReplacement: boolean(), num: count(), seed: int().maybe() }, (p) => {
        const problem = p.num === undefined ? null : sampleSizeProblem(p.num);
        return problem ? [`parameter "num": ${problem}`] : [];
      }),
      plan: (_pl, p, _a, input) => ({ rdd: input, result: { type: "takeSample", num: p.num, seed: p.seed ?? 0 } }),
      value: (results, p) => mergeSamples(partsOf(results), p.withReplacement, p.num, p.seed ?? 0),
    }),
  },
  results: {
    takeSample: (action, batches, task) => {
      const part = partitionSample(batches, action.num, action.seed, task.partition);
      task.out.records = part.count;
      return { type: "sampled", count: part.count, entries: part.entries };
    },
  },
};
