// Bounded memory end to end: workers with --memory 4mb (2 MiB of it for
// aggregation, sort and shuffle buffers) run word count with many distinct
// keys, groupByKey, a join, distinct and a sort over inputs more than ten
// times that size, give the answers a plain in-memory computation gives, report
// their spills in the job metrics and heartbeats, and leave no spill file behind.
import assert from "node:assert/strict";
import fs from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { mulberry32 } from "../src/common/random.js";
import { readParts, startTestCluster, wordCounts, writeFile, type TestCluster } from "./helpers/cluster.js";
import { pipe } from "./helpers/pipe.js";

const MEMORY = 4 * 1024 * 1024;
let t: TestCluster;
let text = "";
let orders = "";
const prices = new Map<string, number>();

/** ~44 MiB of lines of 8 words drawn from 250,000, skewed so that some keys are hot. */
function makeText(): string {
  const rand = mulberry32(7);
  const lines: string[] = [];
  let bytes = 0;
  while (bytes < 11 * MEMORY) {
    const words: string[] = [];
    for (let i = 0; i < 8; i++) words.push(`w${Math.floor(250_000 * rand() ** 2).toString(36)}`);
    const line = words.join(" ");
    lines.push(line);
    bytes += line.length + 1;
  }
  return lines.join("\n") + "\n";
}

/** Orders "id,product,qty" (2.8M rows, ~42 MiB) against 100,000 products with a price each. */
function makeOrders(): string {
  const rand = mulberry32(11);
  for (let p = 0; p < 100_000; p++) prices.set(`p${p}`, 1 + (p % 97));
  const rows: string[] = [];
  for (let i = 0; i < 2_800_000; i++) rows.push(`${i},p${Math.floor(rand() * 120_000)},${1 + (i % 5)}`);
  return rows.join("\n") + "\n";
}

/** Every spill file on every worker of the test cluster. */
function spillFiles(): string[] {
  const root = join(t.dataDir, ".minispark");
  return fs.readdirSync(root).flatMap((w) => {
    const dir = join(root, w, "spill");
    return fs.existsSync(dir) ? fs.readdirSync(dir) : [];
  });
}

async function metricsOf(jobName: string): Promise<{ spillCount: number; spillBytes: number }> {
  const { jobs } = (await t.http("/api/v1/jobs")).body as { jobs: { id: string; name: string }[] };
  const id = jobs.find((j) => j.name === jobName)!.id;
  return (await t.http(`/api/v1/jobs/${id}`)).body.metrics;
}

