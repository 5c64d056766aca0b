// How each action is computed: what the last stage does per partition and,
// where the action needs more than concatenating or counting, the extra steps.
// Actions that combine with a user function (reduce, fold, aggregate) or by key
// (countByValue, countByKey) get one more shuffle, so the master only ever does
// built-in merges (concatenate, add, compare) and never runs user code. Called by
// the stage planner; the master's action-value.ts merges the results.
import type { StageId } from "../common/ids.js";
import type { ActionSpec } from "./job-spec.js";
import type { Json } from "./keys.js";
import { PLANNER_ZERO, namedNode, type Rdd, type ResultAction } from "./physical.js";
import type { Planner } from "./stage-planner.js";

export function planAction(pl: Planner, action: ActionSpec, input: Rdd, parents: Set<StageId>): { rdd: Rdd; result: ResultAction } {
  const p = action.params;
  const env = action.env;
  const fn = (p.fn as string | undefined) ?? null;
  /** Everything so far is written to one shuffle, and the result stage reads only that. */
  const reshuffle = (keyed: Rdd, partitions: number, combine: Parameters<Planner["shuffle"]>[4], read: Parameters<Planner["shuffleRead"]>[4]) => {
    const shuffle = pl.shuffle(keyed, parents, partitions, { type: "hash" }, combine);
    parents.clear();
    return pl.shuffleRead("", action.op, [shuffle], partitions, read, parents);
  };
  const collect = (rdd: Rdd) => ({ rdd, result: { type: "collect" } as ResultAction });
  switch (action.op) {
    case "count":
      return { rdd: input, result: { type: "count" } };
    case "take":
      return { rdd: input, result: { type: "take", num: p.num as number } };
    case "first":
    case "isEmpty":
      return { rdd: input, result: { type: "take", num: 1 } };
    case "takeOrdered":
    case "top":
      return { rdd: input, result: { type: "takeOrdered", num: p.num as number, fn, env, descending: action.op === "top" } };
    case "min":
    case "max":
      return { rdd: input, result: { type: "takeOrdered", num: 1, fn, env, descending: action.op === "max" } };
    case "sum":
    case "mean":
    case "stats":
      return { rdd: input, result: { type: "stats" } };
    case "histogram":
      return histogram(pl, input, parents, p.buckets!);
    case "getNumPartitions":
      return { rdd: input, result: { type: "numPartitions" } };
    case "save":
      return {
        rdd: input,
        result: {
          type: "save",
          path: p.path as string,
          format: (p.format as "text" | "jsonl" | "csv" | undefined) ?? "text",
          header: (p.header as boolean | undefined) ?? false,
        },
      };
    case "reduce": {
      const keyed = pl.narrow(input, "pairUnderNull", null, {});
      return collect(reshuffle(keyed, 1, { type: "fn", fn: fn!, env }, { type: "reduceValues", fn: fn!, env }));
    }
    case "fold":
    case "aggregate": {
      const seq = (action.op === "fold" ? p.fn : p.seqOp) as string;
      const comb = (action.op === "fold" ? p.fn : p.combOp) as string;
      const zero = p.zeroValue as Json;
      const folded = pl.narrow(input, "foldPartition", seq, { ...env, [PLANNER_ZERO]: zero });
      return collect(reshuffle(folded, 1, null, { type: "foldValues", zero, fn: comb, env }));
    }
    case "countByValue":
    case "countByKey": {
      const keyed = pl.narrow(input, action.op === "countByValue" ? "pairWithOne" : "keyWithOne", null, {});
      return collect(reshuffle(keyed, pl.defaultShufflePartitions(null, [input]), { type: "sum" }, { type: "sum" }));
    }
    case "lookup":
      return collect(pl.narrow(pl.narrow(input, "lookupKey", null, { key: p.key as Json }), "values", null, {}));
    default:
      // collect and collectAsMap (deduplicated by key when merged).
      return collect(input);
  }
}

/** With edges, one pass; with a bucket count, a probe stage finds min and max first, as Spark does. */
function histogram(pl: Planner, input: Rdd, parents: Set<StageId>, buckets: Json): { rdd: Rdd; result: ResultAction } {
  if (Array.isArray(buckets)) {
    const edges = buckets as number[];
    pl.budget.blocks(namedNode(input), "the histogram's partitions × buckets are", input.numPartitions, edges.length - 1);
    return { rdd: input, result: { type: "histogram", edges, buckets: edges.length - 1 } };
  }
  pl.budget.blocks(namedNode(input), "the histogram's partitions × buckets are", input.numPartitions, buckets as number);
  parents.add(pl.addStage(input, new Set(parents), { type: "rangeProbe" }));
  return { rdd: input, result: { type: "histogram", edges: null, buckets: buckets as number } };
}
