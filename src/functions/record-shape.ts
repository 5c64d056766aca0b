// The shapes a step expects of records and of what user functions return: a
// [key, value] pair, an iterable. Shared by the op steps (src/ops) and the
// shuffle writer and reader, each failure named for the node that met it.
import { UserCodeError, describeRecord } from "./user-function.js";

export function iterableOf(out: unknown, where: string, n: number): Iterable<unknown> {
  if (out != null && typeof (out as Iterable<unknown>)[Symbol.iterator] === "function") return out as Iterable<unknown>;
  throw new UserCodeError(`${where} must return an iterable (e.g. an array), got ${describeRecord(out)} for record #${n}`);
}

export function asPair(x: unknown, where: string): [unknown, unknown] {
  if (Array.isArray(x) && x.length === 2) return x as [unknown, unknown];
  throw new UserCodeError(`${where} expects [key, value] pairs, got ${describeRecord(x)}`);
}
