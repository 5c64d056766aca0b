// Which partitions of its parents one partition of an RDD reads, within its
// stage: the one rule behind union (the parent that owns it), cartesian (a
// partition of each side), coalesce (a run of the parent's) and the one-to-one
// narrow steps, as Spark's NarrowDependency.getParents. Used by task slicing
// and shuffle block lookup (task-rdd.ts) and by the worker (rdd-compute.ts). Pure.
import { childrenOf, type Rdd } from "./physical.js";

/** Spark's ParallelCollectionRDD slicing: slice p is [floor(p * len / n), floor((p + 1) * len / n)). */
export function sliceBounds(p: number, n: number, length: number): [number, number] {
  return [Math.floor((p * length) / n), Math.floor(((p + 1) * length) / n)];
}

export interface ParentRead {
  parent: Rdd;
  /** In the order they are read; empty for a union branch that does not own the partition. */
  partitions: number[];
}

/** One entry per parent (childrenOf order); none for sources and shuffle reads, whose inputs are not RDDs of the stage. */
export function parentPartitions(rdd: Rdd, p: number): ParentRead[] {
  switch (rdd.kind) {
    case "union": {
      let rest = p;
      return rdd.parents.map((parent) => {
        const mine = rest >= 0 && rest < parent.numPartitions;
        const read = { parent, partitions: mine ? [rest] : [] };
        rest -= parent.numPartitions;
        return read;
      });
    }
    case "cartesian": {
      // Partition p pairs the left's p / n with the right's p % n (n: the right's count).
      const [left, right] = rdd.parents;
      return [
        { parent: left, partitions: [Math.floor(p / right.numPartitions)] },
        { parent: right, partitions: [p % right.numPartitions] },
      ];
    }
    case "coalesce": {
      const [from, to] = sliceBounds(p, rdd.numPartitions, rdd.parent.numPartitions);
      return [{ parent: rdd.parent, partitions: Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i) }];
    }
    default:
      return childrenOf(rdd).map((parent) => ({ parent, partitions: [p] }));
  }
}
