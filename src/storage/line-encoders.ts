// The line formats of save (text, jsonl, csv): encoders that turn a part's
// records into UTF-8 lines for a PartSink (part-sink.ts), knowing nothing of
// where they go. Parquet's encoder is parquet-writer.ts; part-writer.ts picks.
import { isBlank } from "../common/csv.js";
import { UserCodeError } from "../functions/user-function.js";
import type { PartEncoder } from "./part-encoder.js";
import type { PartSink } from "./part-sink.js";

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
export class TextLinesEncoder extends LinesEncoder {
  protected line(rec: unknown): string {
    return typeof rec === "string" ? rec : JSON.stringify(rec);
  }
}

export class JsonLinesEncoder extends LinesEncoder {
  protected line(rec: unknown): string {
    return JSON.stringify(rec);
  }
}

/**
 * CSV lines: an array is a row of fields, an object a row of the columns its
 * partition's first object names (with a header line first when asked), any
 * other value a single field.
 */
export class CsvEncoder extends LinesEncoder {
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
