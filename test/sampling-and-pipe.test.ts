// Issue 16's methods of the "methods-b" part, beyond their ops-table rows:
// sample's Poisson draws (unchanged below a mean of 20, right above ~745),
// takeSample's one-pass merge (uniform with and without replacement over
// uneven partitions, bounded by the result budget), pipe refused by a worker
// without user code, the master's checks of the new task results, and the
// typed library's takeSample, randomSplit, sampleByKey, pipe and
// toLocalIterator: the JobSpecs they build, and the PySpark documentation's
// examples run in-process and on a real local cluster; toLocalIterator runs a
// partition's job only when the records before it are consumed.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { mulberry32 } from "../src/common/random.js";
import { runInline } from "../src/inline/inline-runner.js";
import { Context, type JobRunner, type JobSpec } from "../src/index.js";
import { resultMismatch } from "../src/master/report-check.js";
import type { StepContext } from "../src/ops/op-rule.js";
import { stepRule } from "../src/ops/registry.js";
import { mergeSamples, partitionSample } from "../src/ops/take-sample.js";
import type { Json } from "../src/plan/keys.js";
import type { JobPlan, Stage } from "../src/plan/physical.js";
import { setUserCodeAllowed } from "../src/functions/user-function.js";
import { startTestCluster, type TestCluster } from "./helpers/cluster.js";
import type { TaskResult } from "../src/plan/task.js";

const range = (a: number, b: number): number[] => Array.from({ length: b - a }, (_, i) => a + i);

function runStep(name: string, args: Json, input: unknown[], index = 0, env: Record<string, Json> = {}): unknown[] {
  const step = stepRule(name);
  assert.ok(step && step.kind === "partition");
  const s: StepContext<Json> = { fn: null, env, args, where: `node "t" (${name})`, scratchDir: fs.mkdtempSync(join(os.tmpdir(), "minispark-step-")) };
  try {
    return [...step.run(s, index, input)];
  } finally {
    fs.rmSync(s.scratchDir, { recursive: true, force: true });
  }
}

// ---- sample's Poisson draws ------------------------------------------------------

/** The sampler as it was before kernels/poisson.ts: Knuth's product for every mean, the seed mixed inline. */
function knuthSample(input: number[], withReplacement: boolean, fraction: number, seed: number, index: number): number[] {
  const rand = mulberry32(seed ^ Math.imul(index + 1, 0x9e3779b1));
  const out: number[] = [];
  for (const x of input) {
    if (!withReplacement) {
      if (rand() < fraction) out.push(x);
      continue;
    }
    const limit = Math.exp(-fraction);
    let k = 0;
    for (let p = rand(); p > limit; p *= rand()) k++;
    for (; k > 0; k--) out.push(x);
  }
  return out;
}

describe("sample's Poisson draws", () => {
  it("are the old sampler's, record for record, below a mean of 20 (seeded samples do not change)", () => {
    for (const [withReplacement, fraction] of [
      [false, 0.3],
      [true, 0.5],
      [true, 2],
      [true, 7.5],
      [true, 19.99],
    ] as const) {
      for (const seed of [0, 1, 42, -7, 2 ** 31 - 1]) {
        for (const index of [0, 3]) {
          assert.deepStrictEqual(
            runStep("sample", { withReplacement, fraction, seed }, range(0, 200), index),
            knuthSample(range(0, 200), withReplacement, fraction, seed, index),
            `${withReplacement} ${fraction} ${seed} ${index}`,
          );
        }
      }
    }
  });

  it("average the mean past exp(-745)'s underflow, where the old draw stopped near 745", () => {
    const copies = runStep("sample", { withReplacement: true, fraction: 1000, seed: 3 }, range(0, 50)).length / 50;
    assert.ok(Math.abs(copies - 1000) < 5 * Math.sqrt(1000 / 50), `${copies} copies per record on average`);
    assert.ok(knuthSample(range(0, 50), true, 1000, 3, 0).length / 50 < 800, "the old draw falls short (this test fails before the fix)");
  });
});

// ---- takeSample's merge ----------------------------------------------------------

