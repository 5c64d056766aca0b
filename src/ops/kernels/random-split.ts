// randomSplit(weights, seed) as PySpark does it: the weights, normalised, cut
// [0, 1) into consecutive ranges, one per split; every split reads the whole
// input and, per partition, draws one seeded uniform per record and keeps the
// records whose draw falls in its range. All splits draw the same stream, so
// each record lands in exactly one split, and the same seed gives the same
// splits. Unlike PySpark the last range ends at exactly 1, so no record can
// fall past the rounded sum of the weights.
// Called by the randomSplit op: weightsProblem for its parameter check and
// splitRanges when planning one dataset per weight; splitPartition by the
// worker computing one split's partition.
import { partitionRandom } from "./partition-random.js";

/** A split's share of [0, 1): draws u with lower <= u < upper. */
export interface SplitRange {
  lower: number;
  upper: number;
}

/** Why randomSplit cannot take these weights, or null (PySpark's messages). */
export function weightsProblem(weights: readonly number[]): string | null {
  if (!weights.every((w) => w >= 0)) return "Weights must be nonnegative";
  if (!weights.every(Number.isFinite)) return "Weights must be finite";
  if (!(weights.reduce((a, b) => a + b, 0) > 0)) return "Sum of weights must be positive";
  return null;
}

export function splitRanges(weights: readonly number[]): SplitRange[] {
  const problem = weightsProblem(weights);
  if (problem) throw new RangeError(problem);
  const sum = weights.reduce((a, b) => a + b, 0);
  const ranges: SplitRange[] = [];
  let lower = 0;
  weights.forEach((w, i) => {
    const upper = i === weights.length - 1 ? 1 : lower + w / sum;
    ranges.push({ lower, upper });
    lower = upper;
  });
  return ranges;
}

/** One split's records of one partition. */
export function* splitPartition<T>(input: Iterable<T>, range: SplitRange, seed: number, partitionIndex: number): Iterable<T> {
  const rand = partitionRandom(seed, partitionIndex);
  for (const x of input) {
    const u = rand();
    if (u >= range.lower && u < range.upper) yield x;
  }
}
