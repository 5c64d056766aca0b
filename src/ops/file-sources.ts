// textFile, csv and jsonl: sources read from files under the data directory,
// one partition per split a worker listed.
import { defineOp, type OpFamily } from "./op-rule.js";
import { boolean, inputPath, params, positive, string } from "./params.js";

const common = {
  path: inputPath(),
  minPartitions: positive().partitions().maybe(),
  maxPartitionBytes: positive().maybe(),
};

export const FILE_SOURCES: OpFamily = {
  textFile: defineOp({ kind: "source", inputs: 0, params: params(common), aliases: ["read_text", "read_textfile", "text_file"] }),
  csv: defineOp({
    kind: "source",
    inputs: 0,
    params: params({
      ...common,
      header: boolean().maybe(),
      delimiter: string().alias("sep").maybe(),
      quote: string().maybe(),
      inferSchema: boolean().maybe(),
      multiLine: boolean().maybe(),
    }),
    aliases: ["read_csv"],
  }),
  jsonl: defineOp({ kind: "source", inputs: 0, params: params(common), aliases: ["read_jsonl", "read_json"] }),
};
