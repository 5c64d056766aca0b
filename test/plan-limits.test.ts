// Resource bombs against the validator and the stage planner (plan-limits.ts,
// validate.ts, dag.ts), and the lease of a master whose loop was blocked
// (loop-lateness.ts, worker-registry.ts), without processes: every spec here is
// small and each must be refused quickly with a message naming the node and the
// number, or planned in time linear in its size.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { idleHeartbeat } from "./helpers/heartbeats.js";
import { asWorkerId } from "../src/common/ids.js";
import { LoopLateness } from "../src/master/loop-lateness.js";
import { WorkerRegistry } from "../src/master/worker-registry.js";
import type { InputSplit, JobPlan } from "../src/plan/physical.js";
import { DEFAULT_PLAN_LIMITS, PlanLimitError, type PlanLimits } from "../src/plan/plan-limits.js";
import { planJob } from "../src/planner/stage-planner.js";
import { MAX_HISTOGRAM_BUCKETS } from "../src/plan/spec-limits.js";
import { JobSpecError, MAX_DEPTH, MAX_EDGES, MAX_JSON_DEPTH, validateJobSpec } from "../src/planner/validate.js";

function plan(spec: unknown, limits: Partial<PlanLimits> = {}, splits: Record<string, InputSplit[]> = {}): JobPlan {
  return planJob(validateJobSpec(spec), { splits, defaultParallelism: 2, limits: { ...DEFAULT_PLAN_LIMITS, ...limits } });
}

/** Runs `f`, which must throw, within `ms`; returns the message. */
function refusedWithin(ms: number, f: () => unknown): string {
  const started = performance.now();
  let message = "";
  assert.throws(f, (e: Error) => {
    message = e.message;
    return e instanceof PlanLimitError || e instanceof JobSpecError;
  });
  const took = performance.now() - started;
  assert.ok(took < ms, `refused in ${took.toFixed(0)} ms, more than ${ms} ms: ${message}`);
  return message;
}

const range = (id: string, numSlices = 1) => ({ id, op: "range", start: 0, end: 4, numSlices });
/** u0 = range; u_i = union(u_{i-1}, u_{i-1}), optionally coalesced back to one partition at each level. */
function doubling(levels: number, coalesce = false) {
  const nodes: Record<string, unknown>[] = [range("u0")];
  let last = "u0";
  for (let i = 1; i <= levels; i++) {
    nodes.push({ id: `u${i}`, op: "union", inputs: [last, last] });
    last = `u${i}`;
    if (coalesce) {
      nodes.push({ id: `c${i}`, op: "coalesce", input: last, numPartitions: 1 });
      last = `c${i}`;
    }
  }
  return { nodes, action: { op: "count", input: last } };
}
const chain = (n: number, op: string, extra: Record<string, unknown>) => Array.from({ length: n }, (_, i) => (i === 0 ? range("n0") : { id: `n${i}`, op, input: `n${i - 1}`, ...extra }));

