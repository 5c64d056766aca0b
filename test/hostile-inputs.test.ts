// Hostile job inputs against a real cluster (a master and two worker
// processes): glob bombs, split bombs, endless lines, and files swapped for
// symlinks, FIFOs or directories between listing and reading. After each,
// the job must end with a reason naming the limit or the refusal, nothing
// outside the data directory may be read, and the cluster must still serve a
// normal job.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { requestRaw } from "../src/common/http-client.js";
import type { JobInfo } from "../src/common/api-types.js";
import { startTestCluster, writeFile, type TestCluster } from "./helpers/cluster.js";
import { PROTOCOL_VERSION } from "../src/common/version.js";

const SECRET = "TOP-SECRET-OUTSIDE-THE-DATA-DIR";

describe("hostile inputs", { timeout: 90_000 }, () => {
  let t: TestCluster;
  let outside: string;

  before(async () => {
    t = await startTestCluster();
    outside = fs.mkdtempSync(join(os.tmpdir(), "minispark-outside-"));
    fs.writeFileSync(join(outside, "secret.txt"), `${SECRET}\n`);
    writeFile(t.dataDir, "ok.txt", "one\ntwo\n");
  });
  after(async () => {
    await t.stop();
    fs.rmSync(outside, { recursive: true, force: true });
  });

  /** The job's final state, or null if it did not end within `ms`. */
  async function settle(spec: unknown, ms: number): Promise<JobInfo | null> {
    const id = await t.cluster.client.submit(spec);
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      const job = await t.cluster.client.job(id);
      if (job.status === "COMPLETED" || job.status === "FAILED" || job.status === "CANCELLED") return job;
      await new Promise((r) => setTimeout(r, 100));
    }
    return null;
  }

  async function stillServes(): Promise<void> {
    const n = await t.run<number>({ nodes: [{ id: "t", op: "textFile", path: "ok.txt" }], action: { op: "count", input: "t" } });
    assert.equal(n, 2);
  }

  const count = (path: string, extra: object = {}) => ({ nodes: [{ id: "t", op: "textFile", path, ...extra }], action: { op: "count", input: "t" } });

  async function refusedAtSubmit(spec: unknown, pattern: RegExp): Promise<void> {
    const res = await t.http("/api/v1/jobs", { body: spec });
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.match(res.body.error.message, pattern);
  }

  async function workerSplits(path: string, extra: object = {}): Promise<{ status: number; body: any }> {
    const [w] = await t.cluster.client.workers();
    const source = { node: "t", path, minPartitions: 2, maxPartitionBytes: 32 << 20, splittable: true, ...extra };
    const res = await requestRaw(`http://${w!.address}/splits`, {
      body: JSON.stringify({ protocol: PROTOCOL_VERSION, sources: [source] }),
      token: t.cluster.token,
      timeoutMs: 60_000,
    });
    return { status: res.status, body: JSON.parse(res.body.toString("utf8")) };
  }

  it("a brace bomb is refused at submit and by the worker, naming the limit", async () => {
    const bomb = `${"{a,b}".repeat(30)}.txt`;
    await refusedAtSubmit(count(bomb), /alternatives/);
    const res = await workerSplits(bomb);
    assert.equal(res.status, 400);
    assert.match(res.body.error.message, /alternatives/);
    await stillServes();
  });

  it("stars against long names match in linear time", async () => {
    writeFile(t.dataDir, `names/${"a".repeat(200)}`, "x\n");
    const job = await settle(count(`names/${"*a".repeat(12)}*b`), 15_000);
    assert.ok(job, "the listing did not end");
    assert.equal(job.status, "FAILED");
    assert.match(job.error ?? "", /matched no files/);
    await stillServes();
  });

  it("repeated ** is refused past its cap; allowed ones stay polynomial", async () => {
    let dir = "deep";
    for (let i = 0; i < 12; i++) dir += `/d${i}`;
    writeFile(t.dataDir, `${dir}/z.txt`, "z\n");
    await refusedAtSubmit(count("deep/**/**/**/**/**/**/**/**/**/**/z.txt"), /"\*\*"/);
    assert.equal(await t.run(count("deep/**/**/**/z.txt")), 1);
    await stillServes();
  });

  it("maxPartitionBytes: 1 on a large file is refused by split count, naming the limit", async () => {
    writeFile(t.dataDir, "big/one.txt", "word\n".repeat(4 << 20));
    const job = await settle(count("big/one.txt", { maxPartitionBytes: 1 }), 30_000);
    assert.ok(job, "the listing did not end");
    assert.equal(job.status, "FAILED");
    assert.match(job.error ?? "", /splits/);
    assert.match(job.error ?? "", /at most/);
    await stillServes();
  });

  it("a file without newlines fails the task at the line length limit, naming file, offset and limit", async () => {
    const fd = fs.openSync(join(t.dataDir, "noline.txt"), "w");
    const chunk = Buffer.alloc(1 << 20, 0x61);
    for (let i = 0; i < 65; i++) fs.writeSync(fd, chunk);
    fs.closeSync(fd);
    const job = await settle(count("noline.txt"), 30_000);
    assert.ok(job);
    assert.equal(job.status, "FAILED");
    assert.match(job.error ?? "", /noline\.txt.*byte 0.*67108864/s);
    const csv = await settle({ nodes: [{ id: "c", op: "csv", path: "noline.txt", multiLine: true }], action: { op: "count", input: "c" } }, 30_000);
    assert.ok(csv);
    assert.equal(csv.status, "FAILED");
    assert.match(csv.error ?? "", /noline\.txt.*67108864/s);
    fs.rmSync(join(t.dataDir, "noline.txt"));
    await stillServes();
  });

  /**
   * A job whose file source is read only after a slow shuffle stage: the file is
   * listed at planning time, then swapped by `swap` while the first stage runs.
   */
  async function swappedAfterListing(name: string, swap: (abs: string) => void): Promise<JobInfo> {
    writeFile(t.dataDir, `swap/${name}/in.txt`, "inside\n");
    const slow = "x => { const t = Date.now(); while (Date.now() - t < 1500); return [x, 1]; }";
    const id = await t.cluster.client.submit({
      nodes: [
        { id: "p", op: "parallelize", data: [1], numSlices: 1 },
        { id: "m", op: "map", input: "p", fn: slow },
        { id: "r", op: "reduceByKey", input: "m", fn: "(a, b) => a + b", numPartitions: 1 },
        { id: "f", op: "textFile", path: `swap/${name}/in.txt` },
        { id: "u", op: "union", inputs: ["r", "f"] },
      ],
      action: { op: "collect", input: "u" },
      maxTaskRetries: 1,
    });
    for (let i = 0; i < 100; i++) {
      const job = await t.cluster.client.job(id);
      if (job.status !== "PENDING") break;
      await new Promise((r) => setTimeout(r, 20));
    }
    swap(join(t.dataDir, "swap", name, "in.txt"));
    const deadline = Date.now() + 30_000;
    for (;;) {
      const job = await t.cluster.client.job(id);
      if (job.status === "COMPLETED" || job.status === "FAILED") return job;
      if (Date.now() > deadline) assert.fail(`job on swapped input "${name}" did not end: it hangs`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  function assertRefused(job: JobInfo, pattern: RegExp): void {
    assert.equal(job.status, "FAILED", `job ended ${job.status}`);
    assert.doesNotMatch(job.error ?? "", new RegExp(SECRET));
    assert.match(job.error ?? "", pattern);
  }

  it("a file swapped for a symlink to outside (a file, /proc/self/environ) after listing is not read", async () => {
    const job = await swappedAfterListing("link", (abs) => {
      fs.rmSync(abs);
      fs.symlinkSync(join(outside, "secret.txt"), abs);
    });
    assertRefused(job, /outside the data directory/);
    // The worker's own environment (which holds the cluster token) is a special file outside too.
    const environ = await swappedAfterListing("environ", (abs) => {
      fs.rmSync(abs);
      fs.symlinkSync("/proc/self/environ", abs);
    });
    assertRefused(environ, /outside the data directory/);
    await stillServes();
  });

  it("a directory component swapped for a symlink to outside is not followed", async () => {
    fs.writeFileSync(join(outside, "in.txt"), `${SECRET}\n`);
    const job = await swappedAfterListing("dir", (abs) => {
      const dir = join(abs, "..");
      fs.rmSync(dir, { recursive: true });
      fs.symlinkSync(outside, dir);
    });
    assertRefused(job, /outside the data directory/);
    await stillServes();
  });

  it("a symlink loop, a FIFO and a directory swapped in are refused without hanging", async () => {
    const loop = await swappedAfterListing("loop", (abs) => {
      fs.rmSync(abs);
      fs.symlinkSync(abs, abs);
    });
    assertRefused(loop, /symbolic link loop|too many symbolic links/);
    const fifo = await swappedAfterListing("fifo", (abs) => {
      fs.rmSync(abs);
      execFileSync("mkfifo", [abs]);
    });
    assertRefused(fifo, /not a regular file/);
    const dir = await swappedAfterListing("isdir", (abs) => {
      fs.rmSync(abs);
      fs.mkdirSync(abs);
    });
    assertRefused(dir, /not a regular file/);
    await stillServes();
  });
});
