// A raw-socket HTTP fuzzer (issue 14) against a real master and a real worker
// with a token: request lines, headers, bodies and slow or abandoned clients,
// generated from a seed and written byte for byte (an HTTP client library would
// normalise the very inputs that matter, such as `GET //[`). After every input
// both processes must answer /healthz, and a complete request must be answered
// (or the connection closed), never left hanging; at the end a normal job runs
// correctly on the same two processes. A process that dies is recorded against
// the input's class and the cluster restarted (at most 5 times), so that one
// run lists every crashing class. MINISPARK_HTTP_FUZZ_MS bounds the run (default 35 s).
import assert from "node:assert/strict";
import type net from "node:net";
import { after, before, it } from "node:test";
import { mulberry32 } from "../src/common/random.js";
import { healthy, rawExchange, startRawCluster, type RawCluster } from "./helpers/raw-http.js";

const SEED = 20261201;
const BUDGET_MS = Number(process.env.MINISPARK_HTTP_FUZZ_MS ?? 35_000);
const TOKEN = "raw-fuzz-secret";

interface Case {
  parts: (string | Buffer)[];
  /** Whether the bytes form whole requests, so that an answer (or a close) is due. */
  complete: boolean;
  gapMs?: number;
  reset?: boolean;
  /** Sent, then left open and silent until the end of the run. */
  hold?: boolean;
}

type Rng = () => number;
type Gen = (r: Rng, host: string, target: "master" | "worker") => Case;

