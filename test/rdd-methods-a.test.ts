// The RDD methods of issue 16 that methods-a added (zip, zipWithUniqueId,
// treeAggregate, treeReduce, repartitionAndSortWithinPartitions, foreach,
// foreachPartition, countApproxDistinct, histogram with string buckets),
// through the typed library against the PySpark docstrings' examples:
// the JobSpec each method writes and its types, then the examples run
// in-process and on connect("local[2]") (a master and workers as real
// processes); then the master's checks of a peer's HyperLogLog sketch and the
// planner's tree of levels. The ops table (ops-table.test.ts) runs the same
// ops as JobSpecs in-process, spilling and on a cluster.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { runInline } from "../src/inline/inline-runner.js";
import { connect, Context, type Dataset, type JobRunner, type JobSpec } from "../src/index.js";
import { resultMismatch } from "../src/master/report-check.js";
import { countsTowardBudget } from "../src/plan/result-budget.js";
import { checkTaskReport } from "../src/master/worker-messages.js";
import { HyperLogLog } from "../src/ops/kernels/hyperloglog.js";
import type { JobPlan, Stage } from "../src/plan/physical.js";
import { planJob } from "../src/planner/stage-planner.js";
import { validateJobSpec } from "../src/planner/validate.js";
import type { TaskResult } from "../src/plan/task.js";

type Equal<A, B> = (<G>() => G extends A ? 1 : 2) extends <G>() => G extends B ? 1 : 2 ? true : false;
/** Compiles only when `value`'s type is exactly `T`. */
const expectType =
  <T>() =>
  <V>(_value: V, ..._proof: Equal<V, T> extends true ? [] : [never]) =>
    undefined;

function recording(): { sc: Context; specs: JobSpec[] } {
  const specs: JobSpec[] = [];
  const runner: JobRunner = {
    run: async (spec) => {
      specs.push(spec);
      return null;
    },
    close: async () => {},
  };
  return { sc: new Context(runner), specs };
}

