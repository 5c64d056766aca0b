// GET /api/v1/jobs/{id}/wait, the long poll the library waits on: it answers
// as the job ends (not at the next poll), or with the job as it is once
// timeoutMs passes; bad timeouts are refused, an unknown job is a 404, and many
// held requests all answer at the end, after which a master still serves.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startTestCluster, type TestCluster } from "./helpers/cluster.js";

describe("waiting for a job's end", () => {
  let t: TestCluster;
  before(async () => {
    t = await startTestCluster({ workers: 1, slots: 1 });
  });
  after(() => t?.stop());

  /** A job whose one task spins for `ms`. */
  const slow = (ms: number) => ({
    nodes: [
      { id: "n", op: "range", start: 0, end: 1, numSlices: 1 },
      { id: "s", op: "map", input: "n", fn: `x => { const end = Date.now() + ${ms}; while (Date.now() < end); return x; }` },
    ],
    action: { op: "count", input: "s" },
  });
  const submit = async (spec: unknown) => (await t.http("/api/v1/jobs", { method: "POST", body: spec })).body.id as string;

  it("answers with the job still running once timeoutMs passes, and at once when it ends", async () => {
    const id = await submit(slow(1500));
    let start = Date.now();
    const early = await t.http(`/api/v1/jobs/${id}/wait?timeoutMs=200`);
    assert.equal(early.status, 200);
    assert.ok(["QUEUED", "RUNNING"].includes(early.body.status), early.body.status);
    assert.ok(Date.now() - start >= 190, "it held the request for the timeout");
    start = Date.now();
    const ended = await t.http(`/api/v1/jobs/${id}/wait`);
    assert.equal(ended.body.status, "COMPLETED");
    const late = Date.now() - Date.parse(ended.body.finishedAt);
    assert.ok(late < 150, `answered ${late} ms after the job ended`);
    const again = await t.http(`/api/v1/jobs/${id}/wait?timeoutMs=30000`);
    assert.equal(again.body.status, "COMPLETED", "an ended job answers at once");
  });

  it("a trivial job through the library takes far less than the old 250 ms poll", async () => {
    const spec = { nodes: [{ id: "n", op: "range", start: 0, end: 10, numSlices: 1 }], action: { op: "count", input: "n" } };
    const ms: number[] = [];
    for (let i = 0; i < 7; i++) {
      const start = performance.now();
      assert.equal((await t.cluster.client.run(spec)).value, 10);
      ms.push(performance.now() - start);
    }
    const median = ms.sort((a, b) => a - b)[3]!;
    assert.ok(median < 200, `median ${median.toFixed(0)} ms (${ms.map((m) => m.toFixed(0))})`);
  });

  it("refuses a bad timeoutMs and an unknown job", async () => {
    const id = await submit(slow(10));
    for (const bad of ["-1", "abc", "1e9", "30001", "1.5", "", " 5", "0x10", "99999999999999999999"]) {
      const res = await t.http(`/api/v1/jobs/${id}/wait?timeoutMs=${bad}`);
      assert.equal(res.status, 400, `timeoutMs=${bad}: ${JSON.stringify(res.body)}`);
      assert.match(res.body.error.message, /timeoutMs must be an integer from 0 to 30000/);
    }
    const unknown = await t.http("/api/v1/jobs/job-nope/wait?timeoutMs=10");
    assert.equal(unknown.status, 404);
  });

  it("many held requests all answer when the job ends", async () => {
    const id = await submit(slow(800));
    const held = await Promise.all(Array.from({ length: 40 }, () => t.http(`/api/v1/jobs/${id}/wait`)));
    assert.ok(held.every((r) => r.status === 200 && r.body.status === "COMPLETED"));
    assert.equal((await t.http("/api/v1/workers")).status, 200);
  });
});