const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const int = (r: Rng, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const AUTH = `Authorization: Bearer ${TOKEN}\r\n`;
const PATHS = {
  master: ["/healthz", "/api/v1/jobs", "/api/v1/jobs/job-x", "/heartbeat", "/task-reports", "/api/v1/workers", "/"],
  worker: ["/healthz", "/tasks", "/splits", "/outputs/prepare", "/data/shuffle/j/0/0?maps=0", "/metrics"],
};
const POSTS = { master: ["/api/v1/jobs", "/heartbeat", "/task-reports", "/deregister"], worker: ["/tasks", "/splits", "/outputs/prepare", "/outputs/publish", "/outputs/finalize", "/outputs/abort"] };

function request(method: string, target: string, headers: string, body: string | Buffer = ""): Buffer {
  return Buffer.concat([Buffer.from(`${method} ${target} HTTP/1.1\r\n${headers}\r\n`, "latin1"), Buffer.isBuffer(body) ? body : Buffer.from(body)]);
}

const GENERATORS: Record<string, Gen> = {
  "request line": (r, host, t) => {
    const targets = [
      "//[",
      "//[::1",
      "http://[",
      "%",
      "/%zz",
      "/%",
      "*",
      "http://evil.example/healthz",
      `http://${host}/healthz`,
      "//",
      "/" + "a".repeat(int(r, 1000, 100_000)),
      "/\u00e9\u4e2d",
      "/\u0000",
      "/a\u0000b",
      "?",
      "#",
      "/../../etc/passwd",
      "/api/v1/jobs/%ff%fe",
      "/api/v1/jobs/" + "%2e".repeat(50),
      "",
      pick(r, PATHS[t]),
    ];
    const methods = ["GET", "POST", "FOO", "G\u0000T", "get", "GE T", "M".repeat(int(r, 10, 5000)), "CONNECT", "OPTIONS", "TRACE", "DELETE", "\u00ff"];
    const versions = ["HTTP/1.1", "HTTP/1.0", "HTTP/0.9", "HTTP/2.0", "HTTP/1.1x", "", "HTTP/9.9", "http/1.1"];
    const line = `${pick(r, methods)} ${pick(r, targets)}${r() < 0.9 ? " " + pick(r, versions) : ""}`;
    return { parts: [Buffer.from(`${line}\r\nHost: ${host}\r\n${r() < 0.5 ? AUTH : ""}Connection: close\r\n\r\n`, r() < 0.5 ? "utf8" : "latin1")], complete: true };
  },
  headers: (r, host, t) => {
    const variants = [
      () => `Host: ${host}\r\nContent-Length: 2\r\nContent-Length: 5\r\nContent-Type: application/json\r\n${AUTH}\r\n{}`,
      () => `Host: ${host}\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n${AUTH}\r\n2\r\n{}\r\n0\r\n\r\n`,
      () => `Host: ${host}\r\nTransfer-Encoding: gzip, chunked\r\nContent-Type: application/json\r\n${AUTH}\r\n2\r\n{}\r\n0\r\n\r\n`,
      () => `Host: ${host}\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n${AUTH}\r\n0\r\n\r\n`,
      () => `Host: ${host}\r\n${Array.from({ length: int(r, 100, 5000) }, (_, i) => `X-H${i}: ${i}\r\n`).join("")}${AUTH}\r\n`,
      () => `Host: ${host}\r\nX-Folded: a\r\n  b\r\n${AUTH}\r\n`,
      () => `Host: ${host}\r\n${pick(r, ["Bad Name: x", ": x", "X\u0000Y: z", "X(): y", "\u00e9: x", "NoColon"])}\r\n${AUTH}\r\n`,
      () => `Host: ${host}\r\nX-Big: ${"v".repeat(int(r, 1000, 200_000))}\r\n${AUTH}\r\n`,
      () =>
        `${pick(r, ["", "Host: \r\n", `Host: ${host}\r\nHost: evil.example\r\n`, "Host: [\r\n", "Host: evil.example\r\n", "Host: user@evil\r\n", `Host: ${host.toUpperCase()}.\r\n`, "Host: 127.0.0.1:99999\r\n", "Host: \u00e9\r\n"])}${AUTH}\r\n`,
      () =>
        `Host: ${host}\r\nOrigin: ${pick(r, ["null", "http://evil.example", `http://${host}`, "https://" + host, "::", "http://[", "x".repeat(10_000)])}\r\nContent-Type: application/json\r\nContent-Length: 2\r\n${AUTH}\r\n{}`,
      () =>
        `Host: ${host}\r\nContent-Type: ${pick(r, ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json; charset=utf-16", "APPLICATION/JSON", "", "application/jsonx"])}\r\nContent-Length: 2\r\n${AUTH}\r\n{}`,
      () => `Host: ${host}\r\nAuthorization: ${pick(r, ["Bearer", "Bearer ", "Basic eDp5", "Bearer " + "t".repeat(50_000), `bearer   ${TOKEN}  `, `Bearer ${TOKEN}x`, "\u00ff"])}\r\n\r\n`,
      () => `Host: ${host}\r\nContent-Length: ${pick(r, ["-1", "abc", "1e3", " 2", "0x10", "99999999999999999999", "2, 2"])}\r\nContent-Type: application/json\r\n${AUTH}\r\n{}`,
      () => `Host: ${host}\r\nExpect: 100-continue\r\nContent-Type: application/json\r\nContent-Length: 2\r\n${AUTH}\r\n{}`,
      () => `Host: ${host}\r\nX-Minispark-Protocol: ${pick(r, ["0", "999", "abc", ""])}\r\n${AUTH}\r\n`,
    ];
    const method = r() < 0.6 ? "POST" : "GET";
    const path = method === "POST" ? pick(r, POSTS[t]) : pick(r, PATHS[t]);
    return { parts: [Buffer.from(`${method} ${path} HTTP/1.1\r\nConnection: close\r\n${pick(r, variants)()}`, "utf8")], complete: true };
  },
  bodies: (r, host, t) => {
    const path = pick(r, POSTS[t]);
    const h = `Host: ${host}\r\nContent-Type: application/json\r\n${AUTH}Connection: close\r\n`;
    const chunked = (chunks: string) => ({ parts: [request("POST", path, `${h}Transfer-Encoding: chunked\r\n`, chunks)], complete: true });
    const variants: (() => Case)[] = [
      () => chunked(`${pick(r, ["zz", "-1", "-0", "ffffffffffffffffff", " 2", "2;ext=1", "0x2", ""])}\r\n{}\r\n0\r\n\r\n`),
      // A chunk declared far longer than sent: the server waits for it (within its request timeout), so no answer is due.
      () => ({ ...chunked(`${pick(r, ["7fffffffffffffff", "100000000", "3"])}\r\n{}\r\n0\r\n\r\n`), complete: false }),
      () => chunked(`2\r\n{}\r\n`.repeat(int(r, 1, 2000)) + "0\r\n\r\n"),
      // A chunk longer than declared: the parser waits for the rest, as it should.
      () => ({ ...chunked(`5\r\n{}\r\n0\r\n\r\n`), complete: false }),
      () => ({ parts: [request("POST", path, `${h}Transfer-Encoding: chunked\r\n`, `100\r\n{"a":`)], complete: false }),
      () => ({ parts: [request("POST", path, `${h}Content-Length: 1000000000000\r\n`, `{"nodes":[`)], complete: false }),
      () => ({ parts: [request("POST", path, `${h}Content-Encoding: gzip\r\nContent-Length: 10\r\n`, Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]))], complete: true }),
      () => {
        const depth = int(r, 1000, 200_000);
        const body = "[".repeat(depth) + "]".repeat(depth);
        return { parts: [request("POST", path, `${h}Content-Length: ${body.length}\r\n`, body)], complete: true };
      },
      () => {
        const body = pick(r, [
          '{"a":',
          "\u0000",
          "\ud800",
          "nul",
          '{"__proto__":{"x":1}}',
          '{"protocol":1,"reports":{"length":1e9}}',
          '{"protocol":1,"worker_id":"w","reports":[{"type":"constructor"}]}',
          "[]",
          "1e999",
          '"' + "x".repeat(100_000) + '"',
        ]);
        return { parts: [request("POST", path, `${h}Content-Length: ${Buffer.byteLength(body)}\r\n`, body)], complete: true };
      },
      () => {
        const body = Buffer.alloc(int(r, 1, 3) * 1024 * 1024, 0x20);
        return { parts: [request("POST", path, `${h}Content-Length: ${body.length}\r\n`, body)], complete: true };
      },
    ];
    return pick(r, variants)();
  },
  "slow and abandoned clients": (r, host, t) => {
    const path = pick(r, POSTS[t]);
    const full = request("POST", path, `Host: ${host}\r\nContent-Type: application/json\r\n${AUTH}Content-Length: 40\r\nConnection: close\r\n`, `{"nodes":[],"action":{"op":"count"}}    `).toString(
      "latin1",
    );
    const cut = int(r, 1, full.length - 1);
    const variants: (() => Case)[] = [
      () => ({ parts: [full.slice(0, cut)], complete: false, hold: true }),
      () => ({ parts: [full.slice(0, cut)], complete: false, reset: true }),
      () => ({ parts: [Buffer.from(full.slice(0, cut), "latin1"), Buffer.from(full.slice(cut), "latin1")], complete: true, gapMs: int(r, 50, 300) }),
      () => ({ parts: Array.from(full.slice(0, int(r, 5, 30))), complete: false, gapMs: 10, reset: r() < 0.5 }),
      () => ({ parts: [""], complete: false, hold: true }),
    ];
    return pick(r, variants)();
  },
};

