// takeSample(withReplacement, num, seed) as PySpark runs it, as a pure state
// machine: the op asks it what to run next (count the dataset, collect it, or
// sample it with a fraction and a seed), runs that with the engine's own
// count/collect and its `sample` op, and hands the result back, until it
// answers with the records. PySpark's steps: num 0 or no partitions → []; an
// empty dataset → []; without replacement and num >= count → every record,
// shuffled; otherwise sample with a fraction that yields at least num records
// 99.99% of the time, sample again with a fresh seed while it yields fewer,
// shuffle, keep num. One seeded stream (mulberry32) draws the fresh seeds and
// the shuffle, as PySpark's random.Random(seed) does.
// Called by the takeSample op (src/ops/take-sample.ts) for sampleSizeProblem,
// its parameter check. The op runs as one job instead of these steps (its
// header says why), so TakeSample, fractionForSampleSize and shuffleInPlace
// have no caller but their tests.
import { mulberry32 } from "../../common/random.js";

const NUM_STDEV = 10;
/** PySpark's bound sys.maxsize - int(10 * sqrt(sys.maxsize)), JS's largest safe integer standing for sys.maxsize. */
export const MAX_SAMPLE_SIZE = Number.MAX_SAFE_INTEGER - Math.trunc(NUM_STDEV * Math.sqrt(Number.MAX_SAFE_INTEGER));
/**
 * A sample falls short about once in 10^4 rounds; PySpark retries without end.
 * A job must end, so after this many rounds it fails instead (it would take a
 * sampler that cannot reach the fraction, not bad luck).
 */
export const MAX_SAMPLE_ROUNDS = 100;

/** Why takeSample cannot take this num, or null. */
export function sampleSizeProblem(num: number): string | null {
  if (!Number.isInteger(num)) return "Sample size must be a whole number.";
  if (num < 0) return "Sample size cannot be negative.";
  if (num > MAX_SAMPLE_SIZE) return `Sample size cannot be greater than ${MAX_SAMPLE_SIZE}.`;
  return null;
}

/**
 * PySpark's _computeFractionForSampleSize: a fraction that gives at least
 * `sampleSizeLowerBound` of `total` records 99.99% of the time — Poisson
 * bounds with replacement (9 standard deviations below 12, else 5), binomial
 * ones (delta 5e-5) without, where the fraction is at most 1.
 */
export function fractionForSampleSize(sampleSizeLowerBound: number, total: number, withReplacement: boolean): number {
  const fraction = sampleSizeLowerBound / total;
  if (withReplacement) {
    const numStDev = sampleSizeLowerBound < 12 ? 9 : 5;
    return fraction + numStDev * Math.sqrt(fraction / total);
  }
  const delta = 0.00005;
  const gamma = -Math.log(delta) / total;
  return Math.min(1, fraction + gamma + Math.sqrt(gamma * gamma + 2 * gamma * fraction));
}

/** What the op runs next, or the records the action returns. */
export type TakeSampleStep<T> =
  | { kind: "count" }
  | { kind: "collect" }
  | { kind: "sample"; withReplacement: boolean; fraction: number; seed: number }
  | { kind: "done"; records: T[] };

type Phase = "start" | "count" | "collect" | "sample" | "done";

export class TakeSample<T> {
  private phase: Phase = "start";
  private readonly rand: () => number;
  private fraction = 0;
  private rounds = 0;

  constructor(
    private readonly withReplacement: boolean,
    private readonly num: number,
    private readonly seed: number,
  ) {
    const problem = sampleSizeProblem(num);
    if (problem) throw new RangeError(problem);
    this.rand = mulberry32(seed);
  }

  /** The first step, from the dataset's partition count (known from the plan). */
  start(numPartitions: number): TakeSampleStep<T> {
    this.expect("start");
    if (this.num === 0 || numPartitions === 0) return this.done([]);
    this.phase = "count";
    return { kind: "count" };
  }

  counted(count: number): TakeSampleStep<T> {
    this.expect("count");
    if (count === 0) return this.done([]);
    if (!this.withReplacement && this.num >= count) {
      this.phase = "collect";
      return { kind: "collect" };
    }
    this.fraction = fractionForSampleSize(this.num, count, this.withReplacement);
    return this.sample(this.seed);
  }

  /** The whole dataset, when num asked for all of it without replacement. */
  collected(records: T[]): TakeSampleStep<T> {
    this.expect("collect");
    return this.done(shuffleInPlace(records, this.rand));
  }

  /** What the last sample step yielded. */
  sampled(records: T[]): TakeSampleStep<T> {
    this.expect("sample");
    if (records.length >= this.num) return this.done(shuffleInPlace(records, this.rand).slice(0, this.num));
    if (this.rounds >= MAX_SAMPLE_ROUNDS) {
      throw new Error(`takeSample drew fewer than ${this.num} records in each of ${MAX_SAMPLE_ROUNDS} samples at fraction ${this.fraction}`);
    }
    return this.sample(Math.floor(this.rand() * 2 ** 32));
  }

  private sample(seed: number): TakeSampleStep<T> {
    this.phase = "sample";
    this.rounds++;
    return { kind: "sample", withReplacement: this.withReplacement, fraction: this.fraction, seed };
  }

  private done(records: T[]): TakeSampleStep<T> {
    this.phase = "done";
    return { kind: "done", records };
  }

  private expect(phase: Phase): void {
    if (this.phase !== phase) throw new Error(`takeSample's steps out of order: it is at ${this.phase}, not ${phase}`);
  }
}

/** Python's random.shuffle (Fisher–Yates from the end) with our stream. */
export function shuffleInPlace<T>(records: T[], rand: () => number): T[] {
  for (let i = records.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = records[i]!;
    records[i] = records[j]!;
    records[j] = t;
  }
  return records;
}
