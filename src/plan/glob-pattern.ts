// Owns the grammar of input globs and matching one path segment against one
// name, in time bounded by the pattern's size times the name's length: braces
// ({a,b}, nested, bash semantics) are parsed once into a tree, counted without
// being expanded and expanded only under a cap; `*`, `?` and `[...]` are
// matched by a two-pointer scan, never by a backtracking regex; `**` segments
// are counted against a cap. Pure (no file system): the master calls
// globShapeProblem through plan/paths.ts at submit time, and the worker's
// walker (storage/glob.ts) uses the expansion and the matcher.

/** A pattern longer than PATH_MAX cannot name a file anyway. */
export const MAX_PATTERN_LENGTH = 4096;
/** Brace alternatives one pattern may expand to; each is walked separately. */
export const MAX_BRACE_ALTERNATIVES = 1024;
/** `**` segments per pattern: each one multiplies the states a walk may visit by the tree's size. */
export const MAX_GLOBSTARS = 4;
/** Segments in one expanded pattern, and directory levels a `**` may descend. */
export const MAX_GLOB_DEPTH = 64;

/** A sequence of literal text and brace groups; a group is a list of alternative sequences. */
type Seq = (string | Seq[])[];

/**
 * What is wrong with the pattern's shape, as a phrase ("expands to more than
 * 1024 brace alternatives; …"), or null. Linear in the pattern's length.
 */
export function globShapeProblem(pattern: string): string | null {
  if (pattern.length > MAX_PATTERN_LENGTH) return `is ${pattern.length} characters long; at most ${MAX_PATTERN_LENGTH} are allowed`;
  const globstars = pattern.match(/(?:^|[/{,])\*\*(?=$|[/},])/g)?.length ?? 0;
  if (globstars > MAX_GLOBSTARS) return `has ${globstars} "**" segments; at most ${MAX_GLOBSTARS} are allowed`;
  const n = countAlternatives(parseBraces(pattern));
  if (n > MAX_BRACE_ALTERNATIVES) return `expands to more than ${MAX_BRACE_ALTERNATIVES} brace alternatives; at most ${MAX_BRACE_ALTERNATIVES} are allowed`;
  return null;
}

/** The pattern's brace alternatives (bash order), each at most MAX_GLOB_DEPTH segments; throws a phrase-bearing error past a cap. */
export function expandBraces(pattern: string): string[] {
  const problem = globShapeProblem(pattern);
  if (problem !== null) throw new GlobShapeError(problem);
  const out = expandSeq(parseBraces(pattern));
  for (const alt of out) {
    const depth = alt.split("/").length;
    if (depth > MAX_GLOB_DEPTH) throw new GlobShapeError(`has ${depth} path segments; at most ${MAX_GLOB_DEPTH} are allowed`);
  }
  return out;
}

export class GlobShapeError extends Error {
  constructor(readonly problem: string) {
    super(problem);
    this.name = "GlobShapeError";
  }
}

/**
 * Bash brace grammar: a balanced {…} with a comma at its own level is a group;
 * `{x}` and unbalanced braces are literal (their contents may still hold groups).
 * Pairs are matched once with a stack, so parsing is linear.
 */
function parseBraces(p: string): Seq {
  const match = new Int32Array(p.length).fill(-1);
  const open: number[] = [];
  for (let i = 0; i < p.length; i++) {
    if (p[i] === "{") open.push(i);
    else if (p[i] === "}" && open.length > 0) match[open.pop()!] = i;
  }
  const parseSeq = (from: number, to: number): Seq => {
    const seq: Seq = [];
    let lit = "";
    for (let i = from; i < to; i++) {
      const close = p[i] === "{" ? match[i]! : -1;
      const cuts = close >= 0 ? topLevelCommas(i, close) : [];
      if (cuts.length === 0) {
        lit += p[i];
        continue;
      }
      if (lit !== "") seq.push(lit);
      lit = "";
      const bounds = [i, ...cuts, close];
      seq.push(bounds.slice(1).map((b, k) => parseSeq(bounds[k]! + 1, b)));
      i = close;
    }
    if (lit !== "") seq.push(lit);
    return seq;
  };
  // Commas of the pair itself, skipping nested pairs (inside a matched pair every brace is matched).
  const topLevelCommas = (openAt: number, close: number): number[] => {
    const cuts: number[] = [];
    for (let j = openAt + 1; j < close; j++) {
      if (p[j] === "{") j = match[j]!;
      else if (p[j] === ",") cuts.push(j);
    }
    return cuts;
  };
  return parseSeq(0, p.length);
}

