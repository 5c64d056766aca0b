// What one task needs of its stage's RDD tree: the same tree with each file
// source cut down to the task's own split and each parallelized collection to
// its own slice (and sources of union branches the task does not read emptied),
// so that launch messages stay small however many partitions a stage has.
// Partition numbering is kept, so the worker computes exactly as on the full
// tree. Pure; used by the scheduler when it launches a task.
import type { ShuffleId } from "../common/ids.js";
import { parentPartitions, sliceBounds } from "./parent-partitions.js";
import { childrenOf, withChildren, type Rdd } from "./physical.js";
import type { CacheMarker } from "./storage-level.js";

export { sliceBounds };

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
    case "cartesian":
    case "zip":
    case "union": {
      // Each parent cut to the one partition this one reads of it, or emptied if it reads none.
      return withChildren(
        rdd,
        parentPartitions(rdd, partition).map(({ parent, partitions }) => (partitions.length === 1 ? taskRdd(parent, partitions[0]!) : emptied(parent))),
      );
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

/**
 * The shuffles a stage's RDD tree reads when each persisted RDD that `cached`
 * says is wholly cached is read from its blocks: what lies below one is not
 * computed, so the stages writing those shuffles need not run (Spark's skipped stages).
 */
export function shufflesReadPast(rdd: Rdd, cached: (rdd: Rdd & { cache: CacheMarker }) => boolean): ShuffleId[] {
  if (rdd.cache && cached(rdd as Rdd & { cache: CacheMarker })) return [];
  return rdd.kind === "shuffled" ? rdd.shuffles : childrenOf(rdd).flatMap((c) => shufflesReadPast(c, cached));
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
  if (rdd.kind === "shuffled") return rdd.shuffles.map((s) => [s, partition]);
  return parentPartitions(rdd, partition).flatMap(({ parent, partitions }) => partitions.flatMap((p) => shuffleBlocksRead(parent, p)));
}
