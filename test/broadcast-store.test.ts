// A worker's broadcast store (worker/broadcast-store.ts) against a holder that
// is a plain HTTP server: concurrent needs of one broadcast make one fetch, the
// bytes are counted and dropped, a reply over the limit or not JSON is refused
// naming why, a dead or empty holder is skipped for the next, and with no
// holder the message says so.
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import type { AppId, BroadcastId } from "../src/common/ids.js";
import { BroadcastStore } from "../src/worker/broadcast-store.js";

const APP = "app-000000001-abcdef" as AppId;
const id = (n: number) => `bc-000000001-0000000${n}` as BroadcastId;

describe("a worker's broadcast store", () => {
  let server: http.Server;
  let holder = "";
  const served: string[] = [];
  const bodies: Record<string, string> = { [id(1)]: JSON.stringify({ a: [1, 2, 3] }), [id(2)]: JSON.stringify("x".repeat(2000)), [id(3)]: "{not json" };
  before(async () => {
    server = http.createServer((req, res) => {
      served.push(req.url!);
      const body = bodies[req.url!.split("/").pop()!];
      if (req.headers.authorization !== "Bearer secret") return void res.writeHead(401).end();
      if (body === undefined) return void res.writeHead(404).end('{"error": {"message": "none"}}');
      // Slow enough that concurrent needs overlap.
      setTimeout(() => res.writeHead(200, { "content-type": "application/json" }).end(body), 50);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    holder = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it("fetches once for many concurrent needs, counts the bytes, and drops them", async () => {
    const store = new BroadcastStore(1000, "secret", () => "127.0.0.1:1");
    served.length = 0;
    const replies = await Promise.all(Array.from({ length: 20 }, () => store.need(APP, id(1), [holder])));
    assert.ok(replies.every((r) => r.ok));
    assert.equal(served.length, 1);
    assert.equal(store.fetches, 1);
    assert.equal(store.bytes(), bodies[id(1)]!.length);
    assert.ok((await store.need(APP, id(1), [])).ok, "held: no holder needed");
    assert.deepEqual(store.list(), [{ application: APP, id: id(1) }]);
    assert.deepEqual(store.drop([{ application: APP, id: id(1) }]), [`${APP}/${id(1)}`]);
    assert.equal(store.bytes(), 0);
    assert.deepEqual(store.drop([{ application: APP, id: id(1) }]), [], "idempotent");
  });

  it("refuses a reply over the limit or not JSON, skips holders that fail, and says when none is left", async () => {
    const store = new BroadcastStore(1000, "secret", () => "127.0.0.1:1");
    const big = await store.need(APP, id(2), [holder]);
    assert.ok(!big.ok && /limit 1000 bytes, --max-broadcast-size/.test(big.message), JSON.stringify(big));
    const bad = await store.need(APP, id(3), [holder]);
    assert.ok(!bad.ok && /not JSON/.test(bad.message), JSON.stringify(bad));
    const dead = await store.need(APP, id(1), ["127.0.0.1:2", holder]);
    assert.ok(dead.ok, "the dead holder is skipped for the next");
    const none = await store.need(APP, id(4), ["127.0.0.1:2", holder]);
    assert.ok(!none.ok && /could not be fetched from any holder/.test(none.message));
    const self = await store.need(APP, id(5), ["127.0.0.1:1"]);
    assert.ok(!self.ok && /held by no live worker/.test(self.message), "itself is no holder to fetch from");
    assert.equal(store.bytes(), bodies[id(1)]!.length, "only what was kept is counted");
  });

  it("keeps an upload once, checks it is JSON, bounds it, and drops an ended application's", () => {
    const store = new BroadcastStore(10, null, () => "x");
    store.put(APP, id(1), Buffer.from("[1,2]"));
    store.put(APP, id(1), Buffer.from("[1,2]"));
    assert.equal(store.bytes(), 5);
    assert.throws(() => store.put(APP, id(2), Buffer.from("[1,2,3,4,5,6]")), /is 13 bytes, over this worker's limit of 10 bytes \(--max-broadcast-size\)/);
    assert.throws(() => store.put(APP, id(2), Buffer.from("[1,")), /not JSON/);
    store.put("app-000000002-abcdef" as AppId, id(3), Buffer.from("7"));
    assert.equal(store.drop([], [APP]).length, 1);
    assert.equal(store.bytes(), 1);
  });
});
