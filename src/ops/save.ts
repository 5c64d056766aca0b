// save: one part file per partition under the outputs directory, staged per
// attempt and published at job commit; as lines (text, jsonl, csv, compressed
// whole or not) or as Parquet (its pages compressed inside, snappy by default).
import type { ActionSpec } from "../plan/job-spec.js";
import { PartFileWriter } from "../storage/output-files.js";
import type { ResultOfType } from "./collected.js";
import { defineOp, type OpFamily } from "./op-rule.js";
import { SAVE_COMPRESSIONS } from "../storage/compression.js";
import { parseParquetSchema } from "../storage/parquet-writer-types.js";
import { boolean, oneOf, outputPath, params, string } from "./params.js";

/** The codecs of Parquet pages minispark writes (Spark's default is snappy); "none" writes them uncompressed. */
const PARQUET_COMPRESSIONS = ["none", "snappy", "gzip", "zstd"] as const;

const saveParams = params(
  {
    path: outputPath(),
    format: oneOf(["text", "jsonl", "csv", "parquet"]).maybe(),
    mode: oneOf(["error", "overwrite"]).maybe(),
    header: boolean().maybe(),
    compression: oneOf([...new Set([...SAVE_COMPRESSIONS, ...PARQUET_COMPRESSIONS])]).maybe(),
    schema: string().maybe(),
  },
  (p) => {
    const problems: string[] = [];
    const parquet = p.format === "parquet";
    const codecs: readonly string[] = parquet ? PARQUET_COMPRESSIONS : SAVE_COMPRESSIONS;
    if (p.compression !== undefined && !codecs.includes(p.compression)) {
      problems.push(`parameter "compression" is ${JSON.stringify(p.compression)}, which format ${p.format ?? "text"} does not write; it takes ${codecs.join(", ")}`);
    }
    if (p.schema !== undefined) {
      const schema = parquet ? parseParquetSchema(p.schema) : null;
      if (!parquet) problems.push(`parameter "schema" is for format parquet only`);
      else if (typeof schema === "string") problems.push(`parameter "schema" ${schema}; write it as Spark's DDL, e.g. "id BIGINT, name STRING, price DOUBLE"`);
    }
    if (parquet && p.header !== undefined) problems.push(`parameter "header" is for format csv; a Parquet file names its columns itself`);
    return problems;
  },
);

/** Where a save action writes and whether it may replace an earlier output; null for any other action. */
export function saveTarget(action: ActionSpec): { path: string; mode: "error" | "overwrite" } | null {
  if (action.op !== "save") return null;
  const p = saveParams.read(action.params);
  return { path: p.path, mode: p.mode ?? "error" };
}

export const SAVE: OpFamily = {
  ops: {
    save: defineOp({
      kind: "action",
      inputs: 1,
      params: saveParams,
      aliases: ["save_as_text_file", "saveAsTextFile"],
      plan: (_pl, p, _a, input) => {
        if (p.format === "parquet") {
          // The rule above admitted only this format's codecs.
          const compression = p.compression === undefined ? "snappy" : p.compression === "none" ? null : (p.compression as "snappy" | "gzip" | "zstd");
          const schema = p.schema === undefined ? null : parseParquetSchema(p.schema);
          if (typeof schema === "string") throw new Error(`save schema was not checked: ${schema}`);
          return { rdd: input, result: { type: "save", path: p.path, format: "parquet", compression, schema } };
        }
        const compression = p.compression === undefined || p.compression === "none" ? null : (p.compression as "gzip" | "deflate" | "zstd");
        return { rdd: input, result: { type: "save", path: p.path, format: p.format ?? "text", header: p.header ?? false, compression } };
      },
      value: (results, p) => {
        const saved = results.filter((r): r is ResultOfType<"saved"> => r.type === "saved");
        return { path: p.path, files: saved.map((r) => r.file), records: saved.reduce((s, r) => s + r.records, 0) };
      },
    }),
  },
  results: {
    save: (action, batches, task) => {
      // Staged under the job's own area: the master publishes one authorised attempt's file per partition at job commit.
      const writer = new PartFileWriter(task.dataDir, action.path, task.jobId, task.attemptId, task.partition, action);
      try {
        for (const batch of batches) for (const r of batch) writer.add(r);
      } catch (e) {
        writer.abort();
        throw e;
      }
      task.out.records = writer.records;
      return { type: "saved", file: writer.finish(), records: writer.records };
    },
  },
};
