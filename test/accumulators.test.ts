// Unit tests for accumulators (issue 17, item 5): the JobSpec env form and its
// bounds (src/planner/accumulator-check.ts, src/plan/accumulators.ts), a task's
// binding and deltas (src/worker/task-accumulators.ts), and the master's
// once-per-partition merge (src/master/job-accumulators.ts), and the
// library's accumulators and their value rule (src/client/accumulator.ts).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { validateJobSpec } from "../src/planner/validate.js";
import { planJob } from "../src/planner/stage-planner.js";
import { MAX_ACCUMULATOR_BYTES, MAX_ACCUMULATORS, planAccumulators, stageEnvs, type AccumulatorSpec } from "../src/plan/accumulators.js";
import { TaskAccumulators, type TaskAccumulator } from "../src/worker/task-accumulators.js";
import { JobAccumulators } from "../src/master/job-accumulators.js";
import { setUserCodeAllowed } from "../src/functions/user-function.js";
import { ClosureError, Context, JobFailedError, type AccumulatorInfo, type JobInfo, type JobRunner, type JobSpec } from "../src/index.js";

const acc = (a: Record<string, unknown>) => ({ $accumulator: a });
/** parallelize → map (env) → reduceByKey (env) → collect. */
const spec = (env: Record<string, unknown>, actionEnv: Record<string, unknown> = {}) => ({
  nodes: [
    { id: "nums", op: "parallelize", data: [1, 2, 3, 4], numSlices: 2 },
    { id: "pairs", op: "map", input: "nums", fn: "(x, env) => [x % 2, x]", env },
    { id: "sums", op: "reduceByKey", input: "pairs", fn: "(a, b) => a + b", env },
  ],
  action: { op: "collect", input: "sums", env: actionEnv },
});
const refused = (s: unknown, re: RegExp, userCode = true) => assert.throws(() => validateJobSpec(s, { userCode }), re);

