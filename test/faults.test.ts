// Fault tests on real processes: workers killed with SIGKILL in the map stage,
// in the reduce stage and while others fetch their blocks, a worker frozen with
// SIGSTOP past its lease, a function that fails on its first attempt only or
// always, the master killed and restarted, every worker replaced. Each job's
// output is compared record for record with a fault-free in-process run, and
// each scenario ends with the cluster serving a new job. The recovery time of
// each (kill → job done) is printed next to a fault-free run's.
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import fs from "node:fs";
import { join } from "node:path";
import { after, before, describe, it, type TestContext } from "node:test";
import type { JobInfo } from "../src/common/api-types.js";
import { canonicalJson } from "../src/plan/keys.js";
import { runInline } from "../src/inline/inline-runner.js";
import { startTestCluster, writeFile, type TestCluster } from "./helpers/cluster.js";

const LEASE_MS = 2000;
let t: TestCluster;

/** Word count whose map stage is slow enough (about 3 s of work) for a kill to land mid-stage. */
const wordcount = (slowReduce = false) => ({
  name: "faulty-wordcount",
  nodes: [
    { id: "lines", op: "textFile", path: "in/words.txt", maxPartitionBytes: 48 * 1024 },
    { id: "slow", op: "map", input: "lines", fn: "l => { const end = Date.now() + 0.25; while (Date.now() < end); return l; }" },
    { id: "words", op: "flatMap", input: "slow", fn: "l => l.split(' ')" },
    { id: "pairs", op: "map", input: "words", fn: "w => [w, 1]" },
    { id: "counts", op: "reduceByKey", input: "pairs", fn: "(a, b) => a + b", numPartitions: 6 },
    ...(slowReduce ? [{ id: "slowly", op: "mapValues", input: "counts", fn: "v => { const end = Date.now() + 8; while (Date.now() < end); return v; }" }] : []),
  ],
  action: { op: "collect", input: slowReduce ? "slowly" : "counts" },
});

const joinSpec = {
  name: "faulty-join",
  nodes: [
    { id: "lines", op: "textFile", path: "in/words.txt", maxPartitionBytes: 48 * 1024 },
    { id: "slow", op: "map", input: "lines", fn: "l => { const end = Date.now() + 0.25; while (Date.now() < end); return l; }" },
    { id: "firsts", op: "map", input: "slow", fn: "l => [l.split(' ')[0], 1]" },
    { id: "byFirst", op: "reduceByKey", input: "firsts", fn: "(a, b) => a + b", numPartitions: 4 },
    { id: "names", op: "parallelize", data: Array.from({ length: 97 }, (_, i) => [`w${i}`, `name-${i}`]), numSlices: 3 },
    { id: "j", op: "join", inputs: ["byFirst", "names"], numPartitions: 4 },
  ],
  action: { op: "collect", input: "j" },
};

const sorted = (v: unknown) => (v as unknown[]).map((x) => canonicalJson(x)).sort();

before(async () => {
  t = await startTestCluster({ workers: 3, slots: 1, workerTimeoutMs: LEASE_MS, workerArgs: ["--heartbeat", "400ms"] });
  const lines: string[] = [];
  for (let i = 0; i < 12_000; i++) lines.push(`w${i % 97} w${(i * 7) % 13} common x${i % 1000}`);
  writeFile(t.dataDir, "in/words.txt", lines.join("\n") + "\n");
});

after(async () => {
  await t?.stop();
});

const live = (): ChildProcess[] => t.cluster.workerProcesses.filter((p) => p.exitCode === null && p.signalCode === null);

/** Runs the spec, calling `fault` once when `when` first holds; returns the job and the ms from the fault to the end. */
async function runWithFault(spec: unknown, when: (j: JobInfo) => boolean, fault: () => Promise<void> | void): Promise<{ job: JobInfo; value: unknown; recoveryMs: number }> {
  const id = await t.cluster.client.submit(spec);
  let faultAt = -1;
  let job: JobInfo | null;
  for (;;) {
    job = await t.cluster.client.job(id).catch(() => null);
    if (job && faultAt < 0 && when(job)) {
      faultAt = Date.now();
      await fault();
    }
    if (job && ["COMPLETED", "FAILED", "CANCELLED"].includes(job.status)) break;
    await new Promise((r) => setTimeout(r, 30));
  }
  assert.ok(faultAt > 0, "the fault happened before the job ended");
  const value = job.status === "COMPLETED" ? (await t.cluster.client.results(id)).value : null;
  return { job, value, recoveryMs: Date.now() - faultAt };
}

