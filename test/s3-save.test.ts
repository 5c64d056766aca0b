// `save` to s3:// against a real S3 server (radosgw on loopback) on workers
// with no shared directory: parts written as multipart uploads and completed
// only at job commit (storage/s3/s3-output.ts). The oracle after every case:
// the prefix holds exactly one job's parts and a _SUCCESS naming it and them,
// and no upload is left open. Cases: parts larger than one upload part and
// empty ones; a refused existing output; an overwrite that replaces more parts
// by fewer; a job that fails; two jobs saving to one prefix at once; a worker
// SIGKILLed mid-upload; a worker frozen past its lease mid-upload and woken
// after the commit; the master SIGKILLed at the commit decision.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import type { JobInfo, StageTasks } from "../src/common/api-types.js";
import { LocalCluster } from "../src/client/local-cluster.js";
import { PREREQUISITES, prerequisiteSkip } from "./helpers/prereq.js";
import { S3TestClient } from "./helpers/s3-client.js";
import { type S3Server, startS3Server } from "./helpers/s3-server.js";

const skip = prerequisiteSkip(PREREQUISITES.radosgw, PREREQUISITES.cephMon, PREREQUISITES.cephOsd);
const BUCKET = "minispark-save";
const MiB = 1024 * 1024;
const LEASE_MS = 2000;

/** `partitions` partitions of `per` records "<tag>:<i>:<padding>", each taking `ms` of work. */
function saveSpec(tag: string, prefix: string, partitions: number, opts: { per?: number; ms?: number; pad?: number; mode?: "error" | "overwrite"; failOn?: number } = {}) {
  const per = opts.per ?? 5;
  const pad = "x".repeat(opts.pad ?? 0);
  const fail = opts.failOn === undefined ? "" : `if (x === ${opts.failOn}) throw new Error("record ${opts.failOn} is bad");`;
  return {
    name: `s3-save-${tag}`,
    nodes: [
      { id: "n", op: "range", start: 0, end: partitions * per, numSlices: partitions },
      { id: "t", op: "map", input: "n", fn: `x => { ${fail} const end = Date.now() + ${opts.ms ?? 0}; while (Date.now() < end); return "${tag}:" + x + ":${pad}"; }` },
    ],
    action: { op: "save", input: "t", path: `s3://${BUCKET}/${prefix}`, ...(opts.mode ? { mode: opts.mode } : {}) },
  };
}