describe("the JobSpec and types of the new methods", () => {
  it("writes each op with PySpark's parameter names", async () => {
    const { sc, specs } = recording();
    const x = sc.parallelize([1, 2], 2);
    const pairs = sc.parallelize<[number, string]>([[1, "a"]], 1);
    const zipped = x.zip(sc.parallelize(["a", "b"], 2));
    expectType<Dataset<[number, string]>>()(zipped);
    expectType<Dataset<[number, number]>>()(x.zipWithUniqueId());
    const sorted = pairs.repartitionAndSortWithinPartitions(
      2,
      (k) => k % 2,
      false,
      (k) => -k,
    );
    expectType<Dataset<[number, string]>>()(sorted);
    const tree = x.treeAggregate<[number, number]>(
      [0, 0],
      (a, v) => [a[0] + v, a[1] + 1],
      (a, b) => [a[0] + b[0], a[1] + b[1]],
      3,
    );
    expectType<Promise<[number, number]>>()(tree);
    const reduced = x.treeReduce((a, b) => a + b);
    expectType<Promise<number>>()(reduced);
    const each = x.foreach((v) => v);
    expectType<Promise<void>>()(each);
    const eachPartition = x.foreachPartition(() => undefined);
    expectType<Promise<void>>()(eachPartition);
    const approx = x.countApproxDistinct(0.01);
    expectType<Promise<number>>()(approx);
    const byString = sc.parallelize(["ab"]).histogram(["a", "b"]);
    expectType<Promise<[string[], number[]]>>()(byString);
    const byCount = x.histogram(2);
    expectType<Promise<[number[], number[]]>>()(byCount);
    await Promise.all([tree, reduced, each, eachPartition, approx, byString, byCount, zipped.collect(), sorted.collect()]);
    const byOp = new Map(specs.map((s) => [s.action.op === "collect" ? String(s.nodes.at(-1)!.op) : String(s.action.op), s]));
    const node = (op: string) => byOp.get(op)!.nodes.at(-1);
    const action = (op: string) => byOp.get(op)!.action;
    const [zip, ranked, treeSpec, treeReduce, foreach, foreachPartition, approxSpec] = [
      node("zip"),
      node("repartitionAndSortWithinPartitions"),
      ...["treeAggregate", "treeReduce", "foreach", "foreachPartition", "countApproxDistinct"].map(action),
    ];
    const strings = specs.find((s) => s.action.op === "histogram" && Array.isArray(s.action.buckets))!.action;
    assert.deepEqual(zip, { id: "zip", op: "zip", inputs: ["parallelize", "parallelize-2"] });
    assert.deepEqual(ranked, {
      id: "repartitionAndSortWithinPartitions",
      op: "repartitionAndSortWithinPartitions",
      input: "parallelize",
      numPartitions: 2,
      partitionFunc: "(k) => k % 2",
      ascending: false,
      keyfunc: "(k) => -k",
    });
    assert.deepEqual(treeSpec, { op: "treeAggregate", input: "parallelize", zeroValue: [0, 0], seqOp: "(a, v) => [a[0] + v, a[1] + 1]", combOp: "(a, b) => [a[0] + b[0], a[1] + b[1]]", depth: 3 });
    assert.deepEqual(treeReduce, { op: "treeReduce", input: "parallelize", fn: "(a, b) => a + b" });
    assert.deepEqual(foreach, { op: "foreach", input: "parallelize", fn: "(v) => v" });
    assert.deepEqual(foreachPartition, { op: "foreachPartition", input: "parallelize", fn: "() => undefined" });
    assert.deepEqual(approxSpec, { op: "countApproxDistinct", input: "parallelize", relativeSD: 0.01 });
    assert.deepEqual(strings, { op: "histogram", input: "parallelize", buckets: ["a", "b"] });
  });

  it("refuses the ops that need a user function under --no-user-code, and only those", () => {
    const spec = (action: Record<string, unknown>, nodes: Record<string, unknown>[] = []) => ({
      name: "t",
      nodes: [{ id: "a", op: "parallelize", data: [[1, 2]] }, ...nodes],
      action: { input: nodes.length > 0 ? "b" : "a", ...action },
    });
    const refused = (s: unknown) => assert.throws(() => validateJobSpec(s, { userCode: false }), /user code is disabled/);
    refused(spec({ op: "foreach", fn: "x => x" }));
    refused(spec({ op: "foreachPartition", fn: "it => it" }));
    refused(spec({ op: "treeAggregate", zeroValue: 0, seqOp: "(a, b) => a + b", combOp: "sum" }));
    refused(spec({ op: "treeReduce", fn: "(a, b) => a + b" }));
    refused(spec({ op: "collect" }, [{ id: "b", op: "repartitionAndSortWithinPartitions", input: "a", partitionFunc: "k => k" }]));
    validateJobSpec(spec({ op: "treeReduce", fn: "sum" }), { userCode: false });
    validateJobSpec(spec({ op: "countApproxDistinct" }), { userCode: false });
    validateJobSpec(spec({ op: "collect" }, [{ id: "b", op: "repartitionAndSortWithinPartitions", input: "a", numPartitions: 2 }]), { userCode: false });
    validateJobSpec(spec({ op: "collect" }, [{ id: "b", op: "zip", inputs: ["a", "a"] }]), { userCode: false });
  });
});

