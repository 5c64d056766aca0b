// Limits that keep one job from swamping the master: collected results past
// --max-result-size fail the job with advice to save, and specs with too many
// nodes or partitions are refused at submit.
import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import { JobFailedError } from "../src/client/rest-client.js";
import { MAX_NODES, MAX_PARTITIONS } from "../src/plan/validate.js";
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
