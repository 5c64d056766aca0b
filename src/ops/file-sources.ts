// textFile, csv, jsonl and parquet: sources read from files under the data
// directory, one partition per split a worker listed before planning (the rule
// says what to list: Spark's defaults, and whole files for CSV whose quoted
// fields may span lines). A Parquet file is cut into byte ranges like any
// splittable file, and each task reads the row groups whose midpoint falls in
// its range (storage/parquet-footer.ts). The readers are the worker's
// (rdd-compute.ts).
import type { NodeSpec } from "../plan/job-spec.js";
import type { CsvOptions, Rdd } from "../plan/physical.js";
import { defineOp, type OpFamily, type PlanBuilder } from "./op-rule.js";
import { array, boolean, inputPath, oneOf, params, positive, string } from "./params.js";
import { CSV_MODES, csvOptions, csvProblems } from "./csv-options.js";

/** Spark's default split size for file sources (its maxPartitionBytes is 128 MiB; ours suits 2-core machines). */
const MAX_PARTITION_BYTES = 32 * 1024 * 1024;

const common = {
  path: inputPath(),
  minPartitions: positive().partitions().maybe(),
  maxPartitionBytes: positive().maybe(),
};

type Common = { path: string | string[]; minPartitions?: number; maxPartitionBytes?: number };

const listing = (p: Common, node: NodeSpec, defaultParallelism: number, splittable: boolean) => ({
  node: node.id,
  path: p.path,
  minPartitions: p.minPartitions ?? Math.min(2, defaultParallelism),
  maxPartitionBytes: p.maxPartitionBytes ?? MAX_PARTITION_BYTES,
  splittable,
});

const fileRdd = (pl: PlanBuilder, node: NodeSpec, format: "text" | "csv" | "jsonl" | "parquet", csv: CsvOptions | null): Rdd & { kind: "file" } => {
  const splits = pl.splits(node);
  return { kind: "file", node: node.id, format, splits, firstSplit: 0, csv, numPartitions: splits.length };
};

export const FILE_SOURCES: OpFamily = {
  ops: {
    textFile: defineOp({
      kind: "source",
      inputs: 0,
      params: params(common),
      aliases: ["read_text", "read_textfile", "text_file"],
      plan: (pl, _p, node) => fileRdd(pl, node, "text", null),
      listing: (p, node, dp) => listing(p, node, dp, true),
    }),
    csv: defineOp({
      kind: "source",
      inputs: 0,
      params: params(
        {
          ...common,
          header: boolean().maybe(),
          delimiter: string().alias("sep").maybe(),
          quote: string().maybe(),
          escape: string().maybe(),
          comment: string().maybe(),
          nullValue: string().maybe(),
          mode: oneOf(CSV_MODES).maybe(),
          inferSchema: boolean().maybe(),
          schema: string().maybe(),
          columnNameOfCorruptRecord: string().maybe(),
          multiLine: boolean().maybe(),
          maxColumns: positive().maybe(),
        },
        (p) => csvProblems(p),
      ),
      aliases: ["read_csv"],
      plan: (pl, p, node, parents) => {
        const rdd = fileRdd(pl, node, "csv", csvOptions(p));
        // inferSchema without a schema: the types come from a probe of every split, before any stage reads the source.
        if (p.inferSchema && p.schema === undefined) parents.add(pl.addStage(rdd, new Set(), { type: "csvProbe", node: node.id }));
        return rdd;
      },
      listing: (p, node, dp) => listing(p, node, dp, p.multiLine !== true),
    }),
    jsonl: defineOp({
      kind: "source",
      inputs: 0,
      params: params(common),
      aliases: ["read_jsonl", "read_json"],
      plan: (pl, _p, node) => fileRdd(pl, node, "jsonl", null),
      listing: (p, node, dp) => listing(p, node, dp, true),
    }),
    parquet: defineOp({
      kind: "source",
      inputs: 0,
      params: params({ ...common, columns: array().maybe() }, (p) => columnsProblems(p.columns)),
      aliases: ["read_parquet"],
      plan: (pl, p, node) => {
        const rdd = fileRdd(pl, node, "parquet", null);
        return p.columns === undefined ? rdd : { ...rdd, columns: p.columns as string[] };
      },
      listing: (p, node, dp) => listing(p, node, dp, true),
    }),
  },
};

/** `columns`, when given: a non-empty array of distinct column names. */
function columnsProblems(columns: unknown[] | undefined): string[] {
  if (columns === undefined) return [];
  if (columns.length === 0) return ['parameter "columns" must name at least one column (leave it out to read every column)'];
  const bad = columns.findIndex((c) => typeof c !== "string" || c === "");
  if (bad >= 0) return [`parameter "columns" must be an array of column names (non-empty strings); item ${bad} is ${JSON.stringify(columns[bad])}`];
  const seen = new Set<unknown>();
  const twice = columns.find((c) => seen.size === seen.add(c).size);
  return twice === undefined ? [] : [`parameter "columns" names column ${JSON.stringify(twice)} twice`];
}
