// The HTTP edge of real master and worker processes (issue 14): a request the
// URL parser rejects ends no process; a web page can neither post a job
// cross-site nor reach a server through a rebound name; a master started
// without a token generates one, 0600, where local workers and the CLI find
// it, and keeps its job database outside the data directory; ~1,000 idle
// sockets from one client starve neither a worker of descriptors nor the
// master of heartbeats.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, before, describe, it } from "node:test";
import { CLI, healthy, rawExchange, startRawCluster, type RawCluster } from "./helpers/raw-http.js";

const COUNT_SPEC = { nodes: [{ id: "n", op: "range", start: 0, end: 1000, numSlices: 2 }], action: { op: "count", input: "n" } };

describe("a master without a given token", () => {
  let c: RawCluster;
  before(async () => {
    c = await startRawCluster({ token: null });
  });
  after(async () => {
    await c?.stop();
  });

  it("generates one, writes it 0600 where a local worker and the CLI find it, and keeps its database out of ./data", async () => {
    const file = join(c.home, "tokens", `localhost-${new URL(c.masterUrl).port}`);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.equal(fs.statSync(join(c.home, "tokens")).mode & 0o777, 0o700);
    assert.match(c.token, /^[0-9a-f]{64}$/);
    // The worker was given no token: it registered with the one in the file.
    assert.equal((await c.client.workers()).length, 1);
    const anon = await rawExchange(c.master, [`GET /api/v1/jobs HTTP/1.1\r\nHost: ${c.master}\r\nConnection: close\r\n\r\n`]);
    assert.equal(anon.status, 401);
    const cli = spawnSync(process.execPath, [CLI, "jobs", "--master", c.masterUrl, "--json"], { env: { ...process.env, MINISPARK_HOME: c.home, MINISPARK_TOKEN: "" }, encoding: "utf8" });
    assert.equal(cli.status, 0, cli.stderr);
    assert.ok(fs.existsSync(join(c.home, "minispark.db")), "the default job database is under MINISPARK_HOME");
    assert.equal(await c.client.run(COUNT_SPEC).then((r) => r.value), 1000);
  });

  it("a master restarted on the same port keeps the token it generated, so its workers and clients keep working", async () => {
    const home = fs.mkdtempSync(join(c.home, "restart-"));
    const port = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, "127.0.0.1", () => {
        const p = (probe.address() as net.AddressInfo).port;
        probe.close(() => resolve(p));
      });
    });
    const tokenAfterStart = async (): Promise<string> => {
      const child = spawn(process.execPath, [CLI, "master", "--port", String(port), "--log-format", "json"], {
        env: { ...process.env, MINISPARK_HOME: home, MINISPARK_TOKEN: "" },
        stdio: ["ignore", "ignore", "pipe"],
      });
      try {
        await new Promise<void>((resolve, reject) => {
          createInterface({ input: child.stderr! }).on("line", (l) => l.includes("no token was given") && resolve());
          child.once("exit", (code) => reject(new Error(`master exited ${code}`)));
        });
        return fs.readFileSync(join(home, "tokens", `localhost-${port}`), "utf8").trim();
      } finally {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill("SIGKILL");
          await new Promise((r) => child.once("exit", r));
        }
      }
    };
    const first = await tokenAfterStart();
    assert.equal(await tokenAfterStart(), first);
  });

  it("a worker that has no token and finds none refuses to start, saying where it looked", () => {
    const empty = fs.mkdtempSync(join(c.home, "empty-"));
    const r = spawnSync(process.execPath, [CLI, "worker", "--master", "http://127.0.0.1:1"], { env: { ...process.env, MINISPARK_HOME: empty, MINISPARK_TOKEN: "" }, encoding: "utf8" });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /no token for the master http:\/\/127\.0\.0\.1:1: give --token, --token-file or MINISPARK_TOKEN .*tokens\/localhost-<port>/);
  });
});

