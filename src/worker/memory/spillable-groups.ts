// The reduce side of groupByKey, groupBy and the cogroup family (cogroup, the
// joins, subtract, intersection): each key's values, per input (a "side"), in
// a table that spills. Past the task's share of memory the table is written
// out as a run sorted by key, each group cut into pieces of at most PIECE
// values, so that reading a run back holds a piece at a time, never a whole
// group. At the end the runs are merged by key and each group is put together
// again: in memory while it and the batch it goes out in fit the task's share,
// and otherwise written to a run of its own and handed on as a SpilledGroup,
// which streams its values from disk. Spark requires one key's group to fit
// in memory; here only what the user function keeps of it has to. Joins take
// this road (Spark's sort-merge join) rather than a grace hash join, because
// one merge serves every op and a skewed key needs no recursive re-partitioning.
import { KeyMap } from "../../plan/key-map.js";
import { Reservation, type TaskMemory } from "./memory-pool.js";
import { ENTRY_BYTES, estimateSize } from "./size-estimate.js";
import { runOrder } from "./spillable-map.js";
import { SpilledGroup } from "./spilled-group.js";
import { mergeSorted } from "./sorted-merge.js";
import type { RunWriter, TaskSpills } from "./spill-files.js";

/** A key's values from one input: in memory, or on disk when they outgrew it. */
export type Group = unknown[] | SpilledGroup;
type Sides = unknown[][];
type Entry = [unknown, Sides];

/** The most values of one group in one spilled record. */
const PIECE = 512;
/** Groups per batch handed on. */
const BATCH = 1024;

const byKey = (a: Entry, b: Entry) => runOrder(a[0], b[0]);

export class SpillableGroups {
  private readonly map = new KeyMap<Sides>();
  private readonly reservation: Reservation;
  private readonly newKeyBytes: number;
  private bytes = 0;
  private runs: string[] = [];

  constructor(
    private readonly sides: number,
    private readonly memory: TaskMemory,
    private readonly spills: TaskSpills,
  ) {
    this.reservation = new Reservation(memory);
    this.newKeyBytes = ENTRY_BYTES + 48 + 56 * sides;
  }

  add(key: unknown, side: number, value: unknown): void {
    const groups = this.map.get(key);
    if (groups) {
      groups[side]!.push(value);
      this.grew(8 + estimateSize(value));
    } else {
      const fresh = this.emptySides();
      fresh[side]!.push(value);
      this.map.set(key, fresh);
      this.grew(this.newKeyBytes + estimateSize(key) + estimateSize(value));
    }
  }

  /** Every key once with its groups, a side each: insertion order if nothing spilled, run order otherwise. */
  *batches(): Generator<[unknown, Group[]][]> {
    try {
      if (this.runs.length === 0) {
        this.reservation.shrinkTo(this.bytes);
        let out: Entry[] = [];
        for (const e of this.map.entries()) {
          out.push(e);
          if (out.length >= BATCH) {
            yield out;
            out = [];
          }
        }
        if (out.length > 0) yield out;
        return;
      }
      // What is left joins the runs, so that putting groups together has the whole share.
      this.spill();
      yield* this.assemble(this.spills.mergeRuns<Entry>(this.runs, [], (runs) => mergeSorted(runs, byKey)));
    } finally {
      this.map.clear();
      this.reservation.release();
    }
  }

  private *assemble(pieces: Iterable<Entry>): Generator<[unknown, Group[]][]> {
    let out: [unknown, Group[]][] = [];
    let outBytes = 0;
    let cur: Assembly | null = null;
    for (const [key, sides] of pieces) {
      if (cur !== null && runOrder(cur.key, key) !== 0) {
        out.push(cur.finish());
        outBytes += cur.bytes;
        cur = null;
        if (out.length >= BATCH) {
          yield out;
          out = [];
          outBytes = 0;
        }
      }
      cur ??= new Assembly(key, this.emptySides(), this.spills, this.memory);
      const grown = estimateSize(sides);
      if (!cur.onDisk && !this.reservation.fits(outBytes + cur.bytes + grown)) {
        if (out.length > 0) {
          yield out;
          out = [];
          outBytes = 0;
        }
        if (!this.reservation.fits(cur.bytes + grown)) {
          cur.toDisk();
          this.reservation.shrinkTo(0);
        }
      }
      cur.add(sides, grown);
    }
    if (cur !== null) out.push(cur.finish());
    if (out.length > 0) yield out;
  }

  private grew(bytes: number): void {
    this.bytes += bytes;
    if (!this.reservation.fits(this.bytes)) this.spill();
  }

  private spill(): void {
    this.runs.push(this.spills.writeRun(this.inPieces(this.map.sortedEntries(runOrder))));
    this.map.clear();
    this.bytes = 0;
    this.reservation.release();
  }

  private *inPieces(entries: Iterable<Entry>): Generator<Entry> {
    for (const [key, groups] of entries) {
      if (groups.every((g) => g.length <= PIECE)) {
        yield [key, groups];
        continue;
      }
      for (let side = 0; side < this.sides; side++) {
        const g = groups[side]!;
        for (let i = 0; i < g.length; i += PIECE) {
          const piece = this.emptySides();
          piece[side] = g.slice(i, i + PIECE);
          yield [key, piece];
        }
      }
    }
  }

  private emptySides(): Sides {
    const sides: Sides = [];
    for (let i = 0; i < this.sides; i++) sides.push([]);
    return sides;
  }
}

/** One key's groups being put together from its pieces, in memory until they do not fit. */
class Assembly {
  /** Estimated bytes held in memory. */
  bytes = 0;
  private writers: RunWriter[] | null = null;

  constructor(
    readonly key: unknown,
    private values: Sides,
    private readonly spills: TaskSpills,
    private readonly memory: TaskMemory,
  ) {}

  get onDisk(): boolean {
    return this.writers !== null;
  }

  add(pieces: Sides, bytes: number): void {
    pieces.forEach((p, side) => {
      if (p.length === 0) return;
      if (this.writers !== null) {
        const w = this.writers[side]!;
        for (let i = 0; i < p.length; i++) w.add(p[i]);
      } else if (this.values[side]!.length === 0) this.values[side] = p;
      else concatInto(this.values[side]!, p);
    });
    if (this.writers === null) this.bytes += bytes;
  }

  /** From now on the values go to disk, those held so far first. */
  toDisk(): void {
    this.writers = this.values.map((vs) => {
      const w = this.spills.startRun();
      for (let i = 0; i < vs.length; i++) w.add(vs[i]);
      return w;
    });
    this.values = [];
    this.bytes = 0;
  }

  finish(): [unknown, Group[]] {
    if (this.writers === null) return [this.key, this.values];
    const groups = this.writers.map((w): Group => {
      const path = w.close();
      return w.count === 0 ? [] : new SpilledGroup(this.key, path, w.count, w.estimatedBytes, this.spills, this.memory);
    });
    return [this.key, groups];
  }
}

/** Appends without spreading: a group can be longer than the call stack allows arguments. */
function concatInto(a: unknown[], b: unknown[]): void {
  for (let i = 0; i < b.length; i++) a.push(b[i]);
}
