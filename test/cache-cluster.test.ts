// Persisted datasets on a real local cluster (master and worker processes): a later job of the same application
// reads the partitions a worker's threads keep (src/worker/thread-block-store.ts) instead of reading its input
// again, the executor routing each task to the thread that holds its block (src/worker/executor.ts). The input's
// records read (task metrics' recordsIn) count what was computed from the file.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { join } from "node:path";
import { startTestCluster, writeFile, type TestCluster } from "./helpers/cluster.js";

const LINES = 4000;
/** The application the jobs name, and another one: registered on each cluster (the master checks a job's application is ACTIVE). */
let APP = "";
let OTHER = "";

const spec = (extra: { application?: string; persist?: string; fn?: string; action?: string } = {}) => ({
  ...(extra.application === undefined ? {} : { application: extra.application }),
  nodes: [
    { id: "lines", op: "textFile", path: "cache/in-*.txt" },
    { id: "parsed", op: "map", input: "lines", fn: extra.fn ?? "line => Number(line.split(' ')[1])", ...(extra.persist ? { persist: extra.persist } : {}) },
  ],
  action: { op: extra.action ?? "count", input: "parsed" },
});

describe("persist on a real cluster", () => {
  let c: TestCluster;
  before(async () => {
    c = await startTestCluster({ workers: 1, slots: 2, workerArgs: ["--heartbeat", "1s"] });
    // Four files, four partitions.
    for (let f = 0; f < 4; f++) writeFile(c.dataDir, `cache/in-${f}.txt`, Array.from({ length: LINES / 4 }, (_, i) => `line ${f * (LINES / 4) + i}`).join("\n") + "\n");
    APP = (await c.cluster.client.registerApp("cache-test", 3_600_000)).id;
    OTHER = (await c.cluster.client.registerApp("cache-other", 3_600_000)).id;
  });
  after(() => c?.stop());

  const run = async (s: unknown) => {
    const { job, value } = await c.cluster.client.run(s);
    return { value, recordsIn: job.metrics.recordsIn, tasks: job.metrics.tasks };
  };

  it("a persisted dataset read by two jobs of one application is computed once", async () => {
    const first = await run(spec({ application: APP, persist: "MEMORY_ONLY" }));
    assert.deepEqual(first, { value: LINES, recordsIn: LINES, tasks: 4 });
    const second = await run(spec({ application: APP, persist: "MEMORY_ONLY" }));
    assert.deepEqual(second, { value: LINES, recordsIn: 0, tasks: 4 }, "every partition came from a thread's block");
    // Another action over the same dataset, with its records: the blocks are the records as computed.
    const sum = await run({ ...spec({ application: APP, persist: "MEMORY_ONLY" }), action: { op: "reduce", input: "parsed", fn: "(a, b) => a + b" } });
    // Its 4 map tasks read the blocks (the planner's step in front of its shuffle fused after them); its reduce task reads their 4 partial sums.
    assert.deepEqual(sum, { value: (LINES * (LINES - 1)) / 2, recordsIn: 4, tasks: 5 });
  });

  for (const level of ["DISK_ONLY", "MEMORY_ONLY_SER", "MEMORY_AND_DISK", "MEMORY_AND_DISK_SER"]) {
    it(`${level}: the second job reads the blocks`, async () => {
      const s = spec({ application: APP, persist: level, fn: `line => [${JSON.stringify(level)}, Number(line.split(' ')[1])]` });
      assert.equal((await run(s)).recordsIn, LINES);
      const again = await run({ ...s, action: { op: "collect", input: "parsed" } });
      assert.equal(again.recordsIn, 0);
      assert.deepEqual(
        (again.value as [string, number][]).map(([, n]) => n),
        Array.from({ length: LINES }, (_, i) => i),
        "the records as computed, in partition order",
      );
    });
  }

  it("reuses nothing across applications, across lineages or for a job that does not persist", async () => {
    assert.equal((await run(spec({ application: OTHER, persist: "MEMORY_ONLY" }))).recordsIn, LINES, "another application");
    assert.equal((await run(spec({ application: APP, persist: "MEMORY_ONLY", fn: "line => Number(line.split(' ')[1]) + 0" }))).recordsIn, LINES, "another function");
    assert.equal((await run(spec())).recordsIn, LINES, "no persist, no application");
    assert.equal((await run(spec({ application: APP, persist: "MEMORY_ONLY" }))).recordsIn, 0, "the first application's blocks are still there");
  });

  it("unpersist (DELETE /api/v1/apps/{app}/datasets/{id}) releases the blocks: the next job computes again", async () => {
    const s = spec({ application: APP, persist: "MEMORY_AND_DISK", fn: "line => ['unpersist', line]" });
    assert.equal((await run(s)).recordsIn, LINES);
    assert.equal((await run(s)).recordsIn, 0);
    const plan = await c.http(`/api/v1/jobs/${(await c.cluster.client.jobs())[0]!.id}/plan`);
    const datasetId = /dataset (ds-[0-9a-f]{32})/.exec(JSON.stringify(plan.body))![1]!;
    const res = await c.http(`/api/v1/apps/${APP}/datasets/${datasetId}`, { method: "DELETE" });
    assert.deepEqual([res.status, res.body], [200, { application: APP, datasetId, partitions: 4, workers: 1 }]);
    const again = await c.http(`/api/v1/apps/${APP}/datasets/${datasetId}`, { method: "DELETE" });
    assert.deepEqual(again.body, { application: APP, datasetId, partitions: 0, workers: 0 }, "idempotent");
    // The worker hears of it with its next heartbeat (every 1s ± 1/3).
    await new Promise((res) => setTimeout(res, 3000));
    assert.equal(
      fs
        .readdirSync(join(c.dataDir, ".minispark"))
        .flatMap((d) => fs.readdirSync(join(c.dataDir, ".minispark", d, "blocks", `app_${APP}`)))
        .filter((f) => f.startsWith(datasetId)).length,
      0,
      "its files are gone",
    );
    assert.equal((await run(s)).recordsIn, LINES, "computed again: nothing of it is left in memory or on disk");
    for (const [path, message] of [
      [`/api/v1/apps/${APP}/datasets/ds-nothex`, /is not a dataset id/],
      [`/api/v1/apps/${"a".repeat(65)}/datasets/${datasetId}`, /is not an application id/],
    ] as const) {
      const bad = await c.http(path, { method: "DELETE" });
      assert.equal(bad.status, 400);
      assert.match(bad.body.error.message, message);
    }
  });

  it("refuses persist without an application with a 400 naming the node", async () => {
    const res = await c.http("/api/v1/jobs", { method: "POST", body: spec({ persist: "MEMORY_ONLY" }) });
    assert.equal(res.status, 400);
    assert.match(JSON.stringify(res.body), /node \\"parsed\\" \(map\): \\"persist\\" needs an \\"application\\"/);
    const bad = await c.http("/api/v1/jobs", { method: "POST", body: spec({ application: APP, persist: "MEMORY" }) });
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(bad.body), /"persist\\" must be one of MEMORY_ONLY/);
  });
});