describe("planning is bounded by limits on the planned job", () => {
  it("a union doubling at each of 40 levels is refused at the level past the partition limit, at once", () => {
    const msg = refusedWithin(200, () => plan(doubling(40)));
    assert.match(msg, /node "u17" \(union\) would have 131072 partitions, more than the limit of 100000/);
  });

  it("coalescing each level back to one partition does not hide the doubling: the plan's RDD count is bounded", () => {
    const msg = refusedWithin(200, () => plan(doubling(40, true)));
    assert.match(msg, /tree of \d+ RDDs, more than the limit of 200000/);
  });

  it("cartesian multiplies partition counts and is checked on the product", () => {
    const spec = { nodes: [range("a", 100_000), range("b", 100_000), { id: "c", op: "cartesian", inputs: ["a", "b"] }], action: { op: "count", input: "c" } };
    assert.match(
      refusedWithin(200, () => plan(spec)),
      /node "c" \(cartesian\) would have 10000000000 partitions/,
    );
    const small = { ...spec, nodes: [range("a", 300), range("b", 300), spec.nodes[2]] };
    assert.equal(plan(small).stages[0]!.numTasks, 90_000);
  });

  it("a shuffle's map × reduce blocks and a histogram's partitions × buckets are bounded", () => {
    const shuffle = { nodes: [range("a", 100_000), { id: "r", op: "reduceByKey", input: "a", fn: "sum" }], action: { op: "count", input: "r" } };
    assert.match(
      refusedWithin(200, () => plan(shuffle)),
      /node "a": a shuffle's map tasks × reduce partitions are 100000 × 100000 = 10000000000, more than the limit of 20000000/,
    );
    const histogram = { nodes: [range("a", 1000)], action: { op: "histogram", input: "a", buckets: MAX_HISTOGRAM_BUCKETS } };
    assert.match(
      refusedWithin(200, () => plan(histogram)),
      /the histogram's partitions × buckets are 1000 × 100000/,
    );
    const edges = Array.from({ length: 30_001 }, (_, i) => i);
    assert.match(
      refusedWithin(500, () => plan({ ...histogram, action: { ...histogram.action, buckets: edges } })),
      /1000 × 30000/,
    );
  });

  it("a spec nesting deeper than the JSON depth limit, or asking for absurd retries, is refused when validated", () => {
    const deep = JSON.parse(`{"nodes":[{"id":"p","op":"parallelize","data":${"[".repeat(100_000)}${"]".repeat(100_000)}}],"action":"count"}`);
    assert.match(
      refusedWithin(500, () => validateJobSpec(deep)),
      new RegExp(`nests deeper than ${MAX_JSON_DEPTH} levels`),
    );
    const nested = (d: number) => JSON.parse(`{"nodes":[{"id":"p","op":"parallelize","data":${"[".repeat(d - 3)}${"]".repeat(d - 3)}}],"action":"count"}`);
    assert.equal(validateJobSpec(nested(MAX_JSON_DEPTH)).nodes.length, 1);
    assert.throws(() => validateJobSpec(nested(MAX_JSON_DEPTH + 1)), /nests deeper/);
    assert.match(
      refusedWithin(50, () => validateJobSpec({ nodes: [range("a")], action: "count", maxTaskRetries: 1e9 })),
      /"maxTaskRetries" must be at most 100/,
    );
  });

  it("a histogram bucket count of 10^9 is refused when the spec is validated", () => {
    const spec = { nodes: [range("a")], action: { op: "histogram", input: "a", buckets: 1e9 } };
    assert.match(
      refusedWithin(50, () => validateJobSpec(spec)),
      /action \(histogram\): parameter "buckets" asks for 1000000000 buckets, more than the limit of 100000/,
    );
  });

  it("tasks and stages per job are bounded, with the numbers in the message", () => {
    const zips = { nodes: chain(12, "zipWithIndex", {}).map((n, i) => (i === 0 ? range("n0", 100_000) : n)), action: { op: "count", input: "n11" } };
    assert.match(
      refusedWithin(1000, () => plan(zips)),
      /more than 1000000 tasks \(stage "n\d+" adds 100000\)/,
    );
    const sorts = { nodes: chain(100, "sortBy", { fn: "x => x" }), action: { op: "count", input: "n99" } };
    assert.match(
      refusedWithin(200, () => plan(sorts, { maxStages: 50 })),
      /more than 50 stages/,
    );
  });

  it("a node's partitions must be a count: a listing that gives none fails planning, it does not leave a job with no tasks", () => {
    // What a worker that built its reply as a plain object sends for a node named "__proto__": {}.
    for (const id of ["__proto__", "constructor", "hasOwnProperty", "toString"]) {
      const spec = { nodes: [{ id, op: "textFile", path: "in.txt" }], action: { op: "count", input: id } };
      assert.match(
        refusedWithin(50, () => plan(spec, {}, JSON.parse("{}"))),
        new RegExp(`no input splits were listed for node "${id}"`),
      );
      const splits = JSON.parse(`{"${id}": [{"path": "in.txt", "start": 0, "end": 10, "fileSize": 10}]}`);
      assert.equal(plan(spec, {}, splits).stages[0]!.numTasks, 1);
    }
  });

  it("every node is planned once however many nodes read it: a zipWithIndex read twice has one count probe", () => {
    const spec = {
      nodes: [
        range("s", 2),
        { id: "z", op: "zipWithIndex", input: "s" },
        { id: "a", op: "map", input: "z", fn: "x => x" },
        { id: "b", op: "map", input: "z", fn: "x => x" },
        { id: "u", op: "union", inputs: ["a", "b"] },
      ],
      action: { op: "count", input: "u" },
    };
    const p = plan(spec);
    assert.deepEqual(
      p.stages.map((s) => s.output.type),
      ["countProbe", "result"],
    );
    assert.deepEqual(p.stages[1]!.parents, [0]);
  });

  it(`a chain ${MAX_DEPTH} deep plans (narrow ops fused, or one stage per shuffle) and its plan survives JSON; one deeper is refused`, () => {
    for (const [op, extra] of [
      ["map", { fn: "x => x" }],
      ["reduceByKey", { fn: "sum" }],
    ] as const) {
      const p = plan({ nodes: chain(MAX_DEPTH, op, extra), action: { op: "count", input: `n${MAX_DEPTH - 1}` } });
      assert.deepEqual(JSON.parse(JSON.stringify(p)).stages.length, p.stages.length);
    }
    const deep = { nodes: chain(MAX_DEPTH + 1, "map", { fn: "x => x" }), action: { op: "count", input: `n${MAX_DEPTH}` } };
    assert.match(
      refusedWithin(200, () => validateJobSpec(deep)),
      new RegExp(`node "n${MAX_DEPTH}" is ${MAX_DEPTH + 1} nodes deep .* at most ${MAX_DEPTH} deep`),
    );
  });
});

