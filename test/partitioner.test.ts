// Unit tests for shuffle partitioning: hash and range partitions and sample-based range bounds (src/plan/partitioner.ts).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { hashPartition, partitionFunction, rangeBounds, rangePartition } from "../src/plan/partitioner.js";
import { hashKey } from "../src/plan/keys.js";

describe("hashPartition", () => {
  it("is hashKey modulo the partition count", () => {
    for (const k of ["a", "b", "wordcount", 17, -3, null, [1, "x"], { a: 1 }]) {
      for (const n of [2, 3, 7, 64]) assert.equal(hashPartition(k, n), hashKey(k) % n);
    }
  });

  it("sends every key to partition 0 when there is one partition", () => {
    for (const k of ["a", 1, null, [2]]) assert.equal(hashPartition(k, 1), 0);
  });

  it("sends equal keys to the same partition", () => {
    assert.equal(hashPartition({ a: 1, b: 2 }, 13), hashPartition({ b: 2, a: 1 }, 13));
    assert.equal(hashPartition(0, 13), hashPartition(-0, 13));
  });

  it("spreads many keys about evenly", () => {
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) counts[hashPartition(`key-${i}`, 4)]!++;
    for (const c of counts) assert.ok(c > 850 && c < 1150, `partition sizes ${counts.join(",")}`);
    const intCounts = [0, 0, 0];
    for (let i = 0; i < 3000; i++) intCounts[hashPartition(i, 3)]!++;
    for (const c of intCounts) assert.ok(c > 850 && c < 1150, `partition sizes ${intCounts.join(",")}`);
  });
});

describe("rangePartition", () => {
  const bounds = [10, 20, 30];

  it("ascending: partition i holds keys up to and including bound i", () => {
    const keys = [-5, 10, 11, 20, 25, 30, 31, 1000];
    assert.deepEqual(
      keys.map((k) => rangePartition(k, bounds, true)),
      [0, 0, 1, 1, 2, 2, 3, 3],
    );
  });

  it("descending: the same ranges in reverse partition order", () => {
    const keys = [-5, 10, 11, 20, 25, 30, 31, 1000];
    assert.deepEqual(
      keys.map((k) => rangePartition(k, bounds, false)),
      [3, 3, 2, 2, 1, 1, 0, 0],
    );
  });

  it("uses key order across types and for strings", () => {
    assert.equal(rangePartition(null, ["m"], true), 0);
    assert.equal(rangePartition(5, ["m"], true), 0);
    assert.equal(rangePartition("a", ["m"], true), 0);
    assert.equal(rangePartition("m", ["m"], true), 0);
    assert.equal(rangePartition("n", ["m"], true), 1);
    assert.equal(rangePartition([1], ["m"], true), 1);
    assert.equal(rangePartition("\u{1F600}", ["\uffff"], true), 1);
  });

  it("puts everything in partition 0 with no bounds", () => {
    assert.equal(rangePartition("x", [], true), 0);
    assert.equal(rangePartition("x", [], false), 0);
  });
});

describe("partitionFunction", () => {
  it("hash partitioner uses hashPartition", () => {
    const f = partitionFunction({ type: "hash" }, 5);
    for (const k of ["a", "b", 3]) assert.equal(f(k), hashKey(k) % 5);
  });

  it("range partitioner uses its bounds and direction", () => {
    const asc = partitionFunction({ type: "range", ascending: true, bounds: ["g", "p"] }, 3);
    const desc = partitionFunction({ type: "range", ascending: false, bounds: ["g", "p"] }, 3);
    assert.deepEqual(["a", "g", "h", "p", "z"].map(asc), [0, 0, 1, 1, 2]);
    assert.deepEqual(["a", "g", "h", "p", "z"].map(desc), [2, 2, 1, 1, 0]);
  });

  it("range partitioner with one partition needs no bounds", () => {
    const f = partitionFunction({ type: "range", ascending: true, bounds: null }, 1);
    assert.equal(f("anything"), 0);
  });

  it("range partitioner without bounds throws for more than one partition", () => {
    assert.throws(() => partitionFunction({ type: "range", ascending: true, bounds: null }, 2), /range partitioner used before its bounds were computed/);
  });
});

