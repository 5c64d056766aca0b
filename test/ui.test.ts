// Browser test of the master's web UI: a real local cluster, Debian's chromium
// driven by playwright-core. Checks the workers table, a job followed live from the
// jobs list to its stage graph and completion, a failed job's reason and attempt
// history, that without the token the page asks for one and the API says 401, and
// that the script's compiled modules are served, and only they.
import assert from "node:assert/strict";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { chromium, type Browser, type Page } from "playwright-core";
import { startTestCluster, type TestCluster } from "./helpers/cluster.js";
import { PREREQUISITES, findProgram, prerequisiteSkip } from "./helpers/prereq.js";

const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run"];
const SCREENSHOT = "/tmp/minispark-ui.png";

// The callbacks passed to the page run in the browser; this project compiles without the DOM library.
declare const document: any;
declare const window: any;

// Screenshots of the cluster and a job: into docs/ (shown in the README) when
// MINISPARK_UPDATE_SCREENSHOTS=1, else into the temp directory.
const SHOTS = process.env.MINISPARK_UPDATE_SCREENSHOTS === "1" ? fileURLToPath(new URL("../../docs/", import.meta.url)) : os.tmpdir();
const DOCS_JOB = join(SHOTS, "ui-job.png");
const DOCS_CLUSTER = join(SHOTS, "ui-cluster.png");

