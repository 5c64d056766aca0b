// Owns the rule that turns a Parquet leaf column's physical values into JSON,
// one column at a time: the reader (parquet-file.ts) decodes pages
// with hyparquet into raw physical values (numbers, bigints, booleans, byte
// arrays) and this maps them by the column's logical or converted type. The
// rule is README's "Parquet types": a 64-bit integer outside ±(2^53 − 1) and
// every DECIMAL become strings of their exact decimal value, timestamps ISO-8601
// strings (with a Z when the column is UTC-adjusted) at the unit's precision,
// DATE "YYYY-MM-DD", text strings, other binary base64, NaN and ±Infinity
// "NaN" / "Infinity" / "-Infinity" (JSON has no such numbers), null as null.
// Pure: no I/O.
import type { SchemaElement } from "hyparquet";
import type { Json } from "../plan/keys.js";

/** A leaf column's values into JSON; throws ParquetValueError on a value the rule cannot hold. */
export type LeafConverter = (value: unknown) => Json;

export class ParquetValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ParquetValueError";
  }
}

const MS_PER_DAY = 86_400_000;

/** The converter for a leaf column described by `element`. */
export function leafConverter(element: SchemaElement): LeafConverter {
  const one = scalarConverter(element);
  const convert = (v: unknown): Json => {
    if (v === null || v === undefined) return null;
    // A repeated leaf (inside a LIST or MAP) arrives as nested arrays of its values.
    if (Array.isArray(v)) return v.map(convert);
    return one(v);
  };
  return convert;
}

function scalarConverter(e: SchemaElement): (v: unknown) => Json {
  const logical = e.logical_type;
  const converted = e.converted_type;
  const decimalScale = logical?.type === "DECIMAL" ? logical.scale : converted === "DECIMAL" ? (e.scale ?? 0) : null;
  if (decimalScale !== null) return (v) => decimalString(unscaled(v), decimalScale);
  if (logical?.type === "TIMESTAMP") return timestampOf(logical.unit, logical.isAdjustedToUTC);
  if (converted === "TIMESTAMP_MILLIS") return timestampOf("MILLIS", true);
  if (converted === "TIMESTAMP_MICROS") return timestampOf("MICROS", true);
  if (logical?.type === "TIME") return timeOf(logical.unit);
  if (converted === "TIME_MILLIS") return timeOf("MILLIS");
  if (converted === "TIME_MICROS") return timeOf("MICROS");
  if (logical?.type === "DATE" || converted === "DATE") return (v) => dateString(Number(v));
  if (logical?.type === "UUID") return (v) => uuidString(v as Uint8Array);
  if (logical?.type === "FLOAT16") return (v) => floatJson(float16(v as Uint8Array));
  const unsigned = (logical?.type === "INTEGER" && !logical.isSigned) || converted === "UINT_32" || converted === "UINT_64" || converted === "UINT_16" || converted === "UINT_8";
  switch (e.type) {
    case "BOOLEAN":
      return (v) => v === true;
    case "INT32":
      return unsigned ? (v) => (v as number) >>> 0 : (v) => v as number;
    case "INT64":
      return unsigned ? (v) => integerJson(BigInt.asUintN(64, v as bigint)) : (v) => integerJson(v as bigint);
    case "INT96":
      // hyparquet gives INT96 as nanoseconds since the epoch (readRaw's parser); Spark and Impala wrote UTC instants.
      return timestampOf("NANOS", true);
    case "FLOAT":
    case "DOUBLE":
      return (v) => floatJson(v as number);
    case "BYTE_ARRAY":
    case "FIXED_LEN_BYTE_ARRAY":
      return isText(e) ? (v) => textDecoder.decode(v as Uint8Array) : (v) => Buffer.from(v as Uint8Array).toString("base64");
    default:
      throw new ParquetValueError(`column "${e.name}" has physical type ${String(e.type)}, which this reader does not know`);
  }
}

const textDecoder = new TextDecoder();

