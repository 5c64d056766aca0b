// zip's two checks, with Spark's messages: the two datasets must have as many
// partitions (PySpark checks before planning), and each pair of partitions as
// many records (the JVM checks while zipping: the task fails at the first
// partition whose records run out on one side only).
// Called by the zip op: zipPartitionsProblem when planning, zipPartition by
// the worker computing a partition from its two parents' partitions.

export class ZipError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ZipError";
  }
}

/** Why two datasets of these partition counts cannot be zipped, or null. */
export function zipPartitionsProblem(left: number, right: number): string | null {
  return left === right ? null : "Can only zip with RDD which has the same number of partitions";
}

/** [a, b] for the i-th records of the two partitions; throws if one runs out first. */
export function* zipPartition<A, B>(left: Iterable<A>, right: Iterable<B>): Iterable<[A, B]> {
  const a = left[Symbol.iterator]();
  const b = right[Symbol.iterator]();
  try {
    for (;;) {
      const x = a.next();
      const y = b.next();
      if (x.done && y.done) return;
      if (x.done || y.done) throw new ZipError("Can only zip RDDs with same number of elements in each partition");
      yield [x.value, y.value];
    }
  } finally {
    // A consumer that stops early (take) closes both sides down to the files they read.
    a.return?.();
    b.return?.();
  }
}
