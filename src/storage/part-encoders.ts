// The record side of one save part: an encoder per format turns the part's
// records into bytes for a PartSink (part-sink.ts), knowing nothing of where
// they go. text, jsonl and csv are lines; parquet is parquet-writer.ts.
// Used by part-writer.ts.
import { isBlank } from "../common/csv.js";
import { UserCodeError } from "../functions/user-function.js";
import type { ResultAction } from "../plan/physical.js";
import type { Compression } from "./compression.js";
import type { PartSink } from "./part-sink.js";
import { ParquetEncoder } from "./parquet-writer.js";

/** The save action as a task gets it. */
export type SaveAction = Extract<ResultAction, { type: "save" }>;

/** Turns records into bytes written to its sink, in order. */
export interface PartEncoder {
  /** Encodes one record; `number` (1 for the part's first record) is for messages. May write to the sink, or buffer. */
  add(record: unknown, number: number): void;
  /** Writes whatever is buffered (and any trailer the format has) to the sink. */
  end(): void;
}

/** The compression of the part as a whole, in front of its sink; null for none (Parquet compresses its pages inside). */
export function streamCompression(action: SaveAction): Compression | null {
  return action.format === "parquet" ? null : action.compression;
}

/** The encoder of `action`'s format, writing to `sink`; `what` names the part in errors. */
export function partEncoder(action: SaveAction, sink: PartSink, what: string): PartEncoder {
  switch (action.format) {
    case "parquet":
      return new ParquetEncoder(action, sink, what);
    case "text":
      return new TextLinesEncoder(sink);
    case "jsonl":
      return new JsonLinesEncoder(sink);
    case "csv":
      return new CsvEncoder(sink, action.header);
  }
}

/** Records as UTF-8 lines, each ended by "\n", buffered up to about a MiB before they go to the sink. */
abstract class LinesEncoder implements PartEncoder {
  private buf: string[] = [];
  private bufChars = 0;

  constructor(private readonly sink: PartSink) {}

  /** The line of one record. */
  protected abstract line(rec: unknown, number: number): string;

  add(rec: unknown, number: number): void {
    this.push(this.line(rec, number));
  }

  /** Queues one line as is (a csv header). */
  protected push(line: string): void {
    this.buf.push(line);
    this.bufChars += line.length;
    if (this.bufChars > 1 << 20) this.flush();
  }

  end(): void {
    this.flush();
  }

  private flush(): void {
    if (this.buf.length === 0) return;
    this.sink.write(Buffer.from(this.buf.join("\n") + "\n"));
    this.buf = [];
    this.bufChars = 0;
  }
}

/** A string as it is, anything else as JSON. */
class TextLinesEncoder extends LinesEncoder {
  protected line(rec: unknown): string {
    return typeof rec === "string" ? rec : JSON.stringify(rec);
  }
}

class JsonLinesEncoder extends LinesEncoder {
  protected line(rec: unknown): string {
    return JSON.stringify(rec);
  }
}

/**
 * CSV lines: an array is a row of fields, an object a row of the columns its
 * partition's first object names (with a header line first when asked), any
 * other value a single field.
 */
class CsvEncoder extends LinesEncoder {
  private columns: Set<string> | null = null;

  constructor(
    sink: PartSink,
    private readonly header: boolean,
  ) {
    super(sink);
  }

  protected line(rec: unknown, number: number): string {
    if (Array.isArray(rec)) return rec.map(csvField).join(",");
    if (rec !== null && typeof rec === "object") {
      const o = rec as Record<string, unknown>;
      if (!this.columns) {
        this.columns = new Set(Object.keys(o));
        if (this.header) this.push([...this.columns].map(csvField).join(","));
      }
      const columns = this.columns;
      // A key the first record (which named the columns) lacks would be dropped without a word.
      for (const k of Object.keys(o)) {
        if (!columns.has(k)) throw new UserCodeError(`save as csv: record ${number} has the key ${JSON.stringify(k)}, not a column of the first record of its partition (${[...columns].join(", ")})`);
      }
      return Array.from(columns, (c) => csvField(o[c])).join(",");
    }
    return csvField(rec);
  }
}

/**
 * One field as the csv source reads it back with its defaults: null is an empty
 * field; a field is quoted when it holds the delimiter, a quote or a line break,
 * or is blank ("" or spaces, which would otherwise read as null or as a skipped
 * line). Inside quotes a quote is doubled (RFC 4180) and the escape character
 * doubled only where the reader would take it for one: before a quote, another
 * escape or the closing quote, so other backslashes stay as any CSV reader expects.
 */
function csvField(v: unknown): string {
  if (v === null || v === undefined) return "";
  const s = typeof v === "string" ? v : typeof v === "object" ? JSON.stringify(v) : String(v);
  if (!/[",\r\n]/.test(s) && !isBlank(s)) return s;
  return `"${s.replace(/\\(?=["\\]|$)/g, "\\\\").replace(/"/g, '""')}"`;
}
