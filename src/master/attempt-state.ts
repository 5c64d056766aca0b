// What an attempt's state says, one predicate per question, so the scheduler,
// the job views and the master's event log cannot disagree on, say, what a
// failed attempt is. Pure; used by scheduler.ts, job-view.ts and master-process.ts.
//
// Whether an attempt counts against its task's retries is not here: that
// depends on why it ended (a worker's refusal of a launch counts, a lost
// connection does not; a loss counts only past a cap), which its state alone
// does not say, so the scheduler keeps that count on the task.
import type { AttemptState } from "../common/api-types.js";

/** Still holds its slot on a worker: launched, not yet ended. */
export function isLive(state: AttemptState): boolean {
  return state === "RUNNING";
}

/** Ended without a result, for a reason other than its job ending: the attempts a job's failed tasks list and the event log records. */
export function isFailure(state: AttemptState): boolean {
  return state === "FAILED" || state === "FETCH_FAILED" || state === "TIMED_OUT" || state === "LOST" || state === "LAUNCH_FAILED";
}

/** Ran, and its worker reported that it failed (its code threw, or its input could not be fetched): what a stage's failedAttempts counts. */
export function reportedFailure(state: AttemptState): boolean {
  return state === "FAILED" || state === "FETCH_FAILED";
}

/**
 * Ended badly where it ran, so the task's retry should go to another worker if
 * one has room. A lost attempt says nothing against its worker (the worker is
 * gone, or dropped it), nor does a finished one.
 */
export function retryAvoidsWorker(state: AttemptState): boolean {
  return state !== "RUNNING" && state !== "FINISHED" && state !== "LOST";
}
