// Unit tests for takeSample's steps (src/ops/kernels/take-sample.ts), driven
// against an in-memory dataset sampled as the sample op does (Bernoulli, or
// Poisson copies, from each partition's seeded stream).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  MAX_SAMPLE_ROUNDS,
  MAX_SAMPLE_SIZE,
  TakeSample,
  fractionForSampleSize,
  sampleSizeProblem,
  shuffleInPlace,
  type TakeSampleStep,
} from '../src/ops/kernels/take-sample.js';
import { partitionRandom } from '../src/ops/kernels/partition-random.js';
import { poissonDraw } from '../src/ops/kernels/poisson.js';
import { mulberry32 } from '../src/common/random.js';

function sampleOf(partitions: number[][], withReplacement: boolean, fraction: number, seed: number): number[] {
  const out: number[] = [];
  partitions.forEach((part, index) => {
    const rand = partitionRandom(seed, index);
    for (const x of part) {
      if (!withReplacement) {
        if (rand() < fraction) out.push(x);
      } else {
        for (let k = poissonDraw(fraction, rand); k > 0; k--) out.push(x);
      }
    }
  });
  return out;
}

/** Runs the steps to the end; returns the records and the steps taken. */
function run(partitions: number[][], withReplacement: boolean, num: number, seed: number, sample = sampleOf) {
  const steps: TakeSampleStep<number>[] = [];
  const ts = new TakeSample<number>(withReplacement, num, seed);
  let step = ts.start(partitions.length);
  for (;;) {
    steps.push(step);
    switch (step.kind) {
      case 'done':
        return { records: step.records, steps };
      case 'count':
        step = ts.counted(partitions.flat().length);
        break;
      case 'collect':
        step = ts.collected(partitions.flat());
        break;
      case 'sample':
        step = ts.sampled(sample(partitions, step.withReplacement, step.fraction, step.seed));
        break;
    }
  }
}

function dataset(n: number, parts: number): number[][] {
  const out: number[][] = Array.from({ length: parts }, () => []);
  for (let i = 0; i < n; i++) out[i % parts]!.push(i);
  return out;
}

describe('sampleSizeProblem', () => {
  it("refuses what PySpark refuses, with its messages", () => {
    assert.equal(sampleSizeProblem(-1), 'Sample size cannot be negative.');
    assert.equal(sampleSizeProblem(MAX_SAMPLE_SIZE + 2), `Sample size cannot be greater than ${MAX_SAMPLE_SIZE}.`);
    assert.equal(sampleSizeProblem(1.5), 'Sample size must be a whole number.');
    assert.equal(sampleSizeProblem(Number.NaN), 'Sample size must be a whole number.');
    assert.equal(sampleSizeProblem(0), null);
    assert.equal(sampleSizeProblem(MAX_SAMPLE_SIZE), null);
  });
  it('bounds num as PySpark does sys.maxsize, with the largest safe integer', () => {
    assert.equal(MAX_SAMPLE_SIZE, 2 ** 53 - 1 - Math.trunc(10 * Math.sqrt(2 ** 53 - 1)));
    assert.throws(() => new TakeSample(false, -3, 1), /Sample size cannot be negative\./);
  });
});

describe('fractionForSampleSize', () => {
  it("is PySpark's formula", () => {
    // Values from PySpark's RDD._computeFractionForSampleSize.
    assert.ok(Math.abs(fractionForSampleSize(10, 1000, true) - (0.01 + 9 * Math.sqrt(0.01 / 1000))) < 1e-15);
    assert.ok(Math.abs(fractionForSampleSize(100, 1000, true) - (0.1 + 5 * Math.sqrt(0.1 / 1000))) < 1e-15);
    const gamma = -Math.log(0.00005) / 1000;
    assert.ok(Math.abs(fractionForSampleSize(100, 1000, false) - (0.1 + gamma + Math.sqrt(gamma * gamma + 0.2 * gamma))) < 1e-15);
    assert.equal(fractionForSampleSize(990, 1000, false), 1);
    assert.ok(fractionForSampleSize(50, 10, true) > 5);
  });
  it('yields at least num records in (nearly) every try', () => {
    const data = dataset(2_000, 4);
    for (const withReplacement of [false, true]) {
      for (const num of [5, 50, 400]) {
        let short = 0;
        for (let seed = 0; seed < 200; seed++) {
          if (sampleOf(data, withReplacement, fractionForSampleSize(num, 2_000, withReplacement), seed).length < num) short++;
        }
        assert.ok(short <= 1, `${short} of 200 samples short for num ${num}, withReplacement ${withReplacement}`);
      }
    }
  });
});

