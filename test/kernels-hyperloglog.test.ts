// Unit tests for the countApproxDistinct sketch (src/ops/kernels/hyperloglog.ts).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { HyperLogLog, MAX_PRECISION, precisionFor, relativeSdProblem } from "../src/ops/kernels/hyperloglog.js";

function sketchOf(relativeSD: number, values: Iterable<unknown>): HyperLogLog {
  const h = HyperLogLog.forRelativeSD(relativeSD);
  for (const v of values) h.addValue(v);
  return h;
}

function* range(from: number, to: number): Iterable<number> {
  for (let i = from; i < to; i++) yield i;
}

describe("precisionFor", () => {
  it("follows Spark's p = ceil(2 log2(1.054 / relativeSD)), at least 4", () => {
    assert.equal(precisionFor(0.05), 9);
    assert.equal(precisionFor(0.01), 14);
    assert.equal(precisionFor(0.005), 16);
    assert.equal(precisionFor(0.3), 4);
    assert.equal(precisionFor(2), 4);
  });
});

describe("relativeSdProblem", () => {
  it("refuses what PySpark refuses, with its message", () => {
    for (const bad of [0.00001, 0, -1, Number.NaN]) {
      assert.equal(relativeSdProblem(bad), "relativeSD should be greater than 0.000017");
    }
  });
  it("refuses a precision past the limit, naming the smallest relativeSD it takes", () => {
    const smallest = 1.054 / 2 ** (MAX_PRECISION / 2);
    assert.equal(relativeSdProblem(smallest), null);
    assert.match(relativeSdProblem(0.001)!, /needs 2\^21 registers per partition; the limit is 2\^18 \(relativeSD >= 0\.0020585/);
    assert.throws(() => HyperLogLog.forRelativeSD(0.001), RangeError);
  });
  it("takes the default and coarse values", () => {
    assert.equal(relativeSdProblem(0.05), null);
    assert.equal(relativeSdProblem(0.5), null);
  });
});

describe("HyperLogLog estimates", () => {
  for (const relativeSD of [0.05, 0.02, 0.01, 0.005]) {
    for (const n of [100_000, 1_000_000]) {
      it(`counts ${n} distinct values within 3 relativeSD at relativeSD ${relativeSD}`, () => {
        const est = sketchOf(relativeSD, range(0, n)).estimate();
        assert.ok(Math.abs(est - n) / n < 3 * relativeSD, `estimate ${est} for ${n}`);
      });
    }
  }

  it("stays within 3 relativeSD across the switch from linear counting (n from m/10 to 10m)", () => {
    const relativeSD = 0.02; // p = 12, m = 4096
    for (const n of [400, 2_000, 4_096, 8_000, 10_240, 12_000, 16_000, 20_480, 30_000, 40_960]) {
      const est = sketchOf(relativeSD, range(n * 7, n * 8)).estimate();
      assert.ok(Math.abs(est - n) / n < 3 * relativeSD, `estimate ${est} for ${n}`);
    }
  });

  it("is not biased where linear counting stops (n = 2.5m and 3m, averaged over 20 sets)", () => {
    const relativeSD = 0.02; // m = 4096
    for (const n of [10_240, 12_288]) {
      let sum = 0;
      for (let set = 0; set < 20; set++)
        sum +=
          (sketchOf(
            relativeSD,
            [...range(0, n)].map((i) => `s${set}-${i}`),
          ).estimate() -
            n) /
          n;
      // One set errs by about relativeSD; the mean of 20 unbiased ones by about a quarter of it.
      assert.ok(Math.abs(sum / 20) < relativeSD / 2, `mean relative error ${sum / 20} at ${n}`);
    }
  });

  it("counts small sets exactly or nearly so, and an empty one as 0", () => {
    assert.equal(sketchOf(0.05, []).estimate(), 0);
    assert.equal(sketchOf(0.05, ["x"]).estimate(), 1);
    const est = sketchOf(0.05, range(0, 20)).estimate();
    assert.ok(est >= 19 && est <= 21, `estimate ${est} for 20`);
  });

  it("counts strings, arrays and objects by value", () => {
    const words = [...range(0, 50_000)].map((i) => `w${i}`);
    const est = sketchOf(0.01, words).estimate();
    assert.ok(Math.abs(est - 50_000) / 50_000 < 0.03, `estimate ${est}`);
    const a = sketchOf(0.05, [{ a: 1, b: [2, 3] }, [1, "x"]]);
    const b = sketchOf(0.05, [{ b: [2, 3], a: 1 }, [1, "x"]]);
    assert.deepEqual(a.toState(), b.toState());
    assert.equal(a.estimate(), 2);
  });

  it('tells 1 from "1" (keys keep their JSON type)', () => {
    assert.equal(sketchOf(0.05, [1, "1"]).estimate(), 2);
  });
});

describe("HyperLogLog duplicates and merge", () => {
  it("does not count a value twice", () => {
    const once = sketchOf(0.01, range(0, 30_000));
    const many = HyperLogLog.forRelativeSD(0.01);
    for (let round = 0; round < 5; round++) for (let i = 30_000; i-- > 0; ) many.addValue(i);
    assert.deepEqual(many.toState(), once.toState());
  });

  it("merges into the sketch of the union, in either order", () => {
    const a = sketchOf(0.01, range(0, 60_000));
    const b = sketchOf(0.01, range(40_000, 100_000));
    const union = sketchOf(0.01, range(0, 100_000));
    const ab = HyperLogLog.fromState(a.toState());
    ab.merge(b);
    const ba = HyperLogLog.fromState(b.toState());
    ba.merge(a);
    assert.deepEqual(ab.toState(), union.toState());
    assert.deepEqual(ba.toState(), union.toState());
    assert.ok(Math.abs(ab.estimate() - 100_000) / 100_000 < 0.03);
  });

  it("refuses to merge sketches of different precisions", () => {
    assert.throws(() => sketchOf(0.01, []).merge(sketchOf(0.05, [])), /precision 14 and 9/);
  });
});

describe("HyperLogLog state", () => {
  it("round-trips through JSON", () => {
    const h = sketchOf(0.05, range(0, 5_000));
    const back = HyperLogLog.fromState(JSON.parse(JSON.stringify(h.toState())));
    assert.deepEqual(back.toState(), h.toState());
    assert.equal(back.estimate(), h.estimate());
    assert.equal(h.toState().p, 9);
    assert.equal(Buffer.from(h.toState().registers, "base64").length, 512);
  });

  it("refuses states a sketch could not have written", () => {
    const good = sketchOf(0.05, range(0, 100)).toState();
    const bad: unknown[] = [
      null,
      "x",
      { ...good, p: 3 },
      { ...good, p: 19 },
      { ...good, p: 9.5 },
      { ...good, registers: 42 },
      { ...good, registers: good.registers.slice(4) },
      { ...good, registers: "!" + good.registers.slice(1) },
      { p: 9, registers: Buffer.alloc(512, 57).toString("base64") },
    ];
    for (const state of bad) assert.throws(() => HyperLogLog.fromState(state), RangeError, JSON.stringify(state)?.slice(0, 40));
    assert.doesNotThrow(() => HyperLogLog.fromState({ p: 9, registers: Buffer.alloc(512, 56).toString("base64") }));
  });
});
