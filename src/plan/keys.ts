// How records' keys are compared, hashed and identified. Keys compare by value:
// strings, numbers, booleans, null, and arrays/objects of those. Sorting follows
// Spark/Python order within a type (numbers numerically, strings by code point,
// arrays element by element); across types a fixed rank decides
// (null < boolean < number < string < array < object) so that a mixed column
// still sorts deterministically instead of throwing as Python would.
// Used by the planner (range bounds), the worker's shuffle and aggregations, and
// the master's merging of built-in action results.

import type { Json } from "../common/api-types.js";
export type { Json };

function typeRank(v: unknown): number {
  if (v === null || v === undefined) return 0;
  switch (typeof v) {
    case "boolean":
      return 1;
    case "number":
      return 2;
    case "bigint":
      return 2;
    case "string":
      return 3;
    default:
      return Array.isArray(v) ? 4 : 5;
  }
}

/** Code point order: UTF-16 unit order differs from it only around surrogates. */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 || y >= 0xd800) {
      x = fixupUnit(x);
      y = fixupUnit(y);
    }
    return x < y ? -1 : 1;
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}

function fixupUnit(u: number): number {
  if (u >= 0xe000) return u - 0x800;
  if (u >= 0xd800) return u + 0x2000;
  return u;
}

export function compareKeys(a: unknown, b: unknown): number {
  if (typeof a === "number" && typeof b === "number") {
    if (a < b) return -1;
    if (a > b) return 1;
    if (a === b) return 0;
    // NaN sorts after every number, as in Spark.
    return Number.isNaN(a) ? (Number.isNaN(b) ? 0 : 1) : -1;
  }
  if (typeof a === "string" && typeof b === "string") return compareStrings(a, b);
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  switch (ra) {
    case 0:
      return 0;
    case 1:
      return a === b ? 0 : a ? 1 : -1;
    case 2:
      return compareKeys(Number(a), Number(b));
    case 4:
      return compareArrays(a as unknown[], b as unknown[]);
    default:
      return compareStrings(canonicalJson(a), canonicalJson(b));
  }
}

function compareArrays(a: unknown[], b: unknown[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = compareKeys(a[i], b[i]);
    if (c !== 0) return c;
  }
  return a.length - b.length < 0 ? -1 : a.length === b.length ? 0 : 1;
}

/** JSON with object keys sorted, so equal values have equal text. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== "object") return JSON.stringify(v ?? null);
  if (Array.isArray(v)) return "[" + v.map(canonicalJson).join(",") + "]";
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o).sort();
  return "{" + keys.map((k) => JSON.stringify(k) + ":" + canonicalJson(o[k])).join(",") + "}";
}

/**
 * A 32-bit hash that is the same in every process for equal keys. Strings are
 * hashed from their UTF-16 units (FNV-1a, then a murmur finaliser for spread);
 * other keys through their canonical JSON, with a type tag so that 1 and "1"
 * differ.
 */
export function hashKey(k: unknown): number {
  if (typeof k === "string") return mix(fnv(k, 0x811c9dc5));
  if (typeof k === "number") return mix(fnv(Object.is(k, -0) ? "0" : String(k), 0x050c5d1f));
  return mix(fnv(canonicalJson(k), 0x2b9f1d3a));
}

function fnv(s: string, seed: number): number {
  let h = seed;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h;
}

function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
