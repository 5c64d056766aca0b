// countByKey and countByValue: a summing shuffle of [k, 1] or [x, 1].
import type { RecordStep } from "./op-rule.js";
import { defineOp, defineStep, type OpFamily } from "./op-rule.js";
import { collectedRecords } from "./collected.js";
import { collectAfterShuffle } from "./final-shuffle.js";
import { params } from "./params.js";
import { asPair } from "../functions/record-shape.js";

/** x → [x, 1], for countByValue. */
const pairWithOne: RecordStep<null> = { name: "pairWithOne", kind: "record", push: (_s, next) => (x) => next([x, 1]) };

/** [k, v] → [k, 1], for countByKey. */
const keyWithOne: RecordStep<null> = {
  name: "keyWithOne",
  kind: "record",
  push:
    ({ where }, next) =>
    (x) =>
      next([asPair(x, where)[0], 1]),
};

const countBy = (step: RecordStep<null>) =>
  defineOp({
    kind: "action",
    inputs: 1,
    params: params({}),
    plan: (pl, _p, action, input, parents) =>
      collectAfterShuffle(pl, action, pl.narrow(input, step, null, {}, null), parents, pl.defaultShufflePartitions(undefined, [input]), { type: "sum" }, { type: "sum" }),
    value: collectedRecords,
  });

export const COUNT_BY: OpFamily = {
  ops: { countByKey: countBy(keyWithOne), countByValue: countBy(pairWithOne) },
  steps: [defineStep(pairWithOne), defineStep(keyWithOne)],
};
