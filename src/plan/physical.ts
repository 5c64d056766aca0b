// The physical plan: what the master schedules and the worker runs. A job is a
// list of stages; each stage computes one tree of RDDs (sources, shuffle reads,
// fused narrow ops) partition by partition, and ends either in a shuffle write,
// a key sample (for range partitioning) or an action's per-partition result.
// Everything here is plain JSON so it travels inside task launch messages.
import type { ShuffleId, StageId } from "../common/ids.js";
import type { ActionSpec } from "./job-spec.js";
import type { Json } from "./keys.js";

export type Env = Record<string, Json>;

export interface InputSplit {
  /** Relative to the worker's data directory. */
  path: string;
  start: number;
  end: number;
  fileSize: number;
}

export interface CsvOptions {
  delimiter: string;
  quote: string;
  header: boolean;
  inferSchema: boolean;
}

/** Narrow ops, including ones the planner inserts to key records for a shuffle. */
export type NarrowOpKind =
  | "map"
  | "filter"
  | "flatMap"
  | "mapPartitions"
  | "mapValues"
  | "keyBy"
  /** x → [x, null], for distinct. */
  | "pairWithNull"
  /** x → [x, 1], for countByValue. */
  | "pairWithOne"
  /** x → [null, x], for reduce: one key gathers the partial results. */
  | "pairUnderNull"
  /** [k, v] → [fn ? fn(k) : k, [k, v]], for sortByKey's key function. */
  | "sortKeyOfPair";

interface RddBase {
  /** The JobSpec node this RDD computes ("" for planner-made steps). */
  node: string;
  numPartitions: number;
}

export type Rdd =
  /** `splits` holds partitions firstSplit.. (a task is sent only its own split). */
  | (RddBase & { kind: "file"; format: "text" | "csv" | "jsonl"; splits: InputSplit[]; firstSplit: number; csv: CsvOptions | null })
  /** `data` holds elements dataOffset.. of a collection of dataLength (a task is sent only its slice). */
  | (RddBase & { kind: "parallelize"; data: Json[]; dataOffset: number; dataLength: number })
  | (RddBase & { kind: "range"; start: number; end: number; step: number })
  | (RddBase & { kind: "narrow"; op: NarrowOpKind; fn: string | null; env: Env; parent: Rdd })
  | (RddBase & { kind: "union"; parents: Rdd[] })
  /** `op` is the wide op (or action) it computes, for names in logs and the UI. */
  | (RddBase & { kind: "shuffled"; op: string; shuffles: ShuffleId[]; read: ShuffleRead });

/** How a reduce partition turns the blocks it fetched into records. */
export type ShuffleRead =
  | { type: "reduceByKey"; fn: string; env: Env }
  | { type: "groupByKey" }
  | { type: "distinct" }
  | { type: "join"; outer: "inner" | "left" }
  | { type: "sort"; ascending: boolean }
  | { type: "sum" }
  /** Merges all values (one key) and emits just the merged value: reduce's last step. */
  | { type: "reduceValues"; fn: string; env: Env };

/** Map-side combining of [k, v] records before they are written. */
export type Combine = { type: "fn"; fn: string; env: Env } | { type: "sum" } | { type: "first" };

export type Partitioner =
  | { type: "hash" }
  /** `bounds` are filled in by the master from the sample stage's output. */
  | { type: "range"; ascending: boolean; bounds: Json[] | null };

export interface ShuffleDep {
  id: ShuffleId;
  mapStage: StageId;
  numPartitions: number;
  partitioner: Partitioner;
  combine: Combine | null;
}

export type ResultAction =
  | { type: "collect" }
  | { type: "count" }
  | { type: "take"; num: number }
  | { type: "save"; path: string; format: "text" | "jsonl" | "csv"; header: boolean };

export type StageOutput =
  | { type: "shuffle"; shuffle: ShuffleId }
  | { type: "sample"; shuffle: ShuffleId; perPartition: number }
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
}
