// The HTTP client against peers that answer more than they may: every reply
// past maxReplyBytes rejects its request, and none ends the process — a short
// reply whose last chunk crossed the limit used to raise the refusal as an
// uncaught exception (the master's control requests to a worker take this path).
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { requestRaw } from "../src/common/http-client.js";

describe("a reply larger than maxReplyBytes", () => {
  let server: http.Server;
  let base = "";
  before(async () => {
    server = http.createServer((req, res) => {
      res.writeHead(200, { "content-type": "application/octet-stream" });
      if (req.url === "/one-chunk") res.end(Buffer.alloc(200));
      else if (req.url === "/streamed") {
        res.write(Buffer.alloc(64 * 1024));
        setTimeout(() => res.end(Buffer.alloc(64 * 1024)), 20);
      } else res.end(Buffer.alloc(8 * 1024 * 1024));
    });
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => server.close());

  for (const path of ["/one-chunk", "/streamed", "/large"]) {
    it(`rejects its request (${path}) and the process goes on`, async () => {
      let uncaught: unknown = null;
      const onUncaught = (e: unknown) => (uncaught = e);
      process.on("uncaughtException", onUncaught);
      try {
        await assert.rejects(requestRaw(base + path, { maxReplyBytes: 100 }), /the reply is larger than the 100 bytes expected/);
        // An exception raised after the rejection would land here, on the next turns of the loop.
        await new Promise((done) => setTimeout(done, 50));
      } finally {
        process.off("uncaughtException", onUncaught);
      }
      assert.equal(uncaught, null);
    });
  }

  it("takes a reply at the limit", async () => {
    const reply = await requestRaw(base + "/one-chunk", { maxReplyBytes: 200 });
    assert.equal(reply.body.length, 200);
  });
});
