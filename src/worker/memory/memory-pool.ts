// The worker's execution memory: aggregation tables, sort buffers and shuffle
// writers ask for room before they grow and spill to disk when told no. Each
// task thread is a V8 isolate with a fixed heap limit, so a task cannot borrow
// another slot's memory the way Spark's tasks share one JVM heap (1/N of the
// pool each): the budget is split into equal per-slot shares up front, and
// what is shared is the accounting. Grants live in a SharedArrayBuffer (KiB per
// slot) so that the main thread reads the worker's total for heartbeats and
// metrics without asking the threads; only a slot's own thread changes its
// cell, and the main thread resets it after that thread died.

const KIB = 1024;
const MB = 1024 * KIB;
/** V8 needs this much heap in a thread to start and run a task at all. */
const MIN_THREAD_HEAP_MB = 48;
const CHUNK_BYTES = MB;

export interface MemoryPoolShape {
  buffer: SharedArrayBuffer;
  slots: number;
  /** The most one task may hold. */
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
    pool: { buffer: new SharedArrayBuffer(4 * slots), slots, taskCapBytes, minSpillBytes },
  };
}

export class MemoryPool {
  private readonly cells: Int32Array;

  constructor(readonly shape: MemoryPoolShape) {
    this.cells = new Int32Array(shape.buffer);
  }

  /** Bytes granted to running tasks now. */
  usedBytes(): number {
    let kib = 0;
    for (let i = 0; i < this.shape.slots; i++) kib += Atomics.load(this.cells, i);
    return kib * KIB;
  }

  /** After a slot's thread died mid-task: its grant goes with it. */
  resetSlot(slot: number): void {
    Atomics.store(this.cells, slot, 0);
  }

  task(slot: number): TaskMemory {
    return new TaskMemory(this.shape, this.cells, slot);
  }
}

/** One task's share; the task's spillable structures all draw on it. */
export class TaskMemory {
  constructor(
    private readonly shape: MemoryPoolShape,
    private readonly cells: Int32Array,
    private readonly slot: number,
  ) {}

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
    if ((Atomics.load(this.cells, this.slot) + want) * KIB > this.shape.taskCapBytes) return false;
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
  }
}
