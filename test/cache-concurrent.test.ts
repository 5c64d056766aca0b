// Two jobs of one application that persist the same dataset, submitted at the same moment on a real cluster (two
// workers of two slots, so both jobs' tasks run side by side and both compute and store every partition): both
// results are exact; GET /api/v1/storage lists the dataset once, each partition at most once per worker, and each
// worker's bytes are those of the partitions it holds (the bytes of a partition stored alone, measured in another
// application with the same lineage), not twice; an unpersist frees everything (the listing, the block files, and
// the next job computes from the input again).
import assert from "node:assert/strict";
import fs from "node:fs";
import { join } from "node:path";
import { after, before, it } from "node:test";
import { startTestCluster, writeFile, type TestCluster } from "./helpers/cluster.js";

const FILES = 4;
const PER_FILE = 1500;
const LINES = FILES * PER_FILE;
let t: TestCluster;

async function registerApp(name: string): Promise<string> {
  const res = await t.http("/api/v1/apps", { method: "POST", body: { name, leaseMs: 3_600_000 } });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.id as string;
}

before(async () => {
  t = await startTestCluster({ workers: 2, slots: 2, workerArgs: ["--heartbeat", "300ms"] });
  // Every file (partition) the same size, so that every block is the same size.
  for (let f = 0; f < FILES; f++) writeFile(t.dataDir, `conc/in-${f}.txt`, Array.from({ length: PER_FILE }, (_, i) => String(100_000 + f * PER_FILE + i)).join("\n") + "\n");
});
after(() => t?.stop());

const spec = (application: string, level: string, action: unknown) => ({
  application,
  nodes: [
    { id: "lines", op: "textFile", path: "conc/in-*.txt" },
    // Slow enough (about 0.9 s per partition) that the two jobs' tasks overlap even on a loaded machine (at 0.3 s, CI saw one end before the other began).
    {
      id: "parsed",
      op: "map",
      input: "lines",
      fn: `l => { if (l.endsWith('00')) { const e = Date.now() + 60; while (Date.now() < e); } return [${JSON.stringify(level)}, Number(l)]; }`,
      persist: level,
    },
  ],
  action,
});
const COUNT = { op: "count", input: "parsed" };
const SUM = { op: "aggregate", input: "parsed", zeroValue: 0, seqOp: "(acc, r) => acc + r[1]", combOp: "(a, b) => a + b" };
const exactSum = Array.from({ length: LINES }, (_, i) => 100_000 + i).reduce((a, b) => a + b, 0);

const storageOf = async (app: string) => ((await t.http("/api/v1/storage")).body.datasets as any[]).filter((d) => d.application === app);

for (const level of ["MEMORY_ONLY", "DISK_ONLY"]) {
  it(`${level}: two concurrent jobs caching one dataset: exact results, no double counting, unpersist frees all`, async () => {
    const bytesOf = level === "DISK_ONLY" ? "diskBytes" : "memoryBytes";
    // One partition's bytes, stored alone.
    const alone = await registerApp(`alone-${level}`);
    const { job: aloneJob } = await t.cluster.client.run(spec(alone, level, COUNT));
    assert.equal(aloneJob.metrics.recordsIn, LINES);
    const [solo] = await storageOf(alone);
    assert.equal(solo.cachedPartitions, FILES);
    const perBlock = solo[bytesOf] / FILES;
    assert.ok(perBlock > 0 && Number.isInteger(perBlock), `equal blocks (${solo[bytesOf]} bytes over ${FILES})`);

    const app = await registerApp(`concurrent-${level}`);
    const [a, b] = await Promise.all([t.cluster.client.submit(spec(app, level, COUNT)), t.cluster.client.submit(spec(app, level, SUM))]);
    const [ja, jb] = await Promise.all([t.cluster.client.wait(a, undefined, 50), t.cluster.client.wait(b, undefined, 50)]);
    assert.deepEqual([ja.status, jb.status], ["COMPLETED", "COMPLETED"], `${ja.error} ${jb.error}`);
    assert.equal((await t.cluster.client.results(a)).value, LINES);
    assert.equal((await t.cluster.client.results(b)).value, exactSum);
    const ms = (s: string | null) => Date.parse(s ?? "");
    assert.ok(Math.max(ms(ja.startedAt), ms(jb.startedAt)) < Math.min(ms(ja.finishedAt), ms(jb.finishedAt)), "the two jobs ran at the same time");

    const listed = await storageOf(app);
    assert.equal(listed.length, 1, "one dataset: both jobs named the same lineage");
    const ds = listed[0];
    assert.deepEqual([ds.numPartitions, ds.cachedPartitions, ds.level], [FILES, FILES, level]);
    for (const w of ds.workers) {
      assert.ok(w.partitions >= 1 && w.partitions <= FILES, `${w.worker} holds each partition at most once (${w.partitions})`);
      assert.equal(w[bytesOf], w.partitions * perBlock, `${w.worker}'s bytes are those of its ${w.partitions} partitions, once each`);
    }
    assert.equal(
      ds[bytesOf],
      ds.workers.reduce((n: number, w: any) => n + w[bytesOf], 0),
      "the dataset's bytes are its holders' bytes",
    );

    // A third job reads the blocks.
    const { job: third } = await t.cluster.client.run(spec(app, level, COUNT));
    assert.equal(third.metrics.recordsIn, 0, "read from the cache");

    const gone = await t.http(`/api/v1/apps/${app}/datasets/${ds.datasetId}`, { method: "DELETE" });
    assert.equal(gone.status, 200);
    assert.equal(gone.body.partitions, FILES);
    assert.deepEqual(await storageOf(app), [], "the listing forgets it at once");
    const blockFiles = () =>
      fs.readdirSync(join(t.dataDir, ".minispark")).flatMap((d) => {
        const dir = join(t.dataDir, ".minispark", d, "blocks", `app_${app}`);
        return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.startsWith(ds.datasetId)) : [];
      });
    for (let i = 0; blockFiles().length > 0; i++) {
      assert.ok(i < 50, `the workers remove its block files within 5 s: ${blockFiles()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    // Workers drop memory blocks with their next heartbeat (every 300 ms ± 1/3): give them two.
    await new Promise((r) => setTimeout(r, 1000));
    const { job: after } = await t.cluster.client.run(spec(app, level, COUNT));
    assert.equal(after.metrics.recordsIn, LINES, "computed from the input again: no worker kept a block of it");
    await t.http(`/api/v1/apps/${alone}`, { method: "DELETE" });
    await t.http(`/api/v1/apps/${app}`, { method: "DELETE" });
  });
}

for (const level of ["MEMORY_ONLY", "DISK_ONLY"]) {
  // An unpersist's reply comes before the workers' next heartbeat tells them to drop the blocks; a task launched in
  // that window carries the releases its worker has yet to hear (TaskLaunch.unpersisted), so it never reads them.
  it(`${level}: a job submitted right after an unpersist's reply computes from the input`, async () => {
    const app = await registerApp(`unpersist-race-${level}`);
    const s = spec(app, level, COUNT);
    await t.cluster.client.run(s);
    const [ds] = await storageOf(app);
    assert.equal((await t.http(`/api/v1/apps/${app}/datasets/${ds.datasetId}`, { method: "DELETE" })).status, 200);
    const { job } = await t.cluster.client.run(s);
    assert.equal(job.metrics.recordsIn, LINES, "no partition was read from a block the unpersist had released");
    await t.http(`/api/v1/apps/${app}`, { method: "DELETE" });
  });
}
