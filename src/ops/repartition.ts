// repartition (round-robin over the new partitions, as Spark's) and
// partitionBy (by key hash, or by Spark's partitionFunc: key → integer, modulo
// numPartitions). coalesce with shuffle: true is repartition (coalesce.ts).
import type { StageId } from "../common/ids.js";
import type { NodeSpec } from "../plan/job-spec.js";
import { hashKey } from "../plan/keys.js";
import type { Rdd } from "../plan/physical.js";
import { asPair } from "../functions/record-shape.js";
import { UserCodeError, describeRecord } from "../functions/user-function.js";
import { defineOp, defineStep, type OpFamily, type PartitionStep, type PlanBuilder, type RecordStep } from "./op-rule.js";
import { fn, params, positive } from "./params.js";
import { RecordCall } from "./record-call.js";
import { HASH, shuffleOnce } from "./shuffle-once.js";

type Partitions = { partitions: number };

/** x → [i, x] with i cycling through the reduce partitions from a start that depends on the partition. */
const roundRobinKey: PartitionStep<Partitions> = {
  name: "roundRobinKey",
  kind: "partition",
  run: ({ args }, index, input) => roundRobin(input, args.partitions, index),
};

function* roundRobin(input: Iterable<unknown>, partitions: number, index: number): Iterable<unknown> {
  let next = hashKey(index) % partitions;
  for (const x of input) {
    yield [next, x];
    next = next + 1 === partitions ? 0 : next + 1;
  }
}

/** The reduce partition a partitionFunc's answer for record #n names: its value modulo n, as Python's modulo (-1 → n - 1). */
export function partitionOf(p: unknown, partitions: number, where: string, n: number): number {
  if (typeof p !== "number" || !Number.isInteger(p)) throw new UserCodeError(`${where}: partitionFunc must return an integer, got ${describeRecord(p)} for record #${n}`);
  return ((p % partitions) + partitions) % partitions;
}

/** [k, v] → [fn(k) mod n, [k, v]], for partitionBy's partitionFunc. */
const partitionKeyOfPair: RecordStep<Partitions> = {
  name: "partitionKeyOfPair",
  kind: "record",
  push: ({ fn: f, env, args, where }, next) => {
    const c = new RecordCall(where, env);
    const { partitions } = args;
    return (x) => {
      c.n++;
      next([partitionOf(c.apply(f!, x, asPair(x, where)[0]), partitions, where, c.n), x]);
    };
  },
};

/** A round-robin shuffle of the node's one input into `explicit` (or the default number of) partitions. */
export function planRoundRobin(pl: PlanBuilder, node: NodeSpec, explicit: number | undefined, parents: Set<StageId>): Rdd {
  const [one] = pl.wideInputs(node);
  const n = pl.defaultShufflePartitions(explicit, [one!.rdd]);
  return shuffleOnce(pl, node, one!, pl.narrow(one!.rdd, roundRobinKey, null, {}, { partitions: n }), n, { type: "direct" }, null, { type: "values" }, parents);
}

export const REPARTITION: OpFamily = {
  ops: {
    repartition: defineOp({
      kind: "wide",
      inputs: 1,
      params: params({ numPartitions: positive().partitions() }),
      plan: (pl, p, node, parents) => planRoundRobin(pl, node, p.numPartitions, parents),
    }),
    partitionBy: defineOp({
      kind: "wide",
      inputs: 1,
      params: params({ numPartitions: positive().partitions(), fn: fn().maybe() }),
      plan: (pl, p, node, parents) => {
        const [one] = pl.wideInputs(node);
        const n = pl.defaultShufflePartitions(p.numPartitions, [one!.rdd]);
        if (p.fn === undefined) return shuffleOnce(pl, node, one!, one!.rdd, n, HASH, null, { type: "passthrough" }, parents);
        const keyed = pl.narrow(one!.rdd, partitionKeyOfPair, p.fn, node.env, { partitions: n });
        return shuffleOnce(pl, node, one!, keyed, n, { type: "direct" }, null, { type: "values" }, parents);
      },
    }),
  },
  steps: [defineStep(roundRobinKey), defineStep(partitionKeyOfPair)],
};
