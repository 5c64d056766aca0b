// An attempt's lifecycle, and what its state says, one predicate per question,
// so the scheduler, the job views and the master's event log cannot disagree
// on, say, what a failed attempt is. Pure; used by scheduler.ts (the only one
// to end attempts), job-view.ts and master-process.ts.
//
//   RUNNING (launched, running or queued on its worker) ──▶ FINISHED | FAILED | FETCH_FAILED
//                                                          | KILLED | LOST | LAUNCH_FAILED | TIMED_OUT
//   every end state: final (an attempt is ended once; its task's retry is a new attempt).
//
// Whether an attempt counts against its task's retries is not here: that
// depends on why it ended (a worker's refusal of a launch counts, a lost
// connection does not; a loss counts only past a cap), which its state alone
// does not say, so the scheduler keeps that count on the task.
import type { AttemptState } from "../common/api-types.js";
import type { Attempt } from "./job-run.js";
import { transition, type Transitions } from "./transitions.js";

/** An attempt's end states. */
export type AttemptEnd = Exclude<AttemptState, "RUNNING">;

export const ATTEMPT_TRANSITIONS: Transitions<AttemptState> = {
  RUNNING: ["FINISHED", "FAILED", "FETCH_FAILED", "KILLED", "LOST", "LAUNCH_FAILED", "TIMED_OUT"],
  FINISHED: [],
  FAILED: [],
  FETCH_FAILED: [],
  KILLED: [],
  LOST: [],
  LAUNCH_FAILED: [],
  TIMED_OUT: [],
};

/** Ends an attempt: its state, error and end time change together, once; ending it again throws, changing nothing. */
export function endAttempt(attempt: Attempt, to: AttemptEnd, error: string | null, now: number): void {
  attempt.state = transition(ATTEMPT_TRANSITIONS, "attempt", attempt.state, to);
  attempt.error = error;
  attempt.finishedAt = now;
}

/** Still holds its slot on a worker: launched, not yet ended. */
export function holdsSlot(state: AttemptState): boolean {
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
