// Owns the types of CSV columns: what one field looks like (for inferSchema),
// how the types of a column's fields merge into the column's one type, how a
// field converts to its column's type, and Spark's DDL schema string
// ("id INT, name STRING") for an explicit schema. Pure; used by csv-records.ts,
// the worker's schema probe and the csv source's parameter check.

/** A column's type. Integers are those a double holds exactly (|n| < 2^53). */
export type CsvType = "integer" | "double" | "boolean" | "string";

/** What inference knows of a column: "null" while it has seen only nulls. */
export type CsvSeen = CsvType | "null";

/** One column of an explicit schema. */
export interface CsvColumn {
  name: string;
  type: CsvType;
}

// Leading zeros are not numbers to inference: "007" or "02134" is almost always an id or
// zip code, and turning it into 7 or 2134 silently loses data. "0", "0.5", "-0.25" are fine.
const INFERRED_NUMBER = /^[-+]?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?$/;
const INTEGER = /^[-+]?\d+$/;
const DOUBLE = /^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$/;
const BOOLEAN = /^(?:true|false)$/i;

/** The type one field suggests: integers past 2^53 and overflowing numbers stay strings, since a double would alter them. */
export function typeOfField(field: string | null): CsvSeen {
  if (field === null) return "null";
  if (BOOLEAN.test(field)) return "boolean";
  if (!INFERRED_NUMBER.test(field)) return "string";
  const n = Number(field);
  if (!Number.isFinite(n)) return "string";
  if (INTEGER.test(field)) return Number.isSafeInteger(n) ? "integer" : "string";
  return "double";
}

/** Spark's merge of two types seen in one column: nulls say nothing, integer and double make double, any other mix string. */
export function mergeTypes(a: CsvSeen, b: CsvSeen): CsvSeen {
  if (a === b || b === "null") return a;
  if (a === "null") return b;
  if ((a === "integer" && b === "double") || (a === "double" && b === "integer")) return "double";
  return "string";
}

/** Merges column by column; a column only one side has keeps that side's type. */
export function mergeColumnTypes(a: readonly CsvSeen[], b: readonly CsvSeen[]): CsvSeen[] {
  return Array.from({ length: Math.max(a.length, b.length) }, (_, k) => mergeTypes(a[k] ?? "null", b[k] ?? "null"));
}

/** A column that held only nulls is a string column, as in Spark. */
export function finalType(seen: CsvSeen): CsvType {
  return seen === "null" ? "string" : seen;
}

/** The field as its column's type; `undefined` when it does not convert. Nulls stay null. */
export function convertField(field: string | null, type: CsvType): string | number | boolean | null | undefined {
  if (field === null || type === "string") return field;
  if (type === "boolean") return BOOLEAN.test(field) ? field.toLowerCase() === "true" : undefined;
  if (type === "integer") {
    const n = INTEGER.test(field) ? Number(field) : Number.NaN;
    return Number.isSafeInteger(n) ? n : undefined;
  }
  const n = DOUBLE.test(field) ? Number(field) : Number.NaN;
  return Number.isFinite(n) ? n : undefined;
}

/** Spark's type names in a DDL schema, each as the type its values become. */
const DDL_TYPES: Record<string, CsvType> = {
  TINYINT: "integer",
  BYTE: "integer",
  SMALLINT: "integer",
  SHORT: "integer",
  INT: "integer",
  INTEGER: "integer",
  BIGINT: "integer",
  LONG: "integer",
  FLOAT: "double",
  REAL: "double",
  DOUBLE: "double",
  BOOLEAN: "boolean",
  STRING: "string",
};

const COLUMN = /^\s*(?:`((?:[^`]|``)+)`|([A-Za-z_][A-Za-z0-9_]*))\s*:?\s+([A-Za-z]+)\s*$/;

/** Parses Spark's DDL schema string ("id INT, name STRING"); a string says what is wrong. */
export function parseCsvSchema(ddl: string): CsvColumn[] | string {
  return parseDdlColumns(ddl, DDL_TYPES);
}

/**
 * A DDL schema string's columns, each type name (case-insensitive) mapped by
 * `types`, the types a reader or writer knows (the csv source's above, the
 * Parquet save's); a string says what is wrong.
 */
export function parseDdlColumns<T>(ddl: string, types: Readonly<Record<string, T>>): { name: string; type: T }[] | string {
  const columns: { name: string; type: T }[] = [];
  const seen = new Set<string>();
  for (const part of splitTopLevel(ddl)) {
    const m = COLUMN.exec(part);
    if (!m) return `column ${JSON.stringify(part.trim())} is not "<name> <type>" (a name with other characters goes in backquotes)`;
    const name = m[1] !== undefined ? m[1].replace(/``/g, "`") : m[2]!;
    const type = Object.hasOwn(types, m[3]!.toUpperCase()) ? types[m[3]!.toUpperCase()] : undefined;
    if (type === undefined) return `column "${name}" has type ${m[3]}; the types are ${Object.keys(types).join(", ")}`;
    if (seen.has(name)) return `column "${name}" is named twice`;
    seen.add(name);
    columns.push({ name, type });
  }
  return columns.length > 0 ? columns : "names no column";
}

/** The schema's columns as written, cut at commas outside backquotes. */
function splitTopLevel(ddl: string): string[] {
  const parts: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < ddl.length; i++) {
    if (ddl[i] === "`") quoted = !quoted;
    else if (ddl[i] === "," && !quoted) {
      parts.push(ddl.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(ddl.slice(start));
  return parts;
}
