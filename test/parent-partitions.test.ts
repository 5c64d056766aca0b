// parentPartitions: the one rule for which parent partitions a partition of a
// union, cartesian, coalesce or one-to-one step reads.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parentPartitions } from "../src/plan/parent-partitions.js";
import type { Rdd } from "../src/plan/physical.js";

const range = (node: string, n: number): Rdd => ({ kind: "range", node, start: 0, end: 100, step: 1, numPartitions: n });
const reads = (rdd: Rdd, p: number) => parentPartitions(rdd, p).map((r) => [r.parent.node, r.partitions]);

describe("parentPartitions", () => {
  it("gives a union's partition to the one parent that owns it, none to the others", () => {
    const u: Rdd = { kind: "union", node: "u", parents: [range("a", 2), range("b", 3)], numPartitions: 5 };
    assert.deepEqual(reads(u, 1), [
      ["a", [1]],
      ["b", []],
    ]);
    assert.deepEqual(reads(u, 2), [
      ["a", []],
      ["b", [0]],
    ]);
    assert.deepEqual(reads(u, 4), [
      ["a", []],
      ["b", [2]],
    ]);
    assert.deepEqual(reads(u, 5), [
      ["a", []],
      ["b", []],
    ]);
  });

  it("pairs the left's p / n with the right's p % n in a cartesian", () => {
    const c: Rdd = { kind: "cartesian", node: "c", parents: [range("l", 2), range("r", 3)], numPartitions: 6 };
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5].map((p) => reads(c, p)),
      [0, 1, 2, 3, 4, 5].map((p) => [
        ["l", [Math.floor(p / 3)]],
        ["r", [p % 3]],
      ]),
    );
  });

  it("gives a coalesced partition a run of its parent's, covering each once", () => {
    const co: Rdd = { kind: "coalesce", node: "co", parent: range("a", 7), numPartitions: 3 };
    const runs = [0, 1, 2].map((p) => parentPartitions(co, p)[0]!.partitions);
    assert.deepEqual(runs, [
      [0, 1],
      [2, 3],
      [4, 5, 6],
    ]);
  });

  it("reads the same partition through a narrow step, and nothing below a source", () => {
    const m: Rdd = { kind: "narrow", node: "m", op: "map", fn: "x => x", env: {}, parent: range("a", 4), numPartitions: 4 };
    assert.deepEqual(reads(m, 3), [["a", [3]]]);
    assert.deepEqual(reads(range("a", 4), 3), []);
  });
});
