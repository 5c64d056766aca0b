// What a peer can do to the cluster, on real processes: a fake worker (a tiny
// HTTP server of the test's, registered by raw heartbeat with the cluster's
// token) reports results of the wrong kind for its stage, speaks for another
// worker, and serves malformed shuffle frames to a real worker's reduce task;
// raw launches to a real worker carry ids that would escape its directories.
// After each, every process answers and the job either ends right or fails
// with the reason.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { requestRaw } from "../src/common/http-client.js";
import { FakeWorker, type LaunchedTask, realWorker } from "./helpers/fake-worker.js";
import { startTestCluster, type TestCluster } from "./helpers/cluster.js";
import { PROTOCOL_VERSION } from "../src/common/version.js";

let t: TestCluster;
let fakeCount = 0;

before(async () => {
  t = await startTestCluster({ workers: 1, slots: 2, workerTimeoutMs: 4000 });
});
after(async () => {
  await t?.stop();
});

const liveRealWorker = () => realWorker(t, "fake-");

async function assertAllAlive(): Promise<void> {
  assert.equal((await t.http("/healthz")).status, 200, "master answers");
  const w = await liveRealWorker();
  const res = await requestRaw(`http://${w.address}/healthz`, { timeoutMs: 5000 });
  assert.equal(res.status, 200, "worker answers");
}

