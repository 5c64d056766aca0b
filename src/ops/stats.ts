// sum, mean and stats: per-partition moments (Welford) merged on the master
// (Chan et al.).
import { defineOp, type OpFamily } from "./op-rule.js";
import { params } from "./params.js";

export const STATS: OpFamily = {
  sum: defineOp({ kind: "action", inputs: 1, params: params({}) }),
  mean: defineOp({ kind: "action", inputs: 1, params: params({}) }),
  stats: defineOp({ kind: "action", inputs: 1, params: params({}) }),
};
