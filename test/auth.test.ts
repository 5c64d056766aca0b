// Every endpoint of the master and of a worker (issue 8): without the token and
// with a wrong one it answers 401 before saying anything else; with the right
// one it does not; /healthz answers anyone and says nothing. Shuffle fetches
// cannot name a file outside the shuffle directory, however the path is spelled.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { requestRaw } from "../src/common/http-client.js";
import { startTestCluster, type TestCluster } from "./helpers/cluster.js";

const MASTER: [string, string, string?][] = [
  ["GET", "/api/v1/jobs"],
  ["POST", "/api/v1/jobs", "{}"],
  ["GET", "/api/v1/jobs/job-x"],
  ["GET", "/api/v1/jobs/job-x/results"],
  ["GET", "/api/v1/jobs/job-x/stages/0/tasks"],
  ["POST", "/api/v1/jobs/job-x/cancel"],
  ["GET", "/api/v1/workers"],
  ["GET", "/api/v1/version"],
  ["POST", "/heartbeat", "{}"],
  ["POST", "/task-reports", "{}"],
  ["POST", "/deregister", "{}"],
  ["GET", "/metrics"],
  ["POST", "/api/v1/apps/app-000000000-000000/broadcasts", '{"bytes": 1}'],
  ["DELETE", "/api/v1/apps/app-000000000-000000/broadcasts/bc-000000000-00000000"],
];

const WORKER: [string, string, string?][] = [
  ["POST", "/tasks", "{}"],
  ["POST", "/tasks/a-1/kill"],
  ["POST", "/splits", "{}"],
  ["POST", "/outputs/prepare", "{}"],
  ["POST", "/outputs/publish", "{}"],
  ["POST", "/outputs/finalize", "{}"],
  ["POST", "/outputs/abort", "{}"],
  ["GET", "/data/shuffle/job-x/0/0?maps=0"],
  ["DELETE", "/data/shuffle/job-x"],
  ["GET", "/metrics"],
  ["PUT", "/broadcasts/app-000000000-000000/bc-000000000-00000000", "1"],
  ["GET", "/broadcasts/app-000000000-000000/bc-000000000-00000000"],
  ["GET", "/broadcasts"],
];

/** One request exactly as written, bypassing URL normalisation, as an attacker would send it. */
function rawGet(address: string, path: string, token: string): Promise<number> {
  const [host, port] = address.split(":");
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), host, () => socket.write(`GET ${path} HTTP/1.1\r\nHost: ${address}\r\nAuthorization: Bearer ${token}\r\nConnection: close\r\n\r\n`));
    let reply = "";
    socket.on("data", (d) => (reply += d.toString()));
    socket.on("end", () => resolve(Number(/^HTTP\/1\.1 (\d+)/.exec(reply)?.[1])));
    socket.on("error", reject);
  });
}

describe("authentication on every endpoint", () => {
  let t: TestCluster;
  let worker: string;

  before(async () => {
    t = await startTestCluster({ workers: 1, slots: 1 });
    worker = ((await t.http("/api/v1/workers")).body.workers as { address: string }[])[0]!.address;
  });

  after(async () => {
    await t?.stop();
  });

  const targets = () => [...MASTER.map(([m, p, b]) => [m, t.cluster.masterUrl + p, b] as const), ...WORKER.map(([m, p, b]) => [m, `http://${worker}${p}`, b] as const)];

  it(`refuses all ${MASTER.length + WORKER.length} endpoints without the token and with a wrong one`, async () => {
    for (const [method, url, body] of targets()) {
      for (const token of [null, "wrong", `${t.cluster.token}x`]) {
        const res = await requestRaw(url, { method, body, token });
        assert.equal(res.status, 401, `${method} ${url} with token ${token}`);
        assert.match(res.body.toString(), /UNAUTHORIZED/);
      }
    }
  });

  it("lets the right token through on every endpoint", async () => {
    for (const [method, url, body] of targets()) {
      const res = await requestRaw(url, { method, body, token: t.cluster.token });
      assert.notEqual(res.status, 401, `${method} ${url}`);
      assert.ok(res.status < 500, `${method} ${url} answered ${res.status}: ${res.body}`);
    }
  });

  it("answers /healthz without a token on master and worker, revealing nothing", async () => {
    for (const base of [t.cluster.masterUrl, `http://${worker}`]) {
      const res = await requestRaw(`${base}/healthz`, { token: null });
      assert.equal(res.status, 200);
      assert.deepEqual(JSON.parse(res.body.toString()), { ok: true });
    }
  });

  it("never serves a file outside the shuffle directory, however the path is spelled", async () => {
    const attempts = [
      "/data/shuffle/..%2F..%2F..%2Fetc/0/0?maps=0",
      "/data/shuffle/%2e%2e/0/0?maps=0",
      "/data/shuffle/../../../etc/passwd",
      "/data/shuffle/job-x/..%2F0/0?maps=0",
      "/data/shuffle/job-x/0/0?maps=..%2F..%2Fpasswd",
      "/data/shuffle/..%252F..%252Fetc/0/0?maps=0",
      "/data/shuffle/%2E%2E/0/0?maps=0",
    ];
    for (const path of attempts) {
      const status = await rawGet(worker, path, t.cluster.token);
      assert.ok(status === 400 || status === 404, `${path} answered ${status}`);
    }
  });
});
