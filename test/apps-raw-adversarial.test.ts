// Issue 17's routes at the lowest layer: raw bytes on a socket (test/helpers/raw-http.ts) against a real
// `minispark master` and `minispark worker` — the applications, datasets and broadcasts routes and the storage
// listing on the master, the broadcast upload and fetch on the worker. Malformed ids (traversal, 10 KB, unicode,
// NUL), bodies that are not JSON, a Content-Length with no body, chunked bodies that never end, client numbers at
// 1e9, 1e308, -1 and 2^53+1, a lease that runs out mid-job, and 10,000 applications registered quickly. After each,
// both processes answer /healthz, no answer is a 500 or carries a stack, and no file appears outside their dirs.
import assert from "node:assert/strict";
import fs from "node:fs";
import type net from "node:net";
import os from "node:os";
import { join } from "node:path";
import { after, before, it } from "node:test";
import { requestRaw } from "../src/common/http-client.js";
import { healthy, rawExchange, startRawCluster, type RawCluster } from "./helpers/raw-http.js";

const TOKEN = "apps-raw-secret";
const AUTH = `Authorization: Bearer ${TOKEN}\r\n`;
let c: RawCluster;

before(async () => {
  c = await startRawCluster({ token: TOKEN });
});
after(() => c?.stop());

function request(address: string, method: string, target: string, body?: string, headers = ""): Buffer {
  const length = body === undefined ? "" : `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n`;
  return Buffer.from(`${method} ${target} HTTP/1.1\r\nHost: ${address}\r\n${AUTH}${length}${headers}Connection: close\r\n\r\n${body ?? ""}`, "utf8");
}

/** One exchange that must be answered with a status below 500 (or `allowed`), without a stack trace in it. */
async function refused(address: string, bytes: Buffer, what: string, allowed: number[] = []): Promise<number> {
  const r = await rawExchange(address, [bytes], { waitMs: 8000 });
  assert.equal(r.how, "answered", `${what}: ${r.how}`);
  assert.ok(r.status! < 500 || allowed.includes(r.status!), `${what}: ${r.status} ${r.text.slice(0, 300)}`);
  assert.doesNotMatch(r.text, /\n\s+at [^\n]*:\d+:\d+/, `${what}: a stack trace in the answer`);
  return r.status!;
}

async function alive(): Promise<void> {
  assert.deepEqual(await healthy([c.master, c.worker]), [], "both processes serve /healthz");
  assert.equal(c.masterProc.exitCode, null);
  assert.equal(c.workerProc.exitCode, null);
}

const api = (path: string, init: { method?: string; body?: unknown } = {}) =>
  requestRaw(c.masterUrl + path, { method: init.method, body: init.body === undefined ? undefined : JSON.stringify(init.body), token: TOKEN }).then((r) => ({
    status: r.status,
    body: r.body.length ? JSON.parse(r.body.toString("utf8")) : null,
  }));

const MARK = "cachefault-pwned";
const BAD_IDS = [
  `..%2f..%2f..%2f..%2ftmp%2f${MARK}`,
  `..%2F..%2F${MARK}`,
  "..",
  "%2e%2e",
  "a".repeat(10 * 1024),
  "%E4%B8%AD%F0%9F%92%A5",
  "%00",
  "app-%00",
  "app-0000000000-aaaaaa%00x",
  "%ff%fe",
  "app-zzzzzzzzz-zzzzzz",
];

it("malformed ids on every application, dataset, broadcast and storage route: 4xx, no stack, nothing written", async () => {
  const app = await api("/api/v1/apps", { method: "POST", body: { name: "raw" } });
  assert.equal(app.status, 201);
  const id = app.body.id as string;
  for (const bad of BAD_IDS) {
    const targets: [string, string, string | undefined][] = [
      ["GET", `/api/v1/apps/${bad}`, undefined],
      ["DELETE", `/api/v1/apps/${bad}`, undefined],
      ["POST", `/api/v1/apps/${bad}/renew`, "{}"],
      ["DELETE", `/api/v1/apps/${bad}/datasets/ds-${"0".repeat(32)}`, undefined],
      ["DELETE", `/api/v1/apps/${id}/datasets/${bad}`, undefined],
      ["POST", `/api/v1/apps/${bad}/broadcasts`, '{"bytes":10}'],
      ["DELETE", `/api/v1/apps/${id}/broadcasts/${bad}`, undefined],
      ["DELETE", `/api/v1/apps/${bad}/broadcasts/bc-x`, undefined],
      ["GET", `/api/v1/storage/${bad}`, undefined],
      ["GET", `/api/v1/storage?app=${bad}`, undefined],
    ];
    for (const [method, target, body] of targets) await refused(c.master, request(c.master, method, target, body), `master ${method} ${target.slice(0, 80)}`);
    for (const [app2, bc] of [
      [bad, "bc-0"],
      [id, bad],
    ]) {
      await refused(c.worker, request(c.worker, "PUT", `/broadcasts/${app2}/${bc}`, '"hello"'), `worker PUT /broadcasts/${app2.slice(0, 40)}/${bc.slice(0, 40)}`);
      await refused(c.worker, request(c.worker, "GET", `/broadcasts/${app2}/${bc}`), `worker GET /broadcasts/${app2.slice(0, 40)}/${bc.slice(0, 40)}`);
    }
  }
  await alive();
  const written = [os.tmpdir(), c.dataDir, c.home, join(c.dataDir, ".."), "/"].filter((d) => fs.existsSync(join(d, MARK)));
  assert.deepEqual(written, [], "no traversal wrote a file");
  // The application is untouched: no dot segment under it (datasets/.., broadcasts/%2e%2e) reached DELETE /api/v1/apps/{app}.
  assert.equal((await api(`/api/v1/apps/${id}`)).body.status, "ACTIVE");
  for (const dots of ["..", "%2e%2e", ".%2E", "x/../..", ".", "x\\..\\.."]) {
    const status = await refused(c.master, request(c.master, "DELETE", `/api/v1/apps/${id}/datasets/${dots}`), `DELETE …/datasets/${dots}`);
    assert.equal(status, 400, `DELETE /api/v1/apps/{app}/datasets/${dots}`);
  }
  assert.equal((await api(`/api/v1/apps/${id}`)).body.status, "ACTIVE");
});