describe("accumulators: the JobSpec form", () => {
  it("accepts each built-in merge and a custom one, with default or fitting zeros", () => {
    for (const merge of ["sum", "max", "min", "list", "set"]) validateJobSpec(spec({ a: acc({ id: "a", merge }) }));
    validateJobSpec(spec({ a: acc({ id: "a", merge: "sum", zero: 5, name: "bad records" }), b: acc({ id: "b", merge: "max", zero: null }), c: acc({ id: "c", merge: "list", zero: [1] }) }));
    validateJobSpec(spec({ a: acc({ id: "a", merge: "(a, b) => ({ ...a, ...b })", zero: {} }) }));
  });

  it("refuses a bad merge, id, zero or shape with a 400 naming the node, the env member and the accumulator", () => {
    refused(
      spec({ a: acc({ id: "a", merge: "avg" }) }),
      /node "pairs" \(map\): env "a": accumulator "a": merge must be one of sum, max, min, list, set or one function expression; it is not a function expression/,
    );
    refused(spec({ a: acc({ id: "a", merge: 3 }) }), /accumulator "a": merge must be one of/);
    refused(spec({ a: acc({ id: "x".repeat(65), merge: "sum" }) }), /id must be 1 to 64 letters/);
    refused(spec({ a: acc({ id: "a b", merge: "sum" }) }), /id must be 1 to 64 letters/);
    refused(spec({ a: acc({ id: "", merge: "sum" }) }), /id must be 1 to 64 letters/);
    refused(spec({ a: acc({ id: "a", merge: "sum", zero: "0" }) }), /accumulator "a": a sum accumulator's zero must be a number/);
    refused(spec({ a: acc({ id: "a", merge: "max", zero: [] }) }), /a max accumulator's zero must be a number or null/);
    refused(spec({ a: acc({ id: "a", merge: "set", zero: {} }) }), /a set accumulator's zero must be an array/);
    refused(spec({ a: acc({ id: "a", merge: "sum", extra: 1 }) }), /takes id, merge, zero and name, not "extra"/);
    refused(spec({ a: { $accumulator: { id: "a", merge: "sum" }, other: 1 } }), /and nothing else/);
    refused(spec({ a: acc({ id: "a", merge: "sum", name: "n".repeat(201) }) }), /name must be a string of at most 200/);
    refused(spec({ a: { $accumulator: [] } }), /must be an object/);
    refused(spec({ a: acc({ id: "a", merge: "(a, b) => a + b; process.exit()" }) }), /one function expression/);
    refused(spec({ a: acc({ id: "a", merge: "sum" }) }, { a: acc({ id: "a", merge: "max" }) }), /action \(collect\): env "a": accumulator "a" is declared differently in node "pairs" \(map\)/);
  });

  it("refuses a custom merge under --no-user-code as other user code, but not the built-ins", () => {
    refused(spec({ a: acc({ id: "a", merge: "(a, b) => a + b" }) }), /a custom merge is user code, and this cluster runs built-ins only \(user code is disabled\)/, false);
    const ok = { nodes: [{ id: "nums", op: "parallelize", data: [1], env: { a: acc({ id: "a", merge: "sum" }) } }], action: { op: "count", input: "nums" } };
    validateJobSpec(ok, { userCode: false });
  });

  it(`allows ${MAX_ACCUMULATORS} accumulators in a job and refuses one more`, () => {
    const many = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`e${i}`, acc({ id: `a${i}`, merge: "sum" })]));
    validateJobSpec(spec(many(MAX_ACCUMULATORS)));
    refused(spec(many(MAX_ACCUMULATORS + 1)), new RegExp(`uses ${MAX_ACCUMULATORS + 1} accumulators; a job may use at most ${MAX_ACCUMULATORS}`));
  });

  it("finds a plan's accumulators in every env its tasks run with: steps, shuffle reads, map-side combines and actions", () => {
    const s = {
      nodes: [
        { id: "nums", op: "parallelize", data: [1, 2], numSlices: 2 },
        { id: "pairs", op: "map", input: "nums", fn: "x => [x, x]", env: { m: acc({ id: "m", merge: "sum" }) } },
        { id: "sums", op: "reduceByKey", input: "pairs", fn: "(a, b) => a + b", env: { r: acc({ id: "r", merge: "set" }) } },
      ],
      action: { op: "fold", input: "sums", zeroValue: 0, fn: "(a, b) => a", env: { f: acc({ id: "f", merge: "list" }) } },
    };
    const plan = planJob(validateJobSpec(s), { splits: {}, defaultParallelism: 2 });
    assert.deepEqual(
      planAccumulators(plan)
        .map((a) => a.id)
        .sort(),
      ["f", "m", "r"],
    );
    const mapStage = plan.stages[0]!;
    const ids = stageEnvs(mapStage, plan.shuffles[0]!).flatMap((e) => Object.keys(e));
    assert.ok(ids.includes("m") && ids.includes("r"), `the map stage binds its steps' and its combine's envs: ${ids}`);
  });
});

