// Coordinated output commit on real processes: saves to one path that overlap
// (error + overwrite, overwrite + overwrite, several at once), an attempt
// declared lost that wakes up after its job committed, the master killed during
// a commit and restarted on the same database, and symlinks under outputs/.
// The oracle each time: the directory holds exactly one job's whole output
// (part files = that job's partitions, contents right, _SUCCESS naming that
// job) and nothing outside the data directory was touched.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { JobInfo } from "../src/client/rest-client.js";
import { partFileName } from "../src/worker/output-files.js";
import { startTestCluster, type TestCluster } from "./helpers/cluster.js";

const LEASE_MS = 1500;
const TERMINAL = ["COMPLETED", "FAILED", "CANCELLED"];

/** A save of `partitions` partitions of `perPartition` records "<tag>:<i>", each record taking `msPerRecord` of work. */
function saveSpec(tag: string, path: string, partitions: number, opts: { perPartition?: number; msPerRecord?: number; mode?: "error" | "overwrite" } = {}) {
  const per = opts.perPartition ?? 5;
  const ms = opts.msPerRecord ?? 0;
  return {
    name: `save-${tag}`,
    nodes: [
      { id: "n", op: "parallelize", data: Array.from({ length: partitions * per }, (_, i) => i), numSlices: partitions },
      { id: "t", op: "map", input: "n", fn: `x => { const end = Date.now() + ${ms}; while (Date.now() < end); return "${tag}:" + x; }` },
    ],
    action: { op: "save", input: "t", path, ...(opts.mode ? { mode: opts.mode } : {}) },
  };
}

function expectedLines(tag: string, partitions: number, per = 5): string[] {
  return Array.from({ length: partitions * per }, (_, i) => `${tag}:${i}`).sort();
}

/** The oracle: `path` holds exactly job `id`'s whole output and nothing else. */
function assertOutputOf(dataDir: string, path: string, id: string, tag: string, partitions: number): void {
  const dir = join(dataDir, "outputs", path);
  const names = fs.readdirSync(dir).sort();
  const parts = Array.from({ length: partitions }, (_, p) => partFileName(p));
  assert.deepEqual(names, ["_SUCCESS", ...parts], `exactly job ${id}'s part files and _SUCCESS`);
  const success = JSON.parse(fs.readFileSync(join(dir, "_SUCCESS"), "utf8")) as { job: string; files: string[] };
  assert.equal(success.job, id, "_SUCCESS names the job whose output is there");
  assert.deepEqual([...success.files].sort(), parts);
  const lines = parts.flatMap((f) => fs.readFileSync(join(dir, f), "utf8").split("\n").filter(Boolean)).sort();
  assert.deepEqual(lines, expectedLines(tag, partitions));
}

async function waitEnd(t: TestCluster, id: string, timeoutMs = 30_000): Promise<JobInfo> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await t.cluster.client.job(id).catch(() => null);
    if (job && TERMINAL.includes(job.status)) return job;
    if (Date.now() > deadline) throw new Error(`job ${id} did not end in ${timeoutMs} ms (${job?.status})`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function waitRunning(t: TestCluster, id: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const job = await t.cluster.client.job(id);
    if (job.status === "RUNNING") return;
    assert.ok(!TERMINAL.includes(job.status), `job ${id} ended early: ${job.status} ${job.error ?? ""}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`job ${id} never ran`);
}

describe("coordinated output commit", () => {
  let t: TestCluster;
  const outside = fs.mkdtempSync(join(os.tmpdir(), "minispark-outside-"));

  before(async () => {
    t = await startTestCluster({ workers: 2, slots: 2, workerTimeoutMs: LEASE_MS, workerArgs: ["--heartbeat", "300ms"] });
  });
  after(async () => {
    await t?.stop();
    fs.rmSync(outside, { recursive: true, force: true });
  });

  it("an overwrite while another job writes the path: the later job's whole output, nothing of the earlier", async () => {
    const a = await t.cluster.client.submit(saveSpec("A", "race", 40, { msPerRecord: 8 }));
    await waitRunning(t, a);
    const b = await t.cluster.client.submit(saveSpec("B", "race", 10, { mode: "overwrite" }));
    const [ja, jb] = [await waitEnd(t, a), await waitEnd(t, b)];
    assert.equal(jb.status, "COMPLETED", jb.error ?? "");
    assert.equal(ja.status, "COMPLETED", ja.error ?? "");
    assertOutputOf(t.dataDir, "race", b, "B", 10);
  });
});
