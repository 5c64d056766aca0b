// collect, and collectAsMap (one entry per key, the last value winning, like
// a Python dict built from the pairs). A result task returns its records.
import type { Json } from "../plan/keys.js";
import { KeyMap } from "../plan/key-map.js";
import { collectedRecords } from "./collected.js";
import { defineOp, type OpFamily } from "./op-rule.js";
import { params } from "./params.js";

function lastValuePerKey(pairs: Json[]): Json {
  const map = new KeyMap<Json>();
  for (const p of pairs) {
    const [k, v] = p as [Json, Json];
    map.set(k, v);
  }
  return [...map.entries()].map(([k, v]) => [k as Json, v]);
}

export const COLLECT: OpFamily = {
  ops: {
    collect: defineOp({ kind: "action", inputs: 1, params: params({}), plan: (_pl, _p, _a, input) => ({ rdd: input, result: { type: "collect" } }), value: collectedRecords }),
    collectAsMap: defineOp({
      kind: "action",
      inputs: 1,
      params: params({}),
      plan: (_pl, _p, _a, input) => ({ rdd: input, result: { type: "collect" } }),
      value: (results) => lastValuePerKey(collectedRecords(results)),
    }),
  },
  results: {
    collect: (_action, batches, task) => {
      const records: Json[] = [];
      for (const batch of batches) for (const r of batch) records.push(r as Json);
      task.out.records = records.length;
      return { type: "collect", records };
    },
  },
};