/** UTF8, ENUM and JSON annotations are text (JSON stays the text it holds, a string, so one malformed value fails nothing). */
function isText(e: SchemaElement): boolean {
  const t = e.logical_type?.type;
  return t === "STRING" || t === "ENUM" || t === "JSON" || e.converted_type === "UTF8" || e.converted_type === "ENUM" || e.converted_type === "JSON";
}

/** A safe integer as a number, anything wider as the string of its decimal value. */
export function integerJson(v: bigint): number | string {
  return v >= -BigInt(Number.MAX_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
}

function floatJson(v: number): number | string {
  if (Number.isFinite(v)) return v;
  return Number.isNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity";
}

/** A DECIMAL's unscaled value: INT32, INT64, or big-endian two's complement bytes. */
function unscaled(v: unknown): bigint {
  if (typeof v === "number") return BigInt(v);
  if (typeof v === "bigint") return v;
  const bytes = v as Uint8Array;
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return bytes.length > 0 && (bytes[0]! & 0x80) !== 0 ? n - (1n << BigInt(bytes.length * 8)) : n;
}

/** The exact decimal `unscaled × 10^-scale`: "-123.45", "0.007", "12". */
export function decimalString(value: bigint, scale: number): string {
  const sign = value < 0n ? "-" : "";
  const digits = (value < 0n ? -value : value).toString();
  if (scale <= 0) return sign + digits + "0".repeat(-scale);
  const padded = digits.padStart(scale + 1, "0");
  return `${sign}${padded.slice(0, -scale)}.${padded.slice(-scale)}`;
}

type Unit = "MILLIS" | "MICROS" | "NANOS";
const PER_MS: Record<Unit, bigint> = { MILLIS: 1n, MICROS: 1000n, NANOS: 1_000_000n };
const FRACTION_DIGITS: Record<Unit, number> = { MILLIS: 3, MICROS: 6, NANOS: 9 };

/** ISO-8601 at the unit's precision: "2024-01-02T03:04:05.123456Z"; without Z for a local (not UTC-adjusted) timestamp. */
function timestampOf(unit: Unit, utc: boolean): (v: unknown) => Json {
  const per = PER_MS[unit];
  return (v) => {
    const t = BigInt(v as bigint | number);
    // Floor division, so an instant before 1970 keeps a non-negative fraction.
    let ms = t / per;
    if (ms * per > t) ms -= 1n;
    const date = new Date(Number(ms));
    if (Number.isNaN(date.getTime())) throw new ParquetValueError(`timestamp ${t} (${unit.toLowerCase()} since 1970) is outside the range an ISO-8601 date can hold here`);
    const iso = date.toISOString(); // ...T03:04:05.123Z
    const sub = (t - ms * per).toString().padStart(FRACTION_DIGITS[unit] - 3, "0");
    const whole = unit === "MILLIS" ? iso.slice(0, -1) : `${iso.slice(0, -1)}${sub}`;
    return utc ? `${whole}Z` : whole;
  };
}

/** A time of day, "HH:MM:SS" plus the unit's fraction. */
function timeOf(unit: Unit): (v: unknown) => Json {
  const perMs = PER_MS[unit];
  return (v) => {
    const t = BigInt(v as bigint | number);
    const ms = t / perMs;
    const sub = (t - ms * perMs).toString().padStart(FRACTION_DIGITS[unit] - 3, "0");
    const iso = new Date(Number(ms)).toISOString().slice(11, 23);
    return unit === "MILLIS" ? iso : `${iso}${sub}`;
  };
}

/** Days since 1970-01-01 as "YYYY-MM-DD" (years past 9999 as ISO-8601's "+010000-01-01"). */
function dateString(days: number): Json {
  const date = new Date(days * MS_PER_DAY);
  if (Number.isNaN(date.getTime())) throw new ParquetValueError(`date ${days} (days since 1970-01-01) is outside the range an ISO-8601 date can hold here`);
  const iso = date.toISOString();
  return iso.slice(0, iso.indexOf("T"));
}

function uuidString(b: Uint8Array): string {
  const hex = Buffer.from(b).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function float16(b: Uint8Array): number {
  const bits = (b[1]! << 8) | b[0]!;
  const sign = bits >> 15 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const frac = bits & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 0x1f) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}
