// Owns cutting CSV text into the fields of one record: RFC 4180 quoting, Spark's
// escape character inside quoted fields and its null rule. The text is one line
// (the default: records never span lines, as Spark's multiLine=false) or a whole
// file (multiLine: a quoted field may hold line breaks). Malformed input is not
// thrown: a record says what is wrong with it, so that the reader's mode
// (csv-records.ts) decides whether to keep, drop or fail on it. Pure; the
// parse_csv built-in uses parseCsvLine.

export class CsvError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CsvError";
  }
}

/** The characters a CSV text is cut with. */
export interface CsvDialect {
  /** One or more characters between fields. */
  delimiter: string;
  /** One character, or "" for no quoting. */
  quote: string;
  /** One character: before a quote inside a quoted field, a literal quote (Spark's `escape`). */
  escape: string;
}

/**
 * One record's fields. `problem` says what made it malformed (the fields are
 * then those read before it); `next` is where the following record starts.
 */
export interface CsvTokens {
  fields: (string | null)[];
  problem: string | null;
  next: number;
}

/** What is wrong with a dialect, or null. */
export function dialectProblem(d: CsvDialect): string | null {
  if (d.delimiter === "") return "CSV delimiter must not be empty";
  if (d.quote.length > 1) return `CSV quote must be one character or empty, got ${JSON.stringify(d.quote)}`;
  if (d.escape.length !== 1) return `CSV escape must be one character, got ${JSON.stringify(d.escape)}`;
  if (d.quote !== "" && d.delimiter.includes(d.quote)) return `CSV delimiter ${JSON.stringify(d.delimiter)} must not contain the quote character`;
  if (d.delimiter.includes(d.escape)) return `CSV delimiter ${JSON.stringify(d.delimiter)} must not contain the escape character`;
  return null;
}

/**
 * Cuts records out of one text. Positions only grow, so the next delimiter,
 * quote, escape and line break are each searched for once and remembered: a
 * whole file with no delimiter (multiLine, one column) costs one scan, not one
 * per record.
 */
export class CsvScanner {
  private nl = -1;
  private delim = -1;
  private quoteAt = -1;
  private esc = -1;

  constructor(
    private text: string,
    private readonly d: CsvDialect,
    /** A field equal to it, or an unquoted empty one, is null (Spark's nullValue); null: no field is null. */
    private readonly nullValue: string | null,
    /** A record with more fields is malformed, and its fields past these are not kept (Spark's maxColumns). */
    private readonly maxColumns = Number.POSITIVE_INFINITY,
  ) {}

  /** Scans `text` from now on (one scanner serves every line of a split). */
  reset(text: string): this {
    this.text = text;
    this.nl = this.delim = this.quoteAt = this.esc = -1;
    return this;
  }

  /** The record starting at `pos`: up to an unquoted line break (a CRLF's CR dropped) or the end of the text. */
  record(pos: number): CsvTokens {
    const { text, d } = this;
    const fields: (string | null)[] = [];
    let i = pos;
    for (;;) {
      if (fields.length === this.maxColumns) return { fields, problem: `it has more than ${this.maxColumns} fields (maxColumns)`, next: this.lineAfter(i) };
      if (d.quote !== "" && text.startsWith(d.quote, i)) {
        const q = this.quoted(i);
        if (typeof q === "string") return { fields, problem: `${q} at character ${i - pos + 1} of the record`, next: this.lineAfter(i) };
        fields.push(this.nullOf(q.value, true));
        i = q.next;
        const end = this.recordEnd(i);
        if (end >= 0) return { fields, problem: null, next: end };
        if (!text.startsWith(d.delimiter, i)) return { fields, problem: `unexpected text after a closing quote at character ${i - pos + 1} of the record`, next: this.lineAfter(i) };
        i += d.delimiter.length;
        continue;
      }
      const nl = this.nextNl(i);
      const stop = this.nextDelim(i);
      if (stop >= nl) {
        const cut = nl > i && text[nl - 1] === "\r" ? nl - 1 : nl;
        fields.push(this.nullOf(text.slice(i, cut), false));
        return { fields, problem: null, next: Math.min(nl + 1, text.length) };
      }
      fields.push(this.nullOf(text.slice(i, stop), false));
      i = stop + d.delimiter.length;
    }
  }

