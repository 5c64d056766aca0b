// Persist in JobSpecs (src/planner/validate.ts), dataset ids as lineage hashes (src/planner/dataset-id.ts),
// the cache marker on the planned RDD (src/planner/stage-planner.ts) and explain's line for it.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { JobSpecError, validateJobSpec } from "../src/planner/validate.js";
import { planJob } from "../src/planner/stage-planner.js";
import { explain } from "../src/plan/explain.js";
import { childrenOf, type InputSplit, type JobPlan, type Rdd } from "../src/plan/physical.js";
import { DATASET_ID_PATTERN, STORAGE_LEVELS } from "../src/plan/storage-level.js";
import { resolveLaunch, unresolved } from "../src/plan/resolution.js";

const APP = "app-00000000a-abcdef";

function plan(spec: unknown, splits: Record<string, InputSplit[]> = {}, defaultParallelism = 2): JobPlan {
  return planJob(validateJobSpec(spec), { splits, defaultParallelism });
}

function problemsOf(spec: unknown): string[] {
  try {
    validateJobSpec(spec);
  } catch (e) {
    assert.ok(e instanceof JobSpecError);
    return e.problems;
  }
  assert.fail("the spec was accepted");
}

/** Every RDD of every stage, by the node it computes. */
function rddsByNode(p: JobPlan): Map<string, Rdd> {
  const out = new Map<string, Rdd>();
  const walk = (r: Rdd): void => {
    if (r.node) out.set(r.node, r);
    childrenOf(r).forEach(walk);
  };
  for (const s of p.stages) walk(s.rdd);
  return out;
}

/** The dataset id of node `id` in `spec` (persisted at MEMORY_ONLY, in application APP). */
function idOf(spec: { nodes: Record<string, unknown>[]; action: unknown; [k: string]: unknown }, id: string, splits: Record<string, InputSplit[]> = {}): string {
  const nodes = spec.nodes.map((n) => (n.id === id ? { ...n, persist: "MEMORY_ONLY" } : n));
  const cache = rddsByNode(plan({ ...spec, nodes, application: APP }, splits)).get(id)?.cache;
  assert.ok(cache, `node ${id} carries its cache marker`);
  return cache.datasetId;
}

const base = {
  nodes: [
    { id: "nums", op: "parallelize", data: [1, 2, 3, 4, 5, 6], numSlices: 3 },
    { id: "sq", op: "map", input: "nums", fn: "(x, env) => x * env.k", env: { k: 2 } },
    { id: "byKey", op: "reduceByKey", input: "pairs", fn: "(a, b) => a + b", numPartitions: 2 },
    { id: "pairs", op: "map", input: "sq", fn: "x => [x % 2, x]" },
  ],
  action: { op: "collect", input: "byKey" },
};
const renamed = {
  nodes: [
    { id: "a", op: "parallelize", data: [1, 2, 3, 4, 5, 6], numSlices: 3 },
    { id: "b", op: "map", input: "a", fn: "(x, env) => x * env.k", env: { k: 2 } },
    { id: "c", op: "map", input: "b", fn: "x => [x % 2, x]" },
    { id: "d", op: "reduceByKey", input: "c", fn: "(a, b) => a + b", numPartitions: 2 },
  ],
  action: { op: "count", input: "d" },
};
const withNode = (id: string, patch: Record<string, unknown>) => ({ ...base, nodes: base.nodes.map((n) => (n.id === id ? { ...n, ...patch } : n)) });

describe("persist in a JobSpec", () => {
  it("accepts every storage level on a node of a job with an application, and keeps it on the node", () => {
    for (const level of STORAGE_LEVELS) {
      const job = validateJobSpec({ ...withNode("sq", { persist: level }), application: APP });
      assert.equal(job.application, APP);
      assert.equal(job.nodes.find((n) => n.id === "sq")!.persist, level);
      assert.equal(job.nodes.find((n) => n.id === "nums")!.persist, undefined);
    }
  });

  it("refuses an unknown level, naming the node and the levels", () => {
    for (const bad of ["memory_only", "MEMORY", "", 1, null, ["MEMORY_ONLY"], { level: "MEMORY_ONLY" }]) {
      assert.deepEqual(problemsOf({ ...withNode("sq", { persist: bad }), application: APP }), [
        'node "sq" (map): "persist" must be one of MEMORY_ONLY, MEMORY_ONLY_SER, MEMORY_AND_DISK, MEMORY_AND_DISK_SER, DISK_ONLY',
      ]);
    }
  });

  it("refuses persist without an application: nothing would ever release the blocks", () => {
    assert.deepEqual(problemsOf(withNode("sq", { persist: "MEMORY_ONLY" })), ['node "sq" (map): "persist" needs an "application": a cached dataset lives until its application ends']);
  });

  it("refuses persist on the action", () => {
    assert.deepEqual(problemsOf({ ...base, application: APP, action: { op: "collect", input: "byKey", persist: "MEMORY_ONLY" } }), [
      'action (collect): an action has no dataset to persist; put "persist" on the node it reads',
    ]);
  });

  it("a job without persist plans as before: no marker anywhere, and the application travels into the plan and each launch", () => {
    const p = plan({ ...base, application: APP });
    assert.equal(p.application, APP);
    for (const r of rddsByNode(p).values()) assert.equal(r.cache, undefined);
    assert.doesNotMatch(explain(p), /persist/);
    const launch = resolveLaunch(p, unresolved(), p.stages[0]!, 0, () => []);
    assert.equal(launch.application, APP);
    assert.equal(resolveLaunch(plan(base), unresolved(), plan(base).stages[0]!, 0, () => []).application, null);
  });

  it("marks the persisted node's RDD with its dataset and level, and explain shows it", () => {
    const p = plan({ ...withNode("sq", { persist: "MEMORY_AND_DISK_SER" }), application: APP });
    const cache = rddsByNode(p).get("sq")!.cache!;
    assert.equal(cache.level, "MEMORY_AND_DISK_SER");
    assert.match(cache.datasetId, DATASET_ID_PATTERN);
    assert.equal(rddsByNode(p).get("nums")!.cache, undefined);
    assert.match(explain(p), new RegExp(`\\(3\\) sq: map .* \\[persist MEMORY_AND_DISK_SER, dataset ${cache.datasetId}\\]\n`));
  });

  it("marks a persisted wide node's shuffled RDD", () => {
    const p = plan({ ...withNode("byKey", { persist: "DISK_ONLY" }), application: APP });
    const rdd = p.stages[p.resultStage]!.rdd;
    assert.equal(rdd.kind, "shuffled");
    assert.equal(rdd.cache?.level, "DISK_ONLY");
  });
});