describe("save to s3://", { skip, timeout: 600_000 }, () => {
  let server: S3Server;
  let s3: S3TestClient;
  let cluster: LocalCluster;
  const root = fs.mkdtempSync(join(os.tmpdir(), "minispark-s3save-"));
  const savedEnv = { ...process.env };

  before(async () => {
    server = await startS3Server({ deviceBytes: 768 * MiB });
    s3 = new S3TestClient(server);
    await s3.createBucket(BUCKET);
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: server.accessKeyId, AWS_SECRET_ACCESS_KEY: server.secretAccessKey, AWS_REGION: server.region, AWS_ENDPOINT_URL: server.endpoint });
    cluster = await LocalCluster.start({ workers: 0, slots: 1, dataDir: join(root, "w0"), logFile: join(root, "cluster.log"), workerTimeoutMs: LEASE_MS });
    for (const d of ["w0", "w1"]) {
      fs.mkdirSync(join(root, d), { recursive: true });
      cluster.startWorker(["--data-dir", join(root, d), "--heartbeat", "300ms"]);
    }
    await cluster.waitForWorkers(2);
  });

  after(async () => {
    await cluster?.stop();
    await server?.stop();
    process.env = savedEnv;
    if (process.env.MINISPARK_KEEP_TEST_DIRS === undefined) fs.rmSync(root, { recursive: true, force: true });
  });

  const waitEnd = async (id: string): Promise<JobInfo> => cluster.client.wait(id);

  /** The kinds of job `id`'s events so far ([] while the master is away). */
  async function events(id: string): Promise<string[]> {
    const res = await fetch(`${cluster.masterUrl}/api/v1/jobs/${id}`, { headers: { authorization: `Bearer ${cluster.token}` } }).catch(() => null);
    return res?.status === 200 ? ((await res.json()) as { events: { kind: string }[] }).events.map((e) => e.kind) : [];
  }

  async function keysUnder(prefix: string): Promise<string[]> {
    return (await s3.listAllKeys(BUCKET, `${prefix}/`)).keys.map((k) => k.slice(prefix.length + 1)).sort();
  }

  async function openUploads(prefix: string): Promise<string[]> {
    return (await s3.listMultipartUploads(BUCKET)).filter((u) => u.key.startsWith(`${prefix}/`)).map((u) => u.key);
  }

  /** The oracle: `prefix` holds exactly job `id`'s whole output (its `partitions` parts of tag `tag`), a _SUCCESS naming it, and no open upload. */
  async function assertOutputOf(prefix: string, id: string, tag: string, partitions: number, per = 5): Promise<void> {
    const parts = Array.from({ length: partitions }, (_, p) => `part-${String(p).padStart(5, "0")}`);
    assert.deepEqual(await keysUnder(prefix), ["_SUCCESS", ...parts], `exactly job ${id}'s parts and _SUCCESS`);
    const success = JSON.parse((await s3.getObject(BUCKET, `${prefix}/_SUCCESS`)).toString("utf8")) as { job: string; files: string[]; partitions: number };
    assert.equal(success.job, id);
    assert.deepEqual([...success.files].sort(), parts);
    assert.equal(success.partitions, partitions);
    const lines: string[] = [];
    for (const p of parts) lines.push(...(await s3.getObject(BUCKET, `${prefix}/${p}`)).toString("utf8").split("\n").filter(Boolean));
    assert.deepEqual(lines.map((l) => l.split(":").slice(0, 2).join(":")).sort(), Array.from({ length: partitions * per }, (_, i) => `${tag}:${i}`).sort());
    assert.deepEqual(await openUploads(prefix), [], "no upload left open");
  }

  it("writes parts larger than one upload part, and empty ones; read back through the text source", async () => {
    // 2 partitions of 40,000 records of ~300 bytes: 12 MB each, two upload parts; a third, empty partition.
    const spec = saveSpec("A", "big", 2, { per: 40_000, pad: 290 });
    const id = await cluster.client.submit(spec);
    const job = await waitEnd(id);
    assert.equal(job.status, "COMPLETED", job.error ?? "");
    await assertOutputOf("big", id, "A", 2, 40_000);
    const count = await cluster.client.run<number>({ nodes: [{ id: "t", op: "textFile", path: `s3://${BUCKET}/big/` }], action: { op: "count", input: "t" } });
    assert.equal(count.value, 80_000, "the part objects read back, _SUCCESS skipped as a hidden name");
    const empty = await cluster.client.run<{ files: string[] }>({
      nodes: [{ id: "n", op: "parallelize", data: [1], numSlices: 3 }],
      action: { op: "save", input: "n", path: `s3://${BUCKET}/sparse` },
    });
    assert.equal(empty.value.files.length, 3);
    assert.deepEqual(await keysUnder("sparse"), ["_SUCCESS", "part-00000", "part-00001", "part-00002"]);
    assert.equal((await s3.getObject(BUCKET, "sparse/part-00000")).length, 0, "an empty partition is an empty part object");
  });

  it("refuses an existing output in mode error; an overwrite with fewer parts leaves only its own", async () => {
    const first = await cluster.client.submit(saveSpec("B", "redo", 4));
    assert.equal((await waitEnd(first)).status, "COMPLETED");
    const refused = await waitEnd(await cluster.client.submit(saveSpec("C", "redo", 2)));
    assert.equal(refused.status, "FAILED");
    assert.match(refused.error ?? "", /output path "s3:\/\/minispark-save\/redo" already exists; remove it or save with "mode": "overwrite"/);
    await assertOutputOf("redo", first, "B", 4);
    const over = await cluster.client.submit(saveSpec("C", "redo", 2, { mode: "overwrite" }));
    assert.equal((await waitEnd(over)).status, "COMPLETED");
    await assertOutputOf("redo", over, "C", 2);
    const inside = await waitEnd(await cluster.client.submit(saveSpec("D", "redo/inner", 1)));
    assert.equal(inside.status, "FAILED");
    assert.match(inside.error ?? "", /is inside the output "s3:\/\/minispark-save\/redo" of another job/);
  });

  it("a job that fails leaves nothing under its prefix and no open upload", async () => {
    const job = await waitEnd(await cluster.client.submit(saveSpec("E", "failed", 4, { per: 2000, pad: 4000, failOn: 7001 })));
    assert.equal(job.status, "FAILED");
    assert.match(job.error ?? "", /record 7001 is bad/);
    assert.deepEqual(await keysUnder("failed"), []);
    assert.deepEqual(await openUploads("failed"), []);
  });

  it("two overwrites of one prefix at once: exactly one job's whole output, the later's", async () => {
    const ids = await Promise.all([cluster.client.submit(saveSpec("F", "race", 6, { mode: "overwrite", ms: 5 })), cluster.client.submit(saveSpec("G", "race", 3, { mode: "overwrite", ms: 5 }))]);
    const jobs = await Promise.all(ids.map(waitEnd));
    for (const j of jobs) assert.equal(j.status, "COMPLETED", j.error ?? "");
    const last = jobs[0]!.finishedAt! >= jobs[1]!.finishedAt! ? 0 : 1;
    await assertOutputOf("race", ids[last]!, last === 0 ? "F" : "G", last === 0 ? 6 : 3);
  });

  /** Waits until an upload under `prefix` is open (an attempt is mid-write), then returns the index of the worker running an attempt of job `id`. */
  async function midUpload(id: string, prefix: string): Promise<number> {
    for (let i = 0; i < 2000; i++) {
      if ((await openUploads(prefix)).length > 0) {
        const res = await fetch(`${cluster.masterUrl}/api/v1/jobs/${id}/stages/0/tasks`, { headers: { authorization: `Bearer ${cluster.token}` } });
        const tasks = ((await res.json()) as StageTasks).tasks;
        const running = tasks.flatMap((t) => t.attempts).find((a) => a.state === "RUNNING");
        if (running) {
          const index = await workerIndex(running.worker);
          if (index >= 0) return index;
        }
      }
      await sleep(20);
    }
    throw new Error("no attempt was seen mid-upload");
  }

  /** The LocalCluster index of worker `workerId`, from the "worker started" line its process logged. */
  async function workerIndex(workerId: string): Promise<number> {
    const address = (await cluster.client.workers()).find((w) => w.id === workerId)?.address;
    for (const line of fs.readFileSync(cluster.logFile, "utf8").split("\n")) {
      const m = /^worker-(\d+) (\{.*\})$/.exec(line);
      if (m && m[2]!.includes('"worker started"') && (JSON.parse(m[2]!) as { address: string }).address === address) return Number(m[1]);
    }
    return -1;
  }

  it("a worker SIGKILLed mid-upload: the job completes exactly, its uploads aborted", async () => {
    const id = await cluster.client.submit(saveSpec("H", "killed", 4, { per: 30_000, pad: 300, ms: 0 }));
    const victim = await midUpload(id, "killed");
    cluster.workerProcesses[victim]!.kill("SIGKILL");
    const job = await waitEnd(id);
    assert.equal(job.status, "COMPLETED", job.error ?? "");
    await assertOutputOf("killed", id, "H", 4, 30_000);
    fs.mkdirSync(join(root, `w-re-${victim}`), { recursive: true });
    cluster.startWorker(["--data-dir", join(root, `w-re-${victim}`), "--heartbeat", "300ms"]);
    await cluster.waitForWorkers(2);
  });

  it("a worker frozen past its lease mid-upload and woken after the commit makes nothing visible", async () => {
    const id = await cluster.client.submit(saveSpec("J", "frozen", 4, { per: 30_000, pad: 300 }));
    const victim = await midUpload(id, "frozen");
    const proc = cluster.workerProcesses[victim]!;
    proc.kill("SIGSTOP");
    let job: JobInfo;
    try {
      job = await waitEnd(id);
    } finally {
      proc.kill("SIGCONT");
    }
    assert.equal(job.status, "COMPLETED", job.error ?? "");
    // The woken attempt finishes its write against an upload the commit aborted, or finds the marker gone.
    await sleep(3000);
    await assertOutputOf("frozen", id, "J", 4, 30_000);
  });
  it("the master SIGKILLed at the commit decision and restarted: the job's whole output, completed once", async () => {
    // Killed right when the decision is stored, then a little later (inside the publish of 12 parts): wherever the kill lands.
    for (const [n, delay] of [0, 150].entries()) {
      await cluster.waitForWorkers(2);
      const id = await cluster.client.submit(saveSpec(`K${n}`, `restarted-${n}`, 12, { per: 2000, pad: 100 }));
      for (let i = 0; i < 3000 && !(await events(id)).includes("output commit decided"); i++) await sleep(2);
      await sleep(delay);
      await cluster.killMaster();
      await cluster.restartMaster();
      const job = await waitEnd(id);
      assert.equal(job.status, "COMPLETED", job.error ?? "");
      await assertOutputOf(`restarted-${n}`, id, `K${n}`, 12, 2000);
    }
  });
});
