// takeOrdered, top, min and max: each partition's `num` best records by key
// (the record itself, or fn of it), returned with their keys, and merged on the
// master by those keys (the master never runs fn).
import { compareKeys, type Json } from "../plan/keys.js";
import type { ActionSpec } from "../plan/job-spec.js";
import type { Rdd } from "../plan/physical.js";
import { compileFunction, userError } from "../functions/user-function.js";
import { firstOf } from "./collected.js";
import { defineOp, type Batches, type OpFamily, type PlannedAction, type ResultOf } from "./op-rule.js";
import { count, fn, params } from "./params.js";
import type { TaskResult } from "../plan/task.js";

const plan = (action: ActionSpec, input: Rdd, num: number, fnSrc: string | undefined, descending: boolean): PlannedAction => ({
  rdd: input,
  result: { type: "takeOrdered", num, fn: fnSrc ?? null, env: action.env, descending },
});

/**
 * The partition's `num` best records by key, kept in a bounded sorted buffer
 * (trimmed when it doubles) so that a huge partition needs O(num) memory.
 */
function takeOrdered(batches: Batches, action: ResultOf<"takeOrdered">): [Json, Json][] {
  if (action.num === 0) return [];
  const where = `${action.descending ? "top/max" : "takeOrdered/min"} key function`;
  const keyFn = action.fn ? compileFunction(action.fn, where) : null;
  const cmp = action.descending ? (a: [Json, Json], b: [Json, Json]) => compareKeys(b[0], a[0]) : (a: [Json, Json], b: [Json, Json]) => compareKeys(a[0], b[0]);
  let best: [Json, Json][] = [];
  let n = 0;
  for (const batch of batches) {
    for (const rec of batch) {
      n++;
      let key = rec as Json;
      if (keyFn) {
        try {
          key = keyFn(rec, action.env) as Json;
        } catch (e) {
          throw userError(where, e, n, rec);
        }
      }
      best.push([key, rec as Json]);
      if (best.length >= 2 * action.num + 1024) best = best.sort(cmp).slice(0, action.num);
    }
  }
  return best.sort(cmp).slice(0, action.num);
}

/** Every partition's best records, merged by the keys the workers computed. */
function ordered(results: TaskResult[], descending: boolean): Json[] {
  const entries = results.flatMap((r) => (r.type === "keyed" ? r.entries : []));
  entries.sort(descending ? (a, b) => compareKeys(b[0], a[0]) : (a, b) => compareKeys(a[0], b[0]));
  return entries.map((e) => e[1]);
}

export const TAKE_ORDERED: OpFamily = {
  ops: {
    takeOrdered: defineOp({
      kind: "action",
      inputs: 1,
      params: params({ num: count(), fn: fn().maybe() }),
      plan: (_pl, p, a, input) => plan(a, input, p.num, p.fn, false),
      value: (results, p) => ordered(results, false).slice(0, p.num),
    }),
    top: defineOp({
      kind: "action",
      inputs: 1,
      params: params({ num: count(), fn: fn().maybe() }),
      plan: (_pl, p, a, input) => plan(a, input, p.num, p.fn, true),
      value: (results, p) => ordered(results, true).slice(0, p.num),
    }),
    min: defineOp({
      kind: "action",
      inputs: 1,
      params: params({ fn: fn().maybe() }),
      plan: (_pl, p, a, input) => plan(a, input, 1, p.fn, false),
      value: (results, _p, action) => firstOf(action.op, ordered(results, false)),
    }),
    max: defineOp({
      kind: "action",
      inputs: 1,
      params: params({ fn: fn().maybe() }),
      plan: (_pl, p, a, input) => plan(a, input, 1, p.fn, true),
      value: (results, _p, action) => firstOf(action.op, ordered(results, true)),
    }),
  },
  results: { takeOrdered: (action, batches) => ({ type: "keyed", entries: takeOrdered(batches, action) }) },
};
