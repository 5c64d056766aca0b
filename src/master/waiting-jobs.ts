// The jobs accepted but not yet started, oldest first: queued ones and saves
// waiting for their output path. Whether a job is still waiting, and for
// which of the two, is never kept here: it is the job lifecycle's phase
// (job-lifecycle.ts, QUEUED or WAITING_FOR_OUTPUT), read on every question, so
// a job the lifecycle has moved on (started, failed, cancelled) is gone from
// here at once and the two cannot disagree. What is kept is the order and each
// job's start bookkeeping (the entry). Used by job-service.ts. Pure.
import type { JobId } from "../common/ids.js";

/** Where a job is as far as this list cares: waiting in one of two ways, or no longer waiting. */
export type WaitingPhase = "QUEUED" | "WAITING_FOR_OUTPUT" | null;

export class WaitingJobs<E extends { readonly id: JobId }> {
  private entries: E[] = [];

  constructor(private readonly phaseOf: (id: JobId) => WaitingPhase) {}

  /** A job that is waiting (its phase already QUEUED): to the back of the queue. */
  add(entry: E): void {
    this.entries.push(entry);
  }

  /** The queued job to start next. */
  next(): E | undefined {
    return this.all().find((e) => this.phaseOf(e.id) === "QUEUED");
  }

  /** Saves waiting for their output path, oldest first. */
  parked(): E[] {
    return this.all().filter((e) => this.phaseOf(e.id) === "WAITING_FOR_OUTPUT");
  }

  /** A job just parked (its phase already WAITING_FOR_OUTPUT): the newest of the parked. */
  toBack(entry: E): void {
    this.entries = [...this.entries.filter((e) => e !== entry), entry];
  }

  /** Parked jobs whose path is free again (their phase already QUEUED) go to the head of the queue, in their order. */
  toFront(entries: readonly E[]): void {
    const moved = new Set(entries);
    this.entries = [...entries, ...this.entries.filter((e) => !moved.has(e))];
  }

  /** Every waiting job, queued or parked. */
  all(): readonly E[] {
    this.entries = this.entries.filter((e) => this.phaseOf(e.id) !== null);
    return this.entries;
  }
}