describe("rangeBounds", () => {
  const ints = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

  it("splits evenly weighted keys into equal ranges", () => {
    const samples = [{ keys: ints(1, 10), total: 10 }];
    assert.deepEqual(rangeBounds(samples, 2), [5]);
    assert.deepEqual(rangeBounds(samples, 4), [3, 5, 8]);
    assert.deepEqual(rangeBounds(samples, 5), [2, 4, 6, 8]);
  });

  it("merges and sorts the keys of every partition", () => {
    const samples = [
      { keys: [9, 3, 7], total: 3 },
      { keys: [1, 5], total: 2 },
      { keys: [8, 2, 6, 4], total: 4 },
    ];
    assert.deepEqual(rangeBounds(samples, 3), [3, 6]);
  });

  it("weighs each sampled key by the records it stands for", () => {
    // Partition A: 2 keys standing for 100 records; partition B: 2 keys for 2.
    const samples = [
      { keys: [1, 2], total: 100 },
      { keys: [3, 4], total: 2 },
    ];
    assert.deepEqual(rangeBounds(samples, 2), [2]);
    // Unweighted, the median would be key 2; weighted, most records are at key 1.
    assert.deepEqual(
      rangeBounds(
        [
          { keys: [1], total: 1000 },
          { keys: [2, 3, 4], total: 3 },
        ],
        2,
      ),
      [1],
    );
    assert.deepEqual(
      rangeBounds(
        [
          { keys: [1], total: 1 },
          { keys: [2, 3, 4], total: 3 },
        ],
        2,
      ),
      [2],
    );
  });

  it("returns strictly increasing bounds, fewer when keys repeat", () => {
    assert.deepEqual(rangeBounds([{ keys: [1, 1, 1, 1, 2], total: 5 }], 3), [1, 2]);
    assert.deepEqual(rangeBounds([{ keys: ["a", "a", "a", "a"], total: 4 }], 4), ["a"]);
  });

  it("never returns more than numPartitions - 1 bounds", () => {
    const b = rangeBounds([{ keys: ints(1, 100), total: 100 }], 10);
    assert.deepEqual(b, [10, 20, 30, 40, 50, 60, 70, 80, 90]);
  });

  it("orders mixed and string keys with compareKeys", () => {
    const samples = [{ keys: ["b", "a", "d", "c", "f", "e"], total: 6 }];
    assert.deepEqual(rangeBounds(samples, 3), ["b", "d"]);
    const mixed = [{ keys: ["x", 3, null, [1], true, "a"], total: 6 }];
    assert.deepEqual(rangeBounds(mixed, 3), [true, "a"]);
  });

  it("returns no bounds for one partition or no samples", () => {
    assert.deepEqual(rangeBounds([{ keys: [1, 2, 3], total: 3 }], 1), []);
    assert.deepEqual(rangeBounds([], 4), []);
    assert.deepEqual(
      rangeBounds(
        [
          { keys: [], total: 0 },
          { keys: [], total: 50 },
        ],
        4,
      ),
      [],
    );
  });

  it("ignores empty partitions among full ones", () => {
    const samples = [
      { keys: [], total: 0 },
      { keys: ints(1, 4), total: 4 },
      { keys: [], total: 0 },
    ];
    assert.deepEqual(rangeBounds(samples, 2), [2]);
  });

  it("bounds split the sampled records into ranges of about equal size", () => {
    const keys = Array.from({ length: 600 }, (_, i) => (i * 7919) % 1000);
    const bounds = rangeBounds([{ keys, total: 600 }], 6);
    assert.equal(bounds.length, 5);
    const sizes = [0, 0, 0, 0, 0, 0];
    for (const k of keys) sizes[rangePartition(k, bounds, true)]!++;
    for (const s of sizes) assert.ok(s >= 95 && s <= 105, `range sizes ${sizes.join(",")}`);
  });
});
