// Limits that keep one job or one client from swamping the master: collected
// results past --max-result-size fail the job with advice to save, specs with
// too many nodes or partitions are refused at submit, request bodies have a
// size limit, and clients that stall half-way hold nothing up.
import assert from "node:assert/strict";
import net from "node:net";
import { after, before, it } from "node:test";
import type { JobFailedError } from "../src/client/rest-client.js";
import { MAX_PARTITIONS } from "../src/plan/spec-limits.js";
import { MAX_NODES } from "../src/planner/validate.js";
import { startTestCluster, type TestCluster } from "./helpers/cluster.js";

let t: TestCluster;
before(async () => {
  t = await startTestCluster({ workers: 1, slots: 2, masterArgs: ["--max-result-size", "64kb"] });
});
after(async () => {
  await t?.stop();
});

it("results larger than --max-result-size fail the job and suggest save; smaller ones pass", async () => {
  const big = { nodes: [{ id: "n", op: "range", start: 0, end: 100_000, numSlices: 4 }], action: { op: "collect", input: "n" } };
  await assert.rejects(t.run(big), (e: JobFailedError) => /collect\(\) are larger than the master's limit \(--max-result-size 65536 bytes\); write them with save/.test(e.message));
  const small = { nodes: [{ id: "n", op: "range", start: 0, end: 1000, numSlices: 4 }], action: { op: "collect", input: "n" } };
  assert.equal((await t.run<number[]>(small)).length, 1000);
  assert.equal(await t.run({ ...big, action: { op: "count", input: "n" } }), 100_000);
});

it("refuses specs with too many nodes or partitions", async () => {
  const nodes = Array.from({ length: MAX_NODES + 1 }, (_, i) => (i === 0 ? { id: "n0", op: "range", start: 1 } : { id: `n${i}`, op: "map", input: `n${i - 1}`, fn: "x => x" }));
  const many = await t.http("/api/v1/jobs", { body: { nodes, action: { op: "count", input: "n0" } } });
  assert.equal(many.status, 400);
  assert.match(many.body.error.message, /at most 10000 nodes/);
  const wide = await t.http("/api/v1/jobs", { body: { nodes: [{ id: "n", op: "range", start: 1, numSlices: MAX_PARTITIONS + 1 }], action: { op: "count", input: "n" } } });
  assert.equal(wide.status, 400);
  assert.match(wide.body.error.message, /node "n" \(range\): parameter "numSlices" must be at most 100000/);
});

it("refuses bodies over an endpoint's limit with 413 and no harm done", async () => {
  const huge = JSON.stringify({ worker_id: "w", padding: "x".repeat(2 * 1024 * 1024) });
  const res = await t.http("/heartbeat", { body: huge });
  assert.equal(res.status, 413);
  assert.equal((await t.http("/api/v1/workers")).status, 200);
});

it("clients that open connections and stall mid-request hold up no one", async () => {
  const { port } = new URL(t.cluster.masterUrl);
  const stalled: net.Socket[] = [];
  for (let i = 0; i < 200; i++) {
    const s = net.connect(Number(port), "127.0.0.1");
    s.on("error", () => {});
    // Half a request line, or headers promising a body that never comes.
    s.write(
      i % 2
        ? "GET /api/v1/jo"
        : `POST /api/v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAuthorization: Bearer ${t.cluster.token}\r\nContent-Length: 100000\r\n\r\n{"nodes":`,
    );
    stalled.push(s);
  }
  try {
    const started = Date.now();
    assert.equal((await t.http("/api/v1/workers")).status, 200);
    assert.equal(await t.run({ nodes: [{ id: "n", op: "range", start: 0, end: 1000, numSlices: 4 }], action: { op: "count", input: "n" } }), 1000);
    assert.ok(Date.now() - started < 10_000, "answered while 200 clients stall");
  } finally {
    for (const s of stalled) s.destroy();
  }
});
