// Narrow ops as push functions, so that a run of per-record ops (map, filter,
// flatMap, mapValues, keyBy and the planner's keying steps) fuses into one call
// chain per record with no intermediate arrays or generators. Ops that see the
// whole partition (mapPartitions) take and return iterables instead.
// Called by rdd-compute.ts inside a task thread.
import type { NarrowOpKind, Env } from "../plan/physical.js";
import { compileFunction, userError, UserCodeError, describeRecord, type UserFn } from "./user-function.js";

export type Emit = (record: unknown) => void;

export interface NarrowStep {
  op: NarrowOpKind;
  fn: string | null;
  env: Env;
  /** For error messages: `node "words" (flatMap)`. */
  where: string;
}

export const PER_RECORD_OPS: ReadonlySet<NarrowOpKind> = new Set<NarrowOpKind>([
  "map",
  "filter",
  "flatMap",
  "mapValues",
  "keyBy",
  "pairWithNull",
  "pairWithOne",
  "pairUnderNull",
  "sortKeyOfPair",
]);

/** Composes per-record steps (in pipeline order) in front of `sink`. */
export function fuse(steps: NarrowStep[], sink: Emit): Emit {
  let next = sink;
  for (let i = steps.length - 1; i >= 0; i--) next = pushOp(steps[i]!, next);
  return next;
}

function pushOp(step: NarrowStep, next: Emit): Emit {
  const { env, where } = step;
  const fn = step.fn ? compileFunction(step.fn, where) : null;
  let n = 0;
  const call = (f: UserFn, x: unknown, arg: unknown): unknown => {
    try {
      return f(arg, env);
    } catch (e) {
      throw userError(where, e, n, x);
    }
  };
  switch (step.op) {
    case "map":
      return (x) => {
        n++;
        next(call(fn!, x, x));
      };
    case "filter":
      return (x) => {
        n++;
        if (call(fn!, x, x)) next(x);
      };
    case "flatMap":
      return (x) => {
        n++;
        const out = call(fn!, x, x);
        if (Array.isArray(out)) {
          for (let i = 0; i < out.length; i++) next(out[i]);
        } else if (out != null && typeof (out as Iterable<unknown>)[Symbol.iterator] === "function") {
          for (const y of out as Iterable<unknown>) next(y);
        } else {
          throw new UserCodeError(`${where} must return an iterable (e.g. an array), got ${describeRecord(out)} for record #${n}`);
        }
      };
    case "mapValues":
      return (x) => {
        n++;
        const [k, v] = asPair(x, where);
        next([k, call(fn!, x, v)]);
      };
    case "keyBy":
      return (x) => {
        n++;
        next([call(fn!, x, x), x]);
      };
    case "pairWithNull":
      return (x) => next([x, null]);
    case "pairWithOne":
      return (x) => next([x, 1]);
    case "pairUnderNull":
      return (x) => next([null, x]);
    case "sortKeyOfPair":
      return (x) => {
        n++;
        const [k] = asPair(x, where);
        next([fn ? call(fn, x, k) : k, x]);
      };
    case "mapPartitions":
      throw new Error("mapPartitions is not a per-record op");
  }
}

export function asPair(x: unknown, where: string): [unknown, unknown] {
  if (Array.isArray(x) && x.length === 2) return x as [unknown, unknown];
  throw new UserCodeError(`${where} expects [key, value] pairs, got ${describeRecord(x)}`);
}

/** mapPartitions: the user's function gets the partition as an iterable and returns one. */
export function mapPartitions(step: NarrowStep, input: Iterable<unknown>): Iterable<unknown> {
  const fn = compileFunction(step.fn!, step.where);
  let out: unknown;
  try {
    out = fn(input, step.env);
  } catch (e) {
    throw userError(step.where, e, 0);
  }
  if (out == null || typeof (out as Iterable<unknown>)[Symbol.iterator] !== "function") {
    throw new UserCodeError(`${step.where} must return an iterable (an array or a generator), got ${describeRecord(out)}`);
  }
  return out as Iterable<unknown>;
}
