// zipWithUniqueId: the records of partition k of n get the ids k, n + k,
// 2n + k, … (PySpark's and Spark's rule), unique without a job to count the
// partitions first, unlike zipWithIndex, at the cost of gaps.
// Called by the zipWithUniqueId op on the worker, per partition.

export function* zipWithUniqueId<T>(input: Iterable<T>, partitionIndex: number, numPartitions: number): Iterable<[T, number]> {
  if (!(Number.isInteger(partitionIndex) && partitionIndex >= 0 && partitionIndex < numPartitions)) {
    throw new RangeError(`partition ${partitionIndex} is not one of ${numPartitions}`);
  }
  let id = partitionIndex;
  for (const x of input) {
    yield [x, id];
    id += numPartitions;
  }
}
