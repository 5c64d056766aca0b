// Where every cached block is: application → dataset → partition → the workers
// holding it, with its level and sizes. Fed by FINISHED task reports (the blocks
// a task stored, checked against its stage by report-check.ts); a lost worker
// costs only its blocks; an application's end or an unpersist drops its
// blocks. The scheduler reads it to prefer a block's holder; GET
// /api/v1/storage lists it (cachedDatasets), with what the persisting job
// said of each dataset. Pure: no I/O, no clock.
import type { CachedDatasetInfo, CachedDatasetWorker } from "../common/api-types.js";
import type { AppId, WorkerId } from "../common/ids.js";
import { childrenOf, type Rdd } from "../plan/physical.js";
import type { DatasetId, StorageLevel } from "../plan/storage-level.js";
import type { StoredBlock } from "../plan/task.js";

export interface BlockHolder extends StoredBlock {
  worker: WorkerId;
}

/** What the job that stored a block said of its dataset: the persisted node, its level and partition count. */
export interface DatasetAbout {
  node: string;
  level: StorageLevel;
  numPartitions: number;
}

type Partitions = Map<number, Map<WorkerId, BlockHolder>>;

export class BlockTracker {
  private readonly apps = new Map<AppId, Map<DatasetId, Partitions>>();
  /** Kept for a dataset while it has blocks (dropped with its last one). */
  private readonly about = new Map<AppId, Map<DatasetId, DatasetAbout>>();

  /** A stored block; `about`, from the storing task's stage, names its dataset for the storage listing (the latest naming wins). */
  add(app: AppId, worker: WorkerId, block: StoredBlock, about?: DatasetAbout): void {
    if (about) {
      let named = this.about.get(app);
      if (!named) this.about.set(app, (named = new Map()));
      named.set(block.datasetId, about);
    }
    let datasets = this.apps.get(app);
    if (!datasets) this.apps.set(app, (datasets = new Map()));
    let partitions = datasets.get(block.datasetId);
    if (!partitions) datasets.set(block.datasetId, (partitions = new Map()));
    let holders = partitions.get(block.partition);
    if (!holders) partitions.set(block.partition, (holders = new Map()));
    holders.set(worker, { ...block, worker });
  }

  /** The workers holding a partition's block, in the order they stored it. */
  holders(app: AppId, datasetId: DatasetId, partition: number): BlockHolder[] {
    return [...(this.apps.get(app)?.get(datasetId)?.get(partition)?.values() ?? [])];
  }

  /** How many of the dataset's partitions some worker holds. */
  cachedPartitions(app: AppId, datasetId: DatasetId): number {
    return this.apps.get(app)?.get(datasetId)?.size ?? 0;
  }

  /** Whether the application may hold blocks at all: the scheduler asks before it walks a task's reads. */
  hasBlocks(app: AppId): boolean {
    return this.apps.has(app);
  }

  /** The datasets an application has blocks of. */
  datasets(app: AppId): DatasetId[] {
    return [...(this.apps.get(app)?.keys() ?? [])];
  }

  /** A worker is gone: every block it held; returns how many. */
  removeWorker(worker: WorkerId): number {
    let n = 0;
    for (const [app, datasets] of this.apps) {
      for (const [ds, partitions] of datasets) {
        for (const [p, holders] of partitions) {
          if (holders.delete(worker)) n++;
          if (holders.size === 0) partitions.delete(p);
        }
        if (partitions.size === 0) {
          datasets.delete(ds);
          this.forget(app, ds);
        }
      }
      if (datasets.size === 0) this.apps.delete(app);
    }
    return n;
  }

  /** A block a worker evicted from memory is still in its file: it counts as on disk only. */
  movedToDisk(app: AppId, worker: WorkerId, datasetId: DatasetId, partition: number, diskBytes: number): void {
    const holder = this.apps.get(app)?.get(datasetId)?.get(partition)?.get(worker);
    if (holder) Object.assign(holder, { memoryBytes: 0, diskBytes });
  }

  /** One worker no longer holds one block (it evicted it, or a task found it gone); true if it was listed. */
  removeBlock(app: AppId, worker: WorkerId, datasetId: DatasetId, partition: number): boolean {
    const datasets = this.apps.get(app);
    const partitions = datasets?.get(datasetId);
    const holders = partitions?.get(partition);
    if (!datasets || !partitions || !holders?.delete(worker)) return false;
    if (holders.size === 0) partitions.delete(partition);
    if (partitions.size === 0) {
      datasets.delete(datasetId);
      this.forget(app, datasetId);
    }
    if (datasets.size === 0) this.apps.delete(app);
    return true;
  }

  /** Unpersist: the dataset's blocks everywhere; returns the workers that held some and how many partitions were cached. */
  removeDataset(app: AppId, datasetId: DatasetId): { workers: WorkerId[]; partitions: number } {
    const datasets = this.apps.get(app);
    const partitions = datasets?.get(datasetId);
    if (!datasets || !partitions) return { workers: [], partitions: 0 };
    const workers = new Set<WorkerId>();
    for (const holders of partitions.values()) for (const w of holders.keys()) workers.add(w);
    datasets.delete(datasetId);
    this.forget(app, datasetId);
    if (datasets.size === 0) this.apps.delete(app);
    return { workers: [...workers], partitions: partitions.size };
  }

  /** The application ended: all its blocks. */
  removeApp(app: AppId): void {
    this.apps.delete(app);
    this.about.delete(app);
  }

  /** Every dataset with blocks, by application then dataset (in the order their first blocks arrived): sizes in all and per worker. */
  cachedDatasets(): CachedDatasetInfo[] {
    const out: CachedDatasetInfo[] = [];
    for (const [app, datasets] of this.apps) {
      for (const [datasetId, partitions] of datasets) {
        const byWorker = new Map<WorkerId, CachedDatasetWorker>();
        let level: string | null = null;
        for (const holders of partitions.values()) {
          for (const h of holders.values()) {
            level ??= h.level;
            let w = byWorker.get(h.worker);
            if (!w) byWorker.set(h.worker, (w = { worker: h.worker, partitions: 0, memoryBytes: 0, diskBytes: 0 }));
            w.partitions++;
            w.memoryBytes += h.memoryBytes;
            w.diskBytes += h.diskBytes;
          }
        }
        const workers = [...byWorker.values()];
        const about = this.about.get(app)?.get(datasetId);
        out.push({
          application: app,
          datasetId,
          node: about?.node ?? null,
          // A tracked dataset has a block, so a holder's level is there when no job named it.
          level: about?.level ?? level!,
          numPartitions: about?.numPartitions ?? null,
          cachedPartitions: partitions.size,
          memoryBytes: workers.reduce((n, w) => n + w.memoryBytes, 0),
          diskBytes: workers.reduce((n, w) => n + w.diskBytes, 0),
          workers,
        });
      }
    }
    return out;
  }

  private forget(app: AppId, datasetId: DatasetId): void {
    const named = this.about.get(app);
    named?.delete(datasetId);
    if (named?.size === 0) this.about.delete(app);
  }
}

/** The persisted RDD of `datasetId` in a stage's lineage, described for the tracker; undefined when the stage has none. */
export function datasetAbout(rdd: Rdd, datasetId: DatasetId): DatasetAbout | undefined {
  // Its own stack: a lineage is up to MAX_DEPTH deep.
  const stack: Rdd[] = [rdd];
  while (stack.length > 0) {
    const r = stack.pop()!;
    if (r.cache?.datasetId === datasetId) return { node: r.node, level: r.cache.level, numPartitions: r.numPartitions };
    stack.push(...childrenOf(r));
  }
  return undefined;
}
