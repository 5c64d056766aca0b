// What one task needs of its stage's RDD tree: the same tree with each file
// source cut down to the task's own split and each parallelized collection to
// its own slice (and sources of union branches the task does not read emptied),
// so that launch messages stay small however many partitions a stage has.
// Partition numbering is kept, so the worker computes exactly as on the full
// tree. Pure; used by the scheduler when it launches a task.
import type { ShuffleId } from "../common/ids.js";
import { childrenOf, type Rdd } from "./physical.js";

/** Spark's ParallelCollectionRDD slicing: slice p is [floor(p * len / n), floor((p + 1) * len / n)). */
export function sliceBounds(p: number, n: number, length: number): [number, number] {
  return [Math.floor((p * length) / n), Math.floor(((p + 1) * length) / n)];
}

export function taskRdd(rdd: Rdd, partition: number): Rdd {
  switch (rdd.kind) {
    case "file":
      return { ...rdd, splits: [rdd.splits[partition - rdd.firstSplit]!], firstSplit: partition };
    case "parallelize": {
      const [start, end] = sliceBounds(partition, rdd.numPartitions, rdd.dataLength);
      return { ...rdd, data: rdd.data.slice(start - rdd.dataOffset, end - rdd.dataOffset), dataOffset: start };
    }
    case "narrow":
    case "zipWithIndex":
      return { ...rdd, parent: taskRdd(rdd.parent, partition) };
    case "cartesian": {
      const [left, right] = rdd.parents;
      return { ...rdd, parents: [taskRdd(left, Math.floor(partition / right.numPartitions)), taskRdd(right, partition % right.numPartitions)] };
    }
    case "union": {
      let p = partition;
      const parents = rdd.parents.map((parent) => {
        const mine = p >= 0 && p < parent.numPartitions;
        const out = mine ? taskRdd(parent, p) : emptied(parent);
        p -= parent.numPartitions;
        return out;
      });
      return { ...rdd, parents };
    }
    default:
      // A coalesced partition reads several parent partitions: it is sent them all.
      return rdd;
  }
}

function emptied(rdd: Rdd): Rdd {
  switch (rdd.kind) {
    case "file":
      return { ...rdd, splits: [] };
    case "parallelize":
      return { ...rdd, data: [] };
    case "narrow":
      return { ...rdd, parent: emptied(rdd.parent) };
    case "union":
      return { ...rdd, parents: rdd.parents.map(emptied) };
    default:
      return rdd;
  }
}

/** Every shuffle a stage's RDD tree reads. */
export function shufflesRead(rdd: Rdd): ShuffleId[] {
  return rdd.kind === "shuffled" ? rdd.shuffles : childrenOf(rdd).flatMap(shufflesRead);
}

/** Names one reduce partition of one shuffle, as a key of a task's block locations. */
export function blockKey(shuffle: number, reducePartition: number): string {
  return `${shuffle}/${reducePartition}`;
}

/**
 * The [shuffle, reduce partition] pairs task `partition` reads: not simply its
 * own number once a union, cartesian or coalesce maps it onto other partitions
 * of a shuffled input.
 */
export function shuffleBlocksRead(rdd: Rdd, partition: number): [ShuffleId, number][] {
  switch (rdd.kind) {
    case "shuffled":
      return rdd.shuffles.map((s) => [s, partition]);
    case "narrow":
    case "zipWithIndex":
      return shuffleBlocksRead(rdd.parent, partition);
    case "coalesce": {
      const [from, to] = sliceBounds(partition, rdd.numPartitions, rdd.parent.numPartitions);
      const out: [ShuffleId, number][] = [];
      for (let p = from; p < to; p++) out.push(...shuffleBlocksRead(rdd.parent, p));
      return out;
    }
    case "cartesian": {
      const [left, right] = rdd.parents;
      return [...shuffleBlocksRead(left, Math.floor(partition / right.numPartitions)), ...shuffleBlocksRead(right, partition % right.numPartitions)];
    }
    case "union": {
      let p = partition;
      for (const parent of rdd.parents) {
        if (p < parent.numPartitions) return shuffleBlocksRead(parent, p);
        p -= parent.numPartitions;
      }
      return [];
    }
    default:
      return [];
  }
}
