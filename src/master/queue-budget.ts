// What the jobs waiting to start may hold of the master's heap, all together.
// A waiting job keeps its parsed spec; each submission is bounded (64 MiB,
// 2,000,000 JSON values), but a client could queue submissions without end
// while no worker is there to start them, or behind a long job, until the
// master runs out of memory (and a restarted master, re-reading them all,
// again). A spec's weight estimates its parsed size from its text: its bytes
// and ~64 heap bytes a value. Pure bookkeeping; used by job-service.ts.
import { defaultBodyBudget } from "../common/body-budget.js";
import { countJsonValues } from "../common/json-values.js";

const HEAP_BYTES_PER_VALUE = 64;

/** The estimated heap bytes of a parsed spec whose JSON text is `text`. */
export function specWeight(text: string): number {
  const bytes = Buffer.from(text, "utf8");
  return bytes.length + HEAP_BYTES_PER_VALUE * countJsonValues(bytes, Number.MAX_SAFE_INTEGER);
}

/** The same share of the heap as the request bodies' budget (a quarter, within 64 MiB..1 GiB): the two together hold at most half. */
export function defaultQueueBudget(): number {
  return defaultBodyBudget();
}

/**
 * Whether a spec of `weight` may join a queue already holding `queued`:
 * always when the queue is empty (so one job of any admissible size runs),
 * otherwise while the total stays within `limit`.
 */
export function admits(queued: number, weight: number, limit: number): boolean {
  return queued === 0 || queued + weight <= limit;
}
