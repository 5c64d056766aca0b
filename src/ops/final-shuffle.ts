// The last shuffle of an action that combines with a user function or by key
// (reduce, fold, aggregate, countByKey, countByValue): everything so far is
// written to one shuffle and the result stage reads only that, so the master
// only ever does built-in merges. Used by those actions' rules.
import type { StageId } from "../common/ids.js";
import type { ActionSpec } from "../plan/job-spec.js";
import type { Combine, Rdd, ShuffleRead } from "../plan/physical.js";
import type { PlanBuilder, PlannedAction } from "./op-rule.js";
import { HASH } from "./shuffle-once.js";

export function collectAfterShuffle(pl: PlanBuilder, action: ActionSpec, keyed: Rdd, parents: Set<StageId>, partitions: number, combine: Combine | null, read: ShuffleRead): PlannedAction {
  const shuffle = pl.shuffle(keyed, parents, partitions, HASH, combine);
  parents.clear();
  return { rdd: pl.shuffleRead("", action.op, [shuffle], partitions, read, parents), result: { type: "collect" } };
}
