// sum, mean and stats: per-partition moments (Welford) merged on the master
// (Chan et al.).
import { defineOp, type OpFamily } from "./op-rule.js";
import { params } from "./params.js";

const stats = () => defineOp({ kind: "action", inputs: 1, params: params({}), plan: (_pl, _p, _a, input) => ({ rdd: input, result: { type: "stats" } }) });

export const STATS: OpFamily = {
  ops: { sum: stats(), mean: stats(), stats: stats() },
};
