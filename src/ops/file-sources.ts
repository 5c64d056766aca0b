// textFile, csv and jsonl: sources read from files under the data directory,
// one partition per split a worker listed before planning (the rule says what
// to list: Spark's defaults, and whole files for CSV whose quoted fields may
// span lines). The readers are the worker's (rdd-compute.ts, input/).
import type { NodeSpec } from "../plan/job-spec.js";
import type { CsvOptions, Rdd } from "../plan/physical.js";
import { defineOp, type OpFamily, type PlanBuilder } from "./op-rule.js";
import { boolean, inputPath, oneOf, params, positive, string } from "./params.js";
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

const fileRdd = (pl: PlanBuilder, node: NodeSpec, format: "text" | "csv" | "jsonl", csv: CsvOptions | null): Rdd => {
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
  },
};
