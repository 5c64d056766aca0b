// A worker's broadcast upload (PUT /broadcasts/{app}/{id}) against what the master declared: a broadcast the master
// never declared, of an application that never existed, has no one to free it (no destroy, no application end names
// it), so the master tells the worker that reports holding it to drop it (found by the cachefault tests).
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

it("a broadcast the master never declared, of an application that never existed, is not kept", async () => {
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