describe("dataset ids: a hash of the lineage", () => {
  it("is the same for the same lineage in two specs with different node ids, actions and levels", () => {
    assert.equal(idOf(base, "sq"), idOf(renamed, "b"));
    assert.equal(idOf(base, "byKey"), idOf(renamed, "d"));
    assert.equal(idOf(base, "nums"), idOf(renamed, "a"));
    const levels = STORAGE_LEVELS.map((level) => rddsByNode(plan({ ...withNode("sq", { persist: level }), application: APP })).get("sq")!.cache!.datasetId);
    assert.equal(new Set(levels).size, 1);
  });

  it("does not depend on the order of object members (canonical JSON)", () => {
    const reordered = { ...base, nodes: [base.nodes[0]!, { env: { k: 2 }, fn: "(x, env) => x * env.k", input: "nums", op: "map", id: "sq" }, ...base.nodes.slice(2)] };
    const a = { ...withNode("sq", { env: { x: 1, y: [1, { b: 2, a: 1 }] } }) };
    const b = { ...withNode("sq", { env: { y: [1, { a: 1, b: 2 }], x: 1 } }) };
    assert.equal(idOf(a, "sq"), idOf(b, "sq"));
    assert.equal(idOf(reordered, "sq"), idOf(base, "sq"));
  });

  it("changes with any change of op, parameter, function source, env, partitions or input", () => {
    const sq = idOf(base, "sq");
    const changed: [string, string][] = [
      ["op", idOf(withNode("sq", { op: "flatMap", fn: "(x, env) => x * env.k" }), "sq")],
      ["fn source", idOf(withNode("sq", { fn: "(x, env) => x * env.k " }), "sq")],
      ["env", idOf(withNode("sq", { env: { k: 3 } }), "sq")],
      ["env member", idOf(withNode("sq", { env: { k: 2, j: 0 } }), "sq")],
      ["input's data", idOf(withNode("nums", { data: [1, 2, 3, 4, 5, 7] }), "sq")],
      ["input's partitions", idOf(withNode("nums", { numSlices: 2 }), "sq")],
      ["job parallelism (the input's partitions)", idOf({ ...base, nodes: [{ id: "nums", op: "parallelize", data: [1, 2, 3, 4, 5, 6] }, ...base.nodes.slice(1)], parallelism: 5 }, "sq")],
    ];
    for (const [what, id] of changed) assert.notEqual(id, sq, what);
    assert.equal(new Set(changed.map(([, id]) => id)).size, changed.length, "every change gives its own id");
    const byKey = idOf(base, "byKey");
    assert.notEqual(idOf(withNode("byKey", { numPartitions: 3 }), "byKey"), byKey, "partitions");
    assert.notEqual(idOf(withNode("byKey", { fn: "(a, b) => a * b" }), "byKey"), byKey, "param fn");
    assert.notEqual(idOf(withNode("pairs", { fn: "x => [x % 3, x]" }), "byKey"), byKey, "an input two steps up");
    // The same op and function over another input.
    const other = {
      ...base,
      nodes: [...base.nodes, { id: "r", op: "range", start: 1, end: 7, numSlices: 3 }, { id: "sq2", op: "map", input: "r", fn: "(x, env) => x * env.k", env: { k: 2 } }],
      action: { op: "collect", input: "sq2" },
    };
    assert.notEqual(idOf(other, "sq2"), sq, "input");
  });

  it("hashes a file source's paths and splits' count, not its node id", () => {
    const split = (path: string, n: number): InputSplit[] => Array.from({ length: n }, (_, i) => ({ path, start: i, end: i + 1, fileSize: n }));
    const spec = (id: string, path: string) => ({ nodes: [{ id, op: "textFile", path }], action: { op: "count", input: id } });
    const a = idOf(spec("lines", "in/a.txt"), "lines", { lines: split("in/a.txt", 2) });
    assert.equal(idOf(spec("other", "in/a.txt"), "other", { other: split("in/a.txt", 2) }), a);
    assert.notEqual(idOf(spec("lines", "in/b.txt"), "lines", { lines: split("in/b.txt", 2) }), a);
    assert.notEqual(idOf(spec("lines", "in/a.txt"), "lines", { lines: split("in/a.txt", 3) }), a);
  });
});
