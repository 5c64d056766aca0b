// foreach and foreachPartition: actions run for their functions' side effects
// (PySpark's value is None: here null). The function runs as the last narrow
// step of the result stage, which then only counts what is left (nothing), so
// no record travels to the master; a function that throws fails its task and
// the job with the function's message.
import { userError } from "../functions/user-function.js";
import { defineOp, defineStep, type OpFamily, type PartitionStep, type RecordStep } from "./op-rule.js";
import { fn, params } from "./params.js";
import { RecordCall } from "./record-call.js";
import { userIterable } from "./user-iterable.js";

/** Calls fn on each record and passes nothing on. */
const foreachRecord: RecordStep<null> = {
  name: "foreach",
  kind: "record",
  push: ({ fn: f, env, where }) => {
    const c = new RecordCall(where, env);
    return (x) => {
      c.n++;
      c.apply(f!, x, x);
    };
  },
};

/** Calls fn once with the partition's records; what it returns (PySpark's f may return None) is dropped, a generator run to its end first. */
const foreachPartition: PartitionStep<null> = {
  name: "foreachPartition",
  kind: "partition",
  run: ({ fn: f, env, where }, _index, input) => {
    let returned: unknown;
    try {
      returned = f!(input, env);
    } catch (e) {
      throw userError(where, e, 0);
    }
    if (returned == null || typeof (returned as Iterable<unknown>)[Symbol.iterator] !== "function") return [];
    for (const _ of userIterable(where, () => returned)) {
      // Each step runs more of a generator's body; its values are dropped.
    }
    return [];
  },
};

export const FOREACH: OpFamily = {
  ops: {
    foreach: defineOp({
      kind: "action",
      inputs: 1,
      params: params({ fn: fn() }),
      plan: (pl, p, action, input) => ({ rdd: pl.narrow(input, foreachRecord, p.fn, action.env, null), result: { type: "count" } }),
      value: () => null,
    }),
    foreachPartition: defineOp({
      kind: "action",
      inputs: 1,
      params: params({ fn: fn() }),
      plan: (pl, p, action, input) => ({ rdd: pl.narrow(input, foreachPartition, p.fn, action.env, null), result: { type: "count" } }),
      value: () => null,
    }),
  },
  steps: [defineStep(foreachRecord), defineStep(foreachPartition)],
};