async function servesNewJob(): Promise<void> {
  assert.equal(await t.run({ nodes: [{ id: "n", op: "range", start: 0, end: 100, numSlices: 4 }], action: { op: "sum", input: "n" } }), 4950);
}

const mapStageHalfDone = (j: JobInfo) => (j.stages[0]?.tasks.succeeded ?? 0) >= (j.stages[0]?.numTasks ?? 99) / 2;

describe("faults", () => {
  let expected: string[];
  let expectedJoin: string[];
  let faultFreeMs = 0;

  before(async () => {
    expected = sorted(runInline(wordcount(), { dataDir: t.dataDir }));
    expectedJoin = sorted(runInline(joinSpec, { dataDir: t.dataDir }));
    const started = Date.now();
    assert.deepEqual(sorted(await t.run(wordcount())), expected, "the cluster agrees with the in-process run without faults");
    faultFreeMs = Date.now() - started;
  });

  it("kill -9 a worker during the map stage", async (c: TestContext) => {
    const r = await runWithFault(wordcount(), mapStageHalfDone, () => void live()[0]!.kill("SIGKILL"));
    assert.equal(r.job.status, "COMPLETED", r.job.error ?? "");
    assert.deepEqual(sorted(r.value), expected);
    c.diagnostic(`recovered in ${r.recoveryMs} ms after the kill (fault-free job: ${faultFreeMs} ms)`);
    t.cluster.startWorker();
    await t.cluster.waitForWorkers(3);
    await servesNewJob();
  });

  it("kill -9 a worker during the reduce stage, while the others fetch its blocks", async (c: TestContext) => {
    const reducing = (j: JobInfo) => j.stages[1]?.status === "RUNNING" && (j.stages[1]?.tasks.running ?? 0) > 0;
    const r = await runWithFault(wordcount(true), reducing, () => void live()[1]!.kill("SIGKILL"));
    assert.equal(r.job.status, "COMPLETED", r.job.error ?? "");
    assert.deepEqual(sorted(r.value), expected);
    c.diagnostic(`recovered in ${r.recoveryMs} ms after the kill`);
    t.cluster.startWorker();
    await t.cluster.waitForWorkers(3);
    await servesNewJob();
  });

  it("a join survives a worker killed mid-stage", async (c: TestContext) => {
    const r = await runWithFault(joinSpec, mapStageHalfDone, () => void live()[2]!.kill("SIGKILL"));
    assert.equal(r.job.status, "COMPLETED", r.job.error ?? "");
    assert.deepEqual(sorted(r.value), expectedJoin);
    c.diagnostic(`recovered in ${r.recoveryMs} ms after the kill`);
    t.cluster.startWorker();
    await t.cluster.waitForWorkers(3);
    await servesNewJob();
  });

  it("SIGSTOP a worker past its lease, then SIGCONT: the job completes and the worker rejoins", async (c: TestContext) => {
    const victim = live()[0]!;
    const r = await runWithFault(wordcount(), mapStageHalfDone, async () => {
      victim.kill("SIGSTOP");
      await new Promise((res) => setTimeout(res, LEASE_MS + 1500));
      victim.kill("SIGCONT");
    });
    assert.equal(r.job.status, "COMPLETED", r.job.error ?? "");
    assert.deepEqual(sorted(r.value), expected);
    c.diagnostic(`completed ${r.recoveryMs} ms after the SIGSTOP`);
    await t.cluster.waitForWorkers(3);
    const workers = await t.cluster.client.workers();
    assert.ok(
      workers.some((w) => w.status === "DEAD"),
      "the frozen worker was declared dead",
    );
    await servesNewJob();
  });

  it("a function that fails on its first attempt only: the job completes", async () => {
    const spec = {
      nodes: [
        { id: "n", op: "range", start: 0, end: 1000, numSlices: 4 },
        { id: "m", op: "map", input: "n", fn: "x => { if (TaskContext.get().attemptNumber() === 0) throw new Error('flaky'); return x * 2; }" },
      ],
      action: { op: "sum", input: "m" },
    };
    const id = await t.cluster.client.submit(spec);
    const job = await t.cluster.client.wait(id, undefined, 50);
    assert.equal(job.status, "COMPLETED", job.error ?? "");
    assert.equal((await t.cluster.client.results(id)).value, 999_000);
    assert.equal(job.metrics.attempts, 8, "each of the 4 tasks ran twice");
  });

  it("a function that always fails: FAILED after exactly 3 attempts, with the message and the attempt history", async () => {
    const id = await t.cluster.client.submit({
      nodes: [
        { id: "n", op: "range", start: 0, end: 10, numSlices: 1 },
        { id: "m", op: "map", input: "n", fn: "x => { throw new Error('always broken'); }" },
      ],
      action: { op: "count", input: "m" },
    });
    const job = await t.cluster.client.wait(id, undefined, 50);
    assert.equal(job.status, "FAILED");
    assert.equal(job.metrics.attempts, 3);
    assert.match(job.error!, /failed 3 times \(attempts: #0 on worker-\w+: FAILED, #1 on worker-\w+: FAILED, #2 on worker-\w+: FAILED\); last error: node "m" \(map\) threw Error: always broken/);
    const failed = job.failedTasks;
    assert.equal(failed.length, 1);
    assert.deepEqual(
      failed[0]!.attempts.map((a) => a.state),
      ["FAILED", "FAILED", "FAILED"],
    );
    await servesNewJob();
  });

  it("kill -9 the master mid-job and start it again: the job completes", async (c: TestContext) => {
    const known = (await t.cluster.client.jobs()).length;
    const r = await runWithFault(wordcount(), mapStageHalfDone, async () => {
      // Map outputs reach the database in batches (job-store.ts, every 50 ms): let those just reported be written, as they are a moment later.
      await new Promise((res) => setTimeout(res, 250));
      await t.cluster.killMaster();
      await t.cluster.restartMaster();
    });
    assert.equal(r.job.status, "COMPLETED", r.job.error ?? "");
    assert.deepEqual(sorted(r.value), expected);
    c.diagnostic(`recovered in ${r.recoveryMs} ms after the kill`);
    const events = r.job.events;
    const mapOutputs = events.find((e) => e.kind === "job recovered")?.detail.mapOutputs;
    assert.ok(typeof mapOutputs === "number" && mapOutputs > 0, "the restarted master knew the map outputs already made");
    assert.ok(events.some((e) => e.kind === "job resumed"));
    const mapStage = r.job.stages[0]!;
    assert.ok(mapStage.tasks.succeeded === mapStage.numTasks && mapStage.attempts < mapStage.numTasks, "map output that live workers still held was reused, not recomputed");
    const jobs = await t.cluster.client.jobs();
    assert.equal(jobs.length, known + 1, "the restarted master still lists every job");
    assert.ok(!jobs.some((j) => j.status === "RUNNING" || j.status === "PENDING"));
    await servesNewJob();
  });

  it("kill every worker and start new ones: the job completes", async (c: TestContext) => {
    const r = await runWithFault(wordcount(), mapStageHalfDone, () => {
      for (const p of live()) p.kill("SIGKILL");
      for (let i = 0; i < 3; i++) t.cluster.startWorker();
    });
    assert.equal(r.job.status, "COMPLETED", r.job.error ?? "");
    assert.deepEqual(sorted(r.value), expected);
    c.diagnostic(`recovered in ${r.recoveryMs} ms after the kill`);
    await servesNewJob();
  });

  it("a worker starting on the host removes the work directory a killed one left", async () => {
    const root = join(t.dataDir, ".minispark");
    const victim = live()[0]!;
    victim.kill("SIGKILL");
    await new Promise((r) => victim.once("exit", r));
    const orphan = fs.readdirSync(root).find((d) => d.split(".")[1] === String(victim.pid));
    assert.ok(orphan, "the killed worker left its directory");
    const fresh = t.cluster.startWorker();
    // A starting worker cleans up first, then makes its own directory: wait for that.
    const ownDir = () => fs.readdirSync(root).some((d) => d.split(".")[1] === String(fresh.pid));
    for (let i = 0; i < 200 && !ownDir(); i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(!fs.existsSync(join(root, orphan)), "the new worker removed it");
    const livePids = new Set(live().map((p) => String(p.pid)));
    assert.deepEqual(
      fs.readdirSync(root).filter((d) => !livePids.has(d.split(".")[1]!)),
      [],
      "only live workers' directories stay",
    );
  });
});
