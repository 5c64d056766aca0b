// Owns turning the fields of one CSV record (csv.ts) into the record a csv source
// yields, as Spark's CSV reader does: which lines are no record (blank lines and
// comments), the header's column names, the columns' types (an explicit schema,
// or those inferSchema's probe found for the whole input) and what makes a record
// malformed — a quoting error, a field count other than the header's or the
// schema's, a value its column's type cannot hold. What then happens to a
// malformed record is the mode's: the reader (worker/csv-input.ts) keeps it
// (PERMISSIVE), drops it or fails. Pure.
import { CsvScanner, type CsvDialect, CsvError, isBlank } from "./csv.js";
import { type CsvColumn, type CsvType, convertField } from "./csv-types.js";

export type CsvMode = "PERMISSIVE" | "DROPMALFORMED" | "FAILFAST";

/** A csv source's options as planned (src/ops/file-sources.ts). */
export interface CsvOptions extends CsvDialect {
  header: boolean;
  inferSchema: boolean;
  /** A record with more fields is malformed (Spark's maxColumns): bounds what one line can make a task hold. */
  maxColumns: number;
  /** Quoted fields may span lines; each file is then read whole by one task. */
  multiLine: boolean;
  /** One character: a line starting with it is skipped; "" for none. */
  comment: string;
  /** A field equal to it is null; so is an unquoted empty field. */
  nullValue: string;
  mode: CsvMode;
  /** An explicit schema: it names and types the columns (header names are then ignored, as in Spark). */
  schema: CsvColumn[] | null;
  /** A string column of the schema by this name holds a malformed record's text (PERMISSIVE). */
  columnNameOfCorruptRecord: string;
  /** The inferred type of each column by position; null until the schema probe has run (with inferSchema). */
  types: CsvType[] | null;
}

/** A record and, when it is malformed, what is wrong with it. */
export interface CsvParsed {
  record: unknown;
  problem: string | null;
}

/** Spark skips lines that are empty once trimmed (String.trim: every character up to U+0020) and comment lines. */
export function isSkippedLine(line: string, comment: string): boolean {
  return (comment !== "" && line.startsWith(comment)) || isBlank(line);
}

/** The scanner of one line or file under these options. */
export function csvScanner(text: string, opts: CsvOptions): CsvScanner {
  return new CsvScanner(text, opts, opts.nullValue, opts.maxColumns);
}

/** Whether records are header-keyed objects whose names the file's header gives (no explicit schema). */
export function needsHeaderNames(opts: CsvOptions): boolean {
  return opts.header && opts.schema === null;
}

/**
 * Spark's makeSafeHeader: an empty (or null) name becomes `_c<index>`, and every
 * occurrence of a repeated name gets its column index appended (id,x,id → id0,x,id2)
 * so no column is lost. Comparison is case-sensitive because JavaScript object keys are.
 */
export function headerNames(fields: readonly (string | null)[]): string[] {
  const raw = fields.map((f) => f ?? "");
  const counts = new Map<string, number>();
  for (const name of raw) counts.set(name, (counts.get(name) ?? 0) + 1);
  return raw.map((name, k) => {
    if (name === "") return `_c${k}`;
    return (counts.get(name) ?? 0) > 1 ? `${name}${k}` : name;
  });
}

/**
 * Builds the record maker of one file: `names` are its header's (with a header and
 * no schema), else null. Records are objects keyed by the schema's or the header's
 * names, else arrays of the line's fields (which no field count makes malformed).
 */
export function makeCsvRecordMaker(opts: CsvOptions, names: string[] | null): (fields: (string | null)[], problem: string | null, raw: string) => CsvParsed {
  if (opts.inferSchema && opts.schema === null && opts.types === null) throw new CsvError("the csv source was read before its schema probe had run");
  if (opts.schema) {
    const corrupt = opts.columnNameOfCorruptRecord;
    return objects(
      opts.schema.map((c) => c.name),
      opts.schema.map((c) => c.type),
      "the schema",
      opts.schema.findIndex((c) => c.name === corrupt),
    );
  }
  if (names)
    return objects(
      names,
      names.map((_, k) => opts.types?.[k] ?? "string"),
      "the header",
      -1,
    );
  const types = opts.types;
  // Untyped fields are the record as they are.
  if (types === null) return (fields, problem) => ({ record: problem ? [...fields, null] : fields, problem });
  return (fields, problem) => {
    let bad = problem;
    const record: unknown[] = fields.map((f, k) => {
      const type = types[k] ?? "string";
      const v = convertField(f, type);
      if (v !== undefined) return v;
      bad ??= notOfType(k, null, f!, type);
      return null;
    });
    // The field the quoting broke: there, but unreadable.
    if (problem) record.push(null);
    return { record, problem: bad };
  };
}

/** Records keyed by `names`; the column at `corrupt` (-1: none) takes no field but a malformed record's text. */
function objects(names: string[], types: CsvType[], widthFrom: string, corrupt: number) {
  const width = corrupt < 0 ? names.length : names.length - 1;
  return (fields: (string | null)[], problem: string | null, raw: string): CsvParsed => {
    let bad = problem ?? (fields.length !== width ? `it has ${fields.length} fields, ${widthFrom} has ${width}` : null);
    const values: unknown[] = [];
    for (let c = 0, k = 0; c < names.length; c++) {
      if (c === corrupt) continue;
      const field = k < fields.length ? fields[k]! : null;
      const v = convertField(field, types[c]!);
      values[c] = v === undefined ? null : v;
      if (v === undefined) bad ??= notOfType(k, names[c]!, field!, types[c]!);
      k++;
    }
    if (corrupt >= 0) values[corrupt] = bad === null ? null : raw;
    // fromEntries defines own properties, so a column named "__proto__" cannot reach the prototype.
    return { record: Object.fromEntries(names.map((name, c) => [name, values[c]])), problem: bad };
  };
}

function notOfType(k: number, name: string | null, field: string, type: CsvType): string {
  const shown = field.length > 40 ? `${field.slice(0, 40)}…` : field;
  return `field ${k + 1}${name === null ? "" : ` ("${name}")`} is ${JSON.stringify(shown)}, not ${type === "integer" ? "an integer" : `a ${type}`}`;
}