async function waitJob(id: string, timeoutMs = 30_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = (await t.http(`/api/v1/jobs/${id}`)).body;
    if (["COMPLETED", "FAILED", "CANCELLED"].includes(job.status)) return job;
    if (Date.now() > deadline) return job;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Submits `spec` with a fake worker in the cluster, waits for a task of a stage
 * whose output is `outputType` on it, has the fake report `fields` for it, then
 * deregisters the fake (its other attempts go back to the real worker).
 */
async function mangled(spec: unknown, outputType: string, fields: Record<string, unknown>): Promise<{ job: any; task: LaunchedTask; reply: { status: number; body: any } }> {
  const fake = new FakeWorker(t.cluster.masterUrl, t.cluster.token, `fake-${++fakeCount}`, 4);
  await fake.start();
  try {
    const id = (await t.http("/api/v1/jobs", { body: spec })).body.id as string;
    const task = await fake.waitForTask((x) => x.stage.output.type === outputType);
    const reply = await fake.report(task.attemptId, fields);
    await fake.post("/deregister", { protocol: PROTOCOL_VERSION, worker_id: fake.id, ...fake.cred() });
    return { job: await waitJob(id), task, reply };
  } finally {
    await fake.stop();
  }
}

const range = (n: number, slices: number) => ({ id: "n", op: "range", start: 0, end: n, numSlices: slices });

describe("task reports are checked against their stage", () => {
  it("a save result stage's report must be a saved part of that partition", async () => {
    const spec = { nodes: [range(100, 4)], action: { op: "save", input: "n", path: `peer-save-${Date.now()}` } };
    const { job } = await mangled(spec, "result", { state: "FINISHED", result: { type: "count", count: 25 } });
    assert.equal(job.status, "COMPLETED", job.error);
    const value = (await t.http(`/api/v1/jobs/${job.id}/results`)).body.value;
    assert.equal(value.files.length, 4, "every part is there");
    assert.equal(value.records, 100);
    await assertAllAlive();
  });

  it('a result whose type is an Object.prototype key ("constructor") fails the attempt', async () => {
    const spec = { nodes: [range(100, 4)], action: { op: "count", input: "n" } };
    const { job } = await mangled(spec, "result", { state: "FINISHED", result: { type: "constructor" } });
    assert.equal(job.status, "COMPLETED", job.error);
    assert.equal((await t.http(`/api/v1/jobs/${job.id}/results`)).body.value, 100);
    await assertAllAlive();
  });

  it("a sample (probe) stage's report must be a sample; otherwise the job still ends", async () => {
    const spec = {
      nodes: [
        {
          id: "p",
          op: "parallelize",
          data: [
            [3, "c"],
            [1, "a"],
            [2, "b"],
            [4, "d"],
          ],
          numSlices: 2,
        },
        { id: "s", op: "sortByKey", input: "p", numPartitions: 2 },
      ],
      action: { op: "collect", input: "s" },
    };
    const { job } = await mangled(spec, "sample", { state: "FINISHED", result: { type: "count", count: 2 } });
    assert.equal(job.status, "COMPLETED", job.error);
    assert.deepEqual((await t.http(`/api/v1/jobs/${job.id}/results`)).body.value, [
      [1, "a"],
      [2, "b"],
      [3, "c"],
      [4, "d"],
    ]);
    await assertAllAlive();
  });

  it("a map stage's report must be map output with one size per reduce partition", async () => {
    const spec = {
      nodes: [range(100, 4), { id: "k", op: "map", input: "n", fn: "x => [x % 3, 1]" }, { id: "r", op: "reduceByKey", input: "k", fn: "(a, b) => a + b", numPartitions: 3 }],
      action: { op: "collect", input: "r" },
    };
    const { job } = await mangled(spec, "shuffle", { state: "FINISHED", result: { type: "mapStatus", sizes: [1], records: 1 } });
    assert.equal(job.status, "COMPLETED", job.error);
    const value = (await t.http(`/api/v1/jobs/${job.id}/results`)).body.value as [number, number][];
    assert.deepEqual(
      value.sort((a, b) => a[0] - b[0]),
      [
        [0, 34],
        [1, 33],
        [2, 33],
      ],
    );
    await assertAllAlive();
  });
});

describe("each worker speaks only for itself", () => {
  it("a registered worker cannot deregister, move or beat for another", async () => {
    const fake = new FakeWorker(t.cluster.masterUrl, t.cluster.token, `fake-${++fakeCount}`);
    await fake.start();
    try {
      assert.equal(typeof fake.credential, "string", "registration hands out a credential");
      const real = await liveRealWorker();
      const moved = await fake.post("/heartbeat", fake.heartbeatBody({ worker_id: real.id, address: fake.address }));
      assert.equal(moved.status, 403, JSON.stringify(moved.body));
      const gone = await fake.post("/deregister", { protocol: PROTOCOL_VERSION, worker_id: real.id, ...fake.cred() });
      assert.equal(gone.status, 403, JSON.stringify(gone.body));
      const reports = await fake.post("/task-reports", { protocol: PROTOCOL_VERSION, worker_id: real.id, reports: [], ...fake.cred() });
      assert.equal(reports.status, 403, JSON.stringify(reports.body));
      const noCred = await fake.post("/heartbeat", fake.heartbeatBody({ credential: undefined }));
      assert.equal(noCred.status, 403, "a known worker must show its credential");
      const after = await liveRealWorker();
      assert.equal(after.address, real.address, "the real worker was not moved");
      const left = await fake.post("/deregister", { protocol: PROTOCOL_VERSION, worker_id: fake.id, ...fake.cred() });
      assert.equal(left.status, 200, "a worker deregisters itself with its credential");
      assert.equal(await t.run({ nodes: [range(1000, 4)], action: { op: "count", input: "n" } }), 1000);
      await assertAllAlive();
    } finally {
      await fake.stop();
    }
  });
});

describe("a worker validates the ids it puts into paths", () => {
  it("refuses launches, kills and shuffle requests whose ids would escape", async () => {
    const w = await liveRealWorker();
    const post = (path: string, body: unknown) => requestRaw(`http://${w.address}${path}`, { method: "POST", body: JSON.stringify(body), token: t.cluster.token, timeoutMs: 5000 });
    const task = {
      protocol: PROTOCOL_VERSION,
      jobId: "../../..",
      stageId: 0,
      partition: 0,
      attemptId: "a.0.0.0",
      attempt: 0,
      stage: { id: 0, name: "x", numTasks: 1, rdd: { kind: "range" }, parents: [], output: { type: "result", action: { type: "count" } } },
      outputShuffle: null,
      inputs: {},
    };
    const bad = await post("/tasks", { protocol: PROTOCOL_VERSION, tasks: [task] });
    assert.equal(bad.status, 400, bad.body.toString());
    assert.match(bad.body.toString(), /jobId/);
    const badAttempt = await post("/tasks", { protocol: PROTOCOL_VERSION, tasks: [{ ...task, jobId: "job-1", attemptId: "../x" }] });
    assert.equal(badAttempt.status, 400);
    const badPartition = await post("/tasks", { protocol: PROTOCOL_VERSION, tasks: [{ ...task, jobId: "job-1", partition: -1 }] });
    assert.equal(badPartition.status, 400);
    // A reused block names the earlier job whose files hold it: that job id goes into a path too.
    for (const writtenBy of [{ job: "../../..", shuffle: 0 }, { job: "job-0", shuffle: -1 }, "job-0"]) {
      const loc = { mapId: 0, workerId: "w", address: "127.0.0.1:1", bytes: 0, writtenBy };
      const badFiles = await post("/tasks", { protocol: PROTOCOL_VERSION, tasks: [{ ...task, jobId: "job-1", inputs: { "0/0": [loc] } }] });
      assert.equal(badFiles.status, 400, badFiles.body.toString());
      assert.match(badFiles.body.toString(), /writtenBy/);
    }
    const kill = await post(`/tasks/${encodeURIComponent("../..")}/kill`, {});
    assert.equal(kill.status, 400);
    const del = await requestRaw(`http://${w.address}/data/shuffle/..`, { method: "DELETE", token: t.cluster.token, timeoutMs: 5000 });
    assert.ok(del.status === 400 || del.status === 404, String(del.status));
    await assertAllAlive();
  });
});

describe("responses from other workers are validated", () => {
  /** A reduce on the real worker reads a map output the fake says it holds, and gets `body` for it. */
  async function servedFrames(body: Buffer): Promise<void> {
    const fake = new FakeWorker(t.cluster.masterUrl, t.cluster.token, `fake-${++fakeCount}`, 4);
    await fake.start();
    fake.shuffleReply = () => ({ status: 200, body });
    try {
      const spec = {
        nodes: [range(100, 4), { id: "k", op: "map", input: "n", fn: "x => [x % 2, 1]" }, { id: "r", op: "reduceByKey", input: "k", fn: "(a, b) => a + b", numPartitions: 2 }],
        action: { op: "collect", input: "r" },
      };
      const id = (await t.http("/api/v1/jobs", { body: spec })).body.id as string;
      const map = await fake.waitForTask((x) => x.stage.output.type === "shuffle");
      // The fake stops taking tasks, so the reduces run on the real worker and fetch from it.
      fake.draining = true;
      await fake.beat();
      await fake.report(map.attemptId, { state: "FINISHED", result: { type: "mapStatus", sizes: [50, 50], records: 25 } });
      // Its other map tasks go back to the real worker.
      for (const a of [...fake.running]) await fake.report(a, { state: "FAILED", error: "fake gives up" });
      const job = await waitJob(id, 40_000);
      assert.equal(job.status, "COMPLETED", job.error);
      const value = (await t.http(`/api/v1/jobs/${id}/results`)).body.value as [number, number][];
      assert.deepEqual(
        value.sort((a, b) => a[0] - b[0]),
        [
          [0, 50],
          [1, 50],
        ],
      );
      assert.ok(fake.shuffleRequests > 0, "the real worker fetched from the fake");
      await assertAllAlive();
    } finally {
      await fake.post("/deregister", { protocol: PROTOCOL_VERSION, worker_id: fake.id, ...fake.cred() });
      await fake.stop();
    }
  }

  const entry = (mapId: number, length: number, bytes = 0) => {
    const b = Buffer.alloc(12 + bytes);
    b.writeUInt32LE(mapId, 0);
    b.writeDoubleLE(length, 4);
    return b;
  };

  it("a negative block length fails the fetch instead of looping the reader", async () => {
    await servedFrames(entry(0, -12));
  });

  it("a block length past the body, or a truncated body, fails the fetch", async () => {
    await servedFrames(entry(0, 1e15, 8));
  });
});