it("bodies that are not JSON, or not the right JSON, and client numbers at the edges: 400 naming the field", async () => {
  const app = (await api("/api/v1/apps", { method: "POST", body: { name: "numbers" } })).body.id as string;
  for (const body of ["{", "null", "[]", '"x"', "1e999", "\u0000", '{"name": "x", "name": 1}', '{"name": {"$ne": 1}}', '{"leaseMs": 5000}', "x".repeat(1000)]) {
    const status = await refused(c.master, request(c.master, "POST", "/api/v1/apps", body), `POST /api/v1/apps ${JSON.stringify(body.slice(0, 30))}`);
    if (body !== '{"name": "x", "name": 1}') assert.ok(status === 400 || status === 413, `${body.slice(0, 30)}: ${status}`);
  }
  for (const leaseMs of ["1e9", "1e308", "-1", "9007199254740993", "0", "999", "3600001", "1000.5", '"5000"', "null", "true", "-0", "1e-300"]) {
    const r = await api("/api/v1/apps", { method: "POST", body: JSON.parse(`{"name":"lease","leaseMs":${leaseMs}}`) });
    if (leaseMs === "-0") continue; // JSON.stringify(-0) is 0, which the check below covers.
    assert.equal(r.status, 400, `leaseMs ${leaseMs}: ${JSON.stringify(r.body)}`);
    assert.match(r.body.error.message, /leaseMs/, `leaseMs ${leaseMs}`);
  }
  for (const bytes of ["1e9", "1e308", "-1", "9007199254740993", "1.5", '"10"', "null", "0x10"]) {
    const raw = `{"bytes":${bytes}}`;
    const status = await refused(c.master, request(c.master, "POST", `/api/v1/apps/${app}/broadcasts`, raw), `broadcast bytes ${bytes}`);
    assert.ok(status === 400 || status === 413, `bytes ${bytes}: ${status}`);
  }
  for (const limit of ["1000000000", "1e308", "-1", "9007199254740993", "abc", "%00"])
    await refused(c.master, request(c.master, "GET", `/api/v1/apps?limit=${limit}`), `GET /api/v1/apps?limit=${limit}`);
  // A PUT to a worker that is not JSON, or nests deeper than a stack.
  for (const body of ["{", "[".repeat(100_000) + "]".repeat(100_000), "\u0000"])
    await refused(c.worker, request(c.worker, "PUT", `/broadcasts/${app}/bc-0mx0000000-000000`, body), `worker PUT ${body.slice(0, 20)}`);
  await alive();
});

it("a Content-Length with no body and chunked bodies that never end: the processes stay up and answer others", async () => {
  const huge = (address: string, method: string, target: string) =>
    Buffer.from(`${method} ${target} HTTP/1.1\r\nHost: ${address}\r\n${AUTH}Content-Type: application/json\r\nContent-Length: 99999999999999\r\n\r\n{"na`, "latin1");
  for (const [address, method, target] of [
    [c.master, "POST", "/api/v1/apps"],
    [c.master, "POST", "/api/v1/apps/app-0mx0000000-000000/broadcasts"],
    [c.worker, "PUT", "/broadcasts/app-0mx0000000-000000/bc-0mx0000000-000000"],
  ] as const) {
    const r = await rawExchange(address, [huge(address, method, target)], { waitMs: 3000 });
    assert.ok(r.how === "closed" || (r.status !== null && r.status >= 400 && r.status < 500), `${method} ${target} with a huge Content-Length: ${r.how} ${r.status}`);
  }
  // Endless chunked uploads, held open: 8 to each process.
  const held: net.Socket[] = [];
  for (const [address, method, target] of [
    [c.master, "POST", "/api/v1/apps"],
    [c.worker, "PUT", "/broadcasts/app-0mx0000000-000000/bc-0mx0000000-000000"],
  ] as const)
    for (let i = 0; i < 8; i++) {
      const r = await rawExchange(address, [`${method} ${target} HTTP/1.1\r\nHost: ${address}\r\n${AUTH}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{"na\r\n`], {
        waitMs: 200,
        keep: true,
      });
      if (r.socket) held.push(r.socket);
    }
  try {
    await alive();
    const started = Date.now();
    const ok = await api("/api/v1/apps", { method: "POST", body: { name: "beside the hung uploads" } });
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    assert.ok(Date.now() - started < 2000, "registering an application is not held up by the hung uploads");
    assert.equal((await api("/api/v1/storage")).status, 200);
  } finally {
    for (const s of held) s.destroy();
  }
  await alive();
});

