// Skipped stages on a real cluster: a later job of the application that reads
// a persisted dataset every partition of which is cached does not run the
// stages below it (Spark's skipped stages: the shuffle under a cached
// groupByKey is not written again). When a block turns out gone where its task
// runs (here: a DISK_ONLY file deleted behind the master's back), the task
// reports it, the skipped stages run after all, and the result is exact; a
// killed holder costs its blocks, and the next job computes what it held.
import assert from "node:assert/strict";
import fs from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startTestCluster, writeFile, type TestCluster } from "./helpers/cluster.js";

const EDGES = 6000;
const KEYS = 97;

/** The grouped edges the jobs compute, values sorted, keys sorted. */
function expectedGroups(): [number, number[]][] {
  const groups = new Map<number, number[]>();
  for (let i = 0; i < EDGES; i++) {
    const k = i % KEYS;
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(i);
  }
  return [...groups].map(([k, vs]) => [k, vs.sort((a, b) => a - b)] as [number, number[]]).sort((a, b) => a[0] - b[0]);
}

function normalised(value: unknown): [number, number[]][] {
  return (value as [number, number[]][]).map(([k, vs]) => [k, [...vs].sort((a, b) => a - b)] as [number, number[]]).sort((a, b) => a[0] - b[0]);
}

describe("skipped stages over cached blocks", () => {
  let c: TestCluster;
  let app = "";
  before(async () => {
    c = await startTestCluster({ workers: 2, slots: 2, workerArgs: ["--heartbeat", "500ms"] });
    const res = await c.http("/api/v1/apps", { method: "POST", body: { name: "skips", leaseMs: 3_600_000 } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    app = res.body.id as string;
    for (let f = 0; f < 4; f++) {
      const lines = Array.from({ length: EDGES / 4 }, (_, i) => `${(f * EDGES) / 4 + i}`);
      writeFile(c.dataDir, `skips/part-${f}.txt`, `${lines.join("\n")}\n`);
    }
  });
  after(() => c?.stop());

  const spec = (level: string, fn = `line => [Number(line) % ${KEYS}, Number(line)]`) => ({
    application: app,
    nodes: [
      { id: "lines", op: "textFile", path: "skips/part-*.txt" },
      { id: "pairs", op: "map", input: "lines", fn },
      { id: "links", op: "groupByKey", input: "pairs", numPartitions: 4, persist: level },
    ],
    action: { op: "collect", input: "links" },
  });

  const run = async (s: unknown) => {
    const { job, value } = await c.cluster.client.run(s);
    return { job, value, statuses: job.stages.map((st) => st.status), recordsIn: job.metrics.recordsIn };
  };

  it("the second job reads the cached groups and skips the map stage; a third reads them again", async () => {
    const s = spec("MEMORY_ONLY");
    const first = await run(s);
    assert.deepEqual(normalised(first.value), expectedGroups());
    assert.deepEqual(first.statuses, ["COMPLETED", "COMPLETED"]);
    const second = await run(s);
    assert.deepEqual(normalised(second.value), expectedGroups());
    assert.deepEqual(second.statuses, ["SKIPPED", "COMPLETED"], "the map stage is skipped");
    assert.equal(second.recordsIn, 0, "no input line and no shuffle record was read");
    assert.equal(second.job.stages[0]!.tasks.succeeded, 0);
    const third = await run({ ...s, action: { op: "count", input: "links" } });
    assert.equal(third.value, KEYS);
    assert.equal(third.statuses[0], "SKIPPED");
  });

  it("a block gone behind the master's back: the task reports it, the skipped stage runs, the result is exact", async () => {
    const s = spec("DISK_ONLY", `line => [Number(line) % ${KEYS}, Number(line) * 1]`);
    await run(s);
    const cached = await run(s);
    assert.equal(cached.statuses[0], "SKIPPED");
    // Every DISK_ONLY block file of the application, on every worker: gone.
    const work = join(c.dataDir, ".minispark");
    let removed = 0;
    for (const w of fs.readdirSync(work)) {
      const dir = join(work, w, "blocks", `app_${app}`);
      if (!fs.existsSync(dir)) continue;
      for (const f of fs.readdirSync(dir)) {
        fs.rmSync(join(dir, f), { recursive: true, force: true });
        removed++;
      }
    }
    assert.ok(removed > 0, "block files were found to remove");
    // And the shuffle output the first job kept for the application (test/shuffle-reuse.test.ts): without it the map stage must run.
    for (const w of fs.readdirSync(work)) for (const j of fs.readdirSync(join(work, w, "shuffle"))) fs.rmSync(join(work, w, "shuffle", j), { recursive: true, force: true });
    const after = await run(s);
    assert.deepEqual(normalised(after.value), expectedGroups(), "the result is exact");
    assert.equal(after.statuses[0], "COMPLETED", "the skipped map stage ran after all");
    assert.ok((after.recordsIn ?? 0) > EDGES, "the input was read again, and its shuffle");
    const tasks = await c.http(`/api/v1/jobs/${after.job.id}/stages/1/tasks`);
    const reported = tasks.body.tasks.flatMap((t: any) => t.attempts).filter((a: any) => a.state === "FAILED");
    assert.ok(reported.length > 0 && reported.every((a: any) => /is not on this worker/.test(a.error)), JSON.stringify(reported));
    assert.equal(after.job.status, "COMPLETED");
    // The recomputed blocks were stored again: the next job skips once more.
    const again = await run(s);
    assert.deepEqual(normalised(again.value), expectedGroups());
    assert.equal(again.statuses[0], "SKIPPED");
  });

  it("a holder's task thread killed under its blocks: the heartbeat tells the master, which lists them no more, and the next job computes them", async () => {
    const s = spec("MEMORY_ONLY", `line => [Number(line) % ${KEYS}, Number(line) - 0]`);
    await run(s);
    const cached = await run(s);
    assert.equal(cached.statuses[0], "SKIPPED");
    const datasetId = cached.job.datasets!.find((d) => d.node === "links")!.datasetId;
    const links = async () => ((await c.http("/api/v1/storage")).body.datasets as any[]).find((d) => d.application === app && d.datasetId === datasetId);
    const before = await links();
    assert.equal(before.cachedPartitions, 4);
    // A job over the cached groups whose tasks spin: cancelling it kills the threads that hold the blocks.
    const slow = {
      ...s,
      nodes: [...s.nodes, { id: "slow", op: "map", input: "links", fn: "kv => { const end = Date.now() + 60000; while (Date.now() < end); return kv; }" }],
      action: { op: "count", input: "slow" },
    };
    const { id } = (await c.http("/api/v1/jobs", { method: "POST", body: slow })).body as { id: string };
    for (let i = 0; ; i++) {
      const job = (await c.http(`/api/v1/jobs/${id}`)).body;
      if (job.stages?.[1]?.tasks?.running > 0) break;
      assert.ok(i < 200, "the slow job's tasks run");
      await new Promise((r) => setTimeout(r, 50));
    }
    await c.http(`/api/v1/jobs/${id}/cancel`, { method: "POST" });
    let now = before;
    for (let i = 0; now && now.cachedPartitions === 4; i++) {
      assert.ok(i < 200, "the storage listing loses the killed threads' blocks");
      await new Promise((r) => setTimeout(r, 50));
      now = await links();
    }
    const after = await run(s);
    assert.deepEqual(normalised(after.value), expectedGroups(), "the result is exact");
    assert.equal(after.statuses[0], "SKIPPED", "not wholly cached, the groups are computed from the shuffle output the first job kept");
    assert.ok((after.recordsIn ?? 0) >= EDGES, "the kept shuffle output was read");
    const failed = (await c.http(`/api/v1/jobs/${after.job.id}/stages/1/tasks`)).body.tasks.flatMap((t: any) => t.attempts).filter((a: any) => a.state === "FAILED");
    assert.deepEqual(failed, [], "the master knew: no task had to find a block gone");
  });

  it("a killed holder: the next job runs the map stage and computes exactly", async () => {
    const s = spec("MEMORY_ONLY", `line => [Number(line) % ${KEYS}, Number(line) + 0]`);
    await run(s);
    const cached = await run(s);
    assert.equal(cached.statuses[0], "SKIPPED");
    const datasetId = cached.job.datasets!.find((d) => d.node === "links")!.datasetId;
    const listed = await c.http("/api/v1/storage");
    const mine = listed.body.datasets.filter((d: any) => d.application === app && d.datasetId === datasetId);
    const holder = mine.flatMap((d: any) => d.workers).find((w: any) => w.partitions > 0)!.worker as string;
    assert.ok(holder);
    const dir = fs.readdirSync(join(c.dataDir, ".minispark")).find((d) => d.endsWith(`.${holder}`))!;
    const pid = Number(dir.split(".").at(-2));
    c.cluster.workerProcesses.find((p) => p.pid === pid)!.kill("SIGKILL");
    for (let i = 0; ; i++) {
      const w = (await c.cluster.client.workers()).find((x) => x.id === holder);
      if (w?.status === "DEAD") break;
      assert.ok(i < 300, "the master declares the killed worker dead (--worker-timeout 10s)");
      await new Promise((res) => setTimeout(res, 100));
    }
    const after = await run(s);
    assert.deepEqual(normalised(after.value), expectedGroups());
    assert.equal(after.statuses[0], "COMPLETED");
  });
});
