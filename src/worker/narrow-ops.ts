// Narrow ops as push functions, so that a run of per-record ops (map, filter,
// flatMap, mapValues, keyBy and the planner's keying steps) fuses into one call
// chain per record with no intermediate arrays or generators. Ops that see the
// whole partition live in partition-ops.ts.
// Called by rdd-compute.ts inside a task thread.
import { canonicalJson } from "../plan/keys.js";
import { PLANNER_PARTITIONS, type NarrowOpKind, type Env } from "../plan/physical.js";
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
  "flatMapValues",
  "keys",
  "values",
  "keyWithOne",
  "lookupKey",
  "partitionKeyOfPair",
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
        } else {
          for (const y of iterableOf(out, where, n)) next(y);
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
    case "flatMapValues":
      return (x) => {
        n++;
        const [k, v] = asPair(x, where);
        const out = call(fn!, x, v);
        for (const w of iterableOf(out, where, n)) next([k, w]);
      };
    case "keys":
      return (x) => next(asPair(x, where)[0]);
    case "values":
      return (x) => next(asPair(x, where)[1]);
    case "keyWithOne":
      return (x) => next([asPair(x, where)[0], 1]);
    case "lookupKey": {
      const same = sameKeyAs(env.key);
      return (x) => {
        if (same(asPair(x, where)[0])) next(x);
      };
    }
    case "partitionKeyOfPair": {
      const partitions = env[PLANNER_PARTITIONS] as number;
      return (x) => {
        n++;
        const p = call(fn!, x, asPair(x, where)[0]);
        if (!Number.isInteger(p)) throw new UserCodeError(`${where}: partitionFunc must return an integer, got ${describeRecord(p)} for record #${n}`);
        next([(((p as number) % partitions) + partitions) % partitions, x]);
      };
    }
  }
}

/** Keys compare by value: composite keys by their canonical JSON. */
function sameKeyAs(wanted: unknown): (k: unknown) => boolean {
  if (wanted === null || typeof wanted !== "object") return (k) => k === wanted;
  const id = canonicalJson(wanted);
  return (k) => k !== null && typeof k === "object" && canonicalJson(k) === id;
}

export function iterableOf(out: unknown, where: string, n: number): Iterable<unknown> {
  if (out != null && typeof (out as Iterable<unknown>)[Symbol.iterator] === "function") return out as Iterable<unknown>;
  throw new UserCodeError(`${where} must return an iterable (e.g. an array), got ${describeRecord(out)} for record #${n}`);
}

export function asPair(x: unknown, where: string): [unknown, unknown] {
  if (Array.isArray(x) && x.length === 2) return x as [unknown, unknown];
  throw new UserCodeError(`${where} expects [key, value] pairs, got ${describeRecord(x)}`);
}
