// The cached blocks one task thread keeps, and each task's view of them. By the
// persisted RDD's storage level: MEMORY_ONLY and MEMORY_AND_DISK keep the
// partition's record batches as computed in this thread's heap (a later read
// costs nothing); the _SER levels keep them as JSON frames (codec.ts) in
// Buffers, outside the V8 heap and counted exactly; DISK_ONLY and the
// MEMORY_AND_DISK levels write the frames to a file in the worker's block
// directory, which every thread of the worker reads. A MEMORY_AND_DISK block is
// written through to its file when computed, so evicting it from memory leaves
// it on disk with no write at eviction time (Spark writes it then; the cost
// here is the disk write up front). Memory sizes are storage memory of the
// thread's slot (memory-pool.ts's SlotStorage): a block goes to memory only in
// what execution leaves free, after evicting older blocks of other datasets if
// that makes the room, and execution asking for room evicts blocks, least
// recently used first (block-lru.ts), except those the running task reads. A
// partition is kept while it streams through the task and stored only once the
// task succeeded: a task that fails, or stops reading early (take), stores
// nothing (discard() removes its unfinished files). Created once per thread by
// task-thread.ts; read by rdd-compute.ts through the task's ComputeContext; the
// executor learns from each reply which blocks the thread holds in memory, to
// route tasks to it.
import fs from "node:fs";
import { join } from "node:path";
import type { AppId } from "../common/ids.js";
import { decodeFrames, encodeFrame } from "../common/codec.js";
import { cachedBlockKey } from "../plan/cached-reads.js";
import { DATASET_ID_PATTERN, type CacheMarker, type DatasetId, type StorageLevel } from "../plan/storage-level.js";
import type { Batches } from "../ops/op-rule.js";
import { BlockLru } from "./memory/block-lru.js";
import type { SlotStorage, StorageEvictor } from "./memory/memory-pool.js";
import { estimateSize } from "./memory/size-estimate.js";
import { readFrameChunks } from "./shuffle-files.js";
import { ShuffleInputMissingError } from "./missing-input.js";

/** A block a task stored, as the executor (and the master) learn of it. */
export interface HeldBlock {
  key: string;
  application: AppId;
  datasetId: DatasetId;
  partition: number;
  level: StorageLevel;
  /** 0 when it is only on disk. */
  memoryBytes: number;
  /** 0 when it is only in memory. */
  diskBytes: number;
}

/** An application's directory of block files: one path component (the id has no "/"), prefixed so that no id names "." or ".."; null for no id. */
export function applicationBlockDir(blockDir: string, application: string): string | null {
  return /^[A-Za-z0-9._-]{1,64}$/.test(application) ? join(blockDir, `app_${application}`) : null;
}

/** Where a block's file is, or null for a name that cannot be a block's. */
export function blockFilePath(blockDir: string, application: string, datasetId: string, partition: number): string | null {
  const dir = applicationBlockDir(blockDir, application);
  if (dir === null || !DATASET_ID_PATTERN.test(datasetId) || !Number.isSafeInteger(partition) || partition < 0) return null;
  return join(dir, `${datasetId}-${partition}.block`);
}

type InMemory = { form: "records"; batches: unknown[][] } | { form: "frames"; frames: Buffer[] };

interface Kept {
  bytes: number;
  data: InMemory;
  info: HeldBlock;
}

const READ_CHUNK_BYTES = 1 << 20;

/** How a level keeps a block in memory, if it does. */
function memoryForm(level: StorageLevel): InMemory["form"] | null {
  if (level === "MEMORY_ONLY" || level === "MEMORY_AND_DISK") return "records";
  return level === "DISK_ONLY" ? null : "frames";
}

function onDisk(level: StorageLevel): boolean {
  return level === "DISK_ONLY" || level === "MEMORY_AND_DISK" || level === "MEMORY_AND_DISK_SER";
}

export class ThreadBlockStore {
  private readonly lru = new BlockLru<Kept>();
  /** Blocks the running task reads: execution's requests never evict them from under it. */
  private readonly pinned = new Set<string>();

