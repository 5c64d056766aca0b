// The worker's execution memory: aggregation tables, sort buffers and shuffle
// writers ask for room before they grow and spill to disk when told no. Each
// task thread is a V8 isolate with a fixed heap limit, so a task cannot borrow
// another slot's memory the way Spark's tasks share one JVM heap (1/N of the
// pool each): the budget is split into equal per-slot shares up front, and
// what is shared is the accounting. Grants live in a SharedArrayBuffer (KiB per
// slot) so that the main thread reads the worker's total for heartbeats and
// metrics without asking the threads; only a slot's own thread changes its
// cell, and the main thread resets it after that thread died. Cached blocks
// kept in a thread's heap (its block store) are storage memory of the same
// slot, in a second cell: Spark's unified rule per slot, storage may use what
// execution does not hold, and execution asking for room evicts storage,
// least recently used first, through the evictor the thread's store installs.
// The grants count estimated bytes (size-estimate.ts), which V8's real use of
// the heap can outrun (a line split from a region is a slice that keeps the
// region alive; tables rehash into tables twice their size; a spill sorts and
// encodes beside the full table), so a thread's real heap is a second signal:
// past HEAP_SPILL_FRACTION of its limit, a structure holding at least
// minSpillBytes spills however little its estimate says it holds.

const KIB = 1024;
const MB = 1024 * KIB;
/** V8 needs this much heap in a thread to start and run a task at all. */
const MIN_THREAD_HEAP_MB = 48;
const CHUNK_BYTES = MB;
/**
 * The share of a thread's heap limit past which structures spill. The rest is
 * the room a spill needs (its sorted keys and encoded frames beside the full
 * table) and the garbage V8 has not collected yet.
 */
export const HEAP_SPILL_FRACTION = 0.5;
/** The heap is read once per this many asks of a task's structures (a read costs about a microsecond; an ask is made per record). */
export const HEAP_SAMPLE_ASKS = 256;

/** A thread's real heap (v8-heap.ts in a task thread): how full it is, from 0 to 1 of its limit. */
export interface HeapGauge {
  fullness(): number;
}

export interface MemoryPoolShape {
  /** KiB per slot: execution grants in cells 0..slots-1, storage in cells slots..2*slots-1. */
  buffer: SharedArrayBuffer;
  slots: number;
  /** The most one task may hold, and the most its slot's execution and storage hold together. */
  taskCapBytes: number;
  /**
   * Below this a structure refused memory keeps growing rather than write a run
   * too small to be worth its file: when two structures of one task compete (a
   * reduce table feeding a shuffle writer), the second spills in steps of this.
   */
  minSpillBytes: number;
}

export interface MemoryLayout {
  /** Each task thread's V8 old-generation limit. */
  threadHeapMb: number;
  /** Each task thread's young-generation limit. */
  threadYoungMb: number;
  pool: MemoryPoolShape;
}

/**
 * How a worker's `--memory` is divided among its slots. Each thread's V8 heap
 * gets three quarters of its slot's share for the old generation (V8 lets
 * garbage pile up to that limit before collecting it) and an eighth, at most
 * 32 MiB, for the young generation; the rest is for off-heap buffers and the
 * process itself. A task's spillable structures may hold `fraction` of its
 * slot's share, and never more than two thirds of its thread's heap, so that
 * its other objects and the garbage of a spill still fit beside them.
 */
export function memoryLayout(memoryBytes: number, slots: number, fraction: number): MemoryLayout {
  const slotMb = memoryBytes / MB / slots;
  const threadHeapMb = Math.max(MIN_THREAD_HEAP_MB, Math.floor(0.75 * slotMb));
  const threadYoungMb = Math.min(32, Math.max(4, Math.floor(slotMb / 8)));
  const taskCapBytes = Math.floor(Math.min(fraction * slotMb, (2 / 3) * threadHeapMb) * MB);
  const minSpillBytes = Math.min(4 * MB, Math.floor(taskCapBytes / 8));
  return {
    threadHeapMb,
    threadYoungMb,
    pool: { buffer: new SharedArrayBuffer(8 * slots), slots, taskCapBytes, minSpillBytes },
  };
}

/** What a slot's block store frees when execution needs `bytes` of its storage back: blocks, least recently used first; returns the bytes freed. */
export type StorageEvictor = (bytes: number) => number;

export class MemoryPool {
  private readonly cells: Int32Array;

  /** `heap`: the real heap of the thread whose tasks draw on this pool; null where only the estimates count (the executor reading grants from the main thread, the in-process runner). */
  constructor(
    readonly shape: MemoryPoolShape,
    private readonly heap: HeapGauge | null = null,
  ) {
    this.cells = new Int32Array(shape.buffer);
  }

  /** Bytes granted to running tasks now. */
  usedBytes(): number {
    let kib = 0;
    for (let i = 0; i < this.shape.slots; i++) kib += Atomics.load(this.cells, i);
    return kib * KIB;
  }

  /** Bytes the slots' cached blocks hold now. */
  storageBytes(): number {
    let kib = 0;
    for (let i = 0; i < this.shape.slots; i++) kib += Atomics.load(this.cells, this.shape.slots + i);
    return kib * KIB;
  }

  /** After a slot's thread died mid-task: its grant goes with it, and so do the blocks in its heap. */
  resetSlot(slot: number): void {
    Atomics.store(this.cells, slot, 0);
    Atomics.store(this.cells, this.shape.slots + slot, 0);
  }

