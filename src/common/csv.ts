// Owns turning CSV text lines into records: RFC 4180 field parsing within a line,
// Spark-like value inference, and header-keyed objects. Called by the worker's CSV
// input stage on the lines storage/line-reader.ts yields for each split.
//
// Records never span lines: a quoted field containing a newline is not supported,
// because splits are cut at newlines (Spark's default multiLine=false does the same).

export interface CsvOptions {
  delimiter: string;
  quote: string;
  header: boolean;
  inferSchema: boolean;
}

export class CsvError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CsvError";
  }
}

/**
 * Splits one line into fields. `quote` may be '' to disable quoting. Inside quotes the
 * delimiter is literal and a doubled quote is one quote character.
 */
export function parseCsvLine(line: string, delimiter: string, quote: string): string[] {
  checkDelimiters(delimiter, quote);
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (quote !== "" && line.startsWith(quote, i)) {
      const field = readQuoted(line, i, quote);
      fields.push(field.value);
      i = field.next;
      if (i === line.length) return fields;
      if (!line.startsWith(delimiter, i)) {
        throw new CsvError(`unexpected text after a closing quote at column ${i + 1} in CSV line ${preview(line)}`);
      }
    } else {
      const stop = line.indexOf(delimiter, i);
      if (stop < 0) {
        fields.push(line.slice(i));
        return fields;
      }
      fields.push(line.slice(i, stop));
      i = stop;
    }
    i += delimiter.length;
  }
}

function checkDelimiters(delimiter: string, quote: string): void {
  if (delimiter === "") throw new CsvError("CSV delimiter must not be empty");
  if (quote.length > 1) throw new CsvError(`CSV quote must be one character or empty, got ${JSON.stringify(quote)}`);
  if (quote !== "" && delimiter.includes(quote)) {
    throw new CsvError(`CSV delimiter ${JSON.stringify(delimiter)} must not contain the quote character`);
  }
}

/** Reads a quoted field starting at the opening quote; `next` is the index just past the closing quote. */
function readQuoted(line: string, open: number, quote: string): { value: string; next: number } {
  let value = "";
  let i = open + 1;
  for (;;) {
    const close = line.indexOf(quote, i);
    if (close < 0) throw new CsvError(`unterminated quoted field at column ${open + 1} in CSV line ${preview(line)}`);
    value += line.slice(i, close);
    if (line[close + 1] !== quote) return { value, next: close + 1 };
    value += quote;
    i = close + 2;
  }
}

/** Quoted, shortened line for error messages: enough to find it, not enough to flood a log. */
function preview(line: string): string {
  return JSON.stringify(line.length > 80 ? `${line.slice(0, 80)}…` : line);
}

// Leading zeros are not numbers here: "007" or "02134" is almost always an id or zip
// code, and turning it into 7 or 2134 silently loses data. "0", "0.5", "-0.25" are fine.
const NUMBER = /^[-+]?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?$/;
const INTEGER = /^[-+]?\d+$/;

/** Spark inferSchema-like inference for one field: number, boolean, null (""), else the string. */
export function inferValue(field: string): string | number | boolean | null {
  if (field === "") return null;
  const lower = field.toLowerCase();
  if (lower === "true") return true;
  if (lower === "false") return false;
  if (!NUMBER.test(field)) return field;
  const n = Number(field);
  // Integers past 2^53 (long ids) and overflowing exponents would come back altered; keep the text.
  if (!Number.isFinite(n) || (INTEGER.test(field) && !Number.isSafeInteger(n))) return field;
  return n;
}

/** True when this split starts at byte 0 of its file, so its first line is the header to drop. */
export function splitStartsWithHeader(opts: CsvOptions, split: { start: number }): boolean {
  return opts.header && split.start === 0;
}

/**
 * Builds the per-line parser. With a header (pass the file's first line, e.g. from
 * readFirstLine) records are objects keyed by column name; without, arrays. Blank lines
 * yield `undefined`, meaning "no record" (Spark skips them too); callers drop those.
 */
export function makeCsvRecordParser(opts: CsvOptions, headerLine: string | null): (line: string) => unknown {
  checkDelimiters(opts.delimiter, opts.quote);
  const convert: (field: string) => unknown = opts.inferSchema ? inferValue : (field) => field;
  if (!opts.header) {
    return (line) => (line === "" ? undefined : parseCsvLine(line, opts.delimiter, opts.quote).map(convert));
  }
  if (headerLine === null) throw new CsvError("CSV header requested but the file is empty");
  // A UTF-8 byte order mark would otherwise become part of the first column name.
  const names = safeColumnNames(parseCsvLine(headerLine.replace(/^\uFEFF/, ""), opts.delimiter, opts.quote));
  return (line) => {
    if (line === "") return undefined;
    const fields = parseCsvLine(line, opts.delimiter, opts.quote);
    if (fields.length > names.length) {
      throw new CsvError(`CSV line has ${fields.length} fields but the header has ${names.length}: ${preview(line)}`);
    }
    // fromEntries defines own properties, so a column named "__proto__" cannot reach the prototype.
    return Object.fromEntries(names.map((name, k) => [name, k < fields.length ? convert(fields[k]) : null]));
  };
}

/**
 * Spark's makeSafeHeader: an empty name becomes `_c<index>`, and every occurrence of a
 * repeated name gets its column index appended (id,x,id → id0,x,id2) so no column is lost.
 * Comparison is case-sensitive because JavaScript object keys are.
 */
function safeColumnNames(raw: string[]): string[] {
  const counts = new Map<string, number>();
  for (const name of raw) counts.set(name, (counts.get(name) ?? 0) + 1);
  return raw.map((name, k) => {
    if (name === "") return `_c${k}`;
    return (counts.get(name) ?? 0) > 1 ? `${name}${k}` : name;
  });
}

/**
 * For multiLine sources: cuts a whole file's text into records at line breaks
 * outside quoted fields (a quoted field may hold newlines). A trailing \r of
 * each record is dropped, as the line reader does for lines.
 */
export function splitCsvRecords(text: string, quote: string): string[] {
  const records: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote !== "" && c === quote) quoted = !quoted;
    else if (c === "\n" && !quoted) {
      records.push(text.slice(start, text[i - 1] === "\r" ? i - 1 : i));
      start = i + 1;
    }
  }
  if (start < text.length) records.push(text.slice(start));
  return records;
}
