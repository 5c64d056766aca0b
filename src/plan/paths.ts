// The textual rule for user-given data paths, checked without touching the file
// system: relative, no "..", no NUL, and for inputs a glob within the shape
// limits of glob-pattern.ts. The master applies it at submit time; the worker
// applies it again (storage/glob.ts) and confines every open to the data
// directory (storage/confined-open.ts).
import { posix, win32 } from "node:path";
import { MAX_PATTERN_LENGTH, globShapeProblem, hasWildcard } from "./glob-pattern.js";
import { S3LocationError, isS3Url, parseS3Glob, parseS3Url } from "./s3-location.js";

/** NAME_MAX of Linux's and macOS's file systems. */
const MAX_NAME_BYTES = 255;

/** What is wrong with a path or glob, as a phrase ("is absolute; …"), or null. */
export function pathProblem(p: string): string | null {
  if (p.length === 0) return "is empty";
  // First, so that a megabyte-long path costs one comparison, not a split into a million parts.
  if (p.length > MAX_PATTERN_LENGTH) return `is ${p.length} characters long; at most ${MAX_PATTERN_LENGTH} are allowed`;
  if (p.includes("\0")) return "contains a NUL byte";
  // Both flavours: a spec may be written on one OS and run on another.
  if (posix.isAbsolute(p) || win32.isAbsolute(p)) return "is absolute; paths are relative to the data directory";
  // Splitting at braces and commas too catches "{..,x}/secret" in a glob.
  if (p.split(/[\\/{},]/).includes("..")) return "leaves the data directory";
  // A longer name fails in the file system (ENAMETOOLONG) on the worker, later and less clearly.
  const long = p.split(/[\\/]/).find((part) => Buffer.byteLength(part) > MAX_NAME_BYTES);
  return long === undefined ? null : `has a component of ${Buffer.byteLength(long)} bytes; file names are at most ${MAX_NAME_BYTES}`;
}

/** An input path or glob: the textual rule, then the glob's shape limits; an `s3://` URL: S3's rules (s3-location.ts). */
export function checkRelativePath(p: string): string | null {
  if (isS3Url(p)) return s3UrlProblem(p);
  const problem = pathProblem(p) ?? globShapeProblem(p);
  return problem === null ? null : `"${shorten(p)}" ${problem}`;
}

function s3UrlProblem(url: string): string | null {
  try {
    parseS3Glob(url);
    return null;
  } catch (e) {
    if (e instanceof S3LocationError) return e.message;
    throw e;
  }
}

/** An S3 output: one prefix (no wildcards) under a bucket, with the local rule for its key's segments. */
function s3OutputProblem(url: string): string | null {
  let key: string;
  try {
    key = parseS3Url(url).key;
  } catch (e) {
    if (e instanceof S3LocationError) return e.message;
    throw e;
  }
  const parts = key.split("/").filter((s) => s !== "");
  if (parts.length === 0) return `"${shorten(url)}" names a whole bucket; give a prefix to save under (s3://bucket/prefix)`;
  if (hasWildcard(key)) return `"${shorten(url)}" has a wildcard; an output is one prefix`;
  if (parts.some((s) => s === "." || s === "..")) return `"${shorten(url)}" has a "." or ".." segment, which S3 keeps as it is but paths would not`;
  if (parts.some((s) => s.startsWith("_") || s.startsWith("."))) return `"${shorten(url)}" has a part starting with "_" or ".", which minispark keeps for itself`;
  return null;
}

/** A hostile path may be megabytes long; an error message quotes only its start. */
function shorten(p: string): string {
  return p.length > 200 ? `${p.slice(0, 200)}…` : p;
}

/** Output paths also may not name the outputs directory itself or a hidden or underscored entry (_temporary, _SUCCESS). */
export function checkOutputPath(p: string): string | null {
  if (isS3Url(p)) return s3OutputProblem(p);
  const problem = pathProblem(p);
  if (problem) return `"${shorten(p)}" ${problem}`;
  const parts = p.split(/[\\/]/).filter((s) => s !== "" && s !== ".");
  if (parts.length === 0) return `"${p}" names the outputs directory itself; give a subdirectory`;
  if (parts.some((s) => s.startsWith("_") || s.startsWith("."))) return `"${p}" has a part starting with "_" or ".", which minispark keeps for itself`;
  return null;
}
