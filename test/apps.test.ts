// Applications on a real local cluster (master and worker processes): register,
// submit jobs naming one, list; hostile bodies and ids answered with clear
// 400/404/410s and the master unharmed; a lease that runs out mid-job cancels
// the job and heartbeats name the app; a master restart keeps the apps; the
// library's connect()/close() holds and ends one; `minispark apps`; the metric.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { AppInfo, JobInfo } from "../src/common/api-types.js";
import { requestRaw } from "../src/common/http-client.js";
import { PROTOCOL_VERSION } from "../src/common/version.js";
import { connect } from "../src/index.js";
import { startTestCluster, type TestCluster } from "./helpers/cluster.js";

const BIN = join(fileURLToPath(new URL("../../", import.meta.url)), "bin", "minispark.js");
const COUNT = { nodes: [{ id: "r", op: "range", start: 0, end: 10, numSlices: 2 }], action: { op: "count", input: "r" } };
/** Two tasks of about 6 s each: long enough for a 1 s lease to run out while they run. */
const SLOW = {
  nodes: [
    { id: "r", op: "range", start: 0, end: 60, numSlices: 2 },
    { id: "s", op: "map", input: "r", fn: "x => { const end = Date.now() + 200; while (Date.now() < end); return x; }" },
  ],
  action: { op: "count", input: "s" },
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v).slice(0, 400)}`);
    await sleep(100);
  }
}

describe("applications on a cluster", () => {
  let t: TestCluster;
  before(async () => {
    t = await startTestCluster({ workers: 2, slots: 1 });
  });
  after(async () => {
    await t.stop();
  });

  const register = async (body: unknown) => {
    const r = await t.http("/api/v1/apps", { method: "POST", body });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body as AppInfo;
  };

  it("registers an application, runs jobs that name it, and lists it with them", async () => {
    const app = await register({ name: "etl" });
    assert.match(app.id, /^app-[0-9a-z]{9}-[0-9a-f]{6}$/);
    assert.deepEqual([app.name, app.status, app.leaseMs, app.jobs, app.endedAt], ["etl", "ACTIVE", 30_000, 0, null]);
    assert.equal(await t.run({ ...COUNT, application: app.id }), 10);
    const jobs = (await t.http("/api/v1/jobs")).body.jobs as JobInfo[];
    assert.equal(jobs[0]!.application, app.id);
    assert.equal((await t.http(`/api/v1/jobs/${jobs[0]!.id}`)).body.application, app.id);
    const listed = (await t.http("/api/v1/apps")).body.apps as AppInfo[];
    assert.deepEqual(
      listed.filter((a) => a.id === app.id).map((a) => [a.status, a.jobs]),
      [["ACTIVE", 1]],
    );
    const renewed = (await t.http(`/api/v1/apps/${app.id}/renew`, { method: "POST" })).body as AppInfo;
    assert.ok(renewed.renewedAt >= app.renewedAt);
    const ended = await t.http(`/api/v1/apps/${app.id}`, { method: "DELETE" });
    assert.deepEqual([ended.status, ended.body.status, ended.body.endReason], [200, "ENDED", `application ${app.id} ended`]);
    assert.deepEqual((await t.http(`/api/v1/apps/${app.id}`, { method: "DELETE" })).body, ended.body, "DELETE is idempotent");
    const gone = await t.http(`/api/v1/apps/${app.id}/renew`, { method: "POST" });
    assert.deepEqual([gone.status, gone.body.error.code], [410, "GONE"]);
    assert.match(gone.body.error.message, new RegExp(`application ${app.id} ended`));
    const refused = await t.http("/api/v1/jobs", { body: { ...COUNT, application: app.id } });
    assert.equal(refused.status, 400);
    assert.match(refused.body.error.message, new RegExp(`application ${app.id} is ENDED`));
  });

  it("answers hostile requests with clear 400s and 404s, and keeps serving", async () => {
    const bad = async (body: unknown, field: RegExp) => {
      const r = await t.http("/api/v1/apps", { method: "POST", body });
      assert.equal(r.status, 400, `${JSON.stringify(body)?.slice(0, 60)} → ${r.status}`);
      assert.match(r.body.error.message, field);
    };
    for (const leaseMs of [1e9, -1, "x", 0.5, null, 1e308]) await bad({ name: "a", leaseMs }, /"leaseMs" must be a whole number/);
    await bad('{"name": "a", "leaseMs": 1e400}', /"leaseMs"/);
    await bad({ name: "x".repeat(1_000_000) }, /"name" must be a string of 1 to 200 characters/);
    for (const name of [7, "", null, { a: 1 }, "\u001b[2J"]) await bad({ name }, /"name" must/);
    await bad({}, /"name"/);
    for (const body of ["[]", "null", '"app"', "12"]) await bad(body, /a JSON object/);
    await bad({ name: "a", __proto__x: 1 }, /unknown member "__proto__x"/);
    const broken = await t.http("/api/v1/apps", { method: "POST", body: '{"name": "a",' });
    assert.equal(broken.status, 400);
    const plain = await requestRaw(`${t.cluster.masterUrl}/api/v1/apps`, { method: "POST", token: t.cluster.token });
    assert.ok(plain.status === 400 || plain.status === 415, `no body → ${plain.status}`);
    for (const id of ["app-000000000-000000", "nope", "..%2F..%2Fetc", "x".repeat(5000)]) {
      for (const [method, path] of [
        ["GET", `/api/v1/apps/${id}`],
        ["POST", `/api/v1/apps/${id}/renew`],
        ["DELETE", `/api/v1/apps/${id}`],
      ] as const) {
        const r = await t.http(path, { method });
        assert.equal(r.status, 404, `${method} ${path.slice(0, 60)} → ${r.status}`);
        assert.match(r.body.error.message, /no application with id/);
      }
    }
    for (const limit of ["0", "1e9", "x", "-1"]) assert.equal((await t.http(`/api/v1/apps?limit=${limit}`)).status, 400);
    assert.equal((await t.http("/api/v1/apps", { token: null })).status, 401);
    const unknown = await t.http("/api/v1/jobs", { body: { ...COUNT, application: "app-000000000-000000" } });
    assert.deepEqual([unknown.status, unknown.body.error.code], [400, "INVALID_JOB_SPEC"]);
    assert.match(unknown.body.error.message, /no application with id app-000000000-000000/);
    const shape = await t.http("/api/v1/jobs", { body: { ...COUNT, application: 12 } });
    assert.match(shape.body.error.message, /"application" must be an application id/);
    assert.equal((await t.http("/healthz")).status, 200);
    assert.equal(await t.run(COUNT), 10);
  });

  it("a lease that runs out mid-job cancels the running job, and heartbeats name the app", async () => {
    const app = await register({ name: "short", leaseMs: 1000 });
    const id = await t.cluster.client.submit({ ...SLOW, application: app.id });
    // Held until its tasks run, however slow the machine, then left to run out.
    await until(
      "the job to run",
      async () => {
        await t.http(`/api/v1/apps/${app.id}/renew`, { method: "POST" });
        return t.cluster.client.job(id);
      },
      (j) => j.status === "RUNNING" && j.stages.some((s) => s.tasks.running > 0),
    );
    const job = await until(
      "the job to end",
      () => t.cluster.client.job(id),
      (j) => j.status !== "RUNNING" && j.status !== "PENDING",
    );
    assert.equal(job.status, "CANCELLED");
    assert.match(job.error!, new RegExp(`application ${app.id}'s lease ran out \\(no renewal for \\d+ ms\\)`));
    assert.ok(job.metrics.durationMs! < 5000, `cancelled after ${job.metrics.durationMs} ms, not run to its end`);
    assert.equal((await t.http(`/api/v1/apps/${app.id}`)).body.status, "EXPIRED");
    // The workers stop its tasks.
    await until(
      "the workers to be idle",
      () => t.cluster.client.workers(),
      (ws) => ws.every((w) => w.active_tasks === 0),
    );
    // What every worker hears with its heartbeat: a worker (draining, so that nothing is placed on it) registering now.
    const hb = await t.http("/heartbeat", {
      body: {
        protocol: PROTOCOL_VERSION,
        worker_id: "worker-apps-test",
        address: "127.0.0.1:9",
        slots: 1,
        status: "IDLE",
        active_tasks: 0,
        mem_usage_mb: 0,
        last_heartbeat: Date.now(),
        draining: true,
      },
    });
    assert.equal(hb.status, 200, JSON.stringify(hb.body));
    assert.ok(hb.body.ended_apps.includes(app.id), JSON.stringify(hb.body.ended_apps));
    assert.ok(hb.body.ended_apps.length <= 1000);
  });

  it("DELETE cancels the application's queued and running jobs", async () => {
    const app = await register({ name: "two" });
    const running = await t.cluster.client.submit({ ...SLOW, application: app.id });
    await until(
      "the job to run",
      () => t.cluster.client.job(running),
      (j) => j.stages.some((s) => s.tasks.running > 0),
    );
    const queued = await t.cluster.client.submit({ ...SLOW, application: app.id });
    const other = await t.cluster.client.submit(COUNT);
    await t.http(`/api/v1/apps/${app.id}`, { method: "DELETE" });
    for (const id of [running, queued]) {
      const j = await until(
        "the job to end",
        () => t.cluster.client.job(id),
        (x) => x.status === "CANCELLED" || x.status === "COMPLETED" || x.status === "FAILED",
      );
      assert.deepEqual([j.status, j.error], ["CANCELLED", `application ${app.id} ended`]);
    }
    assert.equal((await t.cluster.client.wait(other)).status, "COMPLETED", "a job of no application runs on");
  });

  it("the library's connect() holds an application for its jobs, and close() ends it", async () => {
    const sc = await connect(t.cluster.masterUrl, { token: t.cluster.token, appName: "lib", leaseMs: 1500 });
    const id = sc.applicationId!;
    assert.match(id, /^app-/);
    assert.equal(await sc.range(0, 5).count(), 5);
    // Renewed every third of its lease: alive well past one lease.
    await sleep(3500);
    assert.equal(await sc.range(0, 3).count(), 3);
    const app = (await t.http(`/api/v1/apps/${id}`)).body as AppInfo;
    assert.deepEqual([app.name, app.status, app.jobs], ["lib", "ACTIVE", 2]);
    assert.equal(((await t.http("/api/v1/jobs?limit=1")).body.jobs as JobInfo[])[0]!.application, id);
    await sc.close();
    assert.equal((await t.http(`/api/v1/apps/${id}`)).body.status, "ENDED");

    const ended = await connect(t.cluster.masterUrl, { token: t.cluster.token, appName: "ended elsewhere", leaseMs: 1000 });
    await t.http(`/api/v1/apps/${ended.applicationId}`, { method: "DELETE" });
    await sleep(800);
    await assert.rejects(ended.range(0, 3).count(), new RegExp(`cannot run count: application ${ended.applicationId} ended; register a new application; connect\\(\\) again`));
    await ended.close();
  });

  it("minispark apps lists them, --json too, and apps end ends one", async () => {
    const app = await register({ name: "cli-app" });
    const cli = (...args: string[]) => promisify(execFile)(process.execPath, [BIN, ...args, "--master", t.cluster.masterUrl, "--token", t.cluster.token], { timeout: 30_000 });
    const table = (await cli("apps")).stdout.split("\n");
    assert.match(table[0]!, /^ID\s+NAME\s+STATUS\s+JOBS\s+AGE$/);
    assert.ok(
      table.some((l) => new RegExp(`^${app.id}\\s+cli-app\\s+ACTIVE\\s+0\\s+\\d`).test(l)),
      table.join("\n"),
    );
    const json = JSON.parse((await cli("apps", "--json")).stdout) as AppInfo[];
    assert.equal(json[0]!.id, app.id);
    const job = await t.cluster.client.submit({ ...COUNT, application: app.id });
    await t.cluster.client.wait(job);
    const jobs = (await cli("jobs")).stdout.split("\n");
    assert.match(jobs[0]!, /\sAPPLICATION$/);
    assert.ok(
      jobs.some((l) => l.startsWith(job) && l.endsWith(` ${app.id}`)),
      jobs.join("\n"),
    );
    assert.equal((await cli("apps", "end", app.id)).stdout.trim(), `${app.id} ENDED: application ${app.id} ended`);
    await assert.rejects(cli("apps", "end", "nope"), (e: { code: number; stderr: string }) => e.code === 2 && /"nope" is not an application id/.test(e.stderr));
  });

  it("counts applications by status in /metrics", async () => {
    const text = (await requestRaw(`${t.cluster.masterUrl}/metrics`, { token: t.cluster.token })).body.toString("utf8");
    assert.match(text, /^minispark_applications\{status="active"\} \d+$/m);
    assert.match(text, /^minispark_applications\{status="ended"\} [1-9]\d*$/m);
    assert.match(text, /^minispark_applications\{status="expired"\} [1-9]\d*$/m);
  });

  it("a restarted master lists the applications, ACTIVE ones still renewable", async () => {
    const live = await register({ name: "survivor", leaseMs: 60_000 });
    await t.cluster.killMaster();
    await t.cluster.restartMaster();
    const after = (await t.http(`/api/v1/apps/${live.id}`)).body as AppInfo;
    assert.deepEqual([after.name, after.status, after.leaseMs], ["survivor", "ACTIVE", 60_000]);
    assert.ok(after.renewedAt >= live.renewedAt);
    assert.equal((await t.http(`/api/v1/apps/${live.id}/renew`, { method: "POST" })).status, 200);
    const listed = (await t.http("/api/v1/apps")).body.apps as AppInfo[];
    assert.ok(listed.some((a) => a.name === "etl" && a.status === "ENDED" && a.jobs === 1));
    assert.ok(listed.some((a) => a.name === "short" && a.status === "EXPIRED"));
  });
});
