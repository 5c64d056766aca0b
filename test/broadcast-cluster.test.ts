// Broadcast variables on a real local cluster (issue 17, item 4): declaring one
// under an application (the master answers with a live worker to upload to),
// the size limit (--max-broadcast-size) with a clear error, hostile
// declarations and ids, destroy (idempotent), and submit refusing a job that
// names a destroyed broadcast, another application's, or one of an ended
// application.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { AppInfo, BroadcastCreated, WorkerList } from "../src/common/api-types.js";
import { startTestCluster, type TestCluster } from "./helpers/cluster.js";

const LIMIT = 1024 * 1024;

function usesBroadcast(application: string, id: string) {
  return {
    application,
    nodes: [
      { id: "r", op: "range", start: 0, end: 4, numSlices: 2 },
      { id: "m", op: "map", input: "r", fn: "(x, env) => env.lookup.value[x]", env: { lookup: { $broadcast: { id } } } },
    ],
    action: { op: "collect", input: "m" },
  };
}

describe("broadcast variables on a cluster", () => {
  let t: TestCluster;
  before(async () => {
    t = await startTestCluster({ workers: 2, slots: 1, masterArgs: ["--max-broadcast-size", "1mb"] });
  });
  after(async () => {
    await t.stop();
  });

  const register = async () => {
    const r = await t.http("/api/v1/apps", { method: "POST", body: { name: "bc" } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body as AppInfo;
  };
  const declare = (app: string, body: unknown) => t.http(`/api/v1/apps/${app}/broadcasts`, { method: "POST", body });

  it("declares a broadcast: an id the master made and a live worker to upload to", async () => {
    const app = await register();
    const r = await declare(app.id, { bytes: 100 });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const created = r.body as BroadcastCreated;
    assert.match(created.id, /^bc-[0-9a-z]{9}-[0-9a-f]{8}$/);
    assert.deepEqual([created.application, created.bytes], [app.id, 100]);
    const workers = ((await t.http("/api/v1/workers")).body as WorkerList).workers.map((w) => `http://${w.address}`);
    assert.ok(workers.includes(created.uploadTo), `${created.uploadTo} is one of ${workers.join(", ")}`);
    const second = (await declare(app.id, { bytes: 100 })).body as BroadcastCreated;
    assert.notEqual(second.uploadTo, created.uploadTo, "the second goes to the worker holding fewer broadcast bytes");
  });

  it("refuses a broadcast over --max-broadcast-size naming the limit, and hostile declarations with 400s", async () => {
    const app = await register();
    assert.equal((await declare(app.id, { bytes: LIMIT })).status, 201);
    for (const bytes of [LIMIT + 1, 1e9, 2 ** 53 - 1]) {
      const r = await declare(app.id, { bytes });
      assert.deepEqual([r.status, r.body.error.code], [413, "PAYLOAD_TOO_LARGE"]);
      assert.match(r.body.error.message, new RegExp(`of ${bytes} bytes is over this cluster's limit of ${LIMIT} bytes \\(--max-broadcast-size\\)`));
    }
    for (const body of [{ bytes: 0 }, { bytes: -5 }, { bytes: 1.5 }, { bytes: "10" }, { bytes: null }, {}, '{"bytes": 1e400}']) {
      const r = await declare(app.id, body);
      assert.equal(r.status, 400, `${JSON.stringify(body)} → ${r.status}`);
      assert.match(r.body.error.message, /\{ "bytes": n \}/);
    }
    for (const body of ["[]", "null", "12", '{"bytes": 1,']) assert.equal((await declare(app.id, body)).status, 400, body);
    const extra = await declare(app.id, { bytes: 1, value: [1, 2] });
    assert.match(extra.body.error.message, /unknown member "value"/);
    const big = await declare(app.id, { bytes: 1, pad: "x".repeat(100_000) });
    assert.equal(big.status, 413, "the declaration is small; the data never goes to the master");
    for (const id of ["nope", "app-x", "x".repeat(5000)]) assert.equal((await declare(id, { bytes: 1 })).status, 400);
    const unknown = await declare("app-000000000-000000", { bytes: 1 });
    assert.deepEqual([unknown.status, unknown.body.error.code], [404, "NOT_FOUND"]);
    assert.equal((await t.http(`/api/v1/apps/${app.id}/broadcasts`, { method: "POST", body: { bytes: 1 }, token: null })).status, 401);
    assert.equal((await t.http("/healthz")).status, 200);
  });

  it("destroys a broadcast (idempotently); a job naming it, another application's, or none at all is refused at submit", async () => {
    const app = await register();
    const other = await register();
    const { id } = (await declare(app.id, { bytes: 10 })).body as BroadcastCreated;
    const foreign = await t.http("/api/v1/jobs", { body: usesBroadcast(other.id, id) });
    assert.deepEqual([foreign.status, foreign.body.error.code], [400, "INVALID_JOB_SPEC"]);
    assert.match(foreign.body.error.message, new RegExp(`broadcast ${id} belongs to application ${app.id}, not ${other.id}`));
    const { application: _, ...noApp } = usesBroadcast(app.id, id);
    assert.match((await t.http("/api/v1/jobs", { body: noApp })).body.error.message, /names no "application"/);
    const unknownId = await t.http("/api/v1/jobs", { body: usesBroadcast(app.id, "bc-000000000-00000000") });
    assert.match(unknownId.body.error.message, /no broadcast with id bc-000000000-00000000/);

    const destroyed = await t.http(`/api/v1/apps/${app.id}/broadcasts/${id}`, { method: "DELETE" });
    assert.deepEqual([destroyed.status, destroyed.body], [200, { id, application: app.id, workers: 1 }]);
    assert.deepEqual((await t.http(`/api/v1/apps/${app.id}/broadcasts/${id}`, { method: "DELETE" })).body.workers, 0);
    const refused = await t.http("/api/v1/jobs", { body: usesBroadcast(app.id, id) });
    assert.equal(refused.status, 400);
    assert.match(refused.body.error.message, new RegExp(`broadcast ${id} was destroyed`));
    assert.equal((await t.http(`/api/v1/apps/${other.id}/broadcasts/${id}`, { method: "DELETE" })).status, 200, "destroyed: idempotent whoever asks");
    const never = await t.http(`/api/v1/apps/${app.id}/broadcasts/bc-000000000-00000000`, { method: "DELETE" });
    assert.deepEqual([never.status, never.body.error.code], [404, "NOT_FOUND"]);
    assert.equal((await t.http(`/api/v1/apps/${app.id}/broadcasts/..%2F..%2Fetc`, { method: "DELETE" })).status, 400);
  });

  it("an application's end destroys its broadcasts, and an ended application declares none", async () => {
    const app = await register();
    const { id } = (await declare(app.id, { bytes: 10 })).body as BroadcastCreated;
    assert.equal((await t.http(`/api/v1/apps/${app.id}`, { method: "DELETE" })).status, 200);
    const gone = await declare(app.id, { bytes: 10 });
    assert.deepEqual([gone.status, gone.body.error.code], [410, "GONE"]);
    assert.match(gone.body.error.message, /is ENDED.*a broadcast needs an ACTIVE application/);
    assert.equal((await t.http(`/api/v1/apps/${app.id}/broadcasts/${id}`, { method: "DELETE" })).body.workers, 0, "already released by the end");
  });
});
