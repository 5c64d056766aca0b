// Calls a user function that returns a whole partition (mapPartitions and its
// kin) and checks that what it returned is iterable, naming the node when it
// throws or is not. Used by the partition steps of src/ops.
import { iterableOf } from "../functions/record-shape.js";
import { UserCodeError, describeRecord, userError } from "../functions/user-function.js";

export function userIterable(where: string, call: () => unknown): Iterable<unknown> {
  let out: unknown;
  try {
    out = call();
  } catch (e) {
    throw userError(where, e, 0);
  }
  if (out == null || typeof (out as Iterable<unknown>)[Symbol.iterator] !== "function") {
    throw new UserCodeError(`${where} must return an iterable (an array or a generator), got ${describeRecord(out)}`);
  }
  return iterableOf(out, where, 0);
}