describe("validation takes time linear in the spec", () => {
  const nodes = [range("s"), ...Array.from({ length: 9_999 }, (_, i) => ({ id: `m${i}`, op: "union" }))];

  it(`${MAX_EDGES} edges are validated in well under a second, and more are refused before they are read`, () => {
    const edges = Array.from({ length: MAX_EDGES }, (_, i) => ["s", `m${i % 9_999}`]);
    const started = performance.now();
    const job = validateJobSpec({ nodes, edges, action: { op: "count", input: "m0" } });
    assert.ok(performance.now() - started < 1000, `took ${performance.now() - started} ms`);
    assert.equal(job.nodes.find((n) => n.id === "m0")!.inputs.length, 11);
    const more = Array.from({ length: 1_000_000 }, (_, i) => ["s", `m${i % 9_999}`]);
    assert.match(
      refusedWithin(50, () => validateJobSpec({ nodes, edges: more, action: { op: "count", input: "m0" } })),
      /"edges" has 1000000 entries; a job may have at most 100000/,
    );
  });

  it("bad edges give a short answer", () => {
    const edges = Array.from({ length: MAX_EDGES }, (_, i) => ["s", `nope${i}`]);
    const msg = refusedWithin(3000, () => validateJobSpec({ nodes, edges, action: { op: "count", input: "m0" } }));
    assert.ok(msg.length < 5000, `message of ${msg.length} characters`);
    assert.match(msg, /and \d+ more problems$/);
  });

  it("a node read 10^5 times (a union of one input repeated) is validated quickly and refused by the partition limit; 10^6 by the input limit", () => {
    const spec = (n: number) => ({ nodes: [range("s", 2), { id: "u", op: "union", inputs: Array.from({ length: n }, () => "s") }], action: { op: "count", input: "u" } });
    const started = performance.now();
    const job = validateJobSpec(spec(MAX_EDGES));
    assert.ok(performance.now() - started < 1000);
    assert.throws(() => planJob(job, { splits: {}, defaultParallelism: 2 }), /node "u" \(union\) would have 200000 partitions, more than the limit of 100000/);
    assert.match(
      refusedWithin(1000, () => validateJobSpec(spec(1_000_000))),
      /the nodes have 1000000 inputs in all; a job may have at most 100000/,
    );
  });
});

describe("a late master does not expire leases it could not hear", () => {
  const LEASE = 10_000;

  /** The master's tick: credit any lateness, then expire; returns the ids declared dead. */
  function tick(reg: WorkerRegistry, late: LoopLateness, now: number): string[] {
    reg.creditDeafTime(late.observe(now));
    return reg.expire(now).map((w) => w.id);
  }

  it("a tick late by more than the lease expires no one; silence after it still counts", () => {
    const reg = new WorkerRegistry(LEASE);
    const late = new LoopLateness(1000, LEASE / 10, 0);
    reg.heartbeat(idleHeartbeat("a"), 0);
    reg.heartbeat(idleHeartbeat("b"), 500);
    assert.deepEqual(tick(reg, late, 1000), []);
    // The loop is blocked from 1000 to 16000: the next tick comes 14 s late.
    assert.deepEqual(tick(reg, late, 16_000), []);
    // "b"'s queued beat is read; "a" stays silent and runs out of lease 9 s after the block.
    reg.heartbeat(idleHeartbeat("b"), 16_010);
    let t = 16_000;
    const dead: string[] = [];
    while (dead.length === 0) dead.push(...tick(reg, late, (t += 1000)));
    assert.deepEqual([dead, t], [["a"], 25_000]);
    assert.ok(reg.isAlive(asWorkerId("b")));
  });

  it("a loop blocked before its first tick is late too", () => {
    const reg = new WorkerRegistry(LEASE);
    const late = new LoopLateness(1000, LEASE / 10, 0);
    reg.heartbeat(idleHeartbeat("a"), 100);
    assert.deepEqual(tick(reg, late, 15_000), []);
  });

  it("on-time ticks credit nothing: a silent worker is lost one lease after its last beat", () => {
    const reg = new WorkerRegistry(LEASE);
    const late = new LoopLateness(1000, LEASE / 10, 0);
    reg.heartbeat(idleHeartbeat("a"), 0);
    let t = 0;
    const dead: string[] = [];
    // Timer jitter under the tolerance is no deafness.
    while (dead.length === 0) dead.push(...tick(reg, late, (t += 1050)));
    assert.deepEqual([dead, t], [["a"], 10_500]);
  });

  it("a worker that beats after the block gets a whole lease from that beat", () => {
    const reg = new WorkerRegistry(LEASE);
    const late = new LoopLateness(1000, LEASE / 10, 0);
    reg.heartbeat(idleHeartbeat("a"), 0);
    tick(reg, late, 1000);
    tick(reg, late, 30_000);
    reg.heartbeat(idleHeartbeat("a"), 30_100);
    let t = 30_000;
    const dead: string[] = [];
    while (dead.length === 0) dead.push(...tick(reg, late, (t += 1000)));
    assert.deepEqual([dead, t], [["a"], 41_000]);
  });
});