function examples(connectTo: (dataDir: string) => Promise<Context>) {
  let dataDir = "";
  let sc: Context;
  before(async () => {
    dataDir = fs.mkdtempSync(join(os.tmpdir(), "minispark-methods-a-"));
    sc = await connectTo(dataDir);
  });
  after(async () => {
    await sc?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("zip: PySpark's range(0, 5) zip range(1000, 1005), and Spark's messages", async () => {
    const x = sc.range(0, 5, 1, 2);
    assert.deepEqual(await x.zip(sc.range(1000, 1005, 1, 2)).collect(), [
      [0, 1000],
      [1, 1001],
      [2, 1002],
      [3, 1003],
      [4, 1004],
    ]);
    await assert.rejects(x.zip(sc.range(0, 5, 1, 3)).collect(), /Can only zip with RDD which has the same number of partitions/);
    await assert.rejects(x.zip(sc.range(0, 6, 1, 2)).collect(), /Can only zip RDDs with same number of elements in each partition/);
  });

  it("zipWithUniqueId: PySpark's [a, b, c, d, e] in 3 partitions", async () => {
    assert.deepEqual(await sc.parallelize(["a", "b", "c", "d", "e"], 3).zipWithUniqueId().collect(), [
      ["a", 0],
      ["b", 1],
      ["c", 4],
      ["d", 2],
      ["e", 5],
    ]);
  });

  it("treeAggregate and treeReduce: PySpark's [-5..4] in 10 partitions with add → -5 at every depth", async () => {
    const rdd = sc.parallelize([-5, -4, -3, -2, -1, 1, 2, 3, 4], 10);
    for (const depth of [1, 2, 3, 4])
      assert.equal(
        await rdd.treeAggregate(
          0,
          (a, b) => a + b,
          (a, b) => a + b,
          depth,
        ),
        -5,
        `treeAggregate depth ${depth}`,
      );
    for (const depth of [1, 2, 5, 10]) assert.equal(await rdd.treeReduce((a, b) => a + b, depth), -5, `treeReduce depth ${depth}`);
    await assert.rejects(
      rdd.treeReduce((a, b) => a + b, 0),
      /Depth cannot be smaller than 1 but got 0/,
    );
    await assert.rejects(
      sc.parallelize<number>([], 2).treeReduce((a, b) => a + b),
      /has no value on an empty dataset/,
    );
  });

  it("repartitionAndSortWithinPartitions: PySpark's example, by key % 2", async () => {
    const rdd = sc.parallelize<[number, number]>(
      [
        [0, 5],
        [3, 8],
        [2, 6],
        [0, 8],
        [3, 8],
        [1, 3],
      ],
      3,
    );
    const parts = await rdd
      .repartitionAndSortWithinPartitions(2, (k) => k % 2, true)
      .glom()
      .collect();
    assert.deepEqual(
      parts.map((p) => p.map(([k]) => k)),
      [
        [0, 0, 2],
        [1, 3, 3],
      ],
    );
    assert.deepEqual(
      parts.map((p) => p.map((r) => JSON.stringify(r)).sort()),
      [
        ["[0,5]", "[0,8]", "[2,6]"],
        ["[1,3]", "[3,8]", "[3,8]"],
      ],
    );
  });

  it("foreach and foreachPartition run on the workers and fail the action with the function's message", async () => {
    const rdd = sc.parallelize([1, 2, 3], 2);
    assert.equal(await rdd.foreach((x) => x * 2), undefined);
    assert.equal(await rdd.foreachPartition((it) => [...it].length), undefined);
    await assert.rejects(
      rdd.foreach(
        (x, env) => {
          if (x === env.bad) throw new Error(`record ${x} refused`);
        },
        { env: { bad: 2 } },
      ),
      /record 2 refused/,
    );
    await assert.rejects(
      rdd.foreachPartition(() => {
        throw new Error("partition refused");
      }),
      /partition refused/,
    );
  });

  it("countApproxDistinct: PySpark's bounds", async () => {
    const n = await sc
      .range(1000)
      .map((x) => String(x))
      .countApproxDistinct();
    assert.ok(n > 900 && n < 1100, `${n}`);
    const m = await sc
      .range(1000)
      .map((x) => x % 20)
      .countApproxDistinct();
    assert.ok(m > 16 && m < 24, `${m}`);
  });

  it("histogram: PySpark's string buckets, and numbers as before", async () => {
    assert.deepEqual(await sc.parallelize(["ab", "ac", "b", "bd", "ef"]).histogram(["a", "b", "c"]), [
      ["a", "b", "c"],
      [2, 2],
    ]);
    assert.deepEqual(await sc.range(51).histogram([0, 5, 25, 50]), [
      [0, 5, 25, 50],
      [5, 20, 26],
    ]);
  });
}

describe("the examples in-process (runInline)", () => {
  examples(async (dataDir) => new Context({ run: async (spec) => runInline(spec, { dataDir }), close: async () => {} }));
});

describe('the examples on connect("local[2]")', () => {
  examples((dataDir) => connect("local[2]", { dataDir, appName: "methods-a-test" }));
});

describe("the master's check of a peer's HyperLogLog sketch", () => {
  const stage = {
    id: 0,
    name: "s0",
    numTasks: 1,
    rdd: { kind: "range" },
    parents: [],
    output: { type: "result", action: { type: "hyperLogLog", relativeSD: 0.05, precision: 9 } },
  } as unknown as Stage;
  const plan = { stages: [stage], shuffles: [], resultStage: 0 } as unknown as JobPlan;
  const good = HyperLogLog.forRelativeSD(0.05);
  good.addValue("x");
  const report = (result: unknown) => ({ worker_id: "w", attemptId: "a", metrics: null, state: "FINISHED", result });

  it("takes a sketch of the job's precision", () => {
    const r = { type: "hyperLogLog", ...good.toState() };
    assert.equal(checkTaskReport(report(r), 0).state, "FINISHED");
    assert.equal(resultMismatch(plan, stage, 0, r as TaskResult), null);
    // Up to 350 KB per partition: the master holds them within --max-result-size like collected records.
    assert.equal(countsTowardBudget(r as TaskResult), true);
  });

  it("refuses another precision, a short or oversized register string, bad base64 and impossible ranks", () => {
    const fits = (r: Record<string, unknown>) => resultMismatch(plan, stage, 0, { type: "hyperLogLog", ...good.toState(), ...r } as TaskResult);
    assert.match(fits({ p: 10, registers: HyperLogLog.forRelativeSD(0.03).toState().registers })!, /precision 9, the report's has 10/);
    assert.match(fits({ registers: "AAAA" })!, /512 registers in base64/);
    assert.match(fits({ registers: `${good.toState().registers.slice(0, -4)}!!!!` })!, /512 registers in base64/);
    assert.match(fits({ registers: Buffer.alloc(512, 200).toString("base64") })!, /at most 56/);
    assert.throws(() => checkTaskReport(report({ type: "hyperLogLog", p: 9, registers: "A".repeat(400_000) }), 0), /result must be one of/);
    assert.throws(() => checkTaskReport(report({ type: "hyperLogLog", p: "9", registers: "" }), 0), /result must be one of/);
  });
});

describe("the plan of treeAggregate", () => {
  const spec = (depth: number) =>
    validateJobSpec(
      { name: "t", nodes: [{ id: "r", op: "range", start: 0, end: 100, numSlices: 20 }], action: { op: "treeAggregate", input: "r", zeroValue: 0, seqOp: "sum", combOp: "sum", depth } },
      { userCode: true },
    );

  it("adds one shuffle stage per level of Spark's plan and one into a single partition", () => {
    const shape = (depth: number) => planJob(spec(depth), { splits: {}, defaultParallelism: 2 }).stages.map((s) => s.numTasks);
    // treeLevels(20, 1) = [20]; (20, 2) = [20, 4]; (20, 3) = [20, 6, 2].
    assert.deepEqual(shape(1), [20, 1]);
    assert.deepEqual(shape(2), [20, 4, 1]);
    assert.deepEqual(shape(3), [20, 6, 2, 1]);
  });
});