describe("persist across workers, and a lost holder", () => {
  let c: TestCluster;
  before(async () => {
    c = await startTestCluster({ workers: 2, slots: 1, workerTimeoutMs: 2000, workerArgs: ["--heartbeat", "300ms"] });
    for (let f = 0; f < 4; f++) writeFile(c.dataDir, `cache/in-${f}.txt`, Array.from({ length: LINES / 4 }, (_, i) => `line ${f * (LINES / 4) + i}`).join("\n") + "\n");
    APP = (await c.cluster.client.registerApp("cache-test", 3_600_000)).id;
  });
  after(() => c?.stop());

  const run = async (s: unknown) => {
    const { job, value } = await c.cluster.client.run(s);
    return { id: job.id, value, recordsIn: job.metrics.recordsIn };
  };
  /** Where each partition of the job's stage 0 succeeded. */
  const placement = async (jobId: string) => {
    const res = await c.http(`/api/v1/jobs/${jobId}/stages/0/tasks`);
    return new Map<number, string>(res.body.tasks.map((t: any) => [t.partition, t.attempts.find((a: any) => a.state === "SUCCEEDED" || a.state === "FINISHED")?.worker]));
  };

  it("the master sends each task to the worker holding its partition; a killed worker costs only its partitions", async () => {
    const s = { ...spec({ application: APP, persist: "MEMORY_ONLY" }), action: { op: "collect", input: "parsed" } };
    const expected = Array.from({ length: LINES }, (_, i) => i);
    const first = await run(s);
    assert.equal(first.recordsIn, LINES);
    const where = await placement(first.id);
    assert.equal(new Set(where.values()).size, 2, "both workers computed partitions");
    const second = await run(s);
    assert.deepEqual(second.value, expected);
    assert.equal(second.recordsIn, 0, "every task ran where its block was");
    assert.deepEqual(await placement(second.id), where);

    // A worker's work directory is named <host>.<pid>.<worker id> (work-dirs.ts): the victim's pid is in it.
    const victim = where.get(0)!;
    const dir = fs.readdirSync(join(c.dataDir, ".minispark")).find((d) => d.endsWith(`.${victim}`))!;
    const pid = Number(dir.split(".").at(-2));
    const proc = c.cluster.workerProcesses.find((p) => p.pid === pid)!;
    assert.ok(proc, `the process of ${victim}`);
    proc.kill("SIGKILL");
    for (let i = 0; ; i++) {
      const w = (await c.cluster.client.workers()).find((x) => x.id === victim);
      if (w?.status === "DEAD") break;
      assert.ok(i < 100, "the master declares the killed worker dead");
      await new Promise((res) => setTimeout(res, 100));
    }
    const lost = [...where.values()].filter((w) => w === victim).length;
    const third = await run(s);
    assert.deepEqual(third.value, expected, "the result is exact");
    assert.equal(third.recordsIn, (lost * LINES) / 4, "only the killed worker's partitions were computed again");
    const survivor = [...where.values()].find((w) => w !== victim)!;
    assert.deepEqual(new Set((await placement(third.id)).values()), new Set([survivor]));
  });
});
