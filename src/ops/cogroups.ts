// The ops that are a cogroup read differently: cogroup itself, the four joins,
// subtractByKey, and subtract and intersection on whole records (x → [x, null]
// on both sides). Each input is one shuffle; the reduce side groups each key's
// values by input (shuffle-reader.ts) and emits per `emit`.
import type { ShuffleRead } from "../plan/physical.js";
import { defineOp, type Op, type OpFamily } from "./op-rule.js";
import { PAIR_WITH_NULL } from "./pair-with-null.js";
import { params, positive } from "./params.js";
import { HASH } from "./shuffle-once.js";

type CogroupEmit = Extract<ShuffleRead, { type: "cogroup" }>["emit"];

/** `keyed`: whole records are the keys; `dedupe(i)`: input i may drop duplicate keys map-side. */
const cogroupOp = (emit: CogroupEmit, inputs: 2 | { many: true; min: 2 }, keyed: boolean, dedupe: (i: number) => boolean): Op =>
  defineOp({
    kind: "wide",
    inputs,
    params: params({ numPartitions: positive().partitions().maybe() }),
    plan: (pl, p, node, parents) => {
      const planned = pl.wideInputs(node);
      const n = pl.defaultShufflePartitions(
        p.numPartitions,
        planned.map((x) => x.rdd),
      );
      const shuffles = planned.map((x, i) => pl.shuffle(keyed ? pl.narrow(x.rdd, PAIR_WITH_NULL, null, {}, null) : x.rdd, x.parents, n, HASH, dedupe(i) ? { type: "first" } : null));
      return pl.shuffleRead(node.id, node.op, shuffles, n, { type: "cogroup", emit }, parents);
    },
  });

const never = () => false;

export const COGROUPS: OpFamily = {
  ops: {
    join: cogroupOp("inner", 2, false, never),
    leftOuterJoin: cogroupOp("left", 2, false, never),
    rightOuterJoin: cogroupOp("right", 2, false, never),
    fullOuterJoin: cogroupOp("full", 2, false, never),
    cogroup: cogroupOp("cogroup", { many: true, min: 2 }, false, never),
    // subtract keeps every occurrence on its left, so only its right side may drop duplicates early.
    subtract: cogroupOp("subtract", 2, true, (i) => i !== 0),
    subtractByKey: cogroupOp("subtractByKey", 2, false, never),
    intersection: cogroupOp("intersection", 2, true, () => true),
  },
};
