// The registry of operations a JobSpec may name: what kind each is (source,
// narrow, wide, action), how many inputs it takes and which parameters it
// accepts, with their types. Validation and planning are driven by this table,
// so adding an op starts here. Parameter names follow PySpark.

export type ParamType =
  | "fn" // JavaScript source of a function expression
  | "int" // any integer
  | "number" // any finite number
  | "count" // integer >= 0
  | "positive" // integer >= 1
  | "string"
  | "boolean"
  | "array"
  | "json" // any JSON value
  | "inputPath" // relative path, glob or array of them, inside the data directory
  | "outputPath" // relative path inside the outputs directory
  | { enum: readonly string[] };

export type OpKind = "source" | "narrow" | "wide" | "action";

export interface OpDef {
  kind: OpKind;
  /** Number of inputs: exact, or at least `min` when `many`. */
  inputs: number | { many: true; min: number };
  required: Record<string, ParamType>;
  optional: Record<string, ParamType>;
}

const fileSource = (extra: Record<string, ParamType>): OpDef => ({
  kind: "source",
  inputs: 0,
  required: { path: "inputPath" },
  optional: { minPartitions: "positive", maxPartitionBytes: "positive", ...extra },
});

const narrowFn: OpDef = { kind: "narrow", inputs: 1, required: { fn: "fn" }, optional: {} };
const numPartitions = { numPartitions: "positive" } as const;

