// The HyperLogLog sketch behind countApproxDistinct(relativeSD). PySpark hashes
// each record into a 32-bit space (portable_hash & 0xFFFFFFFF) and the JVM's
// RDD.countApproxDistinct feeds those hashes to stream-lib's HyperLogLog++ with
// p = ceil(2 log2(1.054 / relativeSD)), at least 4 (Spark SQL's HLL++ uses
// 1.106; the RDD method does not). Here a record's hash is the project's key
// hash (src/plan/keys.ts: canonical JSON, so equal values count once),
// stretched to 64 bits so that no register saturates, into 2^p one-byte
// registers. The estimate is Ertl's improved estimator ("New cardinality
// estimation algorithms for HyperLogLog sketches", 2017): where HLL++ switches
// from linear counting to the raw estimate and patches the bias between them
// with empirical tables, it reads the registers' histogram and is nearly
// unbiased from 0 up, with no tables (and there is no sparse mode here).
// Sketches merge register by register, so a partition's sketch travels as a
// task result (toState: base64) and the master merges them in any order.
// Called by the countApproxDistinct op: the worker side adds a partition's
// records and reports toState(); the master side checks relativeSD, decodes
// each report with fromState, merges and estimates.
import { hashKey } from "../../plan/keys.js";

export const MIN_PRECISION = 4;
/**
 * 2^18 registers (256 KiB, about 350 KB of base64 per partition's result) is
 * where a sketch stops being small next to the other results the master holds;
 * it means a relativeSD of at least 1.054 / 2^9 ≈ 0.00206.
 */
export const MAX_PRECISION = 18;
const MIN_RELATIVE_SD = 0.000017;

/** The JSON-safe form of a sketch, as a task reports it. */
export interface HyperLogLogState {
  p: number;
  /** The 2^p registers, one byte each, in base64. */
  registers: string;
}

/** Spark's precision for a relative standard deviation, before the limit of MAX_PRECISION. */
export function precisionFor(relativeSD: number): number {
  const p = Math.ceil((2 * Math.log(1.054 / relativeSD)) / Math.log(2));
  return Math.max(p, MIN_PRECISION);
}

/** Why countApproxDistinct cannot take this relativeSD, or null. */
export function relativeSdProblem(relativeSD: number): string | null {
  if (!(relativeSD >= MIN_RELATIVE_SD)) return "relativeSD should be greater than 0.000017";
  const p = precisionFor(relativeSD);
  if (p > MAX_PRECISION) {
    const smallest = 1.054 / 2 ** (MAX_PRECISION / 2);
    return `relativeSD ${relativeSD} needs 2^${p} registers per partition; the limit is 2^${MAX_PRECISION} (relativeSD >= ${smallest})`;
  }
  return null;
}

export class HyperLogLog {
  private constructor(
    readonly p: number,
    private readonly registers: Uint8Array,
  ) {}

  static forRelativeSD(relativeSD: number): HyperLogLog {
    const problem = relativeSdProblem(relativeSD);
    if (problem) throw new RangeError(problem);
    const p = precisionFor(relativeSD);
    return new HyperLogLog(p, new Uint8Array(2 ** p));
  }

  /** A sketch from a task's report; refuses anything a sketch could not have written. */
  static fromState(state: unknown): HyperLogLog {
    const s = state as Partial<HyperLogLogState> | null;
    const p = s?.p;
    if (typeof p !== "number" || !Number.isInteger(p) || p < MIN_PRECISION || p > MAX_PRECISION) {
      throw new RangeError(`a HyperLogLog sketch has a precision from ${MIN_PRECISION} to ${MAX_PRECISION}, got ${String(p)}`);
    }
    const text = s!.registers;
    const bytes = typeof text === "string" ? Buffer.from(text, "base64") : null;
    // Node's decoder skips what is not base64; only a text that re-encodes to itself was written by toState.
    if (!bytes || bytes.length !== 2 ** p || bytes.toString("base64") !== text) {
      throw new RangeError(`a HyperLogLog sketch of precision ${p} has ${2 ** p} registers in base64`);
    }
    const maxRank = 65 - p;
    if (bytes.some((r) => r > maxRank)) throw new RangeError(`a HyperLogLog register of precision ${p} is at most ${maxRank}`);
    return new HyperLogLog(p, new Uint8Array(bytes));
  }

  /** Counts a record (or key) by its value: equal values, however built, count once. */
  addValue(value: unknown): void {
    this.addHash(hashKey(value));
  }

  /** Counts a 32-bit hash. */
  addHash(hash: number): void {
    const h = hash >>> 0;
    const index = h >>> (32 - this.p);
    const rest = (h << this.p) >>> 0;
    // The rank is read from 64 - p bits: the hash's own 32 - p, then 32 more derived from it.
    const rank = rest !== 0 ? Math.clz32(rest) + 1 : 33 - this.p + Math.clz32(extend(h));
    if (rank > this.registers[index]!) this.registers[index] = rank;
  }

  /** Makes this sketch count what `other` counted too (the sketch of the union). */
  merge(other: HyperLogLog): void {
    if (other.p !== this.p) throw new RangeError(`cannot merge HyperLogLog sketches of precision ${this.p} and ${other.p}`);
    const a = this.registers;
    const b = other.registers;
    for (let i = 0; i < a.length; i++) if (b[i]! > a[i]!) a[i] = b[i]!;
  }

  /** The estimated number of distinct values counted, rounded as Spark's Long. */
  estimate(): number {
    const m = this.registers.length;
    const q = 64 - this.p;
    const counts = new Array<number>(q + 2).fill(0);
    for (const r of this.registers) counts[r]!++;
    // Ertl's improved estimator: the registers' histogram, folded from the top rank down.
    let z = m * tau(1 - counts[q + 1]! / m);
    for (let k = q; k >= 1; k--) z = 0.5 * (z + counts[k]!);
    z += m * sigma(counts[0]! / m);
    return Math.round((m * m) / (2 * Math.LN2 * z));
  }

  toState(): HyperLogLogState {
    return { p: this.p, registers: Buffer.from(this.registers).toString("base64") };
  }
}

/** Ertl's σ(x) = x + Σ_k x^(2^k) 2^(k-1): the empty registers' share of the estimate. */
function sigma(x: number): number {
  if (x === 1) return Infinity;
  let y = 1;
  let z = x;
  for (;;) {
    x *= x;
    const before = z;
    z += x * y;
    y += y;
    if (z === before) return z;
  }
}

/** Ertl's τ(x) = (1 - x - Σ_k (1 - x^(2^-k))^2 2^-k) / 3: the saturated registers' share. */
function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let y = 1;
  let z = 1 - x;
  for (;;) {
    x = Math.sqrt(x);
    const before = z;
    y *= 0.5;
    z -= (1 - x) ** 2 * y;
    if (z === before) return z / 3;
  }
}

/** Murmur3's finaliser of the hash with a fixed tweak: 32 more bits that look independent of the first. */
function extend(h: number): number {
  let x = (h ^ 0x9e3779b9) >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}
