// The one way a lifecycle on the master moves: a table of the moves each state
// allows, and a check that throws on any other. Used by the job lifecycle
// (job-lifecycle.ts), the scheduler's job runs (job-run.ts), its stages and
// tasks (stage-lifecycle.ts) and their attempts (attempt-state.ts). Pure.

/** The moves a lifecycle allows, from each state. */
export type Transitions<S extends string> = { readonly [F in S]: readonly S[] };

/** A move between two states that the lifecycle does not have: a bug on the master, never a user error. */
export class IllegalTransition extends Error {
  constructor(
    what: string,
    /** null: the subject is in no state this lifecycle knows. */
    readonly from: string | null,
    readonly to: string,
  ) {
    super(`illegal ${what} transition ${from ?? "(unknown)"} -> ${to}`);
    this.name = "IllegalTransition";
  }
}

/** `to`, if the lifecycle allows moving there from `from`; throws IllegalTransition otherwise. */
export function transition<S extends string>(moves: Transitions<S>, what: string, from: S, to: S): S {
  if (!moves[from].includes(to)) throw new IllegalTransition(what, from, to);
  return to;
}