let c: RawCluster;
before(async () => {
  c = await startRawCluster({ token: TOKEN });
});
after(async () => {
  await c?.stop();
});

it("master and worker survive every raw input, answer every complete request, and still run a job", { timeout: BUDGET_MS + 60_000 }, async () => {
  const r = mulberry32(SEED);
  const classes = Object.keys(GENERATORS);
  const tried: Record<string, number> = Object.fromEntries(classes.map((k) => [k, 0]));
  const crashed: Record<string, string[]> = Object.fromEntries(classes.map((k) => [k, []]));
  const hung: Record<string, string[]> = Object.fromEntries(classes.map((k) => [k, []]));
  const held: net.Socket[] = [];
  let restarts = 0;
  const pids = () => [c.masterProc.pid, c.workerProc.pid];
  const startPids = pids();
  const deadline = Date.now() + BUDGET_MS;
  try {
    for (let i = 0; Date.now() < deadline; i++) {
      const cls = classes[i % classes.length]!;
      const target = r() < 0.5 ? "master" : "worker";
      const address = target === "master" ? c.master : c.worker;
      const k = GENERATORS[cls]!(r, address, target);
      tried[cls]!++;
      const bytes = Buffer.concat(k.parts.map((p) => (typeof p === "string" ? Buffer.from(p, "latin1") : p)));
      const what = `${target}: ${JSON.stringify(bytes.subarray(0, 100).toString("latin1"))} … ${JSON.stringify(bytes.subarray(Math.max(100, bytes.length - 60)).toString("latin1"))} (${bytes.length} bytes)`;
      const out = await rawExchange(address, k.parts, { gapMs: k.gapMs, reset: k.reset, keep: k.hold, waitMs: k.hold ? 200 : k.complete ? 5000 : 300 });
      if (out.socket) held.push(out.socket);
      if (k.complete && out.how === "silent") hung[cls]!.push(what);
      const bad = await healthy([c.master, c.worker]);
      if (bad.length) {
        crashed[cls]!.push(`${what} -> ${bad.join("; ")}`);
        if (++restarts > 5) break;
        await c.stop();
        c = await startRawCluster({ token: TOKEN });
      }
    }
    const table = classes.map((k) => `${k}: ${tried[k]} inputs, ${crashed[k]!.length} crashed, ${hung[k]!.length} hung`).join("\n");
    console.log(`raw HTTP fuzz (seed ${SEED}):\n${table}`);
    for (const k of classes) {
      assert.deepEqual(crashed[k], [], `${k}: inputs after which a process stopped answering`);
      assert.deepEqual(hung[k], [], `${k}: complete requests never answered`);
    }
    assert.deepEqual(pids(), startPids, "the same master and worker processes throughout");
    const { value } = await c.client.run<[string, number][]>({
      nodes: [
        { id: "l", op: "parallelize", data: ["a b", "b c", "c c"], numSlices: 2 },
        { id: "w", op: "flatMap", input: "l", fn: "tokenize" },
        { id: "p", op: "map", input: "w", fn: "pair_with_one" },
        { id: "s", op: "reduceByKey", input: "p", fn: "sum", numPartitions: 2 },
      ],
      action: { op: "collect", input: "s" },
    });
    assert.deepEqual(
      new Map(value),
      new Map([
        ["a", 1],
        ["b", 2],
        ["c", 3],
      ]),
    );
    assert.equal(c.masterProc.exitCode, null);
    assert.equal(c.workerProc.exitCode, null);
  } finally {
    for (const s of held) s.destroy();
  }
});
