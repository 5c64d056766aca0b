// Browser test of the web UI's Storage pages (src/master/ui/app/storage-view.ts) on a real local cluster,
// Debian's chromium driven by playwright-core as test/ui.test.ts does: an application's persisted datasets
// are listed with the level and partitions their job named and the sizes GET /api/v1/storage reports, one
// dataset's page splits it by worker, an unpersisted dataset, a lost worker's blocks and an ended
// application's datasets leave the pages, and an application's hostile name stays text.
import assert from "node:assert/strict";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { chromium, type Browser, type Page } from "playwright-core";
import type { CachedDatasetInfo, StorageList } from "../src/common/api-types.js";
import { startTestCluster, type TestCluster } from "./helpers/cluster.js";
import { PREREQUISITES, findProgram, prerequisiteSkip } from "./helpers/prereq.js";

const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run"];
// Into docs/ (shown in the README) when MINISPARK_UPDATE_SCREENSHOTS=1, else into the temp directory.
const SHOTS = process.env.MINISPARK_UPDATE_SCREENSHOTS === "1" ? fileURLToPath(new URL("../../docs/", import.meta.url)) : os.tmpdir();
const APP_NAME = "k-means session";
/** Another application's name, which must stay text. */
const HOSTILE_NAME = "<b>bold</b><img src=x>";

// The callbacks passed to the page run in the browser; this project compiles without the DOM library.
declare const document: any;

const cells = (page: Page, selector: string): Promise<string[][]> => page.$$eval(selector, (trs) => trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent ?? "")));

