// The shape of treeAggregate/treeReduce(depth), as PySpark plans it: the
// per-partition aggregates (n of them) are re-aggregated level by level, each
// level keying every aggregate by its partition index modulo the level's
// partition count and combining by key, until one more level would not cut
// the wall-clock time; the last level's aggregates are combined on the driver.
// With scale = max(ceil(n^(1/depth)), 2), a level is added while
// k > scale + k / scale, dividing k by scale (as a float, as PySpark does; a
// level's partition count is its integer part).
// treeReduce is treeAggregate over [value, isDummy] pairs so that empty
// partitions need no special case (PySpark's trick); its helpers are here too.
// Called by the treeAggregate and treeReduce ops: depthProblem for their
// parameter check, treeLevels when planning, the treeReduce helpers for the
// functions the levels run and for the final value.

/** Why treeAggregate/treeReduce cannot take this depth, or null (PySpark's message). */
export function depthProblem(depth: number): string | null {
  return depth >= 1 ? null : `Depth cannot be smaller than 1 but got ${Math.trunc(depth)}.`;
}

/**
 * The partition counts, first that of the per-partition aggregates, then one
 * per level that re-aggregates them: [10, 2] for 10 partitions at depth 2.
 * [0] for an input with no partitions (treeAggregate's value is then the zero).
 */
export function treeLevels(numPartitions: number, depth: number): number[] {
  const problem = depthProblem(depth);
  if (problem) throw new RangeError(problem);
  const levels = [numPartitions];
  const scale = Math.max(Math.ceil(Math.pow(numPartitions, 1 / depth)), 2);
  let k = numPartitions;
  while (k > scale + k / scale) {
    k /= scale;
    levels.push(Math.trunc(k));
  }
  return levels;
}

/** A treeReduce aggregate: the value so far, and whether it is only the zero. */
export type TreeReducePair = readonly [value: unknown, isDummy: boolean];

export const TREE_REDUCE_ZERO: TreeReducePair = [null, true];

/** The record as treeReduce aggregates it. */
export function treeReduceInput(x: unknown): TreeReducePair {
  return [x, false];
}

/** treeReduce's seqOp and combOp both: f over real values, the zero skipped. */
export function treeReduceCombine(f: (a: unknown, b: unknown) => unknown): (x: TreeReducePair, y: TreeReducePair) => TreeReducePair {
  return (x, y) => (x[1] ? y : y[1] ? x : [f(x[0], y[0]), false]);
}

export class EmptyTreeReduceError extends Error {
  constructor() {
    super("Cannot reduce empty RDD.");
    this.name = "EmptyTreeReduceError";
  }
}

/** treeReduce's value from the final aggregate. */
export function treeReduceValue(reduced: TreeReducePair): unknown {
  if (reduced[1]) throw new EmptyTreeReduceError();
  return reduced[0];
}