describe("accumulators: in a task", () => {
  const planned = (env: Record<string, unknown>) => {
    const plan = planJob(validateJobSpec(spec(env)), { splits: {}, defaultParallelism: 2 });
    return { plan, stage: plan.stages[0]!, out: plan.shuffles[0]! };
  };
  const live = (bound: ReturnType<TaskAccumulators["bind"]>, name: string): TaskAccumulator => {
    const rdd = bound.stage.rdd as { kind: string; env: Record<string, unknown> };
    assert.equal(rdd.kind, "narrow");
    return rdd.env[name] as TaskAccumulator;
  };

  it("binds one live object per id (map step and combine share it), folds adds into one delta, and leaves the plan as it was", () => {
    const { plan, stage, out } = planned({ n: acc({ id: "n", merge: "sum" }), top: acc({ id: "top", merge: "max" }), s: acc({ id: "s", merge: "set" }), l: acc({ id: "l", merge: "list" }) });
    const before = JSON.stringify(plan);
    const accs = new TaskAccumulators();
    const bound = accs.bind(stage, out);
    assert.equal(JSON.stringify(plan), before, "the plan the inline runner keeps is not mutated");
    const n = live(bound, "n");
    assert.equal((bound.outputShuffle!.combine as { env: Record<string, unknown> }).env.n, n);
    n.add(1);
    n.add(2.5);
    live(bound, "top").add(-3);
    live(bound, "top").add(-7);
    for (const x of [{ b: 1, a: 2 }, 3, { a: 2, b: 1 }]) live(bound, "s").add(x);
    live(bound, "l").add("x");
    live(bound, "l").add(["y"]);
    assert.deepEqual(accs.deltas(), { n: 3.5, top: -3, s: [3, { a: 2, b: 1 }], l: ["x", ["y"]] });
  });

  it("reports no delta for an accumulator the task did not add to, and nothing at all without adds", () => {
    const { stage, out } = planned({ n: acc({ id: "n", merge: "sum" }) });
    const accs = new TaskAccumulators();
    accs.bind(stage, out);
    assert.equal(accs.deltas(), undefined);
  });

  it("throws a clear error on reading .value in a task, and on adding what the merge cannot take", () => {
    const { stage, out } = planned({ n: acc({ id: "n", merge: "sum" }) });
    const n = live(new TaskAccumulators().bind(stage, out), "n");
    assert.throws(() => n.value, /accumulator "n": \.value is the program's to read after the job; inside a task only add\(\) works/);
    assert.throws(() => n.add("1"), /accumulator "n" \(sum\) adds finite numbers, got "1"/);
    assert.throws(() => n.add(Number.NaN), /adds finite numbers, got/);
  });

  it("fails the task on a delta that is not JSON (a NaN or a function in a list, a cycle) or is over the bound", () => {
    const cases: [unknown, RegExp][] = [
      [Number.NaN, /accumulator "l": the task's delta is not JSON: NaN at the delta\[0\]/],
      [() => 1, /the task's delta is not JSON: a function at the delta\[0\]/],
      [new Date(0), /not JSON: a Date at the delta\[0\]/],
    ];
    for (const [x, re] of cases) {
      const { stage, out } = planned({ l: acc({ id: "l", merge: "list" }) });
      const accs = new TaskAccumulators();
      live(accs.bind(stage, out), "l").add(x);
      assert.throws(() => accs.deltas(), re);
    }
    const { stage, out } = planned({ l: acc({ id: "l", merge: "list" }) });
    const accs = new TaskAccumulators();
    const l = live(accs.bind(stage, out), "l");
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    l.add(cycle);
    assert.throws(() => accs.deltas(), /the task's delta is not JSON: Converting circular structure/);
    const big = new TaskAccumulators();
    live(big.bind(stage, out), "l").add("x".repeat(MAX_ACCUMULATOR_BYTES));
    assert.throws(() => big.deltas(), /the task's delta is \d+ bytes of JSON, over the limit of 16777216/);
  });

  it("folds a custom merge's adds with the user's function in the task, and refuses to compile it on a --no-user-code worker", () => {
    const merge = "(a, b) => ({ n: (a.n ?? 0) + b.n })";
    const { stage, out } = planned({ c: acc({ id: "c", merge }) });
    const accs = new TaskAccumulators();
    const c = live(accs.bind(stage, out), "c");
    c.add({ n: 1 });
    c.add({ n: 2 });
    assert.deepEqual(accs.deltas(), { c: { n: 3 } });
    setUserCodeAllowed(false);
    try {
      assert.throws(() => new TaskAccumulators().bind(stage, out), /the merge of accumulator "c": this worker runs built-in functions only/);
    } finally {
      setUserCodeAllowed(true);
    }
  });
});

describe("accumulators: the master's merge", () => {
  const specs: AccumulatorSpec[] = [
    { id: "n", name: "bad", merge: "sum", zero: 10 },
    { id: "hi", name: null, merge: "max", zero: null },
    { id: "l", name: null, merge: "list", zero: ["z"] },
    { id: "s", name: null, merge: "set", zero: [] },
    { id: "c", name: null, merge: "(a, b) => a", zero: null },
  ];

  it("merges each (stage, partition) once, whatever attempts report after the first", () => {
    const j = new JobAccumulators(specs);
    assert.equal(j.merge(1, 1, { n: 2, hi: 5, l: ["b"], s: [{ y: 1, x: 2 }], c: "p1" }), null);
    assert.equal(j.merge(0, 3, { n: 1, hi: 9, l: ["a"], s: [{ x: 2, y: 1 }, 1], c: "p0" }), null);
    assert.equal(j.merge(1, 1, { n: 100, hi: 100, l: ["again"], s: [7], c: "again" }), null, "a later attempt of a merged partition adds nothing");
    assert.equal(j.merge(0, 4, undefined), null);
    assert.equal(j.merge(0, 4, { n: 1000 }), null, "a partition whose first accepted attempt added nothing stays merged");
    assert.deepEqual(j.view(), [
      { id: "n", name: "bad", partitions: 2, merge: "sum", value: 13 },
      { id: "hi", name: null, partitions: 2, merge: "max", value: 9 },
      { id: "l", name: null, partitions: 2, merge: "list", value: ["z", "a", "b"] },
      { id: "s", name: null, partitions: 2, merge: "set", value: [1, { x: 2, y: 1 }] },
      { id: "c", name: null, partitions: 2, merge: "custom", deltas: ["p0", "p1"] },
    ]);
  });

  it("checks a report's deltas against the job: known ids, the merge's kind", () => {
    const j = new JobAccumulators(specs);
    assert.equal(j.mismatch(undefined), null);
    assert.equal(j.mismatch({ n: 1, l: [], c: { any: "json" } }), null);
    assert.match(j.mismatch({ other: 1 })!, /the job has no accumulator "other"/);
    assert.match(j.mismatch({ __proto__: 1, constructor: 1 })!, /the job has no accumulator "constructor"/);
    assert.match(j.mismatch({ n: "1" })!, /accumulator "n": a sum accumulator's delta must be a finite number/);
    assert.match(j.mismatch({ s: 1 })!, /a set accumulator's delta must be an array/);
    assert.match(j.mismatch([1])!, /must be an object/);
  });

  it("fails the job naming the accumulator past 16 MiB of merged JSON, or past 64 MiB for all of them, and on a sum that overflows", () => {
    const j = new JobAccumulators(specs);
    const chunk = "x".repeat(4 * 1024 * 1024);
    for (let p = 0; p < 3; p++) assert.equal(j.merge(0, p, { l: [chunk] }), null);
    assert.match(j.merge(0, 3, { l: [chunk] })!, /accumulator "l" holds over 16777216 bytes of JSON/);
    const k = new JobAccumulators(specs);
    for (let p = 0; p < 3; p++) assert.equal(k.merge(0, p, { s: [`${p}${chunk}`] }), null, "distinct members");
    assert.match(k.merge(0, 3, { s: ["3" + chunk] })!, /accumulator "s" holds over 16777216 bytes/);
    const sets = new JobAccumulators(specs);
    for (let p = 0; p < 10; p++) assert.equal(sets.merge(0, p, { s: [chunk] }), null, "a set holds each member once, however often it is added");
    assert.match(new JobAccumulators(specs).merge(0, 0, { c: [chunk, chunk, chunk, chunk, chunk] })!, /accumulator "c" holds over/);
    const five = new JobAccumulators(["a", "b", "c", "d", "e"].map((id) => ({ id, name: null, merge: "list", zero: [] })));
    const each = "y".repeat(15 * 1024 * 1024);
    for (const id of ["a", "b", "c", "d"]) assert.equal(five.merge(0, id.charCodeAt(0), { [id]: [each] }), null, "each under its own bound");
    assert.match(five.merge(0, 0, { e: [each] })!, /the job's accumulators hold over 67108864 bytes of JSON together \(\d+, the last added to: "e"\)/);
    const sum = new JobAccumulators(specs);
    assert.equal(sum.merge(0, 0, { n: 1e308 }), null);
    assert.match(sum.merge(0, 1, { n: 1e308 })!, /accumulator "n" \(bad\) overflowed: its sum is no longer a finite number/);
  });

  it("has no view and costs nothing for a job without accumulators", () => {
    const j = new JobAccumulators([]);
    assert.equal(j.merge(0, 0, undefined), null);
    assert.equal(j.view(), undefined);
  });
});

describe("accumulators in the library", () => {
  type Ended = (job: JobInfo) => void;
  /** A Context whose jobs are recorded; each ends as `end` says, with `accumulators` in its view. */
  const recording = (accumulators: (spec: JobSpec) => AccumulatorInfo[], status: "COMPLETED" | "FAILED" = "COMPLETED") => {
    const specs: JobSpec[] = [];
    const runner: JobRunner = {
      run: async (spec, onEnded?: Ended) => {
        specs.push(spec);
        const job = { id: "job-x", status, error: status === "FAILED" ? "boom" : null, accumulators: accumulators(spec) } as unknown as JobInfo;
        onEnded?.(job);
        if (status === "FAILED") throw new JobFailedError(job);
        return 0;
      },
      close: async () => {},
    };
    return { sc: new Context(runner), specs };
  };

  it("ships each accumulator in env as its JobSpec form, typed for the program and for functions", async () => {
    const { sc, specs } = recording(() => []);
    const bad = sc.accumulator(0, "sum", { name: "bad" });
    const seen = sc.setAccumulator<string>();
    const stats = sc.accumulator({ n: 0 }, { merge: (a, b) => ({ n: a.n + b.n }) });
    const n: number = bad.value;
    const members: string[] = seen.value;
    const s: { n: number } = stats.value;
    assert.deepEqual([n, members, s], [0, [], { n: 0 }]);
    await sc
      .parallelize(["a"], 1)
      .map(
        (x, env) => {
          env.bad.add(1);
          env.seen.add(x);
          env.stats.add({ n: 1 });
          return x;
        },
        { env: { bad, seen, stats } },
      )
      .count();
    assert.deepEqual(specs[0]!.nodes[1]!.env, {
      bad: { $accumulator: { id: bad.id, merge: "sum", name: "bad" } },
      seen: { $accumulator: { id: seen.id, merge: "set" } },
      stats: { $accumulator: { id: stats.id, merge: "(a, b) => ({ n: a.n + b.n })" } },
    });
    assert.notEqual(bad.id, seen.id);
    validateJobSpec(specs[0]);
  });

  it("merges every ended job's value into acc.value, completed or failed: sum, max, list, set, custom (its deltas folded in order)", async () => {
    let view: (ids: Record<string, string>) => AccumulatorInfo[] = () => [];
    const ids: Record<string, string> = {};
    const { sc } = recording(() => view(ids));
    const failing = recording(() => view(ids), "FAILED");
    const sum = sc.accumulator(5);
    const hi = sc.accumulator(0, "max");
    const list = sc.listAccumulator<number>();
    const set = sc.setAccumulator<string>();
    const cat = sc.accumulator("", { merge: (a, b) => a + b });
    Object.assign(ids, { sum: sum.id, hi: hi.id, list: list.id, set: set.id, cat: cat.id });
    view = (i) => [
      { id: i.sum!, name: null, merge: "sum", value: 3, partitions: 2 },
      { id: i.hi!, name: null, merge: "max", value: 9, partitions: 1 },
      { id: i.list!, name: null, merge: "list", value: [1, 2], partitions: 2 },
      { id: i.set!, name: null, merge: "set", value: ["a", "b"], partitions: 2 },
      { id: i.cat!, name: null, merge: "custom", deltas: ["x", "y"], partitions: 2 },
      { id: "acc-of-another-program", name: null, merge: "sum", value: 1, partitions: 1 },
    ];
    await sc.parallelize([1], 1).count();
    await sc.parallelize([1], 1).count();
    assert.deepEqual([sum.value, hi.value, list.value, set.value, cat.value], [11, 9, [1, 2, 1, 2], ["a", "b"], "xyxy"]);
    // Another context's job does not touch this one's accumulators; a failed job of this context does.
    await assert.rejects(failing.sc.parallelize([1], 1).count(), JobFailedError);
    assert.equal(sum.value, 11);
    let mineId = "";
    const own = recording(() => [{ id: mineId, name: null, merge: "max", value: null, partitions: 0 }], "FAILED");
    const mine = own.sc.accumulator(3, "max");
    mineId = mine.id;
    await assert.rejects(own.sc.parallelize([1], 1).count(), JobFailedError);
    assert.equal(mine.value, 3, "a job that merged no partition of it leaves it as it was");
  });

  it("refuses a bad zero or merge, and a custom merge that uses the program's variables", () => {
    const { sc } = recording(() => []);
    assert.throws(() => sc.accumulator(Number.NaN), /a sum accumulator's zero must be a finite number/);
    assert.throws(() => sc.accumulator(0, "avg" as never), /merge must be "sum", "max", "min" or \{ merge: \(a, b\) => … \}/);
    const offset = 1;
    assert.throws(() => sc.accumulator(0, { merge: (a, b) => a + b + offset }), ClosureError);
  });
});