describe("hostile requests to a master and a worker with a token", () => {
  let c: RawCluster;
  before(async () => {
    c = await startRawCluster({ token: "edge-secret" });
  });
  after(async () => {
    await c?.stop();
  });
  const auth = () => `Authorization: Bearer ${c.token}\r\n`;

  it("answers request targets the URL parser rejects with 400 and keeps every process", async () => {
    for (const address of [c.master, c.worker]) {
      for (const target of ["//[", "http://[", "//[::1", "/%", "http://a:99999/"]) {
        const r = await rawExchange(address, [`GET ${target} HTTP/1.1\r\nHost: ${address}\r\n${auth()}\r\n`]);
        assert.ok(r.status !== null && r.status >= 400 && r.status < 500, `${address} GET ${target}: ${r.how} ${r.status}`);
      }
    }
    assert.deepEqual(await healthy([c.master, c.worker]), []);
    assert.equal(c.masterProc.exitCode, null);
    assert.equal(c.workerProc.exitCode, null);
  });

  it("refuses a body V8 could not decode into one string (just under the old 512 MiB limit) with 413, and keeps the master", async () => {
    const size = 536_870_900; // > buffer.constants.MAX_STRING_LENGTH (2^29 - 24), < 512 MiB
    const [host, port] = [c.master.slice(0, c.master.lastIndexOf(":")), Number(c.master.slice(c.master.lastIndexOf(":") + 1))];
    const reply = await new Promise<string>((resolve) => {
      const s = net.connect(port, host);
      let text = "";
      let answered = false;
      s.on("data", (d) => {
        text += d.toString("latin1");
        answered = true;
      });
      s.on("error", () => resolve(text));
      s.on("close", () => resolve(text));
      s.once("connect", async () => {
        s.write(`POST /task-reports HTTP/1.1\r\nHost: ${c.master}\r\n${auth()}Content-Type: application/json\r\nContent-Length: ${size}\r\n\r\n`);
        // Sent whole, as an attacker would, unless the server answers first.
        const chunk = Buffer.alloc(1 << 20, 0x20);
        for (let sent = 0; sent < size && !answered && !s.destroyed; sent += chunk.length) {
          if (!s.write(sent + chunk.length > size ? chunk.subarray(0, size - sent) : chunk)) await new Promise((r) => s.once("drain", r).once("close", r));
        }
        setTimeout(() => s.destroy(), 2000);
      });
    });
    assert.match(reply, /^HTTP\/1\.1 413/, reply.slice(0, 200));
    assert.deepEqual(await healthy([c.master, c.worker]), []);
    assert.equal(c.masterProc.exitCode, null);
  });

  it("refuses bodies past the process's budget for bodies in flight with 503 and Retry-After, and keeps the master", async () => {
    // Five bodies of 250 MiB at once, each under /task-reports' own limit (the result budget and 4 MiB), together past the 1 GiB budget.
    const size = 250 * 2 ** 20;
    const [host, port] = [c.master.slice(0, c.master.lastIndexOf(":")), Number(c.master.slice(c.master.lastIndexOf(":") + 1))];
    const chunk = Buffer.alloc(1 << 20, 0x20);
    const sockets = [0, 1, 2, 3, 4].map(() => {
      const s = net.connect(port, host);
      s.on("error", () => {});
      s.write(`POST /task-reports HTTP/1.1\r\nHost: ${c.master}\r\n${auth()}Content-Type: application/json\r\nContent-Length: ${size}\r\n\r\n`);
      return { s, reply: "", sent: 0 };
    });
    for (const x of sockets) x.s.on("data", (d) => (x.reply += d.toString("latin1")));
    // In step, a megabyte to each in turn, so that all three are in flight together.
    // Until the first reply: the bodies still in budget are then abandoned, not parsed.
    while (sockets.every((x) => !x.reply) && sockets.some((x) => x.sent < size && !x.s.destroyed)) {
      for (const x of sockets) {
        if (x.sent >= size || x.reply || x.s.destroyed) continue;
        // The server closes a refused connection: wait for drain or for that.
        if (!x.s.write(chunk)) await new Promise((r) => x.s.once("drain", r).once("close", r));
        x.sent += chunk.length;
      }
    }
    await new Promise((r) => setTimeout(r, 1000));
    const statuses = sockets.map((x) => x.reply.split("\r\n")[0]);
    const busy = sockets.filter((x) => /^HTTP\/1\.1 503/.test(x.reply));
    assert.ok(busy.length >= 1, statuses.join(" | "));
    assert.match(busy[0]!.reply, /retry-after: 2/i);
    for (const x of sockets) x.s.destroy();
    assert.deepEqual(await healthy([c.master, c.worker]), []);
    assert.equal(c.masterProc.exitCode, null);
  });

  it("answers a whole request followed by junk on the same connection, then closes it (the reply was lost before)", async () => {
    const spec = JSON.stringify(COUNT_SPEC);
    const res = await rawExchange(c.master, [
      `POST /api/v1/jobs HTTP/1.1\r\nHost: ${c.master}\r\n${auth()}Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(spec)}\r\n\r\n${spec}{}\r\n`,
    ]);
    assert.equal(res.status, 201, res.text.slice(0, 300));
    assert.match(res.text, /connection: close/i);
    // An error inside a chunked body, by contrast, ends the request it belongs to: answered or closed, never left waiting.
    for (const size of ["0x2", "ffffffffffffffffff"]) {
      const bad = await rawExchange(
        c.master,
        [`POST /api/v1/jobs HTTP/1.1\r\nHost: ${c.master}\r\n${auth()}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n${size}\r\n{}\r\n0\r\n\r\n`],
        { waitMs: 5000 },
      );
      assert.notEqual(bad.how, "silent", `chunk size ${size}: ${bad.text}`);
    }
    assert.deepEqual(await healthy([c.master, c.worker]), []);
  });

  it("refuses a cross-site simple POST, a foreign Origin and a rebound Host, and takes a same-origin JSON one", async () => {
    const spec = JSON.stringify(COUNT_SPEC);
    const post = (headers: string, body = spec, to = c.master, path = "/api/v1/jobs") =>
      rawExchange(to, [`POST ${path} HTTP/1.1\r\n${headers}${auth()}Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`]);
    const textPlain = await post(`Host: ${c.master}\r\nContent-Type: text/plain\r\n`);
    assert.equal(textPlain.status, 415, textPlain.text);
    assert.match(textPlain.text, /content-type: application\/json/);
    const gz = await post(`Host: ${c.master}\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n`);
    assert.equal(gz.status, 415);
    const foreign = await post(`Host: ${c.master}\r\nOrigin: http://evil.example\r\nContent-Type: application/json\r\n`);
    assert.equal(foreign.status, 403, foreign.text);
    assert.match(foreign.text, /cross-origin requests are refused/);
    const rebound = await post(`Host: evil.example:${new URL(c.masterUrl).port}\r\nContent-Type: application/json\r\n`);
    assert.equal(rebound.status, 421, rebound.text);
    const reboundWorker = await post(`Host: evil.example\r\nContent-Type: application/json\r\n`, "{}", c.worker, "/tasks");
    assert.equal(reboundWorker.status, 421);
    const own = await post(`Host: ${c.master}\r\nOrigin: ${c.masterUrl}\r\nContent-Type: application/json; charset=utf-8\r\n`);
    assert.equal(own.status, 201, own.text);
  });
});