export const OPS: Record<string, OpDef> = {
  textFile: fileSource({}),
  csv: fileSource({
    header: "boolean",
    delimiter: "string",
    quote: "string",
    inferSchema: "boolean",
    multiLine: "boolean",
  }),
  jsonl: fileSource({}),
  parallelize: { kind: "source", inputs: 0, required: { data: "array" }, optional: { numSlices: "positive" } },
  range: {
    kind: "source",
    inputs: 0,
    required: { start: "int" },
    optional: { end: "int", step: "int", numSlices: "positive" },
  },

  map: narrowFn,
  filter: narrowFn,
  flatMap: narrowFn,
  mapPartitions: narrowFn,
  mapValues: narrowFn,
  keyBy: narrowFn,
  union: { kind: "narrow", inputs: { many: true, min: 2 }, required: {}, optional: {} },
  mapPartitionsWithIndex: narrowFn,
  flatMapValues: narrowFn,
  keys: { kind: "narrow", inputs: 1, required: {}, optional: {} },
  values: { kind: "narrow", inputs: 1, required: {}, optional: {} },
  glom: { kind: "narrow", inputs: 1, required: {}, optional: {} },
  zipWithIndex: { kind: "narrow", inputs: 1, required: {}, optional: {} },
  sample: {
    kind: "narrow",
    inputs: 1,
    required: { withReplacement: "boolean", fraction: "number" },
    optional: { seed: "int" },
  },
  cartesian: { kind: "narrow", inputs: 2, required: {}, optional: {} },
  /** Narrow unless `shuffle` is true (then it is repartition). */
  coalesce: { kind: "narrow", inputs: 1, required: { numPartitions: "positive" }, optional: { shuffle: "boolean" } },

  reduceByKey: { kind: "wide", inputs: 1, required: { fn: "fn" }, optional: numPartitions },
  foldByKey: { kind: "wide", inputs: 1, required: { zeroValue: "json", fn: "fn" }, optional: numPartitions },
  aggregateByKey: {
    kind: "wide",
    inputs: 1,
    required: { zeroValue: "json", seqFunc: "fn", combFunc: "fn" },
    optional: numPartitions,
  },
  combineByKey: {
    kind: "wide",
    inputs: 1,
    required: { createCombiner: "fn", mergeValue: "fn", mergeCombiners: "fn" },
    optional: numPartitions,
  },
  groupByKey: { kind: "wide", inputs: 1, required: {}, optional: numPartitions },
  groupBy: { kind: "wide", inputs: 1, required: { fn: "fn" }, optional: numPartitions },
  distinct: { kind: "wide", inputs: 1, required: {}, optional: numPartitions },
  join: { kind: "wide", inputs: 2, required: {}, optional: numPartitions },
  leftOuterJoin: { kind: "wide", inputs: 2, required: {}, optional: numPartitions },
  rightOuterJoin: { kind: "wide", inputs: 2, required: {}, optional: numPartitions },
  fullOuterJoin: { kind: "wide", inputs: 2, required: {}, optional: numPartitions },
  cogroup: { kind: "wide", inputs: { many: true, min: 2 }, required: {}, optional: numPartitions },
  subtract: { kind: "wide", inputs: 2, required: {}, optional: numPartitions },
  subtractByKey: { kind: "wide", inputs: 2, required: {}, optional: numPartitions },
  intersection: { kind: "wide", inputs: 2, required: {}, optional: numPartitions },
  repartition: { kind: "wide", inputs: 1, required: { numPartitions: "positive" }, optional: {} },
  /** `fn` is Spark's partitionFunc: key → integer; the partition is its value modulo numPartitions. */
  partitionBy: { kind: "wide", inputs: 1, required: { numPartitions: "positive" }, optional: { fn: "fn" } },
  sortBy: {
    kind: "wide",
    inputs: 1,
    required: { fn: "fn" },
    optional: { ascending: "boolean", ...numPartitions },
  },
  sortByKey: {
    kind: "wide",
    inputs: 1,
    required: {},
    optional: { ascending: "boolean", fn: "fn", ...numPartitions },
  },

  collect: { kind: "action", inputs: 1, required: {}, optional: {} },
  count: { kind: "action", inputs: 1, required: {}, optional: {} },
  first: { kind: "action", inputs: 1, required: {}, optional: {} },
  take: { kind: "action", inputs: 1, required: { num: "count" }, optional: {} },
  takeOrdered: { kind: "action", inputs: 1, required: { num: "count" }, optional: { fn: "fn" } },
  top: { kind: "action", inputs: 1, required: { num: "count" }, optional: { fn: "fn" } },
  reduce: { kind: "action", inputs: 1, required: { fn: "fn" }, optional: {} },
  fold: { kind: "action", inputs: 1, required: { zeroValue: "json", fn: "fn" }, optional: {} },
  aggregate: { kind: "action", inputs: 1, required: { zeroValue: "json", seqOp: "fn", combOp: "fn" }, optional: {} },
  sum: { kind: "action", inputs: 1, required: {}, optional: {} },
  min: { kind: "action", inputs: 1, required: {}, optional: { fn: "fn" } },
  max: { kind: "action", inputs: 1, required: {}, optional: { fn: "fn" } },
  mean: { kind: "action", inputs: 1, required: {}, optional: {} },
  stats: { kind: "action", inputs: 1, required: {}, optional: {} },
  histogram: { kind: "action", inputs: 1, required: { buckets: "json" }, optional: {} },
  countByKey: { kind: "action", inputs: 1, required: {}, optional: {} },
  countByValue: { kind: "action", inputs: 1, required: {}, optional: {} },
  collectAsMap: { kind: "action", inputs: 1, required: {}, optional: {} },
  lookup: { kind: "action", inputs: 1, required: { key: "json" }, optional: {} },
  isEmpty: { kind: "action", inputs: 1, required: {}, optional: {} },
  getNumPartitions: { kind: "action", inputs: 1, required: {}, optional: {} },
  save: {
    kind: "action",
    inputs: 1,
    required: { path: "outputPath" },
    optional: {
      format: { enum: ["text", "jsonl", "csv"] },
      mode: { enum: ["error", "overwrite"] },
      header: "boolean",
    },
  },
};

/** Names from the older JobSpec style that are not plain snake_case of ours. */
export const LEGACY_OP_NAMES: Record<string, string> = {
  read_text: "textFile",
  read_textfile: "textFile",
  text_file: "textFile",
  read_csv: "csv",
  read_jsonl: "jsonl",
  read_json: "jsonl",
  save_as_text_file: "save",
  saveAsTextFile: "save",
};

/** The definition of an op or action by its canonical name; own entries only, so "__proto__" is no op. */
export function opDef(op: string): OpDef | undefined {
  return Object.hasOwn(OPS, op) ? OPS[op] : undefined;
}

export function canonicalOpName(op: string): string {
  if (Object.hasOwn(OPS, op)) return op;
  if (Object.hasOwn(LEGACY_OP_NAMES, op)) return LEGACY_OP_NAMES[op]!;
  const camel = snakeToCamel(op);
  return Object.hasOwn(OPS, camel) ? camel : op;
}

export function snakeToCamel(s: string): string {
  return s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}
