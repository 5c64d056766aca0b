// treeAggregate and treeReduce(depth): each partition folded into one
// aggregate, then re-aggregated level by level as Spark plans it
// (kernels/tree-aggregate.ts: treeLevels), each level one shuffle stage whose
// records are keyed by their partition's index modulo the level's partition
// count. Where Spark's driver combines the last level, here one more shuffle
// into one partition does it on a worker: the master never runs user code.
import type { StageId } from "../common/ids.js";
import type { ActionSpec } from "../plan/job-spec.js";
import type { Json } from "../plan/keys.js";
import type { Rdd, ShuffleRead } from "../plan/physical.js";
import { userError } from "../functions/user-function.js";
import { collectedRecords, firstOf } from "./collected.js";
import { foldRecords } from "./fold.js";
import { depthProblem, treeLevels } from "./kernels/tree-aggregate.js";
import { defineOp, defineStep, type OpFamily, type PartitionStep, type PlanBuilder, type PlannedAction } from "./op-rule.js";
import { fn, int, json, params } from "./params.js";

type Keyed = { partitions: number };

/** treeAggregate's first level: the partition folded from a copy of the zero with seqOp, keyed for the next level. */
const treeSeq: PartitionStep<Keyed & { zero: Json }> = {
  name: "treeAggregateSeq",
  kind: "partition",
  run: ({ fn: f, env, args, where }, index, input) => [[index % args.partitions, foldRecords(f!, env, args.zero, where, input)]],
};

/** treeReduce's first level: the partition reduced with f, keyed for the next level; an empty partition has no aggregate. */
const treeReduceSeq: PartitionStep<Keyed> = {
  name: "treeReduceSeq",
  kind: "partition",
  run: ({ fn: f, env, args, where }, index, input) => {
    let acc: unknown;
    let n = 0;
    for (const x of input) {
      n++;
      if (n === 1) {
        acc = x;
        continue;
      }
      try {
        acc = f!(acc, x, env);
      } catch (e) {
        throw userError(where, e, n, x);
      }
    }
    return n === 0 ? [] : [[index % args.partitions, acc]];
  },
};

/** [k, aggregate] → [this partition's index mod the next level's count, aggregate]. */
const treeKey: PartitionStep<Keyed> = {
  name: "treeKey",
  kind: "partition",
  run: function* ({ args }, index, input) {
    for (const x of input) yield [index % args.partitions, (x as [unknown, unknown])[1]];
  },
};

const depth = int()
  .maybe()
  .refine((s) => ({ ...s, minimum: 1 }));
const depthRule = (d: number | undefined): string[] => {
  const problem = d === undefined ? null : depthProblem(d);
  return problem ? [`parameter "depth": ${problem}`] : [];
};

/**
 * The levels after the first: one shuffle each into the level's partition
 * count (the key is the target partition), merged by key with combOp, the
 * last into one partition whose one value the result stage collects.
 */
function planLevels(pl: PlanBuilder, action: ActionSpec, first: (partitions: number) => Rdd, levels: number[], combOp: string, parents: Set<StageId>): PlannedAction {
  const targets = [...levels.slice(1), 1];
  let rdd = first(targets[0]!);
  targets.forEach((n, i) => {
    const last = i === targets.length - 1;
    const shuffle = pl.shuffle(rdd, parents, n, { type: "direct" }, null);
    parents.clear();
    const read: ShuffleRead = last ? { type: "reduceValues", fn: combOp, env: action.env } : { type: "reduceByKey", fn: combOp, env: action.env };
    rdd = pl.shuffleRead("", action.op, [shuffle], n, read, parents);
    if (!last) rdd = pl.narrow(rdd, treeKey, null, {}, { partitions: targets[i + 1]! });
  });
  return { rdd, result: { type: "collect" } };
}

export const TREE_AGGREGATE: OpFamily = {
  ops: {
    treeAggregate: defineOp({
      kind: "action",
      inputs: 1,
      params: params({ zeroValue: json(), seqOp: fn(), combOp: fn(), depth }, (p) => depthRule(p.depth)),
      plan: (pl, p, action, input, parents) =>
        planLevels(pl, action, (partitions) => pl.narrow(input, treeSeq, p.seqOp, action.env, { zero: p.zeroValue, partitions }), treeLevels(input.numPartitions, p.depth ?? 2), p.combOp, parents),
      // No partitions, no aggregate: the zero, as Spark answers.
      value: (results, p) => {
        const [value] = collectedRecords(results);
        return value === undefined ? p.zeroValue : value;
      },
    }),
    treeReduce: defineOp({
      kind: "action",
      inputs: 1,
      params: params({ fn: fn(), depth }, (p) => depthRule(p.depth)),
      plan: (pl, p, action, input, parents) =>
        planLevels(pl, action, (partitions) => pl.narrow(input, treeReduceSeq, p.fn, action.env, { partitions }), treeLevels(input.numPartitions, p.depth ?? 2), p.fn, parents),
      value: (results, _p, action) => firstOf(action.op, collectedRecords(results)),
    }),
  },
  steps: [defineStep(treeSeq), defineStep(treeReduceSeq), defineStep(treeKey)],
};