/** Partitions of the given sizes holding 0, 1, 2, … in order. */
function partsOf(sizes: number[], num: number, seed: number) {
  let next = 0;
  return sizes.map((n, p) => partitionSample([range(next, (next += n))], num, seed, p));
}

describe("takeSample's one-pass merge", () => {
  const sizes = [1, 9, 0, 30];

  it("without replacement: min(num, count) distinct records, each equally likely, for any partition sizes", () => {
    const hits = new Array<number>(40).fill(0);
    const rounds = 2000;
    for (let seed = 0; seed < rounds; seed++) {
      const xs = mergeSamples(partsOf(sizes, 5, seed), false, 5, seed) as number[];
      assert.equal(new Set(xs).size, 5);
      for (const x of xs) hits[x]!++;
    }
    // Each record is in 5/40 of the samples: 250 of 2000, sd ~15.
    for (const [x, n] of hits.entries()) assert.ok(Math.abs(n - 250) < 80, `record ${x} drawn ${n} times`);
    assert.deepStrictEqual(
      (mergeSamples(partsOf(sizes, 100, 1), false, 100, 1) as number[]).sort((a, b) => a - b),
      range(0, 40),
    );
  });

  it("with replacement: num uniform draws of the whole dataset, for any partition sizes", () => {
    const xs = mergeSamples(partsOf(sizes, 8000, 11), true, 8000, 11) as number[];
    assert.equal(xs.length, 8000);
    const hits = new Array<number>(40).fill(0);
    for (const x of xs) hits[x]!++;
    // 200 draws each expected, sd ~14.
    for (const [x, n] of hits.entries()) assert.ok(Math.abs(n - 200) < 70, `record ${x} drawn ${n} times`);
  });

  it("is the same for the same seed, and other for another", () => {
    const a = mergeSamples(partsOf(sizes, 10, 5), true, 10, 5);
    assert.deepStrictEqual(mergeSamples(partsOf(sizes, 10, 5), true, 10, 5), a);
    assert.notDeepStrictEqual(mergeSamples(partsOf(sizes, 10, 6), true, 10, 6), a);
  });

  it("keeps at most num records per partition in key order, and counts them all", () => {
    const part = partitionSample([range(0, 5000)], 7, 1, 0);
    assert.equal(part.count, 5000);
    assert.equal(part.entries.length, 7);
    assert.ok(part.entries.every((e, i) => i === 0 || part.entries[i - 1]![0] <= e[0]));
  });
});

// ---- pipe on a worker without user code -------------------------------------------

describe("pipe on a worker started with --no-user-code", () => {
  it("refuses to run the command, whatever the master let through", () => {
    setUserCodeAllowed(false);
    try {
      assert.throws(() => runStep("pipe", { command: "cat", checkCode: true }, ["x"]), /node "t" \(pipe\): this worker runs no external commands \(it was started with --no-user-code\)/);
    } finally {
      setUserCodeAllowed(true);
    }
    assert.deepStrictEqual(runStep("pipe", { command: "cat", checkCode: true }, ["x"]), ["x"]);
  });
});

// ---- the library ----------------------------------------------------------------

/** A Context over `run` that records every JobSpec it runs. */
function recordingContext(run: (spec: JobSpec) => Promise<unknown>): { sc: Context; specs: JobSpec[] } {
  const specs: JobSpec[] = [];
  const runner: JobRunner = {
    run: async (spec) => {
      specs.push(spec);
      return run(spec);
    },
    close: async () => {},
  };
  return { sc: new Context(runner), specs };
}

