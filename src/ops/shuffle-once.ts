// The plan most wide ops share: their one input written to one shuffle, and the
// node's RDD reading it back. Used by the wide op rules of src/ops.
import type { StageId } from "../common/ids.js";
import type { NodeSpec } from "../plan/job-spec.js";
import type { Combine, Partitioner, Rdd, ShuffleRead } from "../plan/physical.js";
import type { PlanBuilder, PlannedInput } from "./op-rule.js";

export const HASH: Partitioner = { type: "hash" };

/** `rdd` (computed from `input`'s stages) shuffled into `n` partitions and read back as `read` says. */
export function shuffleOnce(
  pl: PlanBuilder,
  node: NodeSpec,
  input: PlannedInput,
  rdd: Rdd,
  n: number,
  partitioner: Partitioner,
  combine: Combine | null,
  read: ShuffleRead,
  parents: Set<StageId>,
): Rdd {
  return pl.shuffleRead(node.id, node.op, [pl.shuffle(rdd, input.parents, n, partitioner, combine)], n, read, parents);
}
