// The worker's execution memory, shared by its task threads: aggregation tables,
// sort buffers and shuffle write buffers ask it for room before they grow, and
// spill to disk when it says no. It lives in a SharedArrayBuffer (one grant
// counter and one "running" flag per slot) so every thread sees the others'
// use without a round trip through the main thread, which reads it for the
// heartbeat. As in Spark's execution pool, each of the N running tasks may hold
// up to 1/N of the pool and is always granted up to 1/(2N); a task alone is
// still capped by its own thread's heap limit, which is the bound V8 enforces.
// Grants are in KiB; only a slot's own thread changes its cells (and the main
// thread, after that thread has died), so plain Atomics suffice.

const KIB = 1024;

export interface MemoryPoolShape {
  buffer: SharedArrayBuffer;
  slots: number;
  poolBytes: number;
  /** The most one task may hold, whatever the others do. */
  taskCapBytes: number;
  /** Below this a structure keeps growing rather than write a run too small to be worth its file. */
  minSpillBytes: number;
}

/** V8 needs this much heap in a thread to start and run a task at all. */
const MIN_THREAD_HEAP_MB = 64;

export interface MemoryLayout {
  /** Each task thread's V8 heap limit: the worker's budget split over its slots. */
  threadHeapMb: number;
  pool: MemoryPoolShape;
}

/**
 * How a worker's `--memory` is divided: every slot's thread gets an equal heap
 * (the bound V8 enforces), and `fraction` of the budget is the pool that
 * spillable structures draw on, at most `fraction` of its own heap per task so
 * that a task's other objects still fit beside them.
 */
export function memoryLayout(memoryBytes: number, slots: number, fraction: number): MemoryLayout {
  const threadHeapMb = Math.max(MIN_THREAD_HEAP_MB, Math.floor(memoryBytes / (1024 * 1024) / slots));
  const poolBytes = Math.floor(memoryBytes * fraction);
  const taskCapBytes = Math.floor(threadHeapMb * 1024 * 1024 * fraction);
  const minSpillBytes = Math.min(256 * KIB, Math.floor(poolBytes / 8));
  return { threadHeapMb, pool: { buffer: new SharedArrayBuffer(4 * 2 * slots), slots, poolBytes, taskCapBytes, minSpillBytes } };
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

  activeTasks(): number {
    let n = 0;
    for (let i = 0; i < this.shape.slots; i++) n += Atomics.load(this.cells, this.shape.slots + i);
    return n;
  }

  /** After a slot's thread died mid-task: its grant and flag go with it. */
  resetSlot(slot: number): void {
    Atomics.store(this.cells, slot, 0);
    Atomics.store(this.cells, this.shape.slots + slot, 0);
  }

  task(slot: number): TaskMemory {
    return new TaskMemory(this, this.cells, slot);
  }
}

/** One task's view of the pool; the task's spillable structures all draw on it. */
export class TaskMemory {
  constructor(
    private readonly pool: MemoryPool,
    private readonly cells: Int32Array,
    private readonly slot: number,
  ) {}

  begin(): void {
    Atomics.store(this.cells, this.slot, 0);
    Atomics.store(this.cells, this.pool.shape.slots + this.slot, 1);
  }

  end(): void {
    this.pool.resetSlot(this.slot);
  }

  get minSpillBytes(): number {
    return this.pool.shape.minSpillBytes;
  }

  get grantedBytes(): number {
    return Atomics.load(this.cells, this.slot) * KIB;
  }

  /** Grants all of `bytes` or nothing; nothing means: spill. */
  tryAcquire(bytes: number): boolean {
    const want = Math.ceil(bytes / KIB);
    const mine = Atomics.load(this.cells, this.slot);
    const { poolBytes, taskCapBytes } = this.pool.shape;
    const active = Math.max(1, this.pool.activeTasks());
    const after = (mine + want) * KIB;
    if (after > Math.min(taskCapBytes, poolBytes / active)) return false;
    const guaranteed = after <= poolBytes / (2 * active);
    if (!guaranteed && this.pool.usedBytes() + want * KIB > poolBytes) return false;
    Atomics.add(this.cells, this.slot, want);
    return true;
  }

  release(bytes: number): void {
    const kib = Math.min(Math.ceil(bytes / KIB), Atomics.load(this.cells, this.slot));
    Atomics.sub(this.cells, this.slot, kib);
  }
}

const CHUNK_BYTES = 1024 * 1024;

/**
 * What one spillable structure (an aggregation table, a sort buffer, a shuffle
 * writer) holds of its task's memory. It grows its grant in doubling steps so
 * that asking the pool is rare, and gives everything back when it spills.
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

  release(): void {
    this.memory.release(this.reserved);
    this.reserved = 0;
  }
}
