// Which cached blocks one partition of a stage's RDD tree reads: the persisted
// RDDs nearest the top on each path (a block read whole stands for everything
// below it), each with the partition of it read (parent-partitions.ts's rule).
// The executor routes a task to the thread holding them, and the scheduler
// prefers the worker that does. Pure.
import type { AppId } from "../common/ids.js";
import { parentPartitions } from "./parent-partitions.js";
import type { Rdd } from "./physical.js";
import type { DatasetId, StorageLevel } from "./storage-level.js";

export interface CachedRead {
  datasetId: DatasetId;
  level: StorageLevel;
  partition: number;
}

export function cachedReads(rdd: Rdd, partition: number): CachedRead[] {
  const out: CachedRead[] = [];
  // Its own stack: a lineage is up to MAX_DEPTH deep.
  const stack: [Rdd, number][] = [[rdd, partition]];
  while (stack.length > 0) {
    const [r, p] = stack.pop()!;
    if (r.cache) {
      out.push({ datasetId: r.cache.datasetId, level: r.cache.level, partition: p });
      continue;
    }
    const reads = parentPartitions(r, p);
    for (let i = reads.length - 1; i >= 0; i--) for (const q of [...reads[i]!.partitions].reverse()) stack.push([reads[i]!.parent, q]);
  }
  return out;
}

/** A block's key on a worker: blocks of one dataset in two applications are two blocks. */
export function cachedBlockKey(application: string, datasetId: DatasetId, partition: number): string {
  return `${datasetKeyPrefix(application, datasetId)}${partition}`;
}

/** What every key of a dataset's blocks in an application starts with. */
export function datasetKeyPrefix(application: string, datasetId: string): string {
  return `${application}/${datasetId}/`;
}

/** The parts of a cachedBlockKey (neither an application nor a dataset id holds a "/"). */
export function parseCachedBlockKey(key: string): { application: AppId; datasetId: DatasetId; partition: number } {
  const [application, datasetId, partition] = key.split("/") as [AppId, DatasetId, string];
  return { application, datasetId, partition: Number(partition) };
}
