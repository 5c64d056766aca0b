// Unit tests for histogram buckets of any comparable kind (src/ops/kernels/histogram-buckets.ts).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { HistogramError, bucketIndex, bucketsProblem, countBuckets, prepareBuckets, type Buckets } from "../src/ops/kernels/histogram-buckets.js";
import { mulberry32 } from "../src/common/random.js";

const range = (n: number) => [...Array(n).keys()];

describe("bucketsProblem", () => {
  it("refuses what PySpark refuses, with its messages", () => {
    assert.equal(bucketsProblem([1]), "buckets should have more than one value");
    assert.equal(bucketsProblem([]), "buckets should have more than one value");
    assert.equal(bucketsProblem(["a", null]), "can not have null or NaN in buckets");
    assert.equal(bucketsProblem([0, Number.NaN]), "can not have null or NaN in buckets");
    assert.equal(bucketsProblem(["b", "a"]), "buckets should be sorted");
    assert.equal(bucketsProblem([1, 3, 2]), "buckets should be sorted");
    assert.equal(bucketsProblem(["a", "a", "b"]), "buckets should not contain duplicated values");
    assert.equal(
      bucketsProblem([
        { a: 1, b: 2 },
        { b: 2, a: 1 },
      ]),
      "buckets should not contain duplicated values",
    );
    assert.match(bucketsProblem([1, "a"])!, /buckets should all be of one kind/);
    assert.equal(bucketsProblem(["a", "b", "c"]), null);
    assert.equal(bucketsProblem([[1, "a"], [1, "b"], [2]]), null);
    assert.throws(() => prepareBuckets(["b", "a"]), /buckets should be sorted/);
  });

  it("orders strings by code point, as Python does", () => {
    assert.equal(bucketsProblem(["Z", "a"]), null);
    assert.equal(bucketsProblem(["\uffff", "\u{10000}"]), null);
  });
});

describe("countBuckets", () => {
  it("matches PySpark's examples", () => {
    assert.deepEqual(countBuckets(prepareBuckets([0, 5, 25, 50]), range(51)), [5, 20, 26]);
    assert.deepEqual(countBuckets(prepareBuckets([0, 15, 30, 45, 60]), range(51)), [15, 15, 15, 6]);
    assert.deepEqual(countBuckets(prepareBuckets(["a", "b", "c"]), ["ab", "ac", "b", "bd", "ef"]), [2, 2]);
    assert.deepEqual(countBuckets(prepareBuckets([1, 10, 20, 50]), [1, 50]), [1, 0, 1]);
  });

  it("closes the last bucket only, and skips records outside, null and NaN", () => {
    const b = prepareBuckets(["b", "d", "f"]);
    assert.deepEqual(countBuckets(b, ["a", "b", "c", "d", "e", "f", "fa", "g", null]), [2, 3]);
    assert.deepEqual(countBuckets(prepareBuckets([0, 1, 2]), [Number.NaN, null, -0, 2, 2.5]), [1, 1]);
  });

  it("counts arrays and objects by value", () => {
    const b = prepareBuckets([[0], [1], [2]]);
    assert.deepEqual(countBuckets(b, [[0, 5], [1], [1, "x"], [2], [3]]), [1, 3]);
  });

  it("fails on a record of another kind, as Python would", () => {
    const b = prepareBuckets(["a", "z"]);
    assert.throws(
      () => countBuckets(b, ["m", 5]),
      (e: unknown) => e instanceof HistogramError && e.message === "histogram() with string buckets needs string records, got 5",
    );
    assert.throws(() => countBuckets(prepareBuckets([0, 1]), ["0.5"]), /histogram\(\) with number buckets needs number records, got "0\.5"/);
  });
});

describe("evenly spaced numeric buckets", () => {
  it("are detected by PySpark's rule", () => {
    assert.deepEqual(prepareBuckets([0, 15, 30, 45, 60]).even, { min: 0, inc: 15 });
    assert.ok(prepareBuckets([0, 0.1, 0.2, 0.30000000000000004]).even);
    assert.equal(prepareBuckets([0, 5, 25, 50]).even, null);
    assert.equal(prepareBuckets(["a", "b", "c"]).even, null);
  });

  it("put every record where bisection does, even where the arithmetic rounds the other way", () => {
    const uneven = (b: Buckets): Buckets => ({ ...b, even: null });
    const rand = mulberry32(42);
    for (const edges of [range(11).map((i) => i * 0.1), range(101).map((i) => -5 + i * 0.7), range(7).map((i) => i * 1e-3), [0, 0.2, 0.4, 0.6000000000000001, 0.8, 1]]) {
      const b = prepareBuckets(edges);
      assert.ok(b.even, `${edges} should count as even`);
      const probes = [...edges, ...edges.map((e) => e - 1e-12), ...edges.map((e) => e + 1e-12), ...range(2000).map(() => edges[0]! + rand() * (edges.at(-1)! - edges[0]!))];
      for (const x of probes) assert.equal(bucketIndex(b, x), bucketIndex(uneven(b), x), `x=${x} edges=${edges.slice(0, 4)}…`);
    }
    // 0.6 / 0.2 is 2.9999999999999996: int() would say bucket 2, the edges say 3.
    assert.equal(bucketIndex(prepareBuckets([0, 0.2, 0.4, 0.6, 0.8]), 0.6), 3);
  });
});
