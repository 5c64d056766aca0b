// The physical plan: what the master schedules and the worker runs. A job is a
// list of stages; each stage computes one tree of RDDs (sources, shuffle reads,
// fused narrow ops) partition by partition, and ends either in a shuffle write,
// a key sample (for range partitioning) or an action's per-partition result.
// Everything here is plain JSON so it travels inside task launch messages.
import type { AppId, ShuffleId, StageId } from "../common/ids.js";
import type { ActionSpec } from "./job-spec.js";
import type { Json } from "./keys.js";
import type { CacheMarker } from "./storage-level.js";
import type { CsvOptions } from "../common/csv-records.js";

export type { CsvOptions };

export type Env = Record<string, Json>;

export interface InputSplit {
  /** Relative to the worker's data directory, or an object's `s3://` URL. */
  path: string;
  start: number;
  end: number;
  fileSize: number;
}

/** What a worker is asked to list for one file source node. */
export interface SplitSource {
  node: string;
  path: string | string[];
  minPartitions: number;
  maxPartitionBytes: number;
  splittable: boolean;
}

interface RddBase {
  /** The JobSpec node this RDD computes ("" for planner-made steps). */
  node: string;
  numPartitions: number;
  /** Present only on the RDD of a persisted node: its partitions are cached blocks of this dataset. */
  cache?: CacheMarker;
}

export type Rdd =
  /** `splits` holds partitions firstSplit.. (a task is sent only its own split). */
  | (RddBase & {
      kind: "file";
      format: "text" | "csv" | "jsonl" | "parquet";
      splits: InputSplit[];
      firstSplit: number;
      csv: CsvOptions | null;
      /** parquet only: the top-level columns to read, in output order; absent reads every column. */
      columns?: string[];
    })
  /** `data` holds elements dataOffset.. of a collection of dataLength (a task is sent only its slice). */
  | (RddBase & { kind: "parallelize"; data: Json[]; dataOffset: number; dataLength: number })
  | (RddBase & { kind: "range"; start: number; end: number; step: number })
  /**
   * A narrow step: `op` names the step (src/ops) that computes it, `fn` and
   * `env` are the user's, `args` the planner's typed arguments (e.g. sample's
   * fraction and seed), absent when the step has none.
   */
  | (RddBase & { kind: "narrow"; op: string; fn: string | null; env: Env; args?: Json; parent: Rdd })
  | (RddBase & { kind: "union"; parents: Rdd[] })
  /** Partition p pairs parent 0's partition p / n1 with parent 1's partition p % n1 (n1 = parent 1's count). */
  | (RddBase & { kind: "cartesian"; parents: [Rdd, Rdd] })
  /** Partition i reads parent partitions [floor(i * m / n), floor((i + 1) * m / n)). */
  | (RddBase & { kind: "coalesce"; parent: Rdd })
  /** `offsets` (each parent partition's first index): null in the plan, filled in a task's launch from the count probe's resolution (resolution.ts). */
  | (RddBase & { kind: "zipWithIndex"; parent: Rdd; offsets: number[] | null })
  /** Partition p pairs the records of both parents' partition p, one by one (both have as many partitions). */
  | (RddBase & { kind: "zip"; parents: [Rdd, Rdd] })
  /** `op` is the wide op (or action) it computes, for names in logs and the UI. */
  | (RddBase & { kind: "shuffled"; op: string; shuffles: ShuffleId[]; read: ShuffleRead });

/** The RDDs an RDD reads within its stage (a shuffled RDD's inputs are other stages). */
export function childrenOf(rdd: Rdd): Rdd[] {
  switch (rdd.kind) {
    case "narrow":
    case "coalesce":
    case "zipWithIndex":
      return [rdd.parent];
    case "union":
    case "cartesian":
    case "zip":
      return rdd.parents;
    default:
      return [];
  }
}

/** The same RDD reading `children` instead (in childrenOf's order). */
export function withChildren(rdd: Rdd, children: Rdd[]): Rdd {
  switch (rdd.kind) {
    case "narrow":
    case "coalesce":
    case "zipWithIndex":
      return { ...rdd, parent: children[0]! };
    case "union":
      return { ...rdd, parents: children };
    case "cartesian":
    case "zip":
      return { ...rdd, parents: [children[0]!, children[1]!] };
    default:
      return rdd;
  }
}

/** The JobSpec node an RDD computes, or the nearest one below a planner-made step. */
export function namedNode(rdd: Rdd): string {
  let r: Rdd | undefined = rdd;
  while (r && !r.node) r = childrenOf(r)[0];
  return r?.node ?? "";
}

/** How a reduce partition turns the blocks it fetched into records. */
export type ShuffleRead =
  /** Merges values (combiners) of equal keys with fn: reduceByKey and the other *ByKey aggregations. */
  | { type: "reduceByKey"; fn: string; env: Env }
  | { type: "groupByKey" }
  | { type: "distinct" }
  /** Reads one shuffle per input and groups each key's values by input. */
  | { type: "cogroup"; emit: "cogroup" | "inner" | "left" | "right" | "full" | "subtract" | "subtractByKey" | "intersection" }
  /** Emits each record's value (rec[1]): repartition, and partitionBy with a partitionFunc. */
  | { type: "values" }
  /** Emits records as they come: partitionBy. */
  | { type: "passthrough" }
  /** Folds every value, from a copy of zero, with fn into one value: fold and aggregate. */
  | { type: "foldValues"; zero: Json; fn: string; env: Env }
  /** Sorts [key, record] pairs by key and emits the records; with `keyIsRecord`, sorts the records themselves. */
  | { type: "sort"; ascending: boolean; keyIsRecord?: true }
  /** Values are [sortKey, record]: emits the records sorted by sortKey (repartitionAndSortWithinPartitions). */
  | { type: "sortValues"; ascending: boolean }
  | { type: "sum" }
  /** Merges all values (one key) and emits just the merged value: reduce's last step. */
  | { type: "reduceValues"; fn: string; env: Env };