describe("web UI: Storage", { timeout: 120_000, skip: prerequisiteSkip(PREREQUISITES.chromium) }, () => {
  let t: TestCluster;
  let browser: Browser;
  let page: Page;
  let app = "";
  let pointsJob = "";
  const pageErrors: string[] = [];

  before(async () => {
    t = await startTestCluster({ workers: 2, slots: 1, workerTimeoutMs: 2000, workerArgs: ["--heartbeat", "400ms"] });
    const res = await t.http("/api/v1/apps", { method: "POST", body: { name: APP_NAME, leaseMs: 3_600_000 } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    app = res.body.id;
    // Persisted below the node the action reads: the stage's lineage names it, not the action.
    pointsJob = (
      await t.cluster.client.run({
        application: app,
        nodes: [
          { id: "points", op: "range", start: 0, end: 4000, numSlices: 4, persist: "MEMORY_ONLY_SER" },
          { id: "squares", op: "map", input: "points", fn: "x => x * x" },
        ],
        action: { op: "count", input: "squares" },
      })
    ).job.id;
    await t.run({ application: app, nodes: [{ id: "onDisk", op: "parallelize", data: ["a", "b", "c", "d", "e", "f"], numSlices: 3, persist: "DISK_ONLY" }], action: { op: "count", input: "onDisk" } });
    browser = await chromium.launch({ executablePath: findProgram("chromium")!, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1360, height: 800 } });
    page.on("pageerror", (e) => pageErrors.push(e.message));
  });

  after(async () => {
    await browser?.close();
    await t?.stop();
    assert.deepEqual(pageErrors, [], "no script errors");
  });

  const storage = async (): Promise<CachedDatasetInfo[]> => ((await t.http("/api/v1/storage")).body as StorageList).datasets;

  it("lists both datasets with their job's node and level, partitions cached of total and the API's sizes", async () => {
    const api = await storage();
    assert.deepEqual(
      api.map((d) => [d.application, d.node, d.level, d.cachedPartitions, d.numPartitions]),
      [
        [app, "points", "MEMORY_ONLY_SER", 4, 4],
        [app, "onDisk", "DISK_ONLY", 3, 3],
      ],
    );
    assert.equal((await t.http("/api/v1/storage", { token: null })).status, 401, "the listing needs the token");
    const [points, onDisk] = api as [CachedDatasetInfo, CachedDatasetInfo];
    assert.ok(points.memoryBytes > 0 && points.diskBytes === 0, JSON.stringify(points));
    assert.ok(onDisk.memoryBytes === 0 && onDisk.diskBytes > 0, JSON.stringify(onDisk));
    for (const d of api) {
      assert.equal(
        d.workers.reduce((n, w) => n + w.partitions, 0),
        d.cachedPartitions,
        "one worker per partition (nothing was fetched or replicated)",
      );
      assert.equal(
        d.workers.reduce((n, w) => n + w.memoryBytes + w.diskBytes, 0),
        d.memoryBytes + d.diskBytes,
      );
    }

    await page.goto(`${t.cluster.masterUrl}/#token=${t.cluster.token}`);
    await page.click('.tab[data-tab="storage"]');
    await page.waitForFunction(() => document.querySelectorAll("#datasets tr[data-dataset]").length === 2);
    assert.equal(await page.getAttribute(".tab.active", "data-tab"), "storage");
    const rows = await cells(page, "#datasets tr[data-dataset]");
    assert.deepEqual(
      rows.map((r) => [r[0], r[1], r[2], r[3], r[6]]),
      [
        [APP_NAME + app, "points" + points.datasetId, "MEMORY_ONLY_SER", "4 / 4", String(points.workers.length)],
        [APP_NAME + app, "onDisk" + onDisk.datasetId, "DISK_ONLY", "3 / 3", String(onDisk.workers.length)],
      ],
    );
    assert.match(rows[0]![4]!, /^\d+(\.\d)? (B|KiB|MiB)$/, "points' size in memory");
    assert.equal(rows[0]![5], "0 B", "points has nothing on disk");
    assert.equal(rows[1]![4], "0 B", "onDisk has nothing in memory");
    assert.match(rows[1]![5]!, /^\d+(\.\d)? (B|KiB)$/, "onDisk's size on disk");

    const apps = await cells(page, `#applications tr[data-application="${app}"]`);
    assert.deepEqual(
      apps.map((r) => r.slice(0, 5)),
      [[app, APP_NAME, "ACTIVE", "2", "2"]],
    );
    await page.screenshot({ path: join(SHOTS, "ui-storage.png"), fullPage: true });

    const other = (await t.http("/api/v1/apps", { method: "POST", body: { name: HOSTILE_NAME, leaseMs: 3_600_000 } })).body.id as string;
    await page.waitForFunction((id) => document.querySelector(`#applications tr[data-application="${id}"]`) !== null, other);
    assert.deepEqual(
      (await cells(page, `#applications tr[data-application="${other}"]`)).map((r) => [r[1], r[4]]),
      [[HOSTILE_NAME, "0"]],
      "another application, with no cached dataset",
    );
    assert.equal(await page.$$eval("#applications b, #applications img", (es) => es.length), 0, "an application's name is text, never markup");
  });

  it("shows one dataset's share on each worker, with the worker's address, reached from the list and from its job's page", async () => {
    const points = (await storage())[0]!;
    await page.click(`#datasets tr[data-dataset="${points.datasetId}"] a`);
    await page.waitForSelector("#holders tr[data-holder]");
    assert.equal(new URL(page.url()).hash, `#/storage/${app}/${points.datasetId}`);
    assert.equal(await page.textContent("h1"), "points");
    const facts = await page.$$eval(".facts > div", (ds) => Object.fromEntries(ds.map((d) => [d.querySelector(".k")?.textContent, d.querySelector(".v")?.textContent])));
    assert.deepEqual([facts.Application, facts["Storage level"], facts["Cached partitions"], facts["Size on disk"]], [app, "MEMORY_ONLY_SER", "4 / 4", "0 B"]);
    const workers = (await t.http("/api/v1/workers")).body.workers as { id: string; address: string }[];
    const rows = await cells(page, "#holders tr[data-holder]");
    assert.deepEqual(
      rows.map((r) => [r[0], r[1], r[2]]),
      points.workers.map((w) => [w.worker, workers.find((x) => x.id === w.worker)!.address, String(w.partitions)]),
    );

    // The job that persisted it links there too.
    await page.goto(`${t.cluster.masterUrl}/#/jobs/${pointsJob}`);
    await page.waitForSelector("#persisted tr[data-persisted]");
    assert.deepEqual(await cells(page, "#persisted tr[data-persisted]"), [["points", points.datasetId, "MEMORY_ONLY_SER"]]);
    await page.click("#persisted a");
    await page.waitForSelector("#holders tr[data-holder]");
    assert.equal(new URL(page.url()).hash, `#/storage/${app}/${points.datasetId}`);
  });

  it("drops an unpersisted dataset from its page and the list, a lost worker's blocks, and an ended application's datasets", async () => {
    const [points, onDisk] = (await storage()) as [CachedDatasetInfo, CachedDatasetInfo];
    const released = await t.http(`/api/v1/apps/${app}/datasets/${points.datasetId}`, { method: "DELETE" });
    assert.deepEqual(released.body, { application: app, datasetId: points.datasetId, partitions: 4, workers: points.workers.length });
    // The open dataset page redraws itself (it polls).
    await page.waitForSelector("#no-dataset");
    await page.click('.tab[data-tab="storage"]');
    await page.waitForFunction(() => document.querySelectorAll("#datasets tr[data-dataset]").length === 1);
    assert.ok(await page.$(`#datasets tr[data-dataset="${onDisk.datasetId}"]`), "the other dataset stays");
    assert.deepEqual(
      (await cells(page, `#applications tr[data-application="${app}"]`)).map((r) => r[4]),
      ["1"],
    );

    // A lost worker costs its blocks: the row counts what the other still holds.
    t.cluster.workerProcesses[0]!.kill("SIGKILL");
    let dead: string | undefined;
    while (!dead) {
      await new Promise((r) => setTimeout(r, 200));
      dead = ((await t.http("/api/v1/workers")).body.workers as { id: string; status: string }[]).find((w) => w.status === "DEAD")?.id;
    }
    const left = onDisk.workers.filter((w) => w.worker !== dead);
    const remaining = left.reduce((n, w) => n + w.partitions, 0);
    await page.waitForFunction(([id, text]) => (document.querySelector(`#datasets tr[data-dataset="${id}"]`)?.querySelectorAll("td")[3]?.textContent ?? "gone") === text, [
      onDisk.datasetId,
      remaining === 0 ? "gone" : `${remaining} / 3`,
    ] as const);
    if (remaining > 0) assert.equal((await cells(page, `#datasets tr[data-dataset="${onDisk.datasetId}"]`))[0]![6], String(left.length));

    assert.equal((await t.http(`/api/v1/apps/${app}`, { method: "DELETE" })).status, 200);
    await page.waitForFunction(() => document.querySelectorAll("#datasets tr[data-dataset]").length === 0 && /No cached datasets/.test(document.querySelector("#datasets")?.textContent ?? ""));
    assert.deepEqual(
      (await cells(page, `#applications tr[data-application="${app}"]`)).map((r) => [r[2], r[4]]),
      [["ENDED", "0"]],
    );
    assert.deepEqual(await storage(), []);
  });
});
