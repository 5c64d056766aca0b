// Owns what an `s3://bucket/key` location means: the URL's shape and the
// bucket-name rules, and for a glob (`s3://b/logs/2024-*/*.csv`) the longest
// literal key prefix to list by plus a matcher for whole keys. The glob
// grammar is the local one (plan/glob-pattern.ts: braces, `*`, `?`, `[...]`,
// `**`), applied to the key's `/`-separated segments, with the same Hadoop
// rules as storage/glob.ts: a wildcard does not match a hidden name (`_x`,
// `.x`) unless the pattern's segment is itself hidden, and a match that is a
// "directory" (a prefix followed by `/`) brings the non-hidden objects
// directly inside it. Pure: no I/O.
import { GlobShapeError, compileSegment, expandBraces, hasWildcard, type SegmentMatcher } from "./glob-pattern.js";

/** S3's bound on a key's length, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;

/** A malformed `s3://` URL or glob; the message quotes the URL and names what is wrong. */
export class S3LocationError extends Error {
  constructor(
    readonly url: string,
    readonly problem: string,
  ) {
    super(`S3 location "${url.length > 200 ? `${url.slice(0, 200)}…` : url}" ${problem}`);
    this.name = "S3LocationError";
  }
}

/** One object, or a key prefix, in one bucket. */
export interface S3Location {
  readonly bucket: string;
  /** The key, without a leading `/`; "" is the whole bucket. */
  readonly key: string;
}

/** An `s3://` glob resolved to what a listing needs. */
export interface S3Glob {
  readonly bucket: string;
  /** Every matching key starts with this: ListObjectsV2's `prefix`. */
  readonly listPrefix: string;
  /** Whether the object `key` is part of the input. */
  matches(key: string): boolean;
}

const SCHEMES = ["s3://", "s3a://"];

/** Whether `path` names S3 (`s3://` or `s3a://`) rather than a path under the data directory. */
export function isS3Url(path: string): boolean {
  return SCHEMES.some((s) => path.startsWith(s));
}

/** What is wrong with `bucket` under S3's naming rules, as a phrase, or null. */
export function bucketNameProblem(bucket: string): string | null {
  if (bucket.length < 3 || bucket.length > 63) return `has a bucket name of ${bucket.length} characters; S3 bucket names have 3 to 63`;
  if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(bucket)) return `has bucket name "${bucket}"; S3 bucket names use lower-case letters, digits, "." and "-", and begin and end with a letter or digit`;
  if (bucket.includes("..")) return `has bucket name "${bucket}" with two adjacent periods`;
  if (/^\d+\.\d+\.\d+\.\d+$/.test(bucket)) return `has bucket name "${bucket}", which is shaped like an IP address`;
  return null;
}

/** Parses `s3://bucket/key` (or `s3a://`); the key is taken literally, wildcards included. */
export function parseS3Url(url: string): S3Location {
  const scheme = SCHEMES.find((s) => url.startsWith(s));
  if (scheme === undefined) throw new S3LocationError(url, 'does not start with "s3://" (expected s3://bucket/key)');
  const rest = url.slice(scheme.length);
  const slash = rest.indexOf("/");
  const bucket = slash === -1 ? rest : rest.slice(0, slash);
  const key = slash === -1 ? "" : rest.slice(slash + 1);
  if (bucket === "") throw new S3LocationError(url, "names no bucket (expected s3://bucket/key)");
  const problem = bucketNameProblem(bucket);
  if (problem !== null) throw new S3LocationError(url, problem);
  if (key.startsWith("/")) throw new S3LocationError(url, 'has a key that starts with "/" (write s3://bucket/key)');
  const bytes = Buffer.byteLength(key, "utf8");
  if (bytes > MAX_KEY_BYTES) throw new S3LocationError(url, `has a key of ${bytes} bytes; S3 keys have at most ${MAX_KEY_BYTES}`);
  // S3 stores such keys, but its XML listings cannot carry them (XML 1.0 has no control characters), so a glob could never list them.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(key)) throw new S3LocationError(url, "has a control character in its key");
  return { bucket, key };
}

/** Parses an `s3://` URL whose key may be a glob; a key without wildcards is an object or a "directory" prefix. */
export function parseS3Glob(url: string): S3Glob {
  const { bucket, key } = parseS3Url(url);
  let alternatives: string[];
  try {
    alternatives = expandBraces(key);
  } catch (e) {
    if (e instanceof GlobShapeError) throw new S3LocationError(url, e.problem);
    throw e;
  }
  const matchers = alternatives.map(compileAlternative);
  return {
    bucket,
    listPrefix: commonPrefix(alternatives.map(literalPrefix)),
    matches: (k) => matchers.some((m) => m(k)),
  };
}

/** The text before the first wildcard character. */
function literalPrefix(pattern: string): string {
  const at = pattern.search(/[*?[]/);
  return at === -1 ? pattern : pattern.slice(0, at);
}

function commonPrefix(texts: string[]): string {
  let prefix = texts[0] ?? "";
  for (const t of texts) {
    let i = 0;
    while (i < prefix.length && i < t.length && prefix[i] === t[i]) i++;
    prefix = prefix.slice(0, i);
  }
  return prefix;
}

const isHiddenName = (name: string): boolean => name.startsWith(".") || name.startsWith("_");

type SegmentTest = { kind: "globstar" } | { kind: "literal"; text: string } | { kind: "wild"; matches: SegmentMatcher; hidden: boolean };

/** A matcher for whole keys: the pattern's match itself, or a non-hidden object directly inside a matched prefix. */
function compileAlternative(pattern: string): (key: string) => boolean {
  // "logs/" and "" name prefixes: what lies directly inside them.
  const trimmed = pattern.endsWith("/") ? pattern.slice(0, -1) : pattern;
  const tests: SegmentTest[] =
    trimmed === ""
      ? []
      : trimmed.split("/").map((s): SegmentTest => {
          if (s === "**") return { kind: "globstar" };
          if (!hasWildcard(s)) return { kind: "literal", text: s };
          return { kind: "wild", matches: compileSegment(s), hidden: isHiddenName(s) };
        });
  return (key) => {
    const segments = key.split("/");
    if (pattern !== "" && !pattern.endsWith("/") && matchSegments(tests, segments)) return true;
    const name = segments[segments.length - 1]!;
    return name !== "" && !isHiddenName(name) && matchSegments(tests, segments.slice(0, -1));
  };
}

/** Whether `segments` match `tests` in full; `**` takes zero or more segments. Dynamic programming, so linear in tests × segments. */
function matchSegments(tests: readonly SegmentTest[], segments: readonly string[]): boolean {
  // reach[j]: tests[0..i) can match segments[0..j).
  let reach = new Array<boolean>(segments.length + 1).fill(false);
  reach[0] = true;
  for (const test of tests) {
    const next = new Array<boolean>(segments.length + 1).fill(false);
    for (let j = 0; j <= segments.length; j++) {
      if (test.kind === "globstar") {
        // Zero segments, or one more than a position already reached; never a hidden one.
        next[j] = reach[j]! || (j > 0 && next[j - 1]! && !isHiddenName(segments[j - 1]!));
      } else if (j > 0 && reach[j - 1]) {
        const s = segments[j - 1]!;
        next[j] = test.kind === "literal" ? s === test.text : (test.hidden || !isHiddenName(s)) && test.matches(s);
      }
    }
    reach = next;
  }
  return reach[segments.length]!;
}
