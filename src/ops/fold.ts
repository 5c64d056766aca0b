// fold and aggregate: each partition folded from its own copy of the zero
// (seqOp), the partial results folded again from another copy (combOp) in one
// reduce partition on a worker.
import type { ActionSpec } from "../plan/job-spec.js";
import type { Json } from "../plan/keys.js";
import type { Env, Rdd } from "../plan/physical.js";
import type { StageId } from "../common/ids.js";
import { userError, type UserFn } from "../functions/user-function.js";
import { defineOp, defineStep, type OpFamily, type PartitionStep, type PlanBuilder, type PlannedAction } from "./op-rule.js";
import { collectedRecords } from "./collected.js";
import { collectAfterShuffle } from "./final-shuffle.js";
import { fn, json, params } from "./params.js";
import type { TaskResult } from "../plan/task.js";

/** The partition folded with fn from its own copy of `zero` (seqOp's half of fold, aggregate and treeAggregate). */
export function foldRecords(f: UserFn, env: Env, zero: Json, where: string, input: Iterable<unknown>): unknown {
  let acc: unknown = structuredClone(zero);
  let n = 0;
  for (const x of input) {
    n++;
    try {
      acc = f(acc, x, env);
    } catch (e) {
      throw userError(where, e, n, x);
    }
  }
  return acc;
}

/** Folds the partition from a copy of the zero with fn into one [null, acc]. */
const foldPartition: PartitionStep<{ zero: Json }> = {
  name: "foldPartition",
  kind: "partition",
  run: ({ fn: f, env, args, where }, _index, input) => [[null, foldRecords(f!, env, args.zero, where, input)]],
};

function planFold(pl: PlanBuilder, action: ActionSpec, input: Rdd, parents: Set<StageId>, zero: Json, seq: string, comb: string): PlannedAction {
  const folded = pl.narrow(input, foldPartition, seq, action.env, { zero });
  return collectAfterShuffle(pl, action, folded, parents, 1, null, { type: "foldValues", zero, fn: comb, env: action.env });
}

/** The one value the final reduce partition folded. */
const foldValue = (results: TaskResult[]): Json => collectedRecords(results)[0] ?? null;

export const FOLD: OpFamily = {
  ops: {
    fold: defineOp({
      kind: "action",
      inputs: 1,
      params: params({ zeroValue: json(), fn: fn() }),
      plan: (pl, p, action, input, parents) => planFold(pl, action, input, parents, p.zeroValue, p.fn, p.fn),
      value: foldValue,
    }),
    aggregate: defineOp({
      kind: "action",
      inputs: 1,
      params: params({ zeroValue: json(), seqOp: fn(), combOp: fn() }),
      plan: (pl, p, action, input, parents) => planFold(pl, action, input, parents, p.zeroValue, p.seqOp, p.combOp),
      value: foldValue,
    }),
  },
  steps: [defineStep(foldPartition)],
};
