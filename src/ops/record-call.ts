// Calls a step's user function on one record with the node's env, and names
// the node and the record when it throws. Each per-record step counts its own
// records (`n`), so the message says which record of the partition broke it.
// Used by the per-record steps of src/ops.
import type { Env } from "../plan/physical.js";
import { userError, type UserFn } from "../functions/user-function.js";

export class RecordCall {
  /** Records seen so far by this step in this partition. */
  n = 0;
  constructor(
    private readonly where: string,
    private readonly env: Env,
  ) {}

  /** f(arg, env) for record x. */
  apply(f: UserFn, x: unknown, arg: unknown): unknown {
    try {
      return f(arg, this.env);
    } catch (e) {
      throw userError(this.where, e, this.n, x);
    }
  }
}
