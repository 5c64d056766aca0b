// save: one part file per partition under the outputs directory, staged per
// attempt and published at job commit.
import { defineOp, type OpFamily } from "./op-rule.js";
import { boolean, oneOf, outputPath, params } from "./params.js";

export const SAVE: OpFamily = {
  ops: {
    save: defineOp({
      kind: "action",
      inputs: 1,
      params: params({ path: outputPath(), format: oneOf(["text", "jsonl", "csv"]).maybe(), mode: oneOf(["error", "overwrite"]).maybe(), header: boolean().maybe() }),
      aliases: ["save_as_text_file", "saveAsTextFile"],
      plan: (_pl, p, _a, input) => ({ rdd: input, result: { type: "save", path: p.path, format: p.format ?? "text", header: p.header ?? false } }),
    }),
  },
};
