// save: one part file per partition under the outputs directory or an
// s3:// prefix (storage/s3/s3-output.ts), staged per attempt and published at
// job commit; as lines (text, jsonl, csv, compressed
// whole or not) or as Parquet (its pages compressed inside, snappy by default).
import type { ActionSpec } from "../plan/job-spec.js";
import { partName } from "../storage/output-files.js";
import { PartWriter, stagedPartWriter } from "../storage/part-writer.js";
import { S3PartSink } from "../storage/s3/s3-output.js";
import { isS3Url } from "../plan/s3-location.js";
import { UserCodeError } from "../functions/user-function.js";
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

/**
 * Where a save action writes, whether it may replace an earlier output, and
 * whether its empty parts are left out of the commit: Parquet whose schema is
 * inferred from the records has no columns for a part without records, a file
 * other readers refuse, so such parts are not published (as Spark writes no
 * file for an empty partition), unless every part is empty. Null for any
 * other action.
 */
export function saveTarget(action: ActionSpec): { path: string; mode: "error" | "overwrite"; dropEmptyParts: boolean } | null {
  if (action.op !== "save") return null;
  const p = saveParams.read(action.params);
  return { path: p.path, mode: p.mode ?? "error", dropEmptyParts: p.format === "parquet" && p.schema === undefined };
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
        const compression = p.compression === undefined || p.compression === "none" ? null : (p.compression as "gzip" | "deflate" | "zstd" | "bzip2");
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
      // Staged (a file under the job's own area, or an S3 upload never completed here): the master publishes one authorised attempt's part per partition at job commit.
      let s3: S3PartSink | null = null;
      let writer: PartWriter;
      if (isS3Url(action.path)) {
        if (task.s3 === null) throw new UserCodeError(`output "${action.path}": S3 is written by a cluster's workers; this in-process runner writes local files only`);
        const name = partName(action, task.partition);
        s3 = new S3PartSink(task.s3, action.path, task.jobId, name);
        writer = new PartWriter(action, name, s3);
      } else {
        writer = stagedPartWriter(task.dataDir, action.path, task.jobId, task.attemptId, task.partition, action);
      }
      try {
        for (const batch of batches) for (const r of batch) writer.add(r);
        task.out.records = writer.records;
        const file = writer.finish();
        return { type: "saved", file, records: writer.records, ...(s3 !== null && { upload: s3.upload }) };
      } catch (e) {
        writer.abort();
        throw e;
      }
    },
  },
};
