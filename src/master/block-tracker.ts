// Where every cached block is: application → dataset → partition → the workers
// holding it, with its level and sizes. Fed by FINISHED task reports (the blocks
// a task stored, checked against its stage by report-check.ts); a lost worker
// costs only its blocks; an application's end or an unpersist drops its
// blocks. The scheduler reads it to prefer a block's holder. Pure: no I/O, no
// clock.
import type { AppId, WorkerId } from "../common/ids.js";
import type { DatasetId } from "../plan/storage-level.js";
import type { StoredBlock } from "../plan/task.js";

export interface BlockHolder extends StoredBlock {
  worker: WorkerId;
}

type Partitions = Map<number, Map<WorkerId, BlockHolder>>;

export class BlockTracker {
  private readonly apps = new Map<AppId, Map<DatasetId, Partitions>>();

  add(app: AppId, worker: WorkerId, block: StoredBlock): void {
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

  /** The datasets an application has blocks of. */
  /** Whether the application may hold blocks at all: the scheduler asks before it walks a task's reads. */
  hasBlocks(app: AppId): boolean {
    return this.apps.has(app);
  }

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
        if (partitions.size === 0) datasets.delete(ds);
      }
      if (datasets.size === 0) this.apps.delete(app);
    }
    return n;
  }

  /** Unpersist: the dataset's blocks everywhere; returns the workers that held some and how many partitions were cached. */
  removeDataset(app: AppId, datasetId: DatasetId): { workers: WorkerId[]; partitions: number } {
    const datasets = this.apps.get(app);
    const partitions = datasets?.get(datasetId);
    if (!datasets || !partitions) return { workers: [], partitions: 0 };
    const workers = new Set<WorkerId>();
    for (const holders of partitions.values()) for (const w of holders.keys()) workers.add(w);
    datasets.delete(datasetId);
    if (datasets.size === 0) this.apps.delete(app);
    return { workers: [...workers], partitions: partitions.size };
  }

  /** The application ended: all its blocks. */
  removeApp(app: AppId): void {
    this.apps.delete(app);
  }
}
