// Graceful shutdown (issue 9): a worker sent SIGTERM takes no new tasks,
// finishes what it runs, serves its shuffle output until the master releases
// it, then deregisters and exits 0; past its grace period it hands back what
// still runs, which reruns elsewhere without counting as a failure. A master
// sent SIGTERM exits 0 with its state saved, and a restarted one carries on.
// A worker that never reached its master has nothing to drain and leaves at once,
// also when the signal comes while it is still starting.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startTestCluster, type TestCluster } from "./helpers/cluster.js";

/** A job of 12 map tasks that each spin `ms` per record, then a shuffle: [k, sum] for k in 0..3. */
function slowSums(ms: number) {
  return {
    name: `slow sums ${ms}`,
    nodes: [
      { id: "nums", op: "parallelize", data: Array.from({ length: 24 }, (_, i) => i), numSlices: 12 },
      { id: "pairs", op: "map", input: "nums", fn: `x => { const end = Date.now() + ${ms}; while (Date.now() < end); return [x % 4, x]; }` },
      { id: "sums", op: "reduceByKey", input: "pairs", fn: "(a, b) => a + b", numPartitions: 2 },
    ],
    action: { op: "collect", input: "sums" },
  };
}

const EXPECTED = new Map(
  [0, 1, 2, 3].map((k) => [
    k,
    Array.from({ length: 24 }, (_, i) => i)
      .filter((i) => i % 4 === k)
      .reduce((a, b) => a + b, 0),
  ]),
);
const sums = (value: unknown) => new Map(value as [number, number][]);

const exitOf = (p: ChildProcess) =>
  new Promise<{ code: number | null; at: number }>((res) => {
    if (p.exitCode !== null) res({ code: p.exitCode, at: Date.now() });
    else p.once("exit", (code) => res({ code, at: Date.now() }));
  });

async function waitFor(what: string, f: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("graceful shutdown", () => {
  let t: TestCluster;

  before(async () => {
    t = await startTestCluster({ workers: 3, slots: 1, workerArgs: ["--shutdown-grace", "20s"] });
  });

  after(async () => {
    await t?.stop();
  });

  const statuses = async () => ((await t.http("/api/v1/workers")).body.workers as { status: string }[]).map((w) => w.status).sort();

  it("a worker sent SIGTERM mid-job finishes its tasks, serves its output until the job is done, then leaves", async () => {
    const worker = t.cluster.workerProcesses[0]!;
    const id = await t.cluster.client.submit(slowSums(250));
    await waitFor("the first map outputs", async () => (await t.cluster.client.job(id)).stages[0]!.tasks.succeeded >= 3);
    worker.kill("SIGTERM");
    const exited = exitOf(worker);
    const job = await t.cluster.client.wait(id, undefined, 50);
    const jobEnded = Date.now();
    assert.equal(job.status, "COMPLETED");
    assert.deepEqual(sums((await t.cluster.client.results(id)).value), EXPECTED);
    assert.equal(job.metrics.failedAttempts, 0, "nothing failed because of the shutdown");
    const { code, at } = await exited;
    assert.equal(code, 0);
    assert.ok(at >= jobEnded - 1000, "the worker stayed until its shuffle output was no longer needed");
    assert.deepEqual(await statuses(), ["ALIVE", "ALIVE", "LEFT"]);
  });

  it("past its grace period a worker hands back its running task, which reruns elsewhere as no failure", async () => {
    const left = (await statuses()).filter((s) => s === "LEFT").length;
    const worker = t.cluster.startWorker(["--shutdown-grace", "1s"]);
    await t.cluster.waitForWorkers(3);
    const id = await t.cluster.client.submit(slowSums(1500));
    await waitFor("the new worker running a task", async () => {
      const workers = (await t.http("/api/v1/workers")).body.workers as { status: string; active_tasks: number; address: string }[];
      return workers.filter((w) => w.status === "ALIVE").every((w) => w.active_tasks > 0);
    });
    worker.kill("SIGTERM");
    assert.equal((await exitOf(worker)).code, 0);
    const job = await t.cluster.client.wait(id, undefined, 100);
    assert.equal(job.status, "COMPLETED");
    assert.deepEqual(sums((await t.cluster.client.results(id)).value), EXPECTED);
    assert.equal(job.metrics.failedAttempts, 0);
    assert.ok(Number(job.metrics.retries) >= 1, "the handed-back task ran again");
    assert.equal((await statuses()).filter((s) => s === "LEFT").length, left + 1);
  });

  it("a master sent SIGTERM exits 0, and a restarted one resumes and runs jobs", async () => {
    const master = t.cluster.masterProcess!;
    const exited = exitOf(master);
    await t.cluster.killMaster("SIGTERM");
    assert.equal((await exited).code, 0);
    await t.cluster.restartMaster();
    await t.cluster.waitForWorkers(2);
    assert.deepEqual(sums(await t.run(slowSums(0))), EXPECTED);
  });
});

it("a worker that never reached its master leaves at once on SIGTERM, not after its grace", async () => {
  // A port nothing listens on: taken, then released.
  const port = await new Promise<number>((res) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => res(p));
    });
  });
  const dir = fs.mkdtempSync(join(os.tmpdir(), "minispark-unregistered-"));
  const cli = fileURLToPath(new URL("../src/cli/main.js", import.meta.url));
  const worker = spawn(process.execPath, [cli, "worker", "--master", `http://127.0.0.1:${port}`, "--data-dir", dir, "--token", "t0ken", "--shutdown-grace", "30s", "--log-format", "json"], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  try {
    await new Promise<void>((res, rej) => {
      worker.stderr!.on("data", (d: Buffer) => d.toString().includes('"worker started"') && res());
      worker.once("exit", (code) => rej(new Error(`worker exited ${code}`)));
    });
    const sent = Date.now();
    worker.kill("SIGTERM");
    const { code, at } = await exitOf(worker);
    assert.equal(code, 0);
    assert.ok(at - sent < 5000, `left ${at - sent} ms after SIGTERM (its grace is 30 s)`);
  } finally {
    worker.kill("SIGKILL");
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
