// The cached blocks one task thread keeps in its own heap (MEMORY_ONLY: the
// partition's record batches as computed, so a later read costs nothing), and
// each task's view of them. Their sizes are storage memory of the thread's slot
// (memory-pool.ts's SlotStorage): a block is kept only in what execution leaves
// free, after evicting older blocks of other datasets if that makes the room,
// and execution asking for room evicts blocks, least recently used first
// (block-lru.ts), except those the running task reads. A partition is kept
// while it streams through the task and stored only once the task succeeded:
// a task that fails, or stops reading early (take), stores nothing. Created
// once per thread by task-thread.ts; read by rdd-compute.ts through the
// task's ComputeContext; the executor learns from each reply what the thread
// holds, to route tasks to it.
import type { AppId } from "../common/ids.js";
import { cachedBlockKey } from "../plan/cached-reads.js";
import type { CacheMarker, DatasetId, StorageLevel } from "../plan/storage-level.js";
import type { Batches } from "../ops/op-rule.js";
import { BlockLru } from "./memory/block-lru.js";
import type { SlotStorage, StorageEvictor } from "./memory/memory-pool.js";
import { estimateSize } from "./memory/size-estimate.js";

/** A block a thread holds, as the executor (and the master) know it. */
export interface HeldBlock {
  key: string;
  application: AppId;
  datasetId: DatasetId;
  partition: number;
  level: StorageLevel;
  memoryBytes: number;
}

interface Kept {
  bytes: number;
  batches: unknown[][];
  info: HeldBlock;
}

export class ThreadBlockStore {
  private readonly lru = new BlockLru<Kept>();
  /** Blocks the running task reads: execution's requests never evict them from under it. */
  private readonly pinned = new Set<string>();

  constructor(private readonly storage: SlotStorage) {}

  /** For the slot's TaskMemory: frees `bytes` of blocks, least recently used first, or nothing if it cannot. */
  readonly evict: StorageEvictor = (bytes) => {
    const victims = this.lru.victims(bytes, (key) => this.pinned.has(key));
    if (victims === null) return 0;
    let freed = 0;
    for (const key of victims) freed += this.drop(key);
    return freed;
  };

  /** A task starting: the previous task's pins end. Null without an application, whose jobs cache nothing. */
  task(application: AppId | null): TaskCache | null {
    this.pinned.clear();
    return application === null ? null : new TaskCache(this, application);
  }

  held(): string[] {
    return this.lru.keys();
  }

  /** The blocks of the given applications go (they ended); returns how many. */
  dropApplications(apps: ReadonlySet<string>): number {
    let n = 0;
    for (const [key, b] of this.lru.entries()) if (apps.has(b.info.application)) n += this.drop(key) > 0 ? 1 : 0;
    return n;
  }

  /** @internal TaskCache's. */
  get(key: string): Kept | undefined {
    const b = this.lru.use(key);
    if (b) this.pinned.add(key);
    return b;
  }

  /** @internal TaskCache's: keeps a block if room can be made without evicting its own dataset or a pinned block. */
  put(estimated: Kept): boolean {
    // In the KiB the slot's cells count, so that the LRU frees what the cells say storage holds.
    const kept = { ...estimated, bytes: Math.ceil(estimated.bytes / 1024) * 1024 };
    if (this.lru.has(kept.info.key)) return false;
    const short = kept.bytes - this.storage.freeBytes();
    if (short > 0) {
      const victims = this.lru.victims(short, (key, b) => this.pinned.has(key) || b.info.datasetId === kept.info.datasetId);
      if (victims === null) return false;
      for (const key of victims) this.drop(key);
    }
    if (!this.storage.tryAcquire(kept.bytes)) return false;
    this.lru.add(kept.info.key, kept);
    return true;
  }

  /** @internal The most one block may hold: the slot's whole share. */
  get capBytes(): number {
    return this.storage.capBytes;
  }

  private drop(key: string): number {
    const b = this.lru.remove(key);
    return b ? this.storage.release(b.bytes) : 0;
  }
}

/** One task's reads and writes of its thread's blocks. */
export class TaskCache {
  private readonly pending: Kept[] = [];

  constructor(
    private readonly store: ThreadBlockStore,
    private readonly application: AppId,
  ) {}

  /** The partition's batches from its block when this thread holds it; else computed, and kept for commit() while they stream. */
  *read(marker: CacheMarker, partition: number, compute: () => Batches): Batches {
    const key = cachedBlockKey(this.application, marker.datasetId, partition);
    const held = marker.level === "MEMORY_ONLY" ? this.store.get(key) : undefined;
    if (held) {
      // Copies of the arrays: a consumer may reorder the batch it was handed, and the block must stay as computed.
      for (const batch of held.batches) yield batch.slice();
      return;
    }
    if (marker.level !== "MEMORY_ONLY") {
      yield* compute();
      return;
    }
    let kept: unknown[][] | null = [];
    let bytes = 0;
    for (const batch of compute()) {
      if (kept !== null) {
        bytes += estimateSize(batch);
        // A copy of the array (not of the records): a consumer may reuse the batch it was handed.
        if (bytes <= this.store.capBytes) kept.push(batch.slice());
        else kept = null;
      }
      yield batch;
    }
    if (kept === null) return;
    const info: HeldBlock = { key, application: this.application, datasetId: marker.datasetId, partition, level: marker.level, memoryBytes: bytes };
    this.pending.push({ bytes, batches: kept, info });
  }

  /** After the task succeeded: stores the partitions it computed whole; returns those stored. */
  commit(): HeldBlock[] {
    return this.pending.filter((k) => this.store.put(k)).map((k) => k.info);
  }
}
