// Unit tests for zip's checks and zipWithUniqueId's ids
// (src/ops/kernels/zip-partitions.ts, src/ops/kernels/zip-with-unique-id.ts).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ZipError, zipPartition, zipPartitionsProblem } from "../src/ops/kernels/zip-partitions.js";
import { zipWithUniqueId } from "../src/ops/kernels/zip-with-unique-id.js";

function* counted(n: number, closed: string[], name: string): Iterable<number> {
  try {
    for (let i = 0; i < n; i++) yield i;
  } finally {
    closed.push(name);
  }
}

describe("zipPartitionsProblem", () => {
  it("refuses different partition counts with PySpark's message", () => {
    assert.equal(zipPartitionsProblem(2, 3), "Can only zip with RDD which has the same number of partitions");
    assert.equal(zipPartitionsProblem(4, 4), null);
  });
});

describe("zipPartition", () => {
  it("pairs the i-th records (PySpark's example)", () => {
    assert.deepEqual(
      [...zipPartition([0, 1, 2, 3, 4], [1000, 1001, 1002, 1003, 1004])],
      [
        [0, 1000],
        [1, 1001],
        [2, 1002],
        [3, 1003],
        [4, 1004],
      ],
    );
    assert.deepEqual([...zipPartition([], [])], []);
  });

  it("fails with Spark's message when either side has fewer records", () => {
    for (const [a, b] of [
      [[1, 2], [1]],
      [[1], [1, 2]],
      [[], [1]],
    ] as [number[], number[]][]) {
      assert.throws(
        () => [...zipPartition(a, b)],
        (e: unknown) => e instanceof ZipError && e.message === "Can only zip RDDs with same number of elements in each partition",
      );
    }
  });

  it("yields the pairs before the mismatch, then fails", () => {
    const got: unknown[] = [];
    assert.throws(() => {
      for (const p of zipPartition([1, 2, 3], ["a", "b"])) got.push(p);
    }, ZipError);
    assert.deepEqual(got, [
      [1, "a"],
      [2, "b"],
    ]);
  });

  it("closes both sides when the consumer stops early or it fails", () => {
    const closed: string[] = [];
    for (const p of zipPartition(counted(10, closed, "left"), counted(10, closed, "right"))) if (p[0] === 2) break;
    assert.deepEqual(closed.sort(), ["left", "right"]);
    closed.length = 0;
    assert.throws(() => [...zipPartition(counted(3, closed, "left"), counted(2, closed, "right"))], ZipError);
    assert.deepEqual(closed.sort(), ["left", "right"]);
  });
});

describe("zipWithUniqueId", () => {
  it("gives partition k of n the ids k, n+k, 2n+k (PySpark's example)", () => {
    // sc.parallelize(["a", "b", "c", "d", "e"], 3) has partitions [a], [b, c], [d, e].
    const parts = [["a"], ["b", "c"], ["d", "e"]];
    const got = parts.flatMap((p, k) => [...zipWithUniqueId(p, k, 3)]);
    assert.deepEqual(got, [
      ["a", 0],
      ["b", 1],
      ["c", 4],
      ["d", 2],
      ["e", 5],
    ]);
  });

  it("never gives two records one id", () => {
    const ids = [5, 0, 17, 3].flatMap((size, k) => [...zipWithUniqueId(Array(size).fill(null), k, 4)].map(([, id]) => id));
    assert.equal(new Set(ids).size, ids.length);
  });

  it("refuses a partition index outside the count", () => {
    assert.throws(() => [...zipWithUniqueId([1], 3, 3)], /partition 3 is not one of 3/);
    assert.throws(() => [...zipWithUniqueId([1], -1, 3)], RangeError);
  });
});
