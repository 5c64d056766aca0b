// A group too large for its task's memory (groupByKey, groupBy, a side of a
// cogroup or join): its values are in a run of the task's spill files, and
// each iteration reads them from disk again, so a user function may walk the
// group as often as it likes in bounded memory. It has a `length`, `reduce`,
// `forEach`, `some`, `every`, `find` and `includes`, which stream as for...of
// does; what would build an array of the whole group (`map`, `filter`,
// `slice`, `sort`, `toJSON`, ...) fails with GroupTooLargeError, and so does
// an iteration whose caller keeps the values (a spread, Array.from) once the
// thread's heap shows it, rather than the thread dying of heap exhaustion.
// The file is deleted with the task's other spill files when the task ends.
import { UserCodeError, describeRecord } from "../../functions/user-function.js";
import type { TaskMemory } from "./memory-pool.js";
import { OUTGROWS_MEMORY } from "./size-estimate.js";
import type { TaskSpills } from "./spill-files.js";

/** An iteration is checked every this many values. */
const CHECK_EVERY = 1024;
/**
 * Past this share of its limit, a heap that grew by GROWTH_FRACTION of its limit
 * during one iteration is keeping the group. A thread dies of heap exhaustion at
 * about 0.8 of the limit V8 reports (its old generation; the rest is young).
 */
const HEAP_FAIL_FRACTION = 0.7;
const GROWTH_FRACTION = 0.2;

export class GroupTooLargeError extends UserCodeError {
  constructor(group: SpilledGroup, what: string) {
    super(
      `the group of key ${describeRecord(group.key)} holds ${group.length} values (about ${mib(group.bytes)} MiB), more than its task's memory (${mib(group.capBytes)} MiB), ` +
        `so it is streamed from disk and cannot be ${what}: iterate it (for...of, reduce, forEach) without keeping its values, or aggregate with reduceByKey or aggregateByKey instead of grouping`,
    );
    this.name = "GroupTooLargeError";
  }
}

const mib = (bytes: number) => (bytes / (1024 * 1024)).toFixed(1);

/** The array methods that would hold the whole group, each failing by name. */
const MATERIALIZING = [
  "map",
  "filter",
  "flatMap",
  "slice",
  "splice",
  "sort",
  "toSorted",
  "reverse",
  "toReversed",
  "concat",
  "join",
  "flat",
  "indexOf",
  "lastIndexOf",
  "at",
  "entries",
  "keys",
  "values",
  "push",
  "fill",
] as const;

export class SpilledGroup implements Iterable<unknown> {
  readonly [OUTGROWS_MEMORY] = true;

  constructor(
    readonly key: unknown,
    private readonly path: string,
    /** How many values. */
    readonly length: number,
    /** Their estimated size in memory. */
    readonly bytes: number,
    private readonly spills: TaskSpills,
    private readonly memory: TaskMemory,
  ) {}

  /** The most its task's structures may hold. */
  get capBytes(): number {
    return this.memory.capBytes;
  }

  *[Symbol.iterator](): Iterator<unknown> {
    const start = this.memory.heapFullness();
    let n = 0;
    for (const v of this.spills.records(this.path)) {
      if (++n % CHECK_EVERY === 0 && start !== null) this.checkHeap(start);
      yield v;
    }
  }

  reduce(f: (acc: unknown, v: unknown, i: number) => unknown, ...init: unknown[]): unknown {
    let i = 0;
    let acc: unknown;
    let has = init.length > 0;
    if (has) acc = init[0];
    for (const v of this) {
      if (has) acc = f(acc, v, i);
      else {
        acc = v;
        has = true;
      }
      i++;
    }
    if (!has) throw new TypeError("Reduce of empty group with no initial value");
    return acc;
  }

  forEach(f: (v: unknown, i: number) => void): void {
    let i = 0;
    for (const v of this) f(v, i++);
  }

  some(f: (v: unknown, i: number) => unknown): boolean {
    let i = 0;
    for (const v of this) if (f(v, i++)) return true;
    return false;
  }

  every(f: (v: unknown, i: number) => unknown): boolean {
    let i = 0;
    for (const v of this) if (!f(v, i++)) return false;
    return true;
  }

  find(f: (v: unknown, i: number) => unknown): unknown {
    let i = 0;
    for (const v of this) if (f(v, i++)) return v;
    return undefined;
  }

  includes(x: unknown): boolean {
    for (const v of this) if (v === x || Object.is(v, x)) return true;
    return false;
  }

  /** What a record holding the group shows in an error message. */
  toString(): string {
    return `[a group of ${this.length} values on disk]`;
  }

  /** A record holding the group may not be encoded (shuffled, cached, saved, collected): that would materialize it. */
  toJSON(): never {
    throw new GroupTooLargeError(this, "encoded as one record (shuffled, cached, saved or collected)");
  }

  private checkHeap(start: number): void {
    const now = this.memory.heapFullness()!;
    if (now > HEAP_FAIL_FRACTION && now - start > GROWTH_FRACTION) throw new GroupTooLargeError(this, "kept in memory while it is iterated (a spread, Array.from, or values pushed to an array)");
  }
}

for (const name of MATERIALIZING) {
  Object.defineProperty(SpilledGroup.prototype, name, {
    value(this: SpilledGroup) {
      throw new GroupTooLargeError(this, `made an array (.${name}())`);
    },
  });
}
