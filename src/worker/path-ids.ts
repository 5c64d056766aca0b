// The ids a worker puts into file paths — job ids (directory names), attempt
// ids (temporary-file suffixes), shuffle, map and reduce partition numbers —
// checked by the worker itself at its HTTP edge, whoever sent them: a name is
// one path component (no separator, not "." or ".."), a number a whole number
// in range. Pure; used by the launch check and the shuffle block routes.
import { MinisparkError } from "../common/errors.js";

/** One path component of letters, digits, '.', '_', '-' and '@', and not only dots. */
const SAFE_NAME = /^(?!\.+$)[A-Za-z0-9._@-]{1,256}$/;
/** Partition and shuffle numbers stay below this (the planner caps partitions far lower). */
export const MAX_INDEX = 1_000_000_000;

export function isPathName(v: unknown): v is string {
  return typeof v === "string" && SAFE_NAME.test(v);
}

export function isIndex(v: unknown): v is number {
  return Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) < MAX_INDEX;
}

export function checkPathName(v: unknown, what: string): string {
  if (!isPathName(v)) throw new MinisparkError("BAD_REQUEST", `${what} must be 1 to 256 letters, digits, '.', '_', '@' or '-', and not only dots`);
  return v;
}

/** A decimal path segment or query value as an index. */
export function indexParam(s: string | undefined, what: string): number {
  if (s === undefined || !/^\d{1,9}$/.test(s)) throw new MinisparkError("BAD_REQUEST", `${what} must be a non-negative integer`);
  return Number(s);
}
