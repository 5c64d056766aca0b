// The reduce side of sortBy/sortByKey in bounded memory: records are buffered
// until the task's share of memory is used, then sorted (stably) and written as
// a run; at the end the runs and the in-memory rest are merged. Equal keys keep
// their arrival order across runs because the merge breaks ties by run order.
import { compareKeys } from "../../plan/keys.js";
import type { Reservation } from "./memory-pool.js";
import { estimateSize } from "./size-estimate.js";
import { mergeSorted } from "./sorted-merge.js";
import type { TaskSpills } from "./spill-files.js";

type Pair = [unknown, unknown];

export class ExternalSorter {
  private buffer: Pair[] = [];
  private bytes = 0;
  private runs: string[] = [];
  private readonly cmp: (a: Pair, b: Pair) => number;

  constructor(
    private readonly reservation: Reservation,
    private readonly spills: TaskSpills,
    ascending: boolean,
  ) {
    this.cmp = ascending ? (a, b) => compareKeys(a[0], b[0]) : (a, b) => compareKeys(b[0], a[0]);
  }

  add(rec: Pair): void {
    this.buffer.push(rec);
    this.bytes += 8 + estimateSize(rec);
    if (!this.reservation.fits(this.bytes)) this.spill();
  }

  /** Every record in key order. */
  *sorted(): Generator<Pair> {
    this.reservation.shrinkTo(this.bytes);
    try {
      // Array.prototype.sort is stable, so equal keys keep their fetch order.
      const rest = this.buffer.sort(this.cmp);
      this.buffer = [];
      if (this.runs.length === 0) {
        yield* rest;
        return;
      }
      yield* this.spills.mergeRuns(this.runs, rest, (runs) => mergeSorted(runs, this.cmp));
    } finally {
      this.reservation.release();
    }
  }

  private spill(): void {
    this.runs.push(this.spills.writeRun(this.buffer.sort(this.cmp)));
    this.buffer = [];
    this.bytes = 0;
    this.reservation.release();
  }
}
