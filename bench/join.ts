// The join benchmark (issue 6): sales (5,000,000 CSV rows, ≈ 400 MB: sale id,
// product id, quantity, price, timestamp) joined with a catalogue (100,000
// products: id, name, category; 50 categories) into revenue per category,
// ranked by revenue. minispark on a local cluster of 2 workers × 1 slot
// (textFile → map → join → map → reduceByKey → sortBy → collect) against a
// hand-written single-process hash join (baselines/join.ts) on the same files;
// the two rankings must be equal.
import { execFile } from "node:child_process";
import fs from "node:fs";
import { promisify } from "node:util";
import type { LocalCluster } from "../src/client/local-cluster.js";
import { mulberry32 } from "../src/common/random.js";
import { withCluster } from "./cluster.js";
import { generatedFile } from "./inputs.js";
import { residentBytes } from "./proc-memory.js";
import { fmtBytes, median, printTable, timingHeader, timingRow, writeResults, type BenchOptions } from "./report.js";

const run = promisify(execFile);
const BASELINE = new URL("./baselines/join.js", import.meta.url).pathname;
const CATEGORIES = 50;
const ADJECTIVES = ["red", "compact", "deluxe", "basic", "wireless", "organic", "steel", "mini", "pro", "classic"];
const FIRST_SALE = Date.UTC(2026, 0, 1);

type Ranking = [category: string, cents: number][];

interface Result {
  name: string;
  wallMs: number[];
  peakRss: number[];
  revenue: Ranking;
}

const productId = (p: number) => `P${String(p).padStart(6, "0")}`;

function* lines(count: number, line: (i: number) => string): Generator<string> {
  let chunk = "";
  for (let i = 0; i < count; i++) {
    chunk += line(i);
    if (chunk.length >= 1 << 20) {
      yield chunk;
      chunk = "";
    }
  }
  yield chunk;
}

/** product id, name, category; categories skewed (rand²) so that the ranking has a clear order. */
function catalogue(products: number): () => Iterable<string> {
  return () => {
    const rand = mulberry32(61);
    return lines(products, (p) => {
      const category = `category-${String(Math.floor(CATEGORIES * rand() ** 2)).padStart(2, "0")}`;
      return `${productId(p)},Product ${p} ${ADJECTIVES[p % ADJECTIVES.length]},${category}\n`;
    });
  };
}

