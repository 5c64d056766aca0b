// The shape of treeAggregate/treeReduce(depth), as PySpark plans it: the
// per-partition aggregates (n of them) are re-aggregated level by level, each
// level keying every aggregate by its partition index modulo the level's
// partition count and combining by key, until one more level would not cut
// the wall-clock time; the last level's aggregates are combined on the driver.
// With scale = max(ceil(n^(1/depth)), 2), a level is added while
// k > scale + k / scale, dividing k by scale (as a float, as PySpark does; a
// level's partition count is its integer part).
// Called by the treeAggregate and treeReduce ops (src/ops/tree-aggregate.ts):
// depthProblem for their parameter check, treeLevels when planning. (PySpark's
// treeReduce aggregates [value, isDummy] pairs; there an empty partition just
// contributes no record to the levels' shuffles, so it needs no such pairs.)

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
  const scale = Math.max(Math.ceil(numPartitions ** (1 / depth)), 2);
  let k = numPartitions;
  while (k > scale + k / scale) {
    k /= scale;
    levels.push(Math.trunc(k));
  }
  return levels;
}