describe("spilling on a real cluster (2 workers, --memory 4mb)", () => {
  before(
    async () => {
      t = await startTestCluster({ workers: 2, slots: 1, workerArgs: ["--memory", "4mb"] });
      text = makeText();
      orders = makeOrders();
      writeFile(t.dataDir, "text/a.txt", text.slice(0, text.indexOf("\n", text.length / 2) + 1));
      writeFile(t.dataDir, "text/b.txt", text.slice(text.indexOf("\n", text.length / 2) + 1));
      writeFile(t.dataDir, "orders.csv", orders);
      writeFile(t.dataDir, "products.csv", [...prices].map(([p, price]) => `${p},${price}`).join("\n") + "\n");
      assert.ok(text.length >= 10 * MEMORY && orders.length >= 10 * MEMORY, `inputs of ${text.length} and ${orders.length} bytes`);
    },
    { timeout: 120_000 },
  );
  after(() => t?.stop());

  const lines = { op: "textFile", path: "text/*.txt", minPartitions: 6 };

  it("word count with 250,000 distinct keys", { timeout: 300_000 }, async () => {
    const spec = pipe("spill-wordcount", [lines, { op: "flatMap", fn: "l => l.split(' ')" }, { op: "map", fn: "w => [w, 1]" }, { op: "reduceByKey", fn: "(a, b) => a + b" }], { op: "collect" });
    const got = await t.run<[string, number][]>(spec);
    const expected = wordCounts(text);
    assert.equal(got.length, expected.size);
    for (const [w, n] of got) assert.equal(n, expected.get(w), w);
    const m = await metricsOf("spill-wordcount");
    assert.ok(m.spillCount > 0 && m.spillBytes > 0, JSON.stringify(m));
  });

  it("groupByKey: every line under its first word", { timeout: 300_000 }, async () => {
    const spec = pipe(
      "spill-group",
      [lines, { op: "keyBy", fn: "l => l.slice(0, l.indexOf(' '))" }, { op: "groupByKey" }, { op: "mapValues", fn: "ls => [ls.length, ls.reduce((n, l) => n + l.length, 0)]" }],
      { op: "collect" },
    );
    const got = new Map(await t.run<[string, [number, number]][]>(spec));
    const expected = new Map<string, [number, number]>();
    for (const l of text.split("\n")) {
      if (!l) continue;
      const k = l.slice(0, l.indexOf(" "));
      const e = expected.get(k) ?? [0, 0];
      expected.set(k, [e[0] + 1, e[1] + l.length]);
    }
    assert.deepStrictEqual(got, expected);
    assert.ok((await metricsOf("spill-group")).spillCount > 0);
  });

  it("join: orders × products → revenue per product", { timeout: 300_000 }, async () => {
    const spec = {
      name: "spill-join",
      nodes: [
        { id: "orders", op: "csv", path: "orders.csv" },
        { id: "products", op: "csv", path: "products.csv", inferSchema: true },
        { id: "byProduct", op: "map", input: "orders", fn: "([, p, q]) => [p, Number(q)]" },
        { id: "price", op: "map", input: "products", fn: "([p, price]) => [p, price]" },
        { id: "joined", op: "join", inputs: ["byProduct", "price"], numPartitions: 4 },
        { id: "revenue", op: "map", input: "joined", fn: "([p, [q, price]]) => [p, q * price]" },
        { id: "total", op: "reduceByKey", input: "revenue", fn: "(a, b) => a + b" },
      ],
      action: { op: "collect", input: "total" },
    };
    const got = new Map(await t.run<[string, number][]>(spec));
    const expected = new Map<string, number>();
    for (const row of orders.split("\n")) {
      if (!row) continue;
      const [, p, q] = row.split(",");
      const price = prices.get(p!);
      if (price !== undefined) expected.set(p!, (expected.get(p!) ?? 0) + Number(q) * price);
    }
    assert.deepStrictEqual(got, expected);
    assert.ok((await metricsOf("spill-join")).spillCount > 0);
  });

  it("distinct words", { timeout: 300_000 }, async () => {
    const spec = pipe("spill-distinct", [lines, { op: "flatMap", fn: "l => l.split(' ')" }, { op: "distinct" }], { op: "count" });
    assert.equal(await t.run(spec), wordCounts(text).size);
    assert.ok((await metricsOf("spill-distinct")).spillCount > 0);
  });

  it("sortBy: every line, saved in global order", { timeout: 300_000 }, async () => {
    const spec = pipe("spill-sort", [lines, { op: "sortBy", fn: "l => l", numPartitions: 4 }], { op: "save", path: "sorted", format: "text" });
    await t.run(spec);
    const { lines: got } = readParts(t.dataDir, "sorted");
    const expected = text
      .split("\n")
      .filter(Boolean)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    assert.equal(got.length, expected.length);
    assert.ok(
      got.every((l, i) => l === expected[i]),
      "sorted output differs",
    );
    assert.ok((await metricsOf("spill-sort")).spillCount > 0);
  });

  it("workers report their spills and keep no spill file", { timeout: 30_000 }, async () => {
    const deadline = Date.now() + 10_000;
    let workers: { spill_count: number; spill_bytes: number; memory_budget_mb: number }[] = [];
    while (Date.now() < deadline) {
      workers = (await t.http("/api/v1/workers")).body.workers;
      if (workers.every((w) => w.spill_count > 0)) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    for (const w of workers) {
      assert.equal(w.memory_budget_mb, 4);
      assert.ok(w.spill_count > 0 && w.spill_bytes > 0, JSON.stringify(w));
    }
    assert.deepStrictEqual(spillFiles(), []);
  });

  it("a cancelled job's tasks take their spill files with them", { timeout: 300_000 }, async () => {
    // The reduce side sorts (and spills) everything, then emits slowly: cancel it while its runs are on disk.
    const slow = "l => { const end = Date.now() + 20; while (Date.now() < end); return l; }";
    const id = await t.cluster.client.submit(pipe("spill-cancel", [lines, { op: "sortBy", fn: "l => l", numPartitions: 2 }, { op: "map", fn: slow }], { op: "count" }));
    const deadline = Date.now() + 90_000;
    while (spillFiles().length === 0) {
      assert.ok(Date.now() < deadline, "the job never spilled");
      await new Promise((r) => setTimeout(r, 100));
    }
    await t.cluster.client.cancel(id);
    const gone = Date.now() + 10_000;
    while (spillFiles().length > 0) {
      assert.ok(Date.now() < gone, `spill files left after the cancel: ${spillFiles().join(", ")}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal((await t.cluster.client.job(id)).status, "CANCELLED");
  });
});
