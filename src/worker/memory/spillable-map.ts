// An aggregation table that spills: the reduce side of reduceByKey and its kin,
// and of distinct, builds one per task (groups have their own table,
// spillable-groups.ts, since a group may outgrow memory where a combined value
// does not). While the task's share of memory lasts it is a plain KeyMap; past
// it the table is written out as a run sorted by key and emptied. At the end
// the runs and what is left in memory are merged by key, and a key's partial
// values (at most one per run) are combined. This is Spark's
// ExternalAppendOnlyMap.
import { KeyMap } from "../../plan/key-map.js";
import { compareKeys } from "../../plan/keys.js";
import type { Reservation } from "./memory-pool.js";
import { ENTRY_BYTES, estimateSize } from "./size-estimate.js";
import { combineAdjacent, mergeSorted } from "./sorted-merge.js";
import type { TaskSpills } from "./spill-files.js";

type Entry<V> = [unknown, V];

/**
 * The order of runs. Merging needs only some total order that agrees with key
 * equality, not the user-visible sort order, so strings compare natively (by
 * UTF-16 unit) instead of by code point; everything else as compareKeys does.
 */
export function runOrder(a: unknown, b: unknown): number {
  if (typeof a === "string" && typeof b === "string") return a < b ? -1 : a > b ? 1 : 0;
  return compareKeys(a, b);
}
const byKey = (a: Entry<unknown>, b: Entry<unknown>) => runOrder(a[0], b[0]);

export class SpillableMap<V> {
  private readonly map = new KeyMap<V>();
  private bytes = 0;
  private runs: string[] = [];

  constructor(
    private readonly reservation: Reservation,
    private readonly spills: TaskSpills,
    /** Combines two partial values of one key (from different runs). */
    private readonly mergeCombined: (a: V, b: V) => V,
  ) {}

  get(key: unknown): V | undefined {
    return this.map.get(key);
  }

  /** Sets a key's value; `grownBy` is how many bytes the table grew by (an estimate). */
  set(key: unknown, value: V, grownBy: number): void {
    this.map.set(key, value);
    this.grew(grownBy);
  }

  /**
   * Folds `value` into its key's entry: `create(value)` for a new key, else
   * `merge(current, value)`, with the growth measured before the merge runs,
   * since a merge may grow its accumulator in place.
   */
  combine<T>(key: unknown, value: T, create: (v: T) => V, merge: (acc: V, v: T) => V): void {
    const cur = this.map.get(key);
    // Values are JSON or a merge's result, so a present value is never undefined.
    if (cur === undefined) {
      const c = create(value);
      this.set(key, c, ENTRY_BYTES + estimateSize(key) + estimateSize(c));
    } else {
      const before = estimateSize(cur);
      const merged = merge(cur, value);
      this.set(key, merged, estimateSize(merged) - before);
    }
  }

  /** For values changed in place (a group that got another member). */
  grew(bytes: number): void {
    this.bytes += bytes;
    if (!this.reservation.fits(this.bytes)) this.spill();
  }

  /** Every key once with its combined value: insertion order if nothing spilled, run order otherwise. */
  *entries(): Generator<Entry<V>> {
    this.reservation.shrinkTo(this.bytes);
    try {
      if (this.runs.length === 0) {
        yield* this.map.entries();
        return;
      }
      yield* this.spills.mergeRuns(this.runs, this.map.sortedEntries(runOrder), (runs) => this.merge(runs));
    } finally {
      this.map.clear();
      this.reservation.release();
    }
  }

  private merge(runs: Iterable<Entry<V>>[]): Iterable<Entry<V>> {
    return combineAdjacent(
      mergeSorted(runs, byKey),
      (a, b) => runOrder(a[0], b[0]) === 0,
      (a, b) => [a[0], this.mergeCombined(a[1], b[1])],
    );
  }

  private spill(): void {
    this.runs.push(this.spills.writeRun(this.map.sortedEntries(runOrder)));
    this.map.clear();
    this.bytes = 0;
    this.reservation.release();
  }
}