  /** `blockDir`: the worker's block directory (shared by its threads); one subdirectory per application. */
  constructor(
    private readonly storage: SlotStorage,
    readonly blockDir: string,
  ) {}

  /** For the slot's TaskMemory: frees `bytes` of blocks, least recently used first, or nothing if it cannot. */
  readonly evict: StorageEvictor = (bytes) => {
    const victims = this.lru.victims(bytes, (key) => this.pinned.has(key));
    if (victims === null) return 0;
    let freed = 0;
    for (const key of victims) freed += this.remove(key);
    return freed;
  };

  /** A task starting: the previous task's pins end. Null without an application, whose jobs cache nothing. */
  task(application: AppId | null, attempt: string): TaskCache | null {
    this.pinned.clear();
    return application === null ? null : new TaskCache(this, application, attempt);
  }

  /** The blocks this thread holds in memory. */
  held(): string[] {
    return this.lru.keys();
  }

  /** The in-memory blocks of the given applications (they ended) and of the datasets with the given key prefixes (unpersisted) go; returns how many. */
  drop(apps: ReadonlySet<string>, datasetPrefixes: readonly string[] = []): number {
    let n = 0;
    for (const [key, b] of this.lru.entries()) {
      if (apps.has(b.info.application) || datasetPrefixes.some((p) => key.startsWith(p))) n += this.remove(key) > 0 ? 1 : 0;
    }
    return n;
  }

  /** Where a block's file is, in its application's directory. */
  diskPath(application: AppId, datasetId: DatasetId, partition: number): string {
    const path = blockFilePath(this.blockDir, application, datasetId, partition);
    if (path === null) throw new Error(`task was sent an invalid cached block (application ${JSON.stringify(application)}, dataset ${JSON.stringify(datasetId)}, partition ${partition})`);
    return path;
  }

  /** @internal TaskCache's. */
  get(key: string): Kept | undefined {
    const b = this.lru.use(key);
    if (b) this.pinned.add(key);
    return b;
  }

  /** @internal TaskCache's: keeps a block in memory if room can be made without evicting its own dataset or a pinned block. */
  put(estimated: Kept): boolean {
    // In the KiB the slot's cells count, so that the LRU frees what the cells say storage holds.
    const kept = { ...estimated, bytes: Math.ceil(estimated.bytes / 1024) * 1024 };
    if (this.lru.has(kept.info.key)) return false;
    const short = kept.bytes - this.storage.freeBytes();
    if (short > 0) {
      const victims = this.lru.victims(short, (key, b) => this.pinned.has(key) || b.info.datasetId === kept.info.datasetId);
      if (victims === null) return false;
      for (const key of victims) this.remove(key);
    }
    if (!this.storage.tryAcquire(kept.bytes)) return false;
    this.lru.add(kept.info.key, kept);
    return true;
  }

  /** @internal The most one block may hold in memory: the slot's whole share. */
  get capBytes(): number {
    return this.storage.capBytes;
  }

  private remove(key: string): number {
    const b = this.lru.remove(key);
    return b ? this.storage.release(b.bytes) : 0;
  }
}

interface Pending {
  info: HeldBlock;
  memory: Kept | null;
  /** The file written while the partition streamed, renamed to `path` on commit. */
  disk: { tmp: string; path: string } | null;
}

/** One task's reads and writes of its thread's blocks. */
export class TaskCache {
  private readonly pending: Pending[] = [];
  /** Files this task is writing or wrote and has not committed. */
  private readonly unfinished = new Set<string>();

  constructor(
    private readonly store: ThreadBlockStore,
    private readonly application: AppId,
    private readonly attempt: string,
  ) {}

