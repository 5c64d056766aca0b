// Unit tests for sampleByKey (src/ops/kernels/sample-by-key.ts) and the
// draws it stands on (src/ops/kernels/poisson.ts, src/ops/kernels/partition-random.ts).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { SampleByKeyError, fractionTable, fractionsProblem, sampleByKeyPartition } from "../src/ops/kernels/sample-by-key.js";
import { poissonDraw } from "../src/ops/kernels/poisson.js";
import { partitionRandom } from "../src/ops/kernels/partition-random.js";
import { mulberry32 } from "../src/common/random.js";

/** PySpark's example: keys "a" and "b" each paired with 0..999. */
const pairs = ["a", "b"].flatMap((k) => [...Array(1000).keys()].map((i) => [k, i]));

function sampleAll(fractions: Parameters<typeof fractionTable>[0], withReplacement: boolean, seed: number, parts = 3): unknown[][] {
  const table = fractionTable(fractions, withReplacement);
  const out: unknown[][] = [];
  for (let p = 0; p < parts; p++) {
    const mine = pairs.filter((_, i) => i % parts === p);
    out.push(...([...sampleByKeyPartition(mine, table, withReplacement, seed, p)] as unknown[][]));
  }
  return out;
}

describe("fractionsProblem", () => {
  it("refuses negative, non-numeric and (without replacement) above-1 fractions, and a key given twice", () => {
    assert.equal(fractionsProblem({ a: -0.1 }, true), "Negative fraction value: -0.1");
    assert.equal(fractionsProblem({ a: 1.5 }, false), 'the fraction of key "a" must be <= 1 without replacement, got 1.5');
    assert.equal(fractionsProblem({ a: 1.5 }, true), null);
    assert.match(fractionsProblem({ a: "x" as unknown as number }, true)!, /fraction of key "a" must be a number, got "x"/);
    assert.equal(
      fractionsProblem(
        [
          [[1, 2], 0.5],
          [[1, 2], 0.2],
        ],
        false,
      ),
      "key [1,2] has two fractions",
    );
    assert.equal(
      fractionsProblem(
        [
          [1, 0.5],
          ["1", 0.2],
        ],
        false,
      ),
      null,
    );
    assert.throws(() => fractionTable({ a: -1 }, false), RangeError);
  });
});

describe("sampleByKeyPartition", () => {
  it("samples each key at its fraction (PySpark's example)", () => {
    const got = sampleAll({ a: 0.2, b: 0.1 }, false, 2);
    const a = got.filter(([k]) => k === "a").length;
    const b = got.filter(([k]) => k === "b").length;
    assert.ok(a > 100 && a < 300, `a: ${a}`);
    assert.ok(b > 50 && b < 150, `b: ${b}`);
    assert.ok(got.every(([, v]) => (v as number) >= 0 && (v as number) <= 999));
    assert.equal(new Set(got.map((p) => JSON.stringify(p))).size, got.length);
  });

  it("keeps Poisson(fraction) copies with replacement", () => {
    const got = sampleAll({ a: 2, b: 0.5 }, true, 4);
    const a = got.filter(([k]) => k === "a").length;
    const b = got.filter(([k]) => k === "b").length;
    assert.ok(a > 1800 && a < 2200, `a: ${a}`);
    assert.ok(b > 400 && b < 600, `b: ${b}`);
  });

  it("keeps all at fraction 1 and none at 0 without replacement", () => {
    const got = sampleAll({ a: 1, b: 0 }, false, 1);
    assert.equal(got.length, 1000);
    assert.ok(got.every(([k]) => k === "a"));
  });

  it("is repeatable with a seed and differs across seeds", () => {
    assert.deepEqual(sampleAll({ a: 0.3, b: 0.3 }, false, 8), sampleAll({ a: 0.3, b: 0.3 }, false, 8));
    assert.notDeepEqual(sampleAll({ a: 0.3, b: 0.3 }, false, 8), sampleAll({ a: 0.3, b: 0.3 }, false, 9));
  });

  it("looks keys up by value, whatever their JSON type", () => {
    const table = fractionTable(
      [
        [[1, { x: 2 }], 1],
        [1, 0],
        ["1", 1],
      ],
      false,
    );
    const input = [
      [[1, { x: 2 }], "p"],
      [1, "q"],
      ["1", "r"],
    ];
    assert.deepEqual(
      [...sampleByKeyPartition(input, table, false, 1, 0)],
      [
        [[1, { x: 2 }], "p"],
        ["1", "r"],
      ],
    );
  });

  it("fails on a key without a fraction, and on a record that is not a pair", () => {
    const table = fractionTable({ a: 0.5 }, false);
    assert.throws(
      () => [
        ...sampleByKeyPartition(
          [
            ["a", 1],
            ["c", 2],
          ],
          table,
          false,
          1,
          0,
        ),
      ],
      (e: unknown) => e instanceof SampleByKeyError && e.message === 'sampleByKey: key "c" has no fraction (every key needs one)',
    );
    assert.throws(() => [...sampleByKeyPartition(["a"], table, false, 1, 0)], /sampleByKey needs \[key, value\] pairs, got "a"/);
  });
});

describe("poissonDraw", () => {
  function meanAndVariance(mean: number, draws: number): [number, number] {
    const rand = mulberry32(7);
    const xs = Array.from({ length: draws }, () => poissonDraw(mean, rand));
    const m = xs.reduce((a, b) => a + b, 0) / draws;
    return [m, xs.reduce((a, b) => a + (b - m) ** 2, 0) / draws];
  }

  it("has the mean and variance of Poisson(mean), below and above the switch at 20, and past 745", () => {
    for (const [mean, draws] of [
      [0.3, 20000],
      [5, 20000],
      [19.9, 5000],
      [20, 5000],
      [60, 2000],
      [1000, 300],
    ] as const) {
      const [m, v] = meanAndVariance(mean, draws);
      const se = Math.sqrt(mean / draws);
      assert.ok(Math.abs(m - mean) < 5 * se, `mean ${m} for ${mean}`);
      assert.ok(Math.abs(v - mean) / mean < 0.25, `variance ${v} for ${mean}`);
    }
  });

  it("draws 0 for a mean of 0", () => {
    const rand = mulberry32(1);
    for (let i = 0; i < 100; i++) assert.equal(poissonDraw(0, rand), 0);
  });

  it("below 20 draws exactly as sample's sampler (Knuth's product) does", () => {
    const knuth = (mean: number, rand: () => number) => {
      const limit = Math.exp(-mean);
      let k = 0;
      let p = rand();
      while (p > limit) {
        k++;
        p *= rand();
      }
      return k;
    };
    const a = mulberry32(3);
    const b = mulberry32(3);
    for (let i = 0; i < 1000; i++) assert.equal(poissonDraw(i % 19, a), knuth(i % 19, b));
  });
});

describe("partitionRandom", () => {
  it("is sample's per-partition stream: mulberry32 of the seed mixed with the index", () => {
    const a = partitionRandom(42, 3);
    const b = mulberry32(42 ^ Math.imul(4, 0x9e3779b1));
    for (let i = 0; i < 10; i++) assert.equal(a(), b());
    assert.notEqual(partitionRandom(42, 0)(), partitionRandom(42, 1)());
  });
});