/** Number of expansions, saturating just past the cap so that huge products stay cheap and finite. */
function countAlternatives(seq: Seq): number {
  let n = 1;
  for (const part of seq) {
    if (typeof part === "string") continue;
    let sum = 0;
    for (const alt of part) sum = Math.min(MAX_BRACE_ALTERNATIVES + 1, sum + countAlternatives(alt));
    n = Math.min(MAX_BRACE_ALTERNATIVES + 1, n * sum);
  }
  return n;
}

function expandSeq(seq: Seq): string[] {
  let out = [""];
  for (const part of seq) {
    if (typeof part === "string") out = out.map((s) => s + part);
    else {
      const alts = part.flatMap(expandSeq);
      out = out.flatMap((s) => alts.map((a) => s + a));
    }
  }
  return out;
}

/** One compiled path segment: single-character tokens and stars. */
export type SegmentMatcher = (name: string) => boolean;

type Token = { kind: "star" } | { kind: "any" } | { kind: "char"; code: number } | { kind: "class"; negated: boolean; ranges: [number, number][] };

export function hasWildcard(segment: string): boolean {
  return /[*?[]/.test(segment);
}

/** Compiles a segment's `*`, `?`, `[abc]`, `[a-z]`, `[!…]`/`[^…]`; other characters (and an unclosed `[`) are literal. */
export function compileSegment(segment: string): SegmentMatcher {
  const tokens: Token[] = [];
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i];
    if (c === "*") {
      if (tokens[tokens.length - 1]?.kind !== "star") tokens.push({ kind: "star" });
    } else if (c === "?") tokens.push({ kind: "any" });
    else if (c === "[") {
      const cls = charClass(segment, i);
      if (cls === null) tokens.push({ kind: "char", code: 0x5b });
      else {
        tokens.push(cls.token);
        i = cls.close;
      }
    } else tokens.push({ kind: "char", code: segment.charCodeAt(i) });
  }
  return (name) => matchTokens(tokens, name);
}

/** A ']' right after the opener (or after '!'/'^') is a member, as in POSIX globs. */
function charClass(segment: string, open: number): { token: Token; close: number } | null {
  let i = open + 1;
  const negated = segment[i] === "!" || segment[i] === "^";
  if (negated) i++;
  const close = segment.indexOf("]", segment[i] === "]" ? i + 1 : i);
  if (close < 0) return null;
  const ranges: [number, number][] = [];
  for (let k = i; k < close; k++) {
    const lo = segment.charCodeAt(k);
    if (segment[k + 1] === "-" && k + 2 < close) {
      ranges.push([lo, segment.charCodeAt(k + 2)]);
      k += 2;
    } else ranges.push([lo, lo]);
  }
  return { token: { kind: "class", negated, ranges }, close };
}

function matchOne(t: Token, code: number): boolean {
  switch (t.kind) {
    case "any":
      return true;
    case "char":
      return t.code === code;
    case "class":
      return t.ranges.some(([lo, hi]) => code >= lo && code <= hi) !== t.negated;
    case "star":
      return false;
  }
}

/**
 * Greedy two-pointer wildcard match: on a mismatch, only the last star is
 * retried one character further, which is enough because every other token
 * matches exactly one character. O(tokens × name) at worst, no recursion.
 */
function matchTokens(tokens: Token[], s: string): boolean {
  let ti = 0;
  let si = 0;
  let starAt = -1;
  let starFrom = 0;
  while (si < s.length) {
    const t = tokens[ti];
    if (t !== undefined && t.kind === "star") {
      starAt = ti++;
      starFrom = si;
    } else if (t !== undefined && matchOne(t, s.charCodeAt(si))) {
      ti++;
      si++;
    } else if (starAt >= 0) {
      ti = starAt + 1;
      si = ++starFrom;
    } else return false;
  }
  while (tokens[ti]?.kind === "star") ti++;
  return ti === tokens.length;
}