  /** The partition's batches from its block when this worker holds it; else computed, and kept for commit() while they stream. */
  *read(marker: CacheMarker, partition: number, compute: () => Batches): Batches {
    const key = cachedBlockKey(this.application, marker.datasetId, partition);
    const path = this.store.diskPath(this.application, marker.datasetId, partition);
    const held = this.store.get(key);
    if (held) {
      // Copies of the arrays: a consumer may reorder the batch it was handed, and the block must stay as computed.
      if (held.data.form === "records") for (const batch of held.data.batches) yield batch.slice();
      else for (const frame of held.data.frames) yield* decodeFrames(frame);
      return;
    }
    if (onDisk(marker.level) && fs.existsSync(path)) {
      yield* readBlockFile(path);
      return;
    }
    try {
      yield* this.computeAndKeep(marker, partition, key, path, compute);
    } catch (e) {
      // The innermost cached read is the block that was gone.
      if (e instanceof ShuffleInputMissingError) e.block ??= { datasetId: marker.datasetId, partition };
      throw e;
    }
  }

  private *computeAndKeep(marker: CacheMarker, partition: number, key: string, path: string, compute: () => Batches): Batches {
    const form = memoryForm(marker.level);
    let records: unknown[][] | null = form === "records" ? [] : null;
    let frames: Buffer[] | null = form === "frames" ? [] : null;
    let memoryBytes = 0;
    let diskBytes = 0;
    let fd: number | null = null;
    const tmp = `${path}.${this.attempt.replace(/[^A-Za-z0-9.-]/g, "_")}.tmp`;
    if (onDisk(marker.level)) {
      fs.mkdirSync(join(path, ".."), { recursive: true });
      fd = fs.openSync(tmp, "w");
      this.unfinished.add(tmp);
    }
    let complete = false;
    try {
      for (const batch of compute()) {
        const frame = fd !== null || frames !== null ? encodeFrame(batch) : null;
        if (fd !== null) {
          fs.writeSync(fd, frame!);
          diskBytes += frame!.length;
        }
        if (records !== null) {
          memoryBytes += estimateSize(batch);
          // A copy of the array (not of the records): a consumer may reuse the batch it was handed.
          if (memoryBytes <= this.store.capBytes) records.push(batch.slice());
          else records = null;
        } else if (frames !== null) {
          memoryBytes += frame!.length;
          if (memoryBytes <= this.store.capBytes) frames.push(frame!);
          else frames = null;
        }
        yield batch;
      }
      complete = true;
    } finally {
      if (fd !== null) fs.closeSync(fd);
      if (!complete) this.removeUnfinished(tmp);
    }
    const data: InMemory | null = records !== null ? { form: "records", batches: records } : frames !== null ? { form: "frames", frames } : null;
    const info: HeldBlock = { key, application: this.application, datasetId: marker.datasetId, partition, level: marker.level, memoryBytes: data ? memoryBytes : 0, diskBytes };
    if (data === null && fd === null) return;
    this.pending.push({ info, memory: data ? { bytes: memoryBytes, data, info } : null, disk: fd === null ? null : { tmp, path } });
  }

  /** After the task succeeded: stores the partitions it computed whole; returns those stored. */
  commit(): HeldBlock[] {
    const stored: HeldBlock[] = [];
    for (const p of this.pending) {
      if (p.disk) {
        fs.renameSync(p.disk.tmp, p.disk.path);
        this.unfinished.delete(p.disk.tmp);
      }
      const inMemory = p.memory !== null && this.store.put(p.memory);
      if (inMemory || p.disk) stored.push(inMemory ? p.info : { ...p.info, memoryBytes: 0 });
    }
    this.pending.length = 0;
    return stored;
  }

  /** After the task failed (or before commit on any path): its unfinished files go. */
  discard(): void {
    for (const tmp of this.unfinished) this.removeUnfinished(tmp);
    this.pending.length = 0;
  }

  private removeUnfinished(tmp: string): void {
    fs.rmSync(tmp, { force: true });
    this.unfinished.delete(tmp);
  }
}

function* readBlockFile(path: string): Batches {
  const fd = fs.openSync(path, "r");
  try {
    for (const chunk of readFrameChunks(fd, 0, fs.fstatSync(fd).size, READ_CHUNK_BYTES, `cached block ${path}`)) yield* decodeFrames(chunk);
  } finally {
    fs.closeSync(fd);
  }
}
