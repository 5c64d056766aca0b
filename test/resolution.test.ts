// src/plan/resolution.ts: each probe kind's results become a resolution, the
// plan (deep-frozen here) is never written, and the one resolver fills what a
// launch needs — range bounds in the shuffle it writes, zipWithIndex offsets in
// its RDD, histogram edges in its result action — from plan + resolution.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { asWorkerId } from "../src/common/ids.js";
import { explain } from "../src/plan/explain.js";
import type { JobPlan, Rdd, Stage } from "../src/plan/physical.js";
import { evenEdges, probeDone, resolveLaunch, resolveProbe, unresolved, type PlanResolution } from "../src/plan/resolution.js";
import { planJob } from "../src/planner/stage-planner.js";
import { validateJobSpec } from "../src/planner/validate.js";
import type { BlockLocation, TaskResult } from "../src/plan/task.js";

function frozenPlan(spec: unknown): JobPlan {
  return deepFreeze(planJob(validateJobSpec(spec), { splits: {}, defaultParallelism: 2 }));
}

function deepFreeze<T>(v: T): T {
  if (typeof v === "object" && v !== null) {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

const W = asWorkerId("w1");
const nowhere = (): BlockLocation[] => [];
const nums = (id: string, numSlices: number) => ({ id, op: "parallelize", data: [1, 2, 3, 4, 5, 6], numSlices });
const stats = (min: number, max: number, count = 2): TaskResult => ({ type: "stats", count, sum: min + max, min, max, m2: 0 });

/** Every RDD of a tree, depth first. */
function rdds(r: Rdd): Rdd[] {
  const kids = r.kind === "narrow" || r.kind === "coalesce" || r.kind === "zipWithIndex" ? [r.parent] : r.kind === "union" || r.kind === "cartesian" || r.kind === "zip" ? r.parents : [];
  return [r, ...kids.flatMap(rdds)];
}

describe("resolveProbe and the resolver", () => {
  it("a sort's key sample resolves its shuffle's range bounds, which the map stage's launches carry", () => {
    const plan = frozenPlan({ nodes: [nums("a", 2), { id: "s", op: "sortBy", input: "a", fn: "x => -x", numPartitions: 2 }], action: { op: "collect", input: "s" } });
    const [sample, map] = plan.stages as [Stage, Stage];
    const before = JSON.stringify(plan);
    assert.equal(probeDone(plan, unresolved(), sample), false);
    const r = resolveProbe(plan, unresolved(), sample, [
      { type: "sample", sample: { keys: [5, 1, 3], total: 3 } },
      { type: "sample", sample: { keys: [2, 6, 4], total: 3 } },
    ]);
    assert.deepEqual(r, { bounds: { 0: [3] }, offsets: {}, edges: null });
    assert.equal(probeDone(plan, r, sample), true);
    assert.equal(JSON.stringify(plan), before, "the plan is as planned");
    const launch = resolveLaunch(plan, r, map, 1, nowhere);
    assert.deepEqual(launch.outputShuffle!.partitioner, { type: "range", ascending: true, bounds: [3] });
    assert.deepEqual(resolveLaunch(plan, unresolved(), map, 1, nowhere).outputShuffle, plan.shuffles[0], "unresolved, the shuffle is the plan's");
  });

  it("a csv schema probe merges every partition's column types into one per column, which the reading stage's launches carry", () => {
    const split = (i: number) => ({ path: "a.csv", start: i * 10, end: i * 10 + 10, fileSize: 20 });
    const plan = deepFreeze(
      planJob(validateJobSpec({ nodes: [{ id: "a", op: "csv", path: "a.csv", inferSchema: true }], action: { op: "collect", input: "a" } }), {
        splits: { a: [split(0), split(1)] },
        defaultParallelism: 2,
      }),
    );
    const [probe, read] = plan.stages as [Stage, Stage];
    assert.equal(probe.output.type, "csvProbe");
    assert.deepEqual(read.parents, [probe.id]);
    assert.equal(probeDone(plan, unresolved(), probe), false);
    const r = resolveProbe(plan, unresolved(), probe, [
      { type: "csvTypes", types: ["integer", "integer", "null", "boolean"] },
      { type: "csvTypes", types: ["double", "string", "null"] },
    ]);
    assert.deepEqual(r.csvTypes, { a: ["double", "string", "string", "boolean"] });
    assert.equal(probeDone(plan, r, probe), true);
    for (const p of [0, 1]) {
      const rdd = resolveLaunch(plan, r, read, p, nowhere).stage.rdd as Rdd & { kind: "file" };
      assert.deepEqual(rdd.csv?.types, ["double", "string", "string", "boolean"], `partition ${p} reads the same types`);
    }
    assert.equal((resolveLaunch(plan, unresolved(), read, 0, nowhere).stage.rdd as Rdd & { kind: "file" }).csv?.types, null);
    assert.match(explain(plan), /csv 2 splits \(column types from stage 0\)/);
    assert.match(explain(plan, r), /csv 2 splits \(column types double, string, string, boolean\)/);
  });

  it("zipWithIndex's count probe resolves each partition's first index, which the task's RDD carries", () => {
    const plan = frozenPlan({ nodes: [nums("a", 2), { id: "z", op: "zipWithIndex", input: "a" }], action: { op: "collect", input: "z" } });
    const probe = plan.stages.find((s) => s.output.type === "countProbe")!;
    const result = plan.stages[plan.resultStage]!;
    const r = resolveProbe(plan, unresolved(), probe, [
      { type: "count", count: 4 },
      { type: "count", count: 2 },
    ]);
    assert.deepEqual(r.offsets, { z: [0, 4] });
    assert.equal(probeDone(plan, unresolved(), probe), false);
    assert.equal(probeDone(plan, r, probe), true);
    const zip = rdds(resolveLaunch(plan, r, result, 1, nowhere).stage.rdd).find((x) => x.kind === "zipWithIndex") as Rdd & { kind: "zipWithIndex" };
    assert.deepEqual(zip.offsets, [0, 4]);
    assert.equal((rdds(result.rdd).find((x) => x.kind === "zipWithIndex") as Rdd & { kind: "zipWithIndex" }).offsets, null, "the plan's node stays unresolved");
  });

  it("a zipWithIndex node named like an Object.prototype key has no offsets until its own probe runs", () => {
    for (const id of ["constructor", "toString", "__proto__", "hasOwnProperty"]) {
      const plan = frozenPlan({ nodes: [nums("a", 2), { id, op: "zipWithIndex", input: "a" }], action: { op: "collect", input: id } });
      const probe = plan.stages.find((s) => s.output.type === "countProbe")!;
      const result = plan.stages[plan.resultStage]!;
      assert.equal(probeDone(plan, unresolved(), probe), false, id);
      const before = rdds(resolveLaunch(plan, unresolved(), result, 0, nowhere).stage.rdd).find((x) => x.kind === "zipWithIndex") as Rdd & { kind: "zipWithIndex" };
      assert.equal(before.offsets, null, id);
      const r = JSON.parse(
        JSON.stringify(
          resolveProbe(plan, unresolved(), probe, [
            { type: "count", count: 3 },
            { type: "count", count: 1 },
          ]),
        ),
      ) as PlanResolution;
      assert.equal(probeDone(plan, r, probe), true, id);
      const after = rdds(resolveLaunch(plan, r, result, 1, nowhere).stage.rdd).find((x) => x.kind === "zipWithIndex") as Rdd & { kind: "zipWithIndex" };
      assert.deepEqual(after.offsets, [0, 3], id);
    }
  });

  it("a histogram's min/max probe resolves its edges (none for an empty dataset), which the result stage's launches carry", () => {
    const plan = frozenPlan({ nodes: [nums("a", 2)], action: { op: "histogram", input: "a", buckets: 2 } });
    const [probe, result] = plan.stages as [Stage, Stage];
    const r = resolveProbe(plan, unresolved(), probe, [stats(1, 3), stats(2, 6)]);
    assert.deepEqual(r.edges, [1, 3.5, 6]);
    assert.deepEqual(r.edges, evenEdges(1, 6, 2));
    assert.equal(probeDone(plan, r, probe), true);
    const out = resolveLaunch(plan, r, result, 0, nowhere).stage.output;
    assert.deepEqual(out, { type: "result", action: { type: "histogram", edges: [1, 3.5, 6], buckets: 2 } });
    const empty = resolveProbe(plan, unresolved(), probe, [stats(0, 0, 0), stats(0, 0, 0)]);
    assert.deepEqual(empty.edges, [], "no values: no edges");
    assert.equal(probeDone(plan, empty, probe), true);
  });

  it("a stage that probes nothing leaves the resolution as it is, and is never done by it", () => {
    const plan = frozenPlan({ nodes: [nums("a", 2), { id: "s", op: "sortBy", input: "a", fn: "x => -x", numPartitions: 2 }], action: { op: "count", input: "s" } });
    const r: PlanResolution = deepFreeze({ bounds: { 0: [3] }, offsets: {}, edges: null });
    for (const stage of plan.stages.slice(1)) {
      assert.equal(resolveProbe(plan, r, stage, []), r);
      assert.equal(probeDone(plan, r, stage), false);
    }
  });

  it("a launch's inputs are the locations of each shuffle block its partition reads", () => {
    const plan = frozenPlan({ nodes: [nums("a", 2), { id: "g", op: "groupByKey", input: "a", numPartitions: 3 }], action: { op: "count", input: "g" } });
    const result = plan.stages[plan.resultStage]!;
    const at = (s: number, reduce: number): BlockLocation[] => [{ mapId: s, workerId: W, address: `w:${reduce}`, bytes: 1 }];
    assert.deepEqual(resolveLaunch(plan, unresolved(), result, 2, at).inputs, { "0/2": at(0, 2) });
  });

  it("explain shows what the probes found when given the resolution", () => {
    const plan = frozenPlan({
      nodes: [nums("a", 3), { id: "s", op: "sortBy", input: "a", fn: "x => -x", numPartitions: 2 }, { id: "z", op: "zipWithIndex", input: "s" }],
      action: { op: "take", input: "z", num: 2 },
    });
    const text = explain(plan, { bounds: { 0: [3] }, offsets: { z: [0, 3] }, edges: null });
    assert.match(text, /range ascending, 1 bound\)/);
    assert.match(text, /zipWithIndex \(offsets known\)/);
    assert.match(explain(plan), /bounds from stage 0/);
    assert.match(explain(plan, unresolved()), /offsets from stage 2/);
  });
});