describe('TakeSample steps', () => {
  it('returns [] for num 0 or no partitions, without counting', () => {
    assert.deepEqual(run(dataset(10, 2), false, 0, 1).steps, [{ kind: 'done', records: [] }]);
    assert.deepEqual(run([], true, 5, 1).steps, [{ kind: 'done', records: [] }]);
  });

  it('returns [] for an empty dataset after counting', () => {
    assert.deepEqual(run([[], []], false, 5, 1).steps.map((s) => s.kind), ['count', 'done']);
    assert.deepEqual(run([[], []], false, 5, 1).records, []);
  });

  it('collects and shuffles everything when num >= count without replacement', () => {
    const { records, steps } = run(dataset(10, 3), false, 15, 3);
    assert.deepEqual(steps.map((s) => s.kind), ['count', 'collect', 'done']);
    assert.equal(records.length, 10);
    assert.deepEqual([...records].sort((a, b) => a - b), [...Array(10).keys()]);
    assert.notDeepEqual(records, dataset(10, 3).flat());
    assert.equal(run(dataset(10, 3), false, 10, 3).records.length, 10);
  });

  it('samples with the first seed, then returns num distinct records, shuffled', () => {
    const { records, steps } = run(dataset(1_000, 4), false, 5, 2);
    const first = steps[1]!;
    assert.equal(first.kind, 'sample');
    if (first.kind === 'sample') {
      assert.equal(first.seed, 2);
      assert.equal(first.fraction, fractionForSampleSize(5, 1_000, false));
      assert.equal(first.withReplacement, false);
    }
    assert.equal(records.length, 5);
    assert.equal(new Set(records).size, 5);
    assert.ok(records.every((x) => x >= 0 && x < 1_000));
  });

  it('draws num records with replacement, even more than the dataset has', () => {
    const { records } = run(dataset(10, 2), true, 20, 1);
    assert.equal(records.length, 20);
    assert.ok(records.every((x) => x >= 0 && x < 10));
    assert.ok(new Set(records).size < 20);
  });

  it('is repeatable with a seed and differs across seeds', () => {
    assert.deepEqual(run(dataset(1_000, 4), false, 20, 7).records, run(dataset(1_000, 4), false, 20, 7).records);
    assert.notDeepEqual(run(dataset(1_000, 4), false, 20, 7).records, run(dataset(1_000, 4), false, 20, 8).records);
  });

  it('samples again with a new seed while a sample falls short', () => {
    let calls = 0;
    const stingy = (parts: number[][], wr: boolean, fraction: number, seed: number) => (++calls < 3 ? [] : sampleOf(parts, wr, fraction, seed));
    const { records, steps } = run(dataset(1_000, 4), false, 10, 5, stingy);
    const seeds = steps.filter((s) => s.kind === 'sample').map((s) => (s.kind === 'sample' ? s.seed : -1));
    assert.equal(seeds.length, 3);
    assert.equal(seeds[0], 5);
    assert.equal(new Set(seeds).size, 3);
    assert.ok(seeds.every((s) => Number.isInteger(s) && s >= 0 && s < 2 ** 32));
    assert.equal(records.length, 10);
  });

  it(`fails after ${MAX_SAMPLE_ROUNDS} samples that all fall short`, () => {
    assert.throws(() => run(dataset(100, 2), false, 10, 1, () => [1]), /fewer than 10 records in each of 100 samples/);
  });

  it('refuses steps out of order', () => {
    const ts = new TakeSample<number>(false, 3, 1);
    assert.throws(() => ts.counted(5), /out of order: it is at start, not count/);
    ts.start(2);
    assert.throws(() => ts.sampled([]), /it is at count, not sample/);
  });
});

describe('shuffleInPlace', () => {
  it('permutes, repeatably, every order reachable', () => {
    const seen = new Set<string>();
    for (let seed = 0; seed < 200; seed++) {
      const r = shuffleInPlace([1, 2, 3], mulberry32(seed));
      assert.deepEqual([...r].sort(), [1, 2, 3]);
      seen.add(r.join());
    }
    assert.equal(seen.size, 6);
    assert.deepEqual(shuffleInPlace([...Array(20).keys()], mulberry32(4)), shuffleInPlace([...Array(20).keys()], mulberry32(4)));
  });
});
