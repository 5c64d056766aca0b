// Owns the rule that turns JSON-like records into typed Parquet columns, the
// inverse of parquet-values.ts so that what the parquet source reads back from
// a saved part equals what was saved: a column's type (given by a DDL schema,
// or inferred from a part's first row group), each value's check and
// conversion to what hyparquet-writer takes, and the Parquet schema elements.
// README's "Writing Parquet" states the rule. Pure; used by parquet-writer.ts.
import type { SchemaElement } from "hyparquet";
import { parseDdlColumns } from "../common/csv-types.js";
import { UserCodeError } from "../functions/user-function.js";
import type { ParquetColumnSpec, ParquetColumnType } from "../plan/physical.js";

/** Spark's DDL type names a Parquet save's `schema` takes, and JSON (nested values as JSON text), minispark's own. */
const DDL_TYPES: Record<string, ParquetColumnType> = {
  TINYINT: "int8",
  BYTE: "int8",
  SMALLINT: "int16",
  SHORT: "int16",
  INT: "int32",
  INTEGER: "int32",
  BIGINT: "int64",
  LONG: "int64",
  FLOAT: "float",
  REAL: "float",
  DOUBLE: "double",
  BOOLEAN: "boolean",
  STRING: "string",
  JSON: "json",
};

/** A save's `schema` parameter as columns; a string says what is wrong. */
export function parseParquetSchema(ddl: string): ParquetColumnSpec[] | string {
  return parseDdlColumns(ddl, DDL_TYPES);
}

/** The shape a value has, for inference: "bigint" is an integer beyond ±(2^53 − 1) (a bigint, or its decimal string as our reader gives it). */
type Kind = "null" | "boolean" | "integer" | "bigint" | "double" | "nonfinite" | "string" | "json";

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const SAFE = BigInt(Number.MAX_SAFE_INTEGER);
/** What parquet-values.ts gives for a double that JSON cannot hold. */
const NONFINITE: Record<string, number> = { NaN: Number.NaN, Infinity: Number.POSITIVE_INFINITY, "-Infinity": Number.NEGATIVE_INFINITY };

/** `s` as a 64-bit integer when it is exactly what our reader writes for one beyond 2^53 (canonical decimal, outside the safe range); else null. */
function bigIntString(s: string): bigint | null {
  if (!/^-?[1-9]\d{15,18}$/.test(s)) return null;
  const v = BigInt(s);
  return (v > SAFE || v < -SAFE) && v >= INT64_MIN && v <= INT64_MAX ? v : null;
}

function kindOf(v: unknown): Kind {
  if (v === null || v === undefined) return "null";
  switch (typeof v) {
    case "boolean":
      return "boolean";
    case "number":
      return Number.isSafeInteger(v) ? "integer" : Number.isFinite(v) ? "double" : "nonfinite";
    case "bigint":
      return v >= -SAFE && v <= SAFE ? "integer" : "bigint";
    case "string":
      return Object.hasOwn(NONFINITE, v) ? "nonfinite" : bigIntString(v) !== null ? "bigint" : "string";
    default:
      return "json";
  }
}

/** What a value is, in a message: "the string \"abc\"", "a number (1.5)", "an object". */
export function describeValue(v: unknown): string {
  if (v === undefined || v === null) return "null";
  if (typeof v === "string") return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (typeof v === "number" || typeof v === "bigint" || typeof v === "boolean") return `the ${typeof v} ${String(v)}`;
  return Array.isArray(v) ? "an array" : "an object";
}

/**
 * Merges what a column held so far with the next value's kind; null when they
 * cannot share a column without changing a value on the way back (a number
 * among strings would come back a string).
 */
function mergeKinds(a: Kind, b: Kind): Kind | null {
  if (a === b || b === "null") return a;
  if (a === "null") return b;
  const pair = new Set<Kind>([a, b]);
  const both = (x: Kind, y: Kind) => pair.has(x) && pair.has(y);
  if (both("integer", "double") || both("nonfinite", "double") || both("nonfinite", "integer")) return "double";
  if (both("integer", "bigint")) return "bigint";
  // Strings that look like big integers or "NaN" among other strings are just strings, and come back as such.
  if (both("string", "bigint") || both("string", "nonfinite")) return "string";
  return null;
}

/** A column that held only nulls is a string column (as the csv source's inference); "NaN" strings alone are strings too. */
function finalType(k: Kind): ParquetColumnType {
  switch (k) {
    case "integer":
    case "bigint":
      return "int64";
    case "double":
      return "double";
    case "boolean":
      return "boolean";
    case "json":
      return "json";
    default:
      return "string";
  }
}

/** A record does not fit its part's columns: names the record, the column and the value; fails the task. */
export class ParquetRecordError extends UserCodeError {
  constructor(message: string) {
    super(message);
    this.name = "ParquetRecordError";
  }
}

