// Unit tests for treeAggregate/treeReduce's plan shape (src/ops/kernels/tree-aggregate.ts).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { depthProblem, treeLevels } from "../src/ops/kernels/tree-aggregate.js";

describe("depthProblem", () => {
  it("refuses a depth below 1 with PySpark's message", () => {
    assert.equal(depthProblem(0), "Depth cannot be smaller than 1 but got 0.");
    assert.equal(depthProblem(-2), "Depth cannot be smaller than 1 but got -2.");
    assert.equal(depthProblem(1), null);
    assert.equal(depthProblem(10), null);
    assert.throws(() => treeLevels(4, 0), /Depth cannot be smaller than 1 but got 0\./);
  });
});

describe("treeLevels", () => {
  it("matches PySpark's loop (computed with its code for these inputs)", () => {
    const expected: [number, number, number[]][] = [
      [10, 2, [10, 2]],
      [10, 1, [10]],
      [10, 5, [10, 5, 2]],
      [10, 10, [10, 5, 2]],
      [100, 2, [100, 10]],
      [1000, 2, [1000, 31]],
      [1000, 3, [1000, 100, 10]],
      [7, 2, [7, 2]],
      [5, 2, [5, 1]],
      [4, 2, [4]],
      [1, 2, [1]],
      [0, 2, [0]],
      [100000, 2, [100000, 315]],
      [100000, 4, [100000, 5555, 308, 17]],
      [37, 3, [37, 9, 2]],
      [64, 3, [64, 16, 4]],
      [1000, 10, [1000, 500, 250, 125, 62, 31, 15, 7, 3]],
    ];
    for (const [n, depth, levels] of expected) assert.deepEqual(treeLevels(n, depth), levels, `n=${n} depth=${depth}`);
  });

  it("only ever narrows, and never to 0 partitions", () => {
    for (let n = 1; n <= 300; n++) {
      for (const depth of [1, 2, 3, 4, 7]) {
        const levels = treeLevels(n, depth);
        for (let i = 1; i < levels.length; i++) assert.ok(levels[i]! >= 1 && levels[i]! < levels[i - 1]!, `n=${n} depth=${depth}: ${levels}`);
      }
    }
  });
});