describe("a master and a worker with 256 descriptors", () => {
  let c: RawCluster;
  before(async () => {
    c = await startRawCluster({ token: "fd-secret", nofile: 256 });
  });
  after(async () => {
    await c?.stop();
  });

  it("~1,000 idle sockets from one client starve neither the worker of descriptors nor the master of heartbeats", async () => {
    fs.mkdirSync(join(c.dataDir, "in"));
    for (let i = 0; i < 8; i++) fs.writeFileSync(join(c.dataDir, "in", `f${i}.txt`), "a b c\n".repeat(1000));
    const idle: net.Socket[] = [];
    const open = (address: string) => {
      const [host, port] = [address.slice(0, address.lastIndexOf(":")), Number(address.slice(address.lastIndexOf(":") + 1))];
      const s = net.connect(port, host);
      s.on("error", () => {});
      idle.push(s);
    };
    try {
      for (let i = 0; i < 1000; i++) open(c.worker);
      for (let i = 0; i < 1000; i++) open(c.master);
      // Longer than the 3 s lease: a worker whose heartbeats were starved would be declared lost.
      const until = Date.now() + 5000;
      while (Date.now() < until) {
        const w = await c.client.workers();
        assert.equal(w[0]?.status, "ALIVE", `the worker was declared lost while idle sockets were held:\n${c.log.slice(-20).join("\n")}`);
        await new Promise((r) => setTimeout(r, 500));
      }
      const { value } = await c.client.run<{ records: number }>({
        nodes: [
          { id: "l", op: "textFile", path: "in/*.txt" },
          { id: "w", op: "flatMap", input: "l", fn: "tokenize" },
          { id: "p", op: "map", input: "w", fn: "pair_with_one" },
          { id: "s", op: "reduceByKey", input: "p", fn: "sum", numPartitions: 4 },
        ],
        action: { op: "save", input: "s", path: "fd-counts" },
      });
      assert.equal(value.records, 3);
      assert.deepEqual(await healthy([c.master, c.worker]), []);
    } finally {
      for (const s of idle) s.destroy();
    }
  });
});
