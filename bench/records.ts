// records-1m (issue 6): the classic batch of 1,000,000 CSV records (~70 MB:
// id, user, country, amount, timestamp) through map → filter → reduceByKey on
// a local cluster of 2 workers × 1 slot, in records per second end to end,
// against a plain single-thread Node program computing the same totals.
import { execFile } from "node:child_process";
import fs from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { mulberry32 } from "../src/common/random.js";
import { withCluster } from "./cluster.js";
import { fmtMs, median, printTable, writeResults, type BenchOptions } from "./report.js";

const run = promisify(execFile);
const COUNTRIES = ["DE", "FR", "US", "JP", "BR", "IN", "NG", "AU", "CA", "MX", "KR", "ES"];

function input(dataDir: string, records: number): string {
  const rel = `records-${records}.csv`;
  const path = join(dataDir, rel);
  if (fs.existsSync(path)) return rel;
  fs.mkdirSync(dataDir, { recursive: true });
  const rand = mulberry32(1);
  const fd = fs.openSync(`${path}.tmp`, "w");
  let chunk = "";
  for (let i = 0; i < records; i++) {
    const amount = (rand() * 500).toFixed(2);
    chunk += `${i},user${Math.floor(rand() * 100_000)},${COUNTRIES[Math.floor(rand() * COUNTRIES.length)]},${amount},${1_700_000_000 + i * 7}\n`;
    if (chunk.length > 1 << 20) {
      fs.writeSync(fd, chunk);
      chunk = "";
    }
  }
  fs.writeSync(fd, chunk);
  fs.closeSync(fd);
  fs.renameSync(`${path}.tmp`, path);
  return rel;
}

/** The same computation as the job, as a plain program: total amount per country of sales ≥ 100. */
const BASELINE = `
const fs = require("fs");
const totals = new Map();
let rest = "";
const fd = fs.openSync(process.argv[1], "r");
const buf = Buffer.allocUnsafe(1 << 20);
const line = (l) => {
  if (!l) return;
  const f = l.split(",");
  const amount = Number(f[3]);
  if (amount < 100) return;
  totals.set(f[2], (totals.get(f[2]) ?? 0) + amount);
};
for (;;) {
  const n = fs.readSync(fd, buf, 0, buf.length, null);
  if (n === 0) break;
  const lines = (rest + buf.toString("utf8", 0, n)).split("\\n");
  rest = lines.pop();
  for (const l of lines) line(l);
}
line(rest);
process.stdout.write(JSON.stringify([...totals]));
`;

export async function recordsBench(opts: BenchOptions): Promise<void> {
  const records = Number(opts.flags.records ?? 1_000_000);
  const runs = Number(opts.flags.runs ?? 3);
  const rel = input(opts.dataDir, records);
  const spec = {
    name: "bench-records",
    nodes: [
      { id: "lines", op: "textFile", path: rel },
      { id: "sales", op: "map", input: "lines", fn: "l => { const f = l.split(','); return [f[2], Number(f[3])]; }" },
      { id: "big", op: "filter", input: "sales", fn: "([, amount]) => amount >= 100" },
      { id: "totals", op: "reduceByKey", input: "big", fn: "(a, b) => a + b" },
    ],
    action: { op: "collect", input: "totals" },
  };
  const plain: number[] = [];
  let expected: [string, number][] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    expected = JSON.parse((await run(process.execPath, ["-e", BASELINE, join(opts.dataDir, rel)])).stdout) as [string, number][];
    plain.push(performance.now() - t);
  }
  const engine: number[] = [];
  await withCluster(opts.dataDir, [], async (cluster) => {
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      const got = new Map((await cluster.client.run<[string, number][]>(spec)).value);
      engine.push(performance.now() - t);
      for (const [c, total] of expected) {
        if (Math.abs((got.get(c) ?? NaN) - total) > 1e-6 * total) throw new Error(`records: ${c} totals ${got.get(c)}, expected ${total}`);
      }
    }
  });
  const rate = (ms: number) => `${(((records / ms) * 1000) / 1e6).toFixed(2)} M`;
  printTable(
    ["program", "wall (median)", "runs", "records/s", "target"],
    [
      ["plain Node, 1 thread", fmtMs(median(plain)), plain.map((x) => (x / 1000).toFixed(2)).join(" "), rate(median(plain)), ""],
      [
        "minispark, 2 workers × 1 slot",
        fmtMs(median(engine)),
        engine.map((x) => (x / 1000).toFixed(2)).join(" "),
        rate(median(engine)),
        `≥ 1 M records/s: ${(records / median(engine)) * 1000 >= 1e6 ? "met" : "not met"}`,
      ],
    ],
  );
  writeResults("records", { records, plainMs: plain, minisparkMs: engine });
}