  /** `evictor`: the slot's block store, when its thread keeps one. */
  task(slot: number, evictor: StorageEvictor | null = null): TaskMemory {
    return new TaskMemory(this.shape, this.cells, slot, evictor, this.heap);
  }

  /** The storage side of a slot, for its thread's block store. */
  storage(slot: number): SlotStorage {
    return new SlotStorage(this.shape, this.cells, slot);
  }
}

/** One task's share; the task's spillable structures all draw on it. */
export class TaskMemory {
  private asks = 0;
  private heapFull = false;

  constructor(
    private readonly shape: MemoryPoolShape,
    private readonly cells: Int32Array,
    private readonly slot: number,
    private readonly evictor: StorageEvictor | null = null,
    private readonly heap: HeapGauge | null = null,
  ) {}

  /** Whether the thread's heap is past HEAP_SPILL_FRACTION of its limit, as last sampled. */
  heapPressed(): boolean {
    if (this.heap === null) return false;
    if (++this.asks % HEAP_SAMPLE_ASKS === 0) this.heapFull = this.heap.fullness() > HEAP_SPILL_FRACTION;
    return this.heapFull;
  }

  /** How full the thread's heap is now, from 0 to 1 of its limit; null where only the estimates count. */
  heapFullness(): number | null {
    return this.heap === null ? null : this.heap.fullness();
  }

  /** The most this task's structures may hold together. */
  get capBytes(): number {
    return this.shape.taskCapBytes;
  }

  /** A structure gave its memory back: that is garbage until V8 collects it, so the heap counts as full again only when a later sample says so. */
  released(): void {
    this.heapFull = false;
  }

  /** Starts and ends a task: whatever a structure forgot to release is released. */
  reset(): void {
    Atomics.store(this.cells, this.slot, 0);
  }

  get minSpillBytes(): number {
    return this.shape.minSpillBytes;
  }

  /** Grants all of `bytes` or nothing; nothing means: spill. */
  tryAcquire(bytes: number): boolean {
    const want = Math.ceil(bytes / KIB);
    const held = Atomics.load(this.cells, this.slot) + want;
    if (held * KIB > this.shape.taskCapBytes) return false;
    const storage = this.shape.slots + this.slot;
    const over = (held + Atomics.load(this.cells, storage)) * KIB - this.shape.taskCapBytes;
    // Execution takes back what storage borrowed; blocks the running task reads may stay, and then it spills.
    if (over > 0 && (this.evictor === null || this.evictor(over) < over)) return false;
    Atomics.add(this.cells, this.slot, want);
    return true;
  }

  release(bytes: number): void {
    const kib = Math.min(Math.ceil(bytes / KIB), Atomics.load(this.cells, this.slot));
    Atomics.sub(this.cells, this.slot, kib);
  }
}

/**
 * What one spillable structure (an aggregation table, a sort buffer, a shuffle
 * writer) holds of its task's memory. It grows its grant in doubling steps so
 * that asking is rare, and gives everything back when it spills.
 */
export class Reservation {
  private reserved = 0;

  constructor(private readonly memory: TaskMemory) {}

  /** Whether `bytes` may be held now; false means: spill, then release(). */
  fits(bytes: number): boolean {
    if (bytes >= this.memory.minSpillBytes && this.memory.heapPressed()) return false;
    if (bytes <= this.reserved) return true;
    const step = Math.max(CHUNK_BYTES, this.reserved, bytes - this.reserved);
    if (this.memory.tryAcquire(step)) {
      this.reserved += Math.ceil(step / KIB) * KIB;
      return true;
    }
    const need = bytes - this.reserved;
    if (this.memory.tryAcquire(need)) {
      this.reserved += Math.ceil(need / KIB) * KIB;
      return true;
    }
    return bytes < this.memory.minSpillBytes;
  }

  /** Gives back what is held beyond `bytes`: a structure done growing keeps only what it uses. */
  shrinkTo(bytes: number): void {
    const keep = Math.min(this.reserved, Math.ceil(bytes / KIB) * KIB);
    this.memory.release(this.reserved - keep);
    this.reserved = keep;
  }

  release(): void {
    this.memory.release(this.reserved);
    this.reserved = 0;
    this.memory.released();
  }
}

/** What a slot's cached blocks hold: granted only from what execution leaves of the slot's share. */
export class SlotStorage {
  constructor(
    private readonly shape: MemoryPoolShape,
    private readonly cells: Int32Array,
    private readonly slot: number,
  ) {}

  /** The most the slot's blocks could hold, were execution to hold nothing. */
  get capBytes(): number {
    return this.shape.taskCapBytes;
  }

  /** Bytes of the slot's share neither execution nor storage holds. */
  freeBytes(): number {
    return this.shape.taskCapBytes - (Atomics.load(this.cells, this.slot) + Atomics.load(this.cells, this.shape.slots + this.slot)) * KIB;
  }

  /** Grants all of `bytes` or nothing. */
  tryAcquire(bytes: number): boolean {
    if (bytesInKib(bytes) * KIB > this.freeBytes()) return false;
    Atomics.add(this.cells, this.shape.slots + this.slot, bytesInKib(bytes));
    return true;
  }

  /** Gives back a block's grant: exactly what tryAcquire took for the same `bytes`; returns the bytes given back. */
  release(bytes: number): number {
    const cell = this.shape.slots + this.slot;
    const kib = Math.min(bytesInKib(bytes), Atomics.load(this.cells, cell));
    Atomics.sub(this.cells, cell, kib);
    return kib * KIB;
  }
}

function bytesInKib(bytes: number): number {
  return Math.ceil(bytes / KIB);
}
