// Unit tests for takeSample's bound on num (src/ops/kernels/take-sample.ts):
// PySpark's messages and its sys.maxsize bound. The sample itself is tested
// through the op (test/sampling-and-pipe.test.ts, test/ops-table.test.ts).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { MAX_SAMPLE_SIZE, sampleSizeProblem } from "../src/ops/kernels/take-sample.js";

describe("sampleSizeProblem", () => {
  it("refuses what PySpark refuses, with its messages", () => {
    assert.equal(sampleSizeProblem(-1), "Sample size cannot be negative.");
    assert.equal(sampleSizeProblem(MAX_SAMPLE_SIZE + 2), `Sample size cannot be greater than ${MAX_SAMPLE_SIZE}.`);
    assert.equal(sampleSizeProblem(1.5), "Sample size must be a whole number.");
    assert.equal(sampleSizeProblem(Number.NaN), "Sample size must be a whole number.");
    assert.equal(sampleSizeProblem(0), null);
    assert.equal(sampleSizeProblem(MAX_SAMPLE_SIZE), null);
  });

  it("bounds num as PySpark does sys.maxsize, with the largest safe integer", () => {
    assert.equal(MAX_SAMPLE_SIZE, 2 ** 53 - 1 - Math.trunc(10 * Math.sqrt(2 ** 53 - 1)));
  });
});
