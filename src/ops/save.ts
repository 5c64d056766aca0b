// save: one part file per partition under the outputs directory, staged per
// attempt and published at job commit.
import type { ActionSpec } from "../plan/job-spec.js";
import { PartFileWriter } from "../storage/output-files.js";
import type { ResultOfType } from "./collected.js";
import { defineOp, type OpFamily } from "./op-rule.js";
import { SAVE_COMPRESSIONS } from "../storage/compression.js";
import { boolean, oneOf, outputPath, params } from "./params.js";

const saveParams = params({
  path: outputPath(),
  format: oneOf(["text", "jsonl", "csv"]).maybe(),
  mode: oneOf(["error", "overwrite"]).maybe(),
  header: boolean().maybe(),
  compression: oneOf(SAVE_COMPRESSIONS).maybe(),
});

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
        const compression = p.compression === undefined || p.compression === "none" ? null : p.compression;
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