/** A record as named fields: an object by its keys, an array as Spark's tuple columns _1, _2, …, anything else one column "value". */
export function recordFields(rec: unknown): Record<string, unknown> {
  if (Array.isArray(rec)) return Object.fromEntries(rec.map((v, i) => [`_${i + 1}`, v]));
  if (rec !== null && typeof rec === "object") return rec as Record<string, unknown>;
  return { value: rec };
}

/**
 * The columns of a part inferred from its first records (numbered from
 * `firstNumber`): every key in order of first appearance, each typed by the
 * merge of its values' kinds.
 */
export function inferColumns(records: readonly Record<string, unknown>[], firstNumber: number): ParquetColumnSpec[] {
  const kinds = new Map<string, Kind>();
  records.forEach((rec, i) => {
    for (const [name, v] of Object.entries(rec)) {
      const was = kinds.get(name) ?? "null";
      const merged = mergeKinds(was, kindOf(v));
      if (merged === null) {
        throw new ParquetRecordError(
          `save as parquet: record ${firstNumber + i}: column ${JSON.stringify(name)} holds ${describeValue(v)} after values of type ${finalType(was)}; one column has one type: convert them, or give "schema"`,
        );
      }
      kinds.set(name, merged);
    }
  });
  return Array.from(kinds, ([name, k]) => ({ name, type: finalType(k) }));
}

/** Converts one value for a column of `type`, or throws a message fragment saying why it does not fit. */
type Converter = (v: unknown) => unknown;

const INT_RANGE: Partial<Record<ParquetColumnType, [number, number]>> = {
  int8: [-128, 127],
  int16: [-32768, 32767],
  int32: [-(2 ** 31), 2 ** 31 - 1],
};

/** The value as hyparquet-writer takes it for a column of `type` (INT64 as bigint, JSON as the value itself); undefined when it does not fit. */
function convert(type: ParquetColumnType, v: unknown): unknown {
  switch (type) {
    case "boolean":
      return typeof v === "boolean" ? v : undefined;
    case "int8":
    case "int16":
    case "int32": {
      const [lo, hi] = INT_RANGE[type]!;
      const n = typeof v === "bigint" ? Number(v) : v;
      return typeof n === "number" && Number.isInteger(n) && n >= lo && n <= hi ? n : undefined;
    }
    case "int64": {
      if (typeof v === "number") return Number.isSafeInteger(v) ? BigInt(v) : undefined;
      if (typeof v === "bigint") return v >= INT64_MIN && v <= INT64_MAX ? v : undefined;
      return typeof v === "string" ? (bigIntString(v) ?? undefined) : undefined;
    }
    case "float":
    case "double":
      if (typeof v === "number") return v;
      return typeof v === "string" && Object.hasOwn(NONFINITE, v) ? NONFINITE[v] : undefined;
    case "string":
      return typeof v === "string" ? v : undefined;
    case "json":
      return typeof v === "object" && v !== null ? v : undefined;
  }
}

/** The converter of a column; its error names the value and the column's type. */
export function columnConverter(column: ParquetColumnSpec): Converter {
  return (v) => {
    if (v === null || v === undefined) return null;
    const out = convert(column.type, v);
    if (out === undefined) throw new ParquetRecordError(`column ${JSON.stringify(column.name)} is ${column.type} and cannot hold ${describeValue(v)}`);
    return out;
  };
}

/** The Parquet schema of `columns`: a root and one OPTIONAL leaf each (every column may hold null, as Spark writes them). */
export function schemaElements(columns: readonly ParquetColumnSpec[]): SchemaElement[] {
  return [{ name: "root", num_children: columns.length }, ...columns.map(leafElement)];
}

function leafElement({ name, type }: ParquetColumnSpec): SchemaElement {
  const base = { name, repetition_type: "OPTIONAL" } as const;
  switch (type) {
    case "boolean":
      return { ...base, type: "BOOLEAN" };
    // The converted type only: hyparquet-writer 0.17.0 writes the INTEGER logical type's bitWidth as an i32 where Thrift says i8, which DuckDB refuses.
    case "int8":
      return { ...base, type: "INT32", converted_type: "INT_8" };
    case "int16":
      return { ...base, type: "INT32", converted_type: "INT_16" };
    case "int32":
      return { ...base, type: "INT32" };
    case "int64":
      return { ...base, type: "INT64" };
    case "float":
      return { ...base, type: "FLOAT" };
    case "double":
      return { ...base, type: "DOUBLE" };
    case "string":
      return { ...base, type: "BYTE_ARRAY", converted_type: "UTF8", logical_type: { type: "STRING" } };
    case "json":
      return { ...base, type: "BYTE_ARRAY", converted_type: "JSON", logical_type: { type: "JSON" } };
  }
}
