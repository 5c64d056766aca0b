// reduce: [null, x] shuffled into one partition that merges with fn (map-side
// combining with fn too), so the master never runs user code.
import { collectedRecords, firstOf } from "./collected.js";
import { defineOp, defineStep, type OpFamily, type RecordStep } from "./op-rule.js";
import { fn, params } from "./params.js";
import { collectAfterShuffle } from "./final-shuffle.js";

/** x → [null, x]: one key gathers the partial results. */
const pairUnderNull: RecordStep<null> = { name: "pairUnderNull", kind: "record", push: (_s, next) => (x) => next([null, x]) };

export const REDUCE: OpFamily = {
  ops: {
    reduce: defineOp({
      kind: "action",
      inputs: 1,
      params: params({ fn: fn() }),
      plan: (pl, p, action, input, parents) => {
        const keyed = pl.narrow(input, pairUnderNull, null, {}, null);
        return collectAfterShuffle(pl, action, keyed, parents, 1, { type: "fn", fn: p.fn, env: action.env }, { type: "reduceValues", fn: p.fn, env: action.env });
      },
      value: (results, _p, action) => firstOf(action.op, collectedRecords(results)),
    }),
  },
  steps: [defineStep(pairUnderNull)],
};