describe("web UI", { timeout: 120_000, skip: prerequisiteSkip(PREREQUISITES.chromium) }, () => {
  let t: TestCluster;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  before(async () => {
    t = await startTestCluster({ workers: 2, slots: 1, workerTimeoutMs: 2000, workerArgs: ["--heartbeat", "400ms"] });
    browser = await chromium.launch({ executablePath: findProgram("chromium")!, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
    page.on("pageerror", (e) => pageErrors.push(e.message));
  });

  after(async () => {
    await browser?.close();
    await t?.stop();
    assert.deepEqual(pageErrors, [], "no script errors");
  });

  it("takes the token from the fragment and lists both workers ALIVE with their load", async () => {
    await page.goto(`${t.cluster.masterUrl}/#token=${t.cluster.token}`);
    await page.waitForFunction(() => document.querySelectorAll("tr[data-worker] svg.spark polyline").length === 2);
    assert.equal(new URL(page.url()).hash, "#/cluster", "the token is removed from the address bar");
    assert.equal(await page.textContent(".brand"), "minispark");
    const version = (await t.http("/api/v1/version")).body as { version: string; protocol: number };
    assert.equal(await page.textContent(".version"), `v${version.version}`, "the header names the master's version");
    assert.match((await page.getAttribute(".version", "title")) ?? "", new RegExp(`wire protocol ${version.protocol}$`));
    const rows = await page.$$eval("tr[data-worker]", (trs) => trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent ?? "")));
    const workers = (await t.http("/api/v1/workers")).body.workers as { id: string }[];
    assert.deepEqual(rows.map((r) => r[0]).sort(), workers.map((w) => w.id).sort());
    for (const r of rows) {
      assert.equal(r[2], "ALIVE");
      assert.match(r[5]!, /^\d+%$/, "CPU");
      assert.match(r[6]!, /^[\d,]+ MB$/, "memory");
      assert.match(r[8]!, /^0 \/ [\d,]+ MB$/, "buffers / budget (idle)");
      assert.equal(r[9], "0", "spills");
      assert.match(r[12]!, /ago$/, "heartbeat age");
    }
  });

  it("follows a running job live from the jobs list to its stage graph and completion", async () => {
    const id = await t.cluster.client.submit({
      name: "ui-slow",
      nodes: [
        { id: "n", op: "range", start: 0, end: 40, numSlices: 40 },
        { id: "slow", op: "map", input: "n", fn: "x => { const end = Date.now() + 100; while (Date.now() < end); return [x % 4, 1]; }" },
        { id: "counts", op: "reduceByKey", input: "slow", fn: "(a, b) => a + b", numPartitions: 2 },
      ],
      action: { op: "collect", input: "counts" },
    });
    await page.click('.tab[data-tab="jobs"]');
    await page.evaluate(() => (window.noReload = true));
    const bar = (jobId: string) => {
      const el = document.querySelector(`tr[data-job="${jobId}"] .bar > span`);
      const status = document.querySelector(`tr[data-job="${jobId}"] .badge`)?.textContent;
      return status === "RUNNING" && el ? parseFloat(el.style.width) : null;
    };
    const first = (await (await page.waitForFunction(bar, id)).jsonValue()) as number;
    assert.ok(first < 100);
    await page.waitForFunction(
      ([jobId, was]) => {
        const el = document.querySelector(`tr[data-job="${jobId}"] .bar > span`);
        return el !== null && parseFloat(el.style.width) > was;
      },
      [id, first] as const,
    );

    await page.click(`tr[data-job="${id}"] a`);
    await page.waitForFunction(() => document.querySelectorAll("svg g.stage-node").length === 2);
    const stages = (await t.http(`/api/v1/jobs/${id}`)).body.stages as { id: number; parents: number[] }[];
    for (const s of stages) {
      assert.ok(await page.$(`g.stage-node[data-stage="${s.id}"]`), `a box for stage ${s.id}`);
      for (const p of s.parents) assert.ok(await page.$(`path.edge[data-from="${p}"][data-to="${s.id}"]`), `an edge ${p} -> ${s.id}`);
    }
    assert.equal(stages.filter((s) => s.parents.length > 0).length, 1);
    assert.ok(await page.$("#cancel"), "a running job can be cancelled");

    await page.waitForFunction(() => document.querySelector("h1 .badge")?.textContent === "COMPLETED", undefined, { timeout: 30_000 });
    assert.equal(await page.evaluate(() => window.noReload), true, "updated without a reload");
    assert.equal(await page.$$eval("g.stage-node.status-COMPLETED", (gs) => gs.length), 2);
    const stageRows = await page.$$eval("tr[data-stage]", (trs) => trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent ?? "")));
    assert.deepEqual(
      stageRows.map((r) => r[5]),
      ["40/40", "2/2"],
    );
    assert.match(stageRows[0]![7]!, /\d+(\.\d)? s$/, "stage duration");
    const done = (await t.http(`/api/v1/jobs/${id}`)).body.stages as { metrics: { recordsIn: number; recordsOut: number } }[];
    assert.deepEqual(
      stageRows.map((r) => r[8]),
      done.map((s) => `${s.metrics.recordsIn} / ${s.metrics.recordsOut}`),
      "records in / out",
    );
    assert.match(stageRows[1]![8]!, / \/ 4$/, "the reduce stage's records out");
    assert.match(stageRows[0]![9]!, /^\d+ B \/ /, "shuffle bytes written");
    const metrics = await page.$$eval(".facts > div", (ds) => Object.fromEntries(ds.map((d) => [d.querySelector(".k")?.textContent, d.querySelector(".v")?.textContent])));
    assert.equal(metrics["Tasks done"], "42");
    assert.match(metrics["Shuffle written"]!, /B$/);
    assert.equal(await page.$("#cancel"), null, "no cancel button once it is done");
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  });

  it("shows a failed job's reason and the failed task's attempts", async () => {
    const id = await t.cluster.client.submit({
      name: "ui-boom",
      nodes: [
        { id: "n", op: "parallelize", data: [1, 2, 3, 4], numSlices: 2 },
        { id: "boom", op: "map", input: "n", fn: "x => { if (x === 3) throw new Error('bad record ' + x); return x; }" },
      ],
      action: { op: "collect", input: "boom" },
    });
    await page.goto(`${t.cluster.masterUrl}/#/jobs/${id}`);
    await page.waitForFunction(() => document.querySelector("h1 .badge")?.textContent === "FAILED", undefined, { timeout: 30_000 });
    assert.match((await page.textContent("#job-error")) ?? "", /bad record 3/);
    const attempts = await page.$$eval("#failed-tasks [data-task] tbody tr", (trs) => trs.map((tr) => tr.querySelectorAll("td")[2]?.textContent));
    assert.ok(attempts.length >= 2, `the attempt history (${attempts.length})`);
    assert.ok(attempts.every((s) => s === "FAILED"));
    assert.match((await page.textContent("#failed-tasks")) ?? "", /bad record 3/);
    assert.equal(await page.$$eval("g.stage-node.status-FAILED", (gs) => gs.length), 1, "a one-stage graph");
    await page.click('tr[data-stage="0"] a');
    await page.waitForSelector("#stage-tasks");
    const rows = await page.$$eval("tr[data-attempt]", (trs) => trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent ?? "")));
    assert.ok(
      rows.some((r) => r[3] === "FAILED" && /bad record 3/.test(r[5]!) && /^worker-/.test(r[2]!)),
      "the stage's tasks with worker, attempt, state and error",
    );
    // The other partition is listed too: FINISHED, or KILLED when the job failed before its attempt ran (a loaded machine).
    assert.ok(
      rows.some((r) => r[3] === "FINISHED" || r[3] === "KILLED"),
      "the other partition is listed too",
    );
    assert.match((await page.textContent("#live")) ?? "", /^live · updated/);
  });

  it("shows a killed worker turn DEAD, and keeps screenshots of the cluster and a job for the docs", async () => {
    const jobs = (await t.http("/api/v1/jobs")).body.jobs as { id: string; status: string }[];
    const done = jobs.find((j) => j.status === "COMPLETED")!;
    await page.goto(`${t.cluster.masterUrl}/#/jobs/${done.id}`);
    await page.waitForSelector("svg .stage, svg g");
    await page.screenshot({ path: DOCS_JOB, fullPage: true });
    await page.goto(`${t.cluster.masterUrl}/#/cluster`);
    await page.waitForFunction(() => document.querySelectorAll("tr[data-worker]").length === 2);
    const victim = t.cluster.workerProcesses[0]!;
    victim.kill("SIGKILL");
    await page.waitForFunction(() => [...document.querySelectorAll("tr[data-worker]")].some((tr) => tr.querySelectorAll("td")[2]?.textContent === "DEAD"), undefined, { timeout: 15_000 });
    const statuses = await page.$$eval("tr[data-worker]", (trs) => trs.map((tr) => tr.querySelectorAll("td")[2]?.textContent).sort());
    assert.deepEqual(statuses, ["ALIVE", "DEAD"]);
    await page.screenshot({ path: DOCS_CLUSTER, fullPage: true });
  });

  it("shows a job's accumulators on its page, as text", async () => {
    const id = await t.cluster.client.submit({
      name: "ui-accumulators",
      nodes: [
        { id: "n", op: "parallelize", data: ["1", "x", "3", "<b>y</b>"], numSlices: 2 },
        {
          id: "parse",
          op: "map",
          input: "n",
          fn: "(s, env) => { if (Number.isNaN(Number(s))) { env.bad.add(1); env.seen.add(s); } return s; }",
          env: { bad: { $accumulator: { id: "bad", merge: "sum", name: "bad records" } }, seen: { $accumulator: { id: "seen", merge: "set" } } },
        },
      ],
      action: { op: "count", input: "parse" },
    });
    await page.goto(`${t.cluster.masterUrl}/#/jobs/${id}`);
    await page.waitForFunction(() => document.querySelector("h1 .badge")?.textContent === "COMPLETED", undefined, { timeout: 30_000 });
    await page.waitForSelector("#accumulators");
    const rows = await page.$$eval("#accumulators tr[data-accumulator]", (trs) => trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent ?? "")));
    assert.deepEqual(rows, [
      ["bad", "bad records", "sum", "2", "2"],
      ["seen", "–", "set", '["<b>y</b>","x"]', "2"],
    ]);
    assert.equal(await page.$$eval("#accumulators b", (bs) => bs.length), 0, "values are text, never markup");
  });

  it("asks for the token without one, and the API refuses calls without it", async () => {
    const context = await browser.newContext();
    const anon = await context.newPage();
    await anon.goto(`${t.cluster.masterUrl}/`);
    await anon.waitForSelector("#login");
    assert.match((await anon.textContent("#login-message")) ?? "", /access token/);
    assert.equal(await anon.evaluate(() => fetch("/api/v1/workers").then((r) => r.status)), 401);
    await anon.fill("#token", "wrong");
    await anon.click('#login button[type="submit"]');
    await anon.waitForFunction(() => /not accepted/.test(document.querySelector("#login-message")?.textContent ?? ""));
    await anon.fill("#token", t.cluster.token);
    await anon.click('#login button[type="submit"]');
    await anon.waitForFunction(() => document.querySelectorAll("tr[data-worker]").length === 2);
    await context.close();
  });

  it("serves the script's compiled modules without the token, as JavaScript, and nothing else under /ui/app/", async () => {
    const main = await fetch(`${t.cluster.masterUrl}/ui/app/main.js`);
    assert.equal(main.status, 200);
    assert.equal(main.headers.get("content-type"), "text/javascript; charset=utf-8");
    assert.match(await main.text(), /^import .* from "\.\/routing\.js";$/m, "main.js imports its sibling modules");
    for (const path of ["/ui/app/nope.js", "/ui/app/..%2Fui-routes.js", "/ui/app/tsconfig.json"]) {
      assert.equal((await fetch(`${t.cluster.masterUrl}${path}`)).status, 404, path);
    }
  });
});
