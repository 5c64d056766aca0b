// Killing a worker mid-job costs time, never records: its running tasks go back
// in line, the map output it held is recomputed by lineage, and the job's output
// equals a plain computation.
import assert from "node:assert/strict";
import fs from "node:fs";
import { join } from "node:path";
import { after, before, it } from "node:test";
import { startTestCluster, wordCounts, writeFile, type TestCluster } from "./helpers/cluster.js";

let t: TestCluster;
let text = "";

before(async () => {
  t = await startTestCluster({ workers: 3, slots: 1, workerTimeoutMs: 2000, workerArgs: ["--heartbeat", "400ms"] });
  const lines: string[] = [];
  for (let i = 0; i < 24_000; i++) lines.push(`w${i % 97} w${(i * 7) % 13} common`);
  text = lines.join("\n") + "\n";
  writeFile(t.dataDir, "in/words.txt", text);
});

after(async () => {
  await t?.stop();
});

it("a worker killed during the map stage: the job completes with exact counts", async () => {
  const id = await t.cluster.client.submit({
    nodes: [
      { id: "lines", op: "textFile", path: "in/words.txt", maxPartitionBytes: 32 * 1024 },
      // Slow enough that the kill lands mid-stage.
      { id: "slow", op: "map", input: "lines", fn: "l => { const end = Date.now() + 0.4; while (Date.now() < end); return l; }" },
      { id: "words", op: "flatMap", input: "slow", fn: "l => l.split(' ')" },
      { id: "pairs", op: "map", input: "words", fn: "w => [w, 1]" },
      { id: "counts", op: "reduceByKey", input: "pairs", fn: "(a, b) => a + b", numPartitions: 3 },
    ],
    action: { op: "collect", input: "counts" },
  });
  const victim = t.cluster.workerProcesses[0]!;
  let killedAt = -1;
  const job = await t.cluster.client.wait(id, (j) => {
    const map = j.stages[0];
    if (killedAt < 0 && map && map.tasks.succeeded >= 4) {
      killedAt = map.tasks.succeeded;
      victim.kill("SIGKILL");
    }
  }, 50);
  assert.ok(killedAt > 0, "the worker was killed mid-stage");
  assert.equal(job.status, "COMPLETED", job.error ?? "");
  const { value } = await t.cluster.client.results<[string, number][]>(id);
  assert.deepEqual(new Map(value), wordCounts(text));
  assert.equal(value.length, new Set(value.map(([w]) => w)).size, "each word once");
  const workers = await t.cluster.client.workers();
  assert.equal(workers.filter((w) => w.status === "DEAD").length, 1);
  assert.ok(job.metrics.attempts! > job.metrics.tasks!, "some tasks ran again");
});

it("a worker starting on the host removes the work directory a killed one left", async () => {
  const root = join(t.dataDir, ".minispark");
  const orphan = fs.readdirSync(root).find((d) => d.split(".")[1] === String(t.cluster.workerProcesses[0]!.pid));
  assert.ok(orphan, "the killed worker left its directory");
  t.cluster.startWorker();
  await t.cluster.waitForWorkers(3);
  assert.ok(!fs.existsSync(join(root, orphan)), "the new worker removed it");
  assert.equal(fs.readdirSync(root).length, 3, "the live workers' directories stay");
});
