// One attempt's part of a save: the format's encoder (line-encoders.ts, parquet-writer.ts) in
// front of a byte sink (part-sink.ts), with the compression stage between them
// when the part is compressed as a whole. Where the bytes go is the sink's
// business (output-files.ts stages a local file); the save action (ops/save.ts)
// feeds records and reports the part's name and count.
import { Bzip2Sink } from "./bzip2-output.js";
import type { Compression } from "./compression.js";
import { CsvEncoder, JsonLinesEncoder, TextLinesEncoder } from "./line-encoders.js";
import { parquetWriter } from "./parquet-code.js";
import type { PartEncoder, SaveAction } from "./part-encoder.js";
import { CompressingSink, type PartSink } from "./part-sink.js";
import { StagedPartFile, partName } from "./output-files.js";

export class PartWriter {
  private readonly encoder: PartEncoder;
  private readonly sink: PartSink;
  records = 0;

  /** `sink` receives the part's bytes, compressed here when the action says so; `name` is the part's (output-files.ts's partName). */
  constructor(
    action: SaveAction,
    readonly name: string,
    sink: PartSink,
  ) {
    const what = `output "${action.path}/${name}"`;
    const compression = streamCompression(action);
    let outer = sink;
    try {
      if (compression === "bzip2") outer = new Bzip2Sink(sink);
      else if (compression !== null) outer = new CompressingSink(sink, compression, what);
      this.encoder = partEncoder(action, outer, what);
    } catch (e) {
      // The part is given up whole (a codec this Node lacks): the sink leaves nothing.
      outer.abort();
      throw e;
    }
    this.sink = outer;
  }

  add(rec: unknown): void {
    this.records++;
    this.encoder.add(rec, this.records);
  }

  /** Writes the rest and makes the part durable; returns its name. Publishes nothing. */
  finish(): string {
    this.encoder.end();
    this.sink.finish();
    return this.name;
  }

  abort(): void {
    this.sink.abort();
  }
}

/** Partition `partition`'s part written by attempt `attemptId` to its staged local file (output-files.ts's StagedPartFile). */
export function stagedPartWriter(dataDir: string, path: string, jobId: string, attemptId: string, partition: number, action: SaveAction): PartWriter {
  const name = partName(action, partition);
  return new PartWriter(action, name, new StagedPartFile(dataDir, path, jobId, attemptId, partition, name));
}

/** The compression of the part as a whole, in front of its sink; null for none (Parquet compresses its pages inside). */
function streamCompression(action: SaveAction): Compression | null {
  return action.format === "parquet" ? null : action.compression;
}

/** The encoder of `action`'s format, writing to `sink`; `what` names the part in errors. */
function partEncoder(action: SaveAction, sink: PartSink, what: string): PartEncoder {
  switch (action.format) {
    case "parquet":
      return new (parquetWriter().ParquetEncoder)(action, sink, what);
    case "text":
      return new TextLinesEncoder(sink);
    case "jsonl":
      return new JsonLinesEncoder(sink);
    case "csv":
      return new CsvEncoder(sink, action.header);
  }
}