  /** Just past the line break at or after `i` (or the text's end). */
  lineAfter(i: number): number {
    const nl = this.nextNl(i);
    return Math.min(nl + 1, this.text.length);
  }

  private nullOf(value: string, quoted: boolean): string | null {
    if (this.nullValue === null) return value;
    return value === this.nullValue || (!quoted && value === "") ? null : value;
  }

  /** Where the next record starts if the record ends at `i` (end of text, LF or CRLF), else -1. */
  private recordEnd(i: number): number {
    const { text } = this;
    if (i === text.length) return i;
    if (text[i] === "\n") return i + 1;
    if (text[i] === "\r" && (i + 1 === text.length || text[i + 1] === "\n")) return Math.min(i + 2, text.length);
    return -1;
  }

  // The next index of the delimiter, quote, escape or '\n' at or after `i` (the text's length if none), remembered.
  private nextNl(i: number): number {
    if (this.nl < i) this.nl = indexOrEnd(this.text, "\n", i);
    return this.nl;
  }

  private nextDelim(i: number): number {
    if (this.delim < i) this.delim = indexOrEnd(this.text, this.d.delimiter, i);
    return this.delim;
  }

  private nextQuote(i: number): number {
    if (this.quoteAt < i) this.quoteAt = indexOrEnd(this.text, this.d.quote, i);
    return this.quoteAt;
  }

  private nextEscape(i: number): number {
    if (this.esc < i) this.esc = indexOrEnd(this.text, this.d.escape, i);
    return this.esc;
  }

  /**
   * A quoted field from its opening quote: a doubled quote is one quote (RFC 4180);
   * escape + quote is a quote and escape + escape one escape (so a field may end in
   * it); an escape before anything else is itself. A string: what is wrong.
   */
  private quoted(open: number): { value: string; next: number } | string {
    const { text, d } = this;
    const escapes = d.escape !== d.quote;
    let value = "";
    let i = open + 1;
    for (;;) {
      const q = this.nextQuote(i);
      const e = escapes ? this.nextEscape(i) : text.length;
      if (e < q) {
        const after = text[e + 1];
        if (after === d.quote || after === d.escape) {
          value += text.slice(i, e) + after;
          i = e + 2;
        } else {
          value += text.slice(i, e + 1);
          i = e + 1;
        }
        continue;
      }
      if (q === text.length) return "unterminated quoted field";
      value += text.slice(i, q);
      if (text[q + 1] !== d.quote) return { value, next: q + 1 };
      value += d.quote;
      i = q + 2;
    }
  }
}

/** Whether every character is at most U+0020 (Scala's String.trim would leave nothing, so Spark skips the line). */
export function isBlank(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x20) return false;
  return true;
}

function indexOrEnd(text: string, s: string, i: number): number {
  const at = text.indexOf(s, i);
  return at < 0 ? text.length : at;
}

/**
 * The fields of one line as the parse_csv built-in gives them: "," and RFC 4180
 * quotes, nothing null, and a CsvError for malformed quoting.
 */
export function parseCsvLine(line: string, delimiter: string, quote: string): string[] {
  const d = { delimiter, quote, escape: quote === "" ? "\\" : quote };
  const bad = dialectProblem(d);
  if (bad) throw new CsvError(bad);
  const tokens = new CsvScanner(line, d, null).record(0);
  if (tokens.problem) throw new CsvError(`${tokens.problem} in CSV line ${previewCsv(line)}`);
  return tokens.fields as string[];
}

/** Quoted, shortened text for error messages: enough to find it, not enough to flood a log. */
export function previewCsv(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}
