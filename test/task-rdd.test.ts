// taskRdd: a task is sent only its own split or slice, and computes exactly what
// it would have computed from the whole tree.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { InputSplit, Rdd } from "../src/plan/physical.js";
import { shuffleBlocksRead, sliceBounds, taskRdd } from "../src/plan/task-rdd.js";
import { asShuffleId } from "../src/common/ids.js";
import { computePartition, type ComputeContext } from "../src/worker/rdd-compute.js";
import { MemoryPool, memoryLayout } from "../src/worker/memory/memory-pool.js";
import { TaskSpills } from "../src/worker/memory/spill-files.js";

const ctx = (): ComputeContext => ({
  dataDir: "/nonexistent",
  s3: null,
  blocks: { blocks: () => [] },
  inputs: {},
  metrics: { recordsIn: 0, bytesRead: 0 },
  memory: new MemoryPool(memoryLayout(64 * 1024 * 1024, 1, 0.5).pool).task(0),
  spills: new TaskSpills("/nonexistent", "spill_test_"),
  cache: null,
});
const all = (rdd: Rdd, p: number) => [...computePartition(rdd, p, ctx())].flat();
const par = (node: string, data: number[], n: number): Rdd => ({ kind: "parallelize", node, data, dataOffset: 0, dataLength: data.length, numPartitions: n });
const split = (i: number): InputSplit => ({ path: `f${i}.txt`, start: i * 10, end: i * 10 + 10, fileSize: 100 });

describe("taskRdd", () => {
  it("slices parallelized data like Spark", () => {
    assert.deepEqual(
      [0, 1, 2].map((p) => sliceBounds(p, 3, 10)),
      [
        [0, 3],
        [3, 6],
        [6, 10],
      ],
    );
    const rdd = par("a", [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 3);
    for (let p = 0; p < 3; p++) {
      const pruned = taskRdd(rdd, p) as Rdd & { kind: "parallelize" };
      assert.equal(pruned.data.length, sliceBounds(p, 3, 10)[1] - sliceBounds(p, 3, 10)[0]);
      assert.deepEqual(all(pruned, p), all(rdd, p));
    }
  });

  it("keeps one split per file source, through narrow ops", () => {
    const file: Rdd = { kind: "file", node: "f", format: "text", splits: [split(0), split(1), split(2)], firstSplit: 0, csv: null, numPartitions: 3 };
    const mapped: Rdd = { kind: "narrow", node: "m", op: "map", fn: "x => x", env: {}, parent: file, numPartitions: 3 };
    const pruned = taskRdd(mapped, 2) as Rdd & { kind: "narrow"; parent: Rdd & { kind: "file" } };
    assert.deepEqual(pruned.parent.splits, [split(2)]);
    assert.equal(pruned.parent.firstSplit, 2);
  });

  it("through a union, keeps only the branch the partition reads", () => {
    const u: Rdd = { kind: "union", node: "u", parents: [par("a", [1, 2, 3, 4], 2), par("b", [10, 20, 30], 3)], numPartitions: 5 };
    for (let p = 0; p < 5; p++) {
      const pruned = taskRdd(u, p);
      assert.deepEqual(all(pruned, p), all(u, p));
      const kept = (pruned as unknown as { parents: { data: number[] }[] }).parents.map((x) => x.data.length);
      assert.deepEqual(kept, p < 2 ? [2, 0] : [0, 1]);
    }
  });

  it("a pruned tree refuses a partition it was not sent", () => {
    const pruned = taskRdd(par("a", [1, 2, 3, 4], 2), 0);
    assert.throws(() => all(pruned, 1), /was not sent the slice of partition 1 of node "a"/);
  });
});

describe("shuffleBlocksRead", () => {
  const shuffled = (s: number, n: number): Rdd => ({ kind: "shuffled", node: `s${s}`, op: "reduceByKey", shuffles: [asShuffleId(s)], read: { type: "groupByKey" }, numPartitions: n });

  it("maps a task's partition through unions, cartesians and coalesces to the reduce partitions it reads", () => {
    const u: Rdd = { kind: "union", node: "u", parents: [shuffled(0, 2), shuffled(1, 3)], numPartitions: 5 };
    assert.deepEqual(
      [0, 1, 2, 3, 4].map((p) => shuffleBlocksRead(u, p)),
      [[[0, 0]], [[0, 1]], [[1, 0]], [[1, 1]], [[1, 2]]],
    );
    const c: Rdd = { kind: "cartesian", node: "c", parents: [shuffled(0, 2), shuffled(1, 3)], numPartitions: 6 };
    assert.deepEqual(shuffleBlocksRead(c, 4), [
      [0, 1],
      [1, 1],
    ]);
    const co: Rdd = { kind: "coalesce", node: "co", parent: shuffled(2, 4), numPartitions: 2 };
    assert.deepEqual(shuffleBlocksRead(co, 1), [
      [2, 2],
      [2, 3],
    ]);
  });
});
