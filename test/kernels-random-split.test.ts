// Unit tests for randomSplit's ranges and per-partition selection (src/ops/kernels/random-split.ts).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { splitPartition, splitRanges, weightsProblem } from "../src/ops/kernels/random-split.js";

const partitions = [[...Array(300).keys()], [...Array(200).keys()].map((i) => 1000 + i)];

function splits(weights: number[], seed: number): number[][] {
  return splitRanges(weights).map((range) => partitions.flatMap((part, index) => [...splitPartition(part, range, seed, index)]));
}

describe("weightsProblem", () => {
  it("refuses what PySpark refuses, with its messages", () => {
    assert.equal(weightsProblem([1, -1]), "Weights must be nonnegative");
    assert.equal(weightsProblem([1, Number.NaN]), "Weights must be nonnegative");
    assert.equal(weightsProblem([0, 0]), "Sum of weights must be positive");
    assert.equal(weightsProblem([]), "Sum of weights must be positive");
    assert.equal(weightsProblem([1, Infinity]), "Weights must be finite");
    assert.equal(weightsProblem([2, 3]), null);
    assert.equal(weightsProblem([0, 1]), null);
    assert.throws(() => splitRanges([-1]), /Weights must be nonnegative/);
  });
});

describe("splitRanges", () => {
  it("normalises the weights into consecutive ranges ending at exactly 1", () => {
    assert.deepEqual(splitRanges([2, 3]), [
      { lower: 0, upper: 0.4 },
      { lower: 0.4, upper: 1 },
    ]);
    assert.deepEqual(splitRanges([1]), [{ lower: 0, upper: 1 }]);
    assert.deepEqual(splitRanges([0, 1, 0]), [
      { lower: 0, upper: 0 },
      { lower: 0, upper: 1 },
      { lower: 1, upper: 1 },
    ]);
    // 0.1 × 10 sums to 0.9999999999999999: the last range still reaches 1.
    const tenths = splitRanges(Array(10).fill(0.1));
    assert.equal(tenths.at(-1)!.upper, 1);
    for (let i = 1; i < tenths.length; i++) assert.equal(tenths[i]!.lower, tenths[i - 1]!.upper);
  });
});

describe("splitPartition", () => {
  it("splits the input into disjoint parts that cover it", () => {
    const parts = splits([1, 2, 3, 4], 11);
    const all = parts.flat().sort((a, b) => a - b);
    assert.deepEqual(
      all,
      partitions.flat().sort((a, b) => a - b),
    );
  });

  it("sizes the parts by weight (PySpark's example: 500 records, weights 2 and 3)", () => {
    const [a, b] = splits([2, 3], 17);
    assert.equal(a!.length + b!.length, 500);
    assert.ok(a!.length > 150 && a!.length < 250, `first split ${a!.length}`);
    assert.ok(b!.length > 250 && b!.length < 350, `second split ${b!.length}`);
  });

  it("gives the same split for the same seed, another for another seed", () => {
    assert.deepEqual(splits([1, 1], 5), splits([1, 1], 5));
    assert.notDeepEqual(splits([1, 1], 5)[0], splits([1, 1], 6)[0]);
  });

  it("keeps the order within a partition and draws per partition", () => {
    const [first] = splits([1, 1], 3);
    const fromFirst = first!.filter((x) => x < 1000);
    assert.deepEqual(
      fromFirst,
      [...fromFirst].sort((a, b) => a - b),
    );
    // The same records in partitions 0 and 1 are split differently: the streams differ.
    const same = [...Array(100).keys()];
    const range = splitRanges([1, 1])[0]!;
    assert.notDeepEqual([...splitPartition(same, range, 3, 0)], [...splitPartition(same, range, 3, 1)]);
  });

  it("gives a zero weight no records", () => {
    assert.deepEqual(splits([0, 1], 9)[0], []);
  });
});