it("a lease that runs out mid-job ends the job and frees the application's blocks; the worker's slot is free again", async () => {
  const app = (await api("/api/v1/apps", { method: "POST", body: { name: "short lease", leaseMs: 1000 } })).body.id as string;
  const renewing = setInterval(() => void api(`/api/v1/apps/${app}/renew`, { method: "POST" }), 200);
  const cached = {
    application: app,
    nodes: [
      { id: "n", op: "range", start: 0, end: 1000, numSlices: 2 },
      { id: "m", op: "map", input: "n", fn: "x => x * 2", persist: "DISK_ONLY" },
    ],
    action: { op: "count", input: "m" },
  };
  try {
    const { value } = await c.client.run(cached);
    assert.equal(value, 1000);
  } finally {
    clearInterval(renewing);
  }
  const blockDirs = () => {
    const found: string[] = [];
    const walk = (d: string, depth: number) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        if (!e.isDirectory()) continue;
        if (e.name === `app_${app}`) found.push(join(d, e.name));
        else if (depth < 4) walk(join(d, e.name), depth + 1);
      }
    };
    walk(c.dataDir, 0);
    return found.filter((d) => fs.readdirSync(d).length > 0);
  };
  assert.ok(blockDirs().length > 0, "the DISK_ONLY blocks are files");
  assert.equal(((await api("/api/v1/storage")).body.datasets as any[]).filter((d) => d.application === app).length, 1);
  // A long job (about 20 s of work in one task), and no more renewals.
  const slow = await c.client.submit({
    application: app,
    nodes: [
      { id: "n", op: "range", start: 0, end: 4000, numSlices: 1 },
      { id: "m", op: "map", input: "n", fn: "x => { const e = Date.now() + 5; while (Date.now() < e); return x; }" },
    ],
    action: { op: "count", input: "m" },
  });
  const job = await c.client.wait(slow, undefined, 100);
  assert.ok(job.status === "CANCELLED" || job.status === "FAILED", job.status);
  assert.match(job.error ?? "", /lease ran out/);
  assert.ok(Date.parse(job.finishedAt!) - Date.parse(job.submittedAt) < 8000, "ended soon after the lease ran out");
  assert.equal((await api(`/api/v1/apps/${app}`)).body.status, "EXPIRED");
  assert.deepEqual(
    ((await api("/api/v1/storage")).body.datasets as any[]).filter((d) => d.application === app),
    [],
  );
  for (let i = 0; blockDirs().length > 0; i++) {
    assert.ok(i < 50, `the worker removes the expired application's block files within 5 s: ${blockDirs()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  // The worker's one slot is free: the cancelled task does not hold it for its 20 s.
  const started = Date.now();
  const { value } = await c.client.run({ nodes: [{ id: "n", op: "range", start: 0, end: 10, numSlices: 1 }], action: { op: "count", input: "n" } });
  assert.equal(value, 10);
  assert.ok(Date.now() - started < 8000, `a new job ran within 8 s (${Date.now() - started} ms)`);
  await alive();
});

it("10,000 applications registered quickly: the cap answers 503 cleanly and the master stays responsive", async () => {
  const active = (await api("/api/v1/apps?limit=10000")).body.apps.filter((a: { status: string }) => a.status === "ACTIVE").length;
  let registered = 0;
  let busy = 0;
  let next = 0;
  const total = 10_000 - active + 50;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < total) {
        next++;
        const r = await api("/api/v1/apps", { method: "POST", body: { name: `flood-${next}`, leaseMs: 3_600_000 } });
        if (r.status === 201) registered++;
        else {
          assert.equal(r.status, 503, JSON.stringify(r.body));
          assert.match(r.body.error.message, /10000 active applications, its limit/);
          busy++;
        }
      }
    }),
  );
  const floodMs = Date.now() - started;
  assert.equal(registered + active, 10_000, "exactly the cap");
  assert.equal(busy, 50);
  const t0 = Date.now();
  await alive();
  assert.equal((await api("/api/v1/apps?limit=10")).body.apps.length, 10);
  const { value } = await c.client.run({ nodes: [{ id: "n", op: "range", start: 0, end: 100, numSlices: 2 }], action: { op: "sum", input: "n" } });
  assert.equal(value, 4950);
  assert.ok(Date.now() - t0 < 5000, `the master answers and runs a job within 5 s with 10,000 applications (${Date.now() - t0} ms; the flood took ${floodMs} ms)`);
});
