// The per-record narrow ops a user names: map, filter, flatMap, mapValues,
// flatMapValues, keyBy, keys and values.
import { defineOp, type OpFamily } from "./op-rule.js";
import { fn, params } from "./params.js";

const withFn = () => defineOp({ kind: "narrow", inputs: 1, params: params({ fn: fn() }) });
const plain = () => defineOp({ kind: "narrow", inputs: 1, params: params({}) });

export const RECORD_OPS: OpFamily = {
  map: withFn(),
  filter: withFn(),
  flatMap: withFn(),
  mapValues: withFn(),
  keyBy: withFn(),
  flatMapValues: withFn(),
  keys: plain(),
  values: plain(),
};
