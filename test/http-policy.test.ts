// The pure rules of the HTTP edge (issue 14): which Host and Origin headers a
// server answers, how many connections its descriptor limit allows and whose
// they are, the body budget, and that the oldest unauthenticated connection
// of a client is the one closed when it holds too many.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import http from "node:http";
import net from "node:net";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { BodyBudget } from "../src/common/body-budget.js";
import { clientKey, connectionLimits, parseFdSoftLimit } from "../src/common/connection-limits.js";
import { hostPolicy, hostProblem, originProblem, splitHost } from "../src/common/host-policy.js";
import { PreAuthSockets } from "../src/common/preauth-sockets.js";

describe("Host policy", () => {
  const loop = hostPolicy({ bind: "127.0.0.1", advertise: null, allowHosts: [], machineNames: ["box"] });
  const wild = hostPolicy({ bind: "0.0.0.0", advertise: "w1.internal:7078", allowHosts: ["master"], machineNames: ["box"] });
  const fixed = hostPolicy({ bind: "10.0.0.5", advertise: null, allowHosts: [], machineNames: ["box"] });

  it("a loopback bind serves loopback names on any port, and nothing else", () => {
    for (const h of ["127.0.0.1:7077", "localhost:1", "LOCALHOST", "[::1]:7077", "localhost.:80"]) assert.equal(hostProblem(h, loop), null, h);
    for (const h of ["evil.example:7077", "127.0.0.2", "box", "10.0.0.5", "x"]) assert.match(hostProblem(h, loop) ?? "", /does not serve the host/, h);
    assert.match(hostProblem(undefined, loop) ?? "", /no Host header/);
  });

  it("a wildcard bind serves its machine's names, the advertised name, --allow-host names and any IP literal", () => {
    for (const h of ["box:7078", "w1.internal:7078", "master:7077", "192.168.1.9:7077", "[fe80::1]:1", "localhost"]) assert.equal(hostProblem(h, wild), null, h);
    assert.match(hostProblem("rebound.example:7077", wild) ?? "", /add names with --allow-host/);
  });

  it("a fixed bind serves that address only (IP literals must equal it); '*' serves any", () => {
    assert.equal(hostProblem("10.0.0.5:7077", fixed), null);
    assert.notEqual(hostProblem("10.0.0.6:7077", fixed), null);
    assert.notEqual(hostProblem("localhost:7077", fixed), null);
    assert.equal(hostProblem("anything", hostPolicy({ bind: "10.0.0.5", advertise: null, allowHosts: ["*"], machineNames: [] })), null);
  });

  it("refuses malformed Host headers", () => {
    for (const h of ["a b", "a:99999", "[zz]:1", "a@b", "a/b", ":80", "[::1", "a:b:c"]) assert.equal(splitHost(h), null, h);
    assert.deepEqual(splitHost("[::1]:7077"), { name: "::1", port: 7077 });
  });

  it("refuses any Origin but the server's own", () => {
    assert.equal(originProblem(undefined, "127.0.0.1:7077", "http"), null);
    assert.equal(originProblem("http://127.0.0.1:7077", "127.0.0.1:7077", "http"), null);
    assert.equal(originProblem("https://127.0.0.1", "127.0.0.1:443", "https"), null);
    for (const o of ["http://evil.example", "http://127.0.0.1:7078", "https://127.0.0.1:7077", "null", "garbage"]) {
      assert.notEqual(originProblem(o, "127.0.0.1:7077", "http"), null, o);
    }
  });
});

describe("connection limits", () => {
  it("reads the soft descriptor limit from /proc/self/limits text", () => {
    const text = "Limit                     Soft Limit           Hard Limit           Units     \nMax open files            256                  4096                 files     \n";
    assert.equal(parseFdSoftLimit(text), 256);
    assert.equal(parseFdSoftLimit(text.replace("256 ", "unlimited ")), null);
    assert.equal(parseFdSoftLimit(""), null);
  });

  it("keeps connections well below the descriptor limit, unauthenticated ones below that", () => {
    for (const fds of [64, 256, 1024, 65536, 1_000_000]) {
      const l = connectionLimits(fds);
      assert.ok(l.maxConnections <= Math.max(32, fds / 2) && l.maxConnections <= 8192, `${fds}`);
      assert.ok(l.preAuthTotal < l.maxConnections && l.preAuthPerClient <= l.preAuthTotal, `${fds}`);
    }
    assert.deepEqual(connectionLimits(1024), { maxConnections: 512, preAuthTotal: 128, preAuthPerClient: 64, preAuthMs: 10_000 });
  });

  it("counts all of loopback, and an IPv6 /64, as one client", () => {
    assert.equal(clientKey("127.0.0.1"), clientKey("127.5.6.7"));
    assert.equal(clientKey("::ffff:127.0.0.1"), "127/8");
    assert.equal(clientKey("::ffff:10.1.2.3"), "10.1.2.3");
    assert.equal(clientKey("2001:db8:1:2::5"), clientKey("2001:db8:1:2:aaaa::9"));
    assert.notEqual(clientKey("2001:db8:1:2::5"), clientKey("2001:db8:1:3::5"));
  });

  it("a body budget gives out no more than its limit", () => {
    const b = new BodyBudget(100);
    assert.ok(b.take(60));
    assert.ok(!b.take(41));
    assert.ok(b.take(40));
    b.give(100);
    assert.equal(b.inUse, 0);
  });

  it("closes a client's oldest unauthenticated connection past its cap, and leaves authenticated ones", async () => {
    const limits = { maxConnections: 100, preAuthTotal: 10, preAuthPerClient: 3, preAuthMs: 60_000 };
    const tracker = new PreAuthSockets(limits);
    const server = http.createServer((req, res) => {
      tracker.authenticated(req.socket);
      res.end("ok");
    });
    tracker.attach(server);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as net.AddressInfo).port;
    const open = async () => {
      const s = net.connect(port, "127.0.0.1");
      s.on("error", () => {});
      await new Promise((r) => s.once("connect", r));
      return s;
    };
    try {
      const authed = await open();
      await new Promise<void>((r) => {
        authed.once("data", () => r());
        authed.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
      });
      const idle = [];
      for (let i = 0; i < 5; i++) idle.push(await open());
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(
        idle.map((s) => s.destroyed || s.readableEnded),
        [true, true, false, false, false],
        "the two oldest idle ones are closed",
      );
      assert.equal(tracker.size, 3);
      assert.ok(!authed.destroyed && !authed.readableEnded, "the authenticated connection stays");
      for (const s of [authed, ...idle]) s.destroy();
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});

describe("process guard", () => {
  it("logs an error a timer throws and a rejection nobody awaits, with the component, and the process lives on", () => {
    const guard = fileURLToPath(new URL("../src/common/process-guard.js", import.meta.url));
    const log = fileURLToPath(new URL("../src/common/log.js", import.meta.url));
    const script = `
      const { installProcessGuard } = await import(${JSON.stringify(guard)});
      const { logger } = await import(${JSON.stringify(log)});
      installProcessGuard(logger("worker"));
      setTimeout(() => { throw new Error("boom in a timer"); }, 10);
      Promise.reject(new Error("nobody awaits this"));
      setTimeout(() => console.log("still alive"), 200);`;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 10_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /still alive/);
    const lines = r.stderr
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { component: string; msg: string; error: string });
    assert.deepEqual(lines.map((l) => [l.component, l.error]).sort(), [
      ["worker", "boom in a timer"],
      ["worker", "nobody awaits this"],
    ]);
  });
});
