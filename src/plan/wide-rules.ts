// How each wide op becomes shuffles: what the map side writes (keyed records,
// map-side combining, the partitioner) and how the reduce side reads them. Most
// ops are compositions, as in Spark: groupBy is keyBy + groupByKey; the
// *ByKey aggregations share one combiner; joins, subtract and intersection are
// cogroups read differently. Called by the stage planner.
import type { StageId } from "../common/ids.js";
import type { NodeSpec } from "./job-spec.js";
import type { Json } from "./keys.js";
import { PLANNER_PARTITIONS, type Combine, type Partitioner, type Rdd, type ShuffleRead } from "./physical.js";
import type { Planner } from "./stage-planner.js";

export interface PlannedInput {
  rdd: Rdd;
  /** The stages this input's RDD reads: they become the map stage's parents. */
  parents: Set<StageId>;
}

const HASH: Partitioner = { type: "hash" };
type CogroupEmit = Extract<ShuffleRead, { type: "cogroup" }>["emit"];
const COGROUPS: Record<string, { emit: CogroupEmit; keyed: boolean }> = {
  join: { emit: "inner", keyed: false },
  leftOuterJoin: { emit: "left", keyed: false },
  rightOuterJoin: { emit: "right", keyed: false },
  fullOuterJoin: { emit: "full", keyed: false },
  cogroup: { emit: "cogroup", keyed: false },
  subtractByKey: { emit: "subtractByKey", keyed: false },
  // Whole records are the keys: x → [x, null] on both sides.
  subtract: { emit: "subtract", keyed: true },
  intersection: { emit: "intersection", keyed: true },
};

export function planWideOp(pl: Planner, node: NodeSpec, inputs: PlannedInput[], parents: Set<StageId>): Rdd {
  const p = node.params;
  const env = node.env;
  const n = pl.defaultShufflePartitions(node, inputs.map((x) => x.rdd));
  const one = inputs[0]!;
  const read = (rdd: Rdd, partitioner: Partitioner, combine: Combine | null, how: ShuffleRead, partitions = n) =>
    pl.shuffleRead(node.id, node.op, [pl.shuffle(rdd, one.parents, partitions, partitioner, combine)], partitions, how, parents);

  if (node.op in COGROUPS) {
    const { emit, keyed } = COGROUPS[node.op]!;
    // subtract keeps every occurrence on its left, so only intersection and subtract's right side may drop duplicates early.
    const dedupe = (i: number) => keyed && !(node.op === "subtract" && i === 0);
    const shuffles = inputs.map((x, i) => pl.shuffle(keyed ? pl.narrow(x.rdd, "pairWithNull", null, {}) : x.rdd, x.parents, n, HASH, dedupe(i) ? { type: "first" } : null));
    return pl.shuffleRead(node.id, node.op, shuffles, n, { type: "cogroup", emit }, parents);
  }
  switch (node.op) {
    case "reduceByKey":
      return read(one.rdd, HASH, { type: "fn", fn: p.fn as string, env }, { type: "reduceByKey", fn: p.fn as string, env });
    case "foldByKey":
      return aggregateByKey(read, one.rdd, null, p.zeroValue!, p.fn as string, p.fn as string, env);
    case "aggregateByKey":
      return aggregateByKey(read, one.rdd, null, p.zeroValue!, p.seqFunc as string, p.combFunc as string, env);
    case "combineByKey":
      return aggregateByKey(read, one.rdd, p.createCombiner as string, null, p.mergeValue as string, p.mergeCombiners as string, env);
    case "groupByKey":
      return read(one.rdd, HASH, null, { type: "groupByKey" });
    case "groupBy":
      return read(pl.narrow(one.rdd, "keyBy", p.fn as string, env), HASH, null, { type: "groupByKey" });
    case "distinct":
      return read(pl.narrow(one.rdd, "pairWithNull", null, {}), HASH, { type: "first" }, { type: "distinct" });
    case "repartition":
    case "coalesce":
      return read(pl.narrow(one.rdd, "roundRobinKey", null, { [PLANNER_PARTITIONS]: n }), { type: "direct" }, null, { type: "values" });
    case "partitionBy":
      if (p.fn === undefined) return read(one.rdd, HASH, null, { type: "passthrough" });
      return read(pl.narrow(one.rdd, "partitionKeyOfPair", p.fn as string, { ...env, [PLANNER_PARTITIONS]: n }), { type: "direct" }, null, { type: "values" });
    case "sortBy":
    case "sortByKey": {
      // Spark's sortBy keeps its input's partition count unless told otherwise.
      const partitions = (p.numPartitions as number | undefined) ?? one.rdd.numPartitions;
      const ascending = (p.ascending as boolean | undefined) ?? true;
      const fn = (p.fn as string | undefined) ?? null;
      const keyed = pl.narrow(one.rdd, node.op === "sortBy" ? "keyBy" : "sortKeyOfPair", fn, env);
      return read(keyed, { type: "range", ascending, bounds: null }, null, { type: "sort", ascending }, partitions);
    }
    default:
      throw new Error(`planner has no rule for op "${node.op}"`);
  }
}

type ReadFn = (rdd: Rdd, partitioner: Partitioner, combine: Combine | null, how: ShuffleRead) => Rdd;

/** The combiner shared by combineByKey, foldByKey and aggregateByKey: map side creates and merges values, reduce side merges combiners. */
function aggregateByKey(read: ReadFn, rdd: Rdd, createCombiner: string | null, zero: Json, mergeValue: string, mergeCombiners: string, env: Record<string, Json>): Rdd {
  return read(rdd, HASH, { type: "combiner", createCombiner, zero, mergeValue, mergeCombiners, env }, { type: "reduceByKey", fn: mergeCombiners, env });
}
