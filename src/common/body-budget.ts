// Bytes of request bodies a process buffers at once, across all requests (pure
// bookkeeping). Each route caps its own body, but many concurrent bodies each
// under their cap could still exhaust memory; past the budget a request is
// refused with 503 and Retry-After, and its client tries again later. One per
// listener, used by http-server.ts while it reads JSON bodies.
import { getHeapStatistics } from "node:v8";

export class BodyBudget {
  private used = 0;

  constructor(readonly limit: number) {}

  /** Takes `n` bytes from the budget; false (nothing taken) if they do not fit. */
  take(n: number): boolean {
    if (this.used + n > this.limit) return false;
    this.used += n;
    return true;
  }

  give(n: number): void {
    this.used = Math.max(0, this.used - n);
  }

  get inUse(): number {
    return this.used;
  }
}

/**
 * A quarter of the heap limit, within 64 MiB..1 GiB: a body is held as a
 * Buffer, then decoded into a string and parsed into objects on the heap,
 * several times its size in all.
 */
export function defaultBodyBudget(): number {
  return Math.max(64 * 2 ** 20, Math.min(2 ** 30, Math.floor(getHeapStatistics().heap_size_limit / 4)));
}
