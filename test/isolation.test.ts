// What user functions cannot do to a worker (issue 8): read the cluster's token
// from their environment, hold a slot forever (the task timeout stops them), or
// take the worker down by allocating without bound (their thread's heap limit
// fails the task alone). After each, the workers are alive and run jobs.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { JobFailedError } from "../src/client/rest-client.js";
import { startTestCluster, type TestCluster } from "./helpers/cluster.js";

const one = (fn: string, extra: Record<string, unknown> = {}) => ({
  ...extra,
  nodes: [
    { id: "n", op: "range", start: 0, end: 2, numSlices: 1 },
    { id: "m", op: "map", input: "n", fn },
  ],
  action: { op: "collect", input: "m" },
});

describe("user functions against the worker", () => {
  let t: TestCluster;

  before(async () => {
    t = await startTestCluster({ workers: 2, slots: 1, workerArgs: ["--memory", "64mb"] });
  });

  after(async () => {
    await t?.stop();
  });

  async function stillServing(): Promise<void> {
    assert.ok(
      t.cluster.workerProcesses.every((p) => p.exitCode === null),
      "no worker process exited",
    );
    assert.deepEqual(await t.run(one("x => x * 2")), [0, 2]);
  }

  it("do not see the cluster token in their environment", async () => {
    assert.deepEqual(await t.run(one("x => process.env.MINISPARK_TOKEN ?? null")), [null, null]);
  });

  it("that loop forever are stopped by the task timeout, and the job fails saying so", async () => {
    const started = Date.now();
    await assert.rejects(t.run(one("x => { for (;;) {} }", { taskTimeoutMs: 1000, maxTaskRetries: 2 })), (e: JobFailedError) => /timed out after 1000 ms/.test(e.message));
    assert.ok(Date.now() - started < 20_000);
    await stillServing();
  });

  it("that allocate without bound fail their task, not the worker", async () => {
    const hog = "x => { const keep = []; for (;;) keep.push(new Array(1 << 20).fill(x)); }";
    await assert.rejects(t.run(one(hog, { maxTaskRetries: 2 })), (e: JobFailedError) => /out of memory|heap|exited/i.test(e.message));
    await stillServing();
  });
});