/** sale id (a UUID), product id (uniform over the catalogue), quantity 1–20, price 0.99–499.98, ISO timestamp. */
function sales(rows: number, products: number): () => Iterable<string> {
  return () => {
    const rand = mulberry32(62);
    const hex8 = () =>
      Math.floor(rand() * 2 ** 32)
        .toString(16)
        .padStart(8, "0");
    return lines(rows, (i) => {
      const h = hex8() + hex8() + hex8() + hex8();
      const id = `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
      const product = productId(Math.floor(rand() * products));
      const quantity = 1 + Math.floor(rand() * 20);
      const cents = 99 + Math.floor(rand() * 49_900);
      const price = `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, "0")}`;
      const at = new Date(FIRST_SALE + i * 5000 + Math.floor(rand() * 5000)).toISOString();
      return `${id},${product},${quantity},${price},${at}\n`;
    });
  };
}

// Revenue is summed in integer cents (quantity × price × 100, the price
// rounded to its two decimals): every partial sum is an integer below 2^53
// (5 M sales × 20 × 50,000 cents ≈ 5·10^12), so the sums are exact whatever
// order the shuffle adds them in, and the two rankings can be compared exactly
// — ties in revenue included — instead of within a tolerance.
function spec(salesFile: string, catalogueFile: string): unknown {
  return {
    name: "bench-join",
    nodes: [
      { id: "sales", op: "textFile", path: salesFile },
      { id: "saleCents", op: "map", input: "sales", fn: "l => { const f = l.split(','); return [f[1], Number(f[2]) * Math.round(Number(f[3]) * 100)]; }" },
      { id: "catalogue", op: "textFile", path: catalogueFile },
      { id: "categories", op: "map", input: "catalogue", fn: "l => { const f = l.split(','); return [f[0], f[2]]; }" },
      { id: "joined", op: "join", inputs: ["saleCents", "categories"] },
      { id: "categoryCents", op: "map", input: "joined", fn: "([, [cents, category]]) => [category, cents]" },
      { id: "revenue", op: "reduceByKey", input: "categoryCents", fn: "sum" },
      { id: "ranked", op: "sortBy", input: "revenue", fn: "([category, cents]) => [-cents, category]" },
    ],
    action: { op: "collect", input: "ranked" },
  };
}

async function baseline(catalogueFile: string, salesFile: string, runs: number): Promise<Result> {
  const wallMs: number[] = [];
  let out = { revenue: [] as Ranking, maxRssKiB: 0 };
  let peak = 0;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const { stdout } = await run(process.execPath, [BASELINE, catalogueFile, salesFile]);
    wallMs.push(performance.now() - t);
    out = JSON.parse(stdout) as typeof out;
    peak = Math.max(peak, out.maxRssKiB * 1024);
  }
  return { name: "plain Node, 1 thread, hash join", wallMs, peakRss: [peak], revenue: out.revenue };
}

async function minispark(cluster: LocalCluster, job: unknown, runs: number): Promise<Result & { spillBytes: number }> {
  const wallMs: number[] = [];
  let revenue: Ranking = [];
  let spillBytes = 0;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const { job: info, value } = await cluster.client.run<Ranking>(job);
    wallMs.push(performance.now() - t);
    revenue = value;
    spillBytes = Number(info.metrics.spillBytes ?? 0);
  }
  const peakRss = cluster.workerProcesses.map((p) => residentBytes(p.pid!).peak);
  return { name: "minispark, 2 workers × 1 slot", wallMs, peakRss, revenue, spillBytes };
}

function sameRanking(got: Ranking, expected: Ranking): void {
  const i = expected.findIndex((e, j) => got[j]?.[0] !== e[0] || got[j]?.[1] !== e[1]);
  if (i >= 0 || got.length !== expected.length) {
    const at = i >= 0 ? i : expected.length;
    throw new Error(`join: minispark ranks ${JSON.stringify(got[at])} at ${at + 1}, the baseline ${JSON.stringify(expected[at])} (${got.length} and ${expected.length} categories)`);
  }
}

export async function joinBench(opts: BenchOptions): Promise<void> {
  const rows = Number(opts.flags.rows ?? 5_000_000);
  const products = Number(opts.flags.products ?? 100_000);
  const runs = Number(opts.flags.runs ?? 3);
  const catalogueRel = `join-catalogue-${products}.csv`;
  const salesRel = `join-sales-${rows}-${products}.csv`;
  console.error("join: generating inputs (once)…");
  const catalogueFile = generatedFile(opts.dataDir, catalogueRel, catalogue(products));
  const salesFile = generatedFile(opts.dataDir, salesRel, sales(rows, products));
  const bytes = fs.statSync(catalogueFile).size + fs.statSync(salesFile).size;
  console.error(`join: baseline over ${fmtBytes(bytes)}…`);
  const plain = await baseline(catalogueFile, salesFile, runs);
  console.error("join: minispark…");
  const engine = await withCluster(opts.dataDir, [], (cluster) => minispark(cluster, spec(salesRel, catalogueRel), runs));
  sameRanking(engine.revenue, plain.revenue);
  const records = rows + products;
  printTable(
    timingHeader("records"),
    [plain, engine].map((r) => timingRow(r, records, bytes, r === engine ? `${(median(r.wallMs) / median(plain.wallMs)).toFixed(2)}× (target ≤ 2×)` : "")),
  );
  writeResults("join", {
    rows,
    products,
    inputBytes: bytes,
    categories: plain.revenue.length,
    spillBytes: engine.spillBytes,
    runs: [plain, engine].map((r) => ({ name: r.name, wallMs: r.wallMs, medianMs: median(r.wallMs), peakRss: r.peakRss })),
  });
}
