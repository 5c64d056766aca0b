// histogram(buckets) with explicit bucket edges of any one comparable kind —
// numbers, or strings as PySpark allows (rdd.histogram(("a", "b", "c"))), or
// arrays/objects — compared with the project's compareKeys (src/plan/keys.ts).
// PySpark's rules: at least two edges, no null or NaN among them, sorted, no
// duplicates; buckets are [e0, e1), [e1, e2), …, [e(n-1), en] (the last one
// closed); null and NaN records, and records outside [e0, en], are skipped.
// Numeric edges evenly spaced (steps within 1e-10, PySpark's test) find a
// record's bucket by arithmetic rather than by bisection; where PySpark's
// int((x - min) / inc) can round a record into the neighbouring bucket, the
// guess here is corrected against the edges, so both ways give bisection's
// answer. A record of another kind than the edges fails the task, as Python's
// comparison would.
// Called by the histogram op: bucketsProblem for its parameter check,
// prepareBuckets once per task and countBuckets over the partition on the
// worker (the master adds the partitions' counts as it does for numbers).
import { compareKeys } from "../../plan/keys.js";

export class HistogramError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "HistogramError";
  }
}

type Kind = "boolean" | "number" | "string" | "array" | "object";

export interface Buckets {
  readonly edges: readonly unknown[];
  readonly kind: Kind;
  /** The first edge and the step, when the edges are evenly spaced numbers. */
  readonly even: { readonly min: number; readonly inc: number } | null;
}

function kindOf(v: unknown): Kind | null {
  if (v === null || v === undefined || Number.isNaN(v)) return null;
  if (Array.isArray(v)) return "array";
  const t = typeof v;
  return t === "boolean" || t === "number" || t === "string" ? t : "object";
}

/** Why these bucket edges cannot make a histogram, or null (PySpark's messages). */
export function bucketsProblem(edges: readonly unknown[]): string | null {
  if (edges.length < 2) return "buckets should have more than one value";
  const kinds = edges.map(kindOf);
  if (kinds.includes(null)) return "can not have null or NaN in buckets";
  if (kinds.some((k) => k !== kinds[0])) return "buckets should all be of one kind (numbers, strings, booleans, arrays or objects)";
  for (let i = 1; i < edges.length; i++) if (compareKeys(edges[i - 1], edges[i]) > 0) return "buckets should be sorted";
  for (let i = 1; i < edges.length; i++) if (compareKeys(edges[i - 1], edges[i]) === 0) return "buckets should not contain duplicated values";
  return null;
}

export function prepareBuckets(edges: readonly unknown[]): Buckets {
  const problem = bucketsProblem(edges);
  if (problem) throw new RangeError(problem);
  const kind = kindOf(edges[0])!;
  return { edges, kind, even: kind === "number" ? evenSpacing(edges as readonly number[]) : null };
}

function evenSpacing(edges: readonly number[]): Buckets["even"] {
  let minStep = Infinity;
  let maxStep = -Infinity;
  for (let i = 1; i < edges.length; i++) {
    const step = edges[i]! - edges[i - 1]!;
    minStep = Math.min(minStep, step);
    maxStep = Math.max(maxStep, step);
  }
  if (!(maxStep - minStep < 1e-10)) return null;
  return { min: edges[0]!, inc: (edges.at(-1)! - edges[0]!) / (edges.length - 1) };
}

/** The bucket a record falls in, or -1 for a record the histogram skips. */
export function bucketIndex(b: Buckets, x: unknown): number {
  const kind = kindOf(x);
  if (kind === null) return -1;
  if (kind !== b.kind) throw new HistogramError(`histogram() with ${b.kind} buckets needs ${b.kind} records, got ${describe(x)}`);
  const { edges } = b;
  const last = edges.length - 1;
  if (compareKeys(x, edges[0]) < 0 || compareKeys(x, edges[last]) > 0) return -1;
  if (b.even) {
    const v = x as number;
    const e = edges as readonly number[];
    let i = Math.min(Math.max(Math.floor((v - b.even.min) / b.even.inc), 0), last - 1);
    while (i > 0 && v < e[i]!) i--;
    while (i < last - 1 && v >= e[i + 1]!) i++;
    return i;
  }
  // The last edge e with e <= x, the closed last bucket taking x = en.
  let lo = 0;
  let hi = last;
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (compareKeys(x, edges[mid]) < 0) hi = mid;
    else lo = mid;
  }
  return lo;
}

/** One partition's counts, one per bucket. */
export function countBuckets(b: Buckets, input: Iterable<unknown>): number[] {
  const counts = new Array<number>(b.edges.length - 1).fill(0);
  for (const x of input) {
    const i = bucketIndex(b, x);
    if (i >= 0) counts[i]!++;
  }
  return counts;
}

function describe(x: unknown): string {
  const s = JSON.stringify(x) ?? String(x);
  return s.length > 100 ? s.slice(0, 100) + "…" : s;
}