describe("the library's JobSpecs", () => {
  it("randomSplit: one node per weight, each naming its index; takeSample, sampleByKey and pipe as PySpark spells them", async () => {
    const { sc, specs } = recordingContext(async () => []);
    const [a, b] = sc.range(10).randomSplit([2, 3], 17);
    await b!.collect();
    await a!.takeSample(true, 3, 1);
    await sc
      .parallelize([["a", 1]])
      .sampleByKey(false, { a: 0.5 }, 2)
      .collect();
    await sc.parallelize(["x"]).pipe(["tr", "a-z", "A-Z"], { LC_ALL: "C" }, false).collect();
    assert.deepStrictEqual(specs[0]!.nodes[1], { id: "randomSplit", op: "randomSplit", input: "range", weights: [2, 3], seed: 17, index: 1 });
    assert.deepStrictEqual(specs[1]!.nodes[1], { id: "randomSplit", op: "randomSplit", input: "range", weights: [2, 3], seed: 17, index: 0 });
    assert.deepStrictEqual(specs[1]!.action, { op: "takeSample", input: "randomSplit", withReplacement: true, num: 3, seed: 1 });
    assert.deepStrictEqual(specs[2]!.nodes[1], { id: "sampleByKey", op: "sampleByKey", input: "parallelize", withReplacement: false, fractions: { a: 0.5 }, seed: 2 });
    assert.deepStrictEqual(specs[3]!.nodes[1], { id: "pipe", op: "pipe", input: "parallelize", command: ["tr", "a-z", "A-Z"], checkCode: false, env: { LC_ALL: "C" } });
  });

  it("toLocalIterator runs a partition's job only once the records before it are consumed", async () => {
    const dataDir = fs.mkdtempSync(join(os.tmpdir(), "minispark-iter-"));
    try {
      const { sc, specs } = recordingContext(async (spec) => runInline(spec, { dataDir }));
      const nums = sc.range(0, 48, 1, 16);
      const it = nums.toLocalIterator()[Symbol.asyncIterator]();
      assert.deepStrictEqual(await it.next(), { value: 0, done: false });
      assert.deepStrictEqual(
        specs.map((s) => s.action),
        [
          { op: "getNumPartitions", input: "range" },
          { op: "collectPartition", input: "range", partition: 0 },
        ],
      );
      const rest: number[] = [];
      for (let r = await it.next(); !r.done; r = await it.next()) rest.push(r.value);
      assert.deepStrictEqual(rest, range(1, 48));
      assert.deepStrictEqual(
        specs.slice(2).map((s) => s.action.partition),
        range(1, 16),
      );
      // A consumer that stops early runs no more jobs.
      specs.length = 0;
      for await (const x of nums.toLocalIterator()) if (x === 4) break;
      assert.deepStrictEqual(
        specs.map((s) => s.action.op),
        ["getNumPartitions", "collectPartition", "collectPartition"],
      );
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

function pysparkExamples(start: () => Promise<Context>) {
  let sc: Context;
  before(async () => {
    sc = await start();
  });

  it("takeSample: PySpark's sizes 20, 5 and 10 of range(10), the same for a seed", async () => {
    const rdd = sc.range(0, 10, 1, 3);
    const withRepl = await rdd.takeSample(true, 20, 1);
    assert.equal(withRepl.length, 20);
    assert.ok(withRepl.every((x) => x >= 0 && x < 10));
    assert.equal(new Set(await rdd.takeSample(false, 5, 2)).size, 5);
    const all = await rdd.takeSample(false, 15, 3);
    assert.deepStrictEqual(
      [...all].sort((a, b) => a - b),
      range(0, 10),
    );
    assert.deepStrictEqual(await rdd.takeSample(true, 20, 1), withRepl);
  });

  it("randomSplit: PySpark's range(500) by [2, 3] with seed 17 — disjoint, covering, 150 < |a| < 250", async () => {
    const [a, b] = sc.range(0, 500, 1, 4).randomSplit([2, 3], 17);
    const xs = await a!.collect();
    const ys = await b!.collect();
    assert.ok(xs.length > 150 && xs.length < 250 && ys.length > 250 && ys.length < 350, `${xs.length} and ${ys.length}`);
    assert.deepStrictEqual(
      [...xs, ...ys].sort((p, q) => p - q),
      range(0, 500),
    );
    assert.deepStrictEqual(await a!.collect(), xs);
  });

  it("sampleByKey: PySpark's ('a', 'b') × range(1000) at 0.2 and 0.1", async () => {
    const pairs = sc.parallelize(["a", "b"], 1).cartesian(sc.range(0, 1000, 1, 2));
    const counts = new Map(await pairs.sampleByKey(false, { a: 0.2, b: 0.1 }, 2).countByKey());
    assert.ok(counts.get("a")! > 100 && counts.get("a")! < 300, `a: ${counts.get("a")}`);
    assert.ok(counts.get("b")! > 50 && counts.get("b")! < 150, `b: ${counts.get("b")}`);
  });

  it("pipe: PySpark's ['1', '2', '', '3'].pipe('cat') echoes; env reaches the command", async () => {
    assert.deepStrictEqual(await sc.parallelize(["1", "2", "", "3"], 2).pipe(["cat"]).collect(), ["1", "2", "", "3"]);
    assert.deepStrictEqual(await sc.parallelize(["x"], 1).pipe(["sh", "-c", 'echo "$WHO"; cat'], { WHO: "me" }).collect(), ["me", "x"]);
    await assert.rejects(sc.parallelize(["x"], 1).pipe("false").collect(), /Pipe function `false' exited with error code 1/);
  });

  it("toLocalIterator: every record, in partition order", async () => {
    const out: number[] = [];
    for await (const x of sc.range(0, 10, 1, 4).toLocalIterator()) out.push(x);
    assert.deepStrictEqual(out, range(0, 10));
  });
}

describe("PySpark's examples through the library, in-process (runInline)", () => {
  const dataDir = fs.mkdtempSync(join(os.tmpdir(), "minispark-lib-b-"));
  after(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  pysparkExamples(async () => new Context({ run: async (spec) => runInline(spec, { dataDir }), close: async () => {} }));
});

describe("PySpark's examples through the library, on a real cluster (2 workers)", () => {
  let t: TestCluster | undefined;
  after(async () => {
    await t?.stop();
  });
  pysparkExamples(async () => {
    t = await startTestCluster({ workers: 2, slots: 1 });
    const cluster = t;
    return new Context({ run: async (spec) => (await cluster.cluster.client.run(spec)).value, close: async () => {} });
  });
});

describe("takeSample with replacement past the result budget", () => {
  it("stops drawing and fails, rather than build a value no budget allows", () => {
    const parts = partsOf([1], 1e12, 1);
    const started = Date.now();
    assert.throws(() => mergeSamples(parts, true, 1e12, 1, 1000), /the results of takeSample\(\) are larger than the master's limit \(--max-result-size 1000 bytes\)/);
    assert.ok(Date.now() - started < 1000, "it stops at the budget, not after 10^12 draws");
    assert.equal(mergeSamples(parts, true, 499, 1, 1000).length, 499);
  });
});

describe("a worker's report for the new results is checked against the plan", () => {
  const stage = (action: unknown): Stage =>
    ({ id: 0, name: "s0", numTasks: 3, rdd: { kind: "range", start: 0, end: 9, numSlices: 3 }, parents: [], output: { type: "result", action } }) as unknown as Stage;
  const fits = (s: Stage, partition: number, r: unknown) => resultMismatch({ stages: [s], shuffles: [], resultStage: 0, action: { op: "x" } } as unknown as JobPlan, s, partition, r as TaskResult);

  it("takeSample: a 'sampled' result of at most num entries, and no more than its count", () => {
    const s = stage({ type: "takeSample", num: 2, seed: 1 });
    assert.equal(
      fits(s, 0, {
        type: "sampled",
        count: 5,
        entries: [
          [0.1, "a"],
          [0.2, "b"],
        ],
      }),
      null,
    );
    assert.match(
      fits(s, 0, {
        type: "sampled",
        count: 5,
        entries: [
          [0.1, 1],
          [0.2, 2],
          [0.3, 3],
        ],
      })!,
      /at most 2 entries/,
    );
    assert.match(
      fits(s, 0, {
        type: "sampled",
        count: 1,
        entries: [
          [0.1, 1],
          [0.2, 2],
        ],
      })!,
      /no more than its count/,
    );
    assert.match(fits(s, 0, { type: "collect", records: [] })!, /produces a "sampled" result/);
  });

  it("collectPartition: records only from the partition asked for", () => {
    const s = stage({ type: "collectPartition", partition: 1 });
    assert.equal(fits(s, 1, { type: "collect", records: [1, 2] }), null);
    assert.equal(fits(s, 0, { type: "collect", records: [] }), null);
    assert.match(fits(s, 2, { type: "collect", records: [7] })!, /collectPartition\(1\) returns no records for partition 2/);
  });
});