/** Map-side combining of [k, v] records before they are written. */
export type Combine =
  | { type: "fn"; fn: string; env: Env }
  | { type: "sum" }
  | { type: "first" }
  /**
   * combineByKey / foldByKey / aggregateByKey: a key's first value becomes
   * createCombiner(v), or mergeValue(copy of zero, v); later ones are merged
   * with mergeValue, and the combiners of a map task's spills with
   * mergeCombiners. The zero is copied per key and partition, and again after
   * each spill; as in Spark, it must be neutral ("may be added to the result an
   * arbitrary number of times").
   */
  | { type: "combiner"; createCombiner: string | null; zero: Json; mergeValue: string; mergeCombiners: string; env: Env };

export type Partitioner =
  | { type: "hash" }
  /** The key is the reduce partition's number. */
  | { type: "direct" }
  /**
   * `bounds`: null in the plan, filled in a task's launch from the sample stage's resolution (resolution.ts).
   * `keyIsRecord`: each record is its own sort key (sortBy with an identity function), shipped alone, not as [key, record].
   */
  | { type: "range"; ascending: boolean; bounds: Json[] | null; keyIsRecord?: true };

export interface ShuffleDep {
  id: ShuffleId;
  mapStage: StageId;
  numPartitions: number;
  partitioner: Partitioner;
  combine: Combine | null;
  /**
   * What recognises this shuffle's output in a later job of the application,
   * which reads it instead of writing it again (planner/dataset-id.ts). Null
   * outside an application and for a range partitioner, whose bounds each job
   * samples anew.
   */
  lineage: string | null;
}

/** A column a Parquet save writes: its name and type (parquet-writer-types.ts maps each to a Parquet physical and logical type). */
export interface ParquetColumnSpec {
  name: string;
  type: ParquetColumnType;
}

/** The column types a Parquet save writes; "json" is nested values (arrays, objects) as JSON text. */
export type ParquetColumnType = "boolean" | "int8" | "int16" | "int32" | "int64" | "float" | "double" | "string" | "json";

export type ResultAction =
  | { type: "collect" }
  | { type: "count" }
  | { type: "take"; num: number }
  /** Each partition's `num` smallest (or largest) records by fn (or themselves), with their keys. */
  | { type: "takeOrdered"; num: number; fn: string | null; env: Env; descending: boolean }
  /** count, sum, min, max and the sum of squared deviations of numbers. */
  | { type: "stats" }
  /** Counts per bucket; given only a count, `edges` is null in the plan and filled in a task's launch from the min/max probe's resolution (resolution.ts). */
  | { type: "histogram"; edges: Json[] | null; buckets: number }
  /** Runs nothing: the value is the number of partitions. */
  | { type: "numPartitions" }
  /** `compression` null writes plain part files; otherwise each is compressed and named with its extension (storage/compression.ts). */
  | { type: "save"; path: string; format: "text" | "jsonl" | "csv"; header: boolean; compression: "gzip" | "deflate" | "zstd" | "bzip2" | null }
  /** Parquet parts (storage/parquet-writer.ts): `compression` is the pages' codec (null: uncompressed); `schema` null infers each part's columns from its records. */
  | { type: "save"; path: string; format: "parquet"; compression: "snappy" | "gzip" | "zstd" | null; schema: ParquetColumnSpec[] | null }
  /** countApproxDistinct: each partition's HyperLogLog sketch of 2^precision registers. */
  | { type: "hyperLogLog"; relativeSD: number; precision: number }
  /** Each partition's count and its `num` records of smallest seeded key (src/ops/take-sample.ts). */
  | { type: "takeSample"; num: number; seed: number }
  /** The records of partition `partition`; the other tasks return none (src/ops/collect-partition.ts). */
  | { type: "collectPartition"; partition: number };

export type StageOutput =
  | { type: "shuffle"; shuffle: ShuffleId }
  /** `keyIsRecord`: the records are the keys (the range partitioner's). */
  | { type: "sample"; shuffle: ShuffleId; perPartition: number; keyIsRecord?: true }
  /** Counts each partition's records, for the zipWithIndex node `node`. */
  | { type: "countProbe"; node: string }
  /** Finds min and max, for a histogram with a bucket count. */
  | { type: "rangeProbe" }
  /** The types the fields of csv source `node` suggest, column by column: its inferSchema (src/worker/csv-input.ts). */
  | { type: "csvProbe"; node: string }
  | { type: "result"; action: ResultAction };

export interface Stage {
  id: StageId;
  /** What the UI and logs show, e.g. "lines:textFile → words:flatMap → pairs:map". */
  name: string;
  numTasks: number;
  rdd: Rdd;
  /** Stages that must finish first: the map stages it reads, or the sample stage it needs. */
  parents: StageId[];
  output: StageOutput;
}

export interface JobPlan {
  stages: Stage[];
  shuffles: ShuffleDep[];
  resultStage: StageId;
  action: ActionSpec;
  /** The job's application (ValidJob.application), which its task launches carry. */
  application: AppId | null;
}
