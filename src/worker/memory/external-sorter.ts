// The reduce side of sortBy/sortByKey in bounded memory: records are buffered
// until the task's share of memory is used, then sorted (stably) and written as
// a run; at the end the runs and the in-memory rest are merged. Equal keys keep
// their arrival order across runs because the merge breaks ties by run order.
// Items are [key, record] pairs, or records that are their own keys.
import type { Reservation } from "./memory-pool.js";
import { estimateSize } from "./size-estimate.js";
import { mergeSorted } from "./sorted-merge.js";
import type { TaskSpills } from "./spill-files.js";

export class ExternalSorter<T> {
  private buffer: T[] = [];
  private bytes = 0;
  private runs: string[] = [];

  constructor(
    private readonly reservation: Reservation,
    private readonly spills: TaskSpills,
    private readonly cmp: (a: T, b: T) => number,
  ) {}

  add(item: T): void {
    this.buffer.push(item);
    this.bytes += 8 + estimateSize(item);
    if (!this.reservation.fits(this.bytes)) this.spill();
  }

  /** Every item in order. */
  *sorted(): Generator<T> {
    this.reservation.shrinkTo(this.bytes);
    try {
      // Array.prototype.sort is stable, so equal keys keep their fetch order.
      const rest = this.buffer.sort(this.cmp);
      this.buffer = [];
      if (this.runs.length === 0) {
        yield* rest;
        return;
      }
      yield* this.spills.mergeRuns(this.runs, rest, (runs) => mergeSorted(runs as Iterable<T>[], this.cmp));
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
