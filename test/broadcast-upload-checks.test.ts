// A worker's broadcast upload (PUT /broadcasts/{app}/{id}) against what the master declared: the declaration's
// size bounds the upload (BroadcastCreated.bytes: "the upload may not be longer"), and a broadcast the master never
// declared, of an application that never existed, has no one to free it (no destroy, no application end names it),
// so a worker must not keep it. Both are worker-side checks the worker does not make yet (bugs reported by cachefault;
// src/worker/ was the lead's to change at the time).
import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import { requestRaw } from "../src/common/http-client.js";
import { newAppId, newBroadcastId } from "../src/common/ids.js";
import { startRawCluster, type RawCluster } from "./helpers/raw-http.js";

const TOKEN = "broadcast-upload-secret";
let c: RawCluster;

before(async () => {
  c = await startRawCluster({ token: TOKEN });
});
after(() => c?.stop());

const call = async (url: string, method: string, body?: unknown) => {
  const r = await requestRaw(url, { method, body: body === undefined ? undefined : JSON.stringify(body), token: TOKEN });
  return { status: r.status, body: r.body.length ? JSON.parse(r.body.toString("utf8")) : null };
};

it("an upload longer than its declaration is refused", { todo: "bug: the worker keeps an upload of any length up to --max-broadcast-size, whatever the declaration said" }, async () => {
  const app = (await call(`${c.masterUrl}/api/v1/apps`, "POST", { name: "declared" })).body.id;
  const declared = await call(`${c.masterUrl}/api/v1/apps/${app}/broadcasts`, "POST", { bytes: 10 });
  assert.equal(declared.status, 201);
  const put = await call(`${declared.body.uploadTo}/broadcasts/${app}/${declared.body.id}`, "PUT", "x".repeat(100_000));
  assert.equal(put.status, 400, `a 100 KB upload of a 10-byte declaration: ${JSON.stringify(put.body)}`);
});

it("a broadcast the master never declared, of an application that never existed, is not kept", { todo: "bug: the worker keeps it for ever (no destroy or application end will name it)" }, async () => {
  const worker = `http://${c.worker}`;
  const [app, id] = [newAppId(Date.now()), newBroadcastId(Date.now())];
  const put = await call(`${worker}/broadcasts/${app}/${id}`, "PUT", "x".repeat(1_000_000));
  // Refused at once, or dropped within a few heartbeats (every 500 ms).
  if (put.status === 200) await new Promise((r) => setTimeout(r, 3000));
  const held = await call(`${worker}/broadcasts`, "GET");
  assert.deepEqual(
    held.body.held.filter((h: { application: string }) => h.application === app),
    [],
    JSON.stringify(held.body),
  );
});
