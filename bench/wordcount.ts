// The word count benchmark (issue 6): minispark on a local cluster of 2 workers
// × 1 slot against hand-written Node programs on the same generated corpus
// (English-like, Zipf over 20,000 words, in 8 files), all in one run. Each is
// run --runs times (default 3) and reported by its median; every answer is
// checked against the single-thread baseline's. The scaling benchmark reuses
// the corpus, the programs and the checks.
import { execFile } from "node:child_process";
import fs from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { writeCorpus } from "../src/cli/corpus.js";
import type { LocalCluster } from "../src/client/local-cluster.js";
import { parseSize } from "../src/common/size.js";
import { withCluster } from "./cluster.js";
import { residentBytes } from "./proc-memory.js";
import { fmtBytes, median, printTable, timingHeader, timingRow, writeResults, type BenchOptions } from "./report.js";

const run = promisify(execFile);
const BASELINE = new URL("./baselines/wordcount.js", import.meta.url).pathname;
const FILES = 8;

export interface Result {
  name: string;
  wallMs: number[];
  peakRss: number[];
  counts: Map<string, number>;
}

export function corpus(dataDir: string, bytes: number): { dir: string; files: string[]; bytes: number } {
  const dir = join(dataDir, `wordcount-${bytes}`);
  if (!fs.existsSync(join(dir, "_READY"))) {
    console.error(`wordcount: generating a ${fmtBytes(bytes)} corpus in ${dir}…`);
    writeCorpus(dir, FILES, Math.ceil(bytes / FILES));
    fs.writeFileSync(join(dir, "_READY"), "");
  }
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".txt"))
    .sort()
    .map((f) => join(dir, f));
  return { dir, files, bytes: files.reduce((n, f) => n + fs.statSync(f).size, 0) };
}

export async function baseline(kind: string, mode: string, files: string[], runs: number): Promise<Result> {
  const wallMs: number[] = [];
  let out = { counts: [] as [string, number][], maxRssKiB: 0 };
  let peak = 0;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const { stdout } = await run(process.execPath, [BASELINE, kind, mode, ...files], { maxBuffer: 1 << 30 });
    wallMs.push(performance.now() - t);
    out = JSON.parse(stdout) as typeof out;
    peak = Math.max(peak, out.maxRssKiB * 1024);
  }
  return { name: `plain Node: ${kind === "single" ? "1 thread" : kind === "threads" ? "2 threads" : "2 threads, bytes"} (${mode})`, wallMs, peakRss: [peak], counts: new Map(out.counts) };
}

/** The functions of each variant: split into words, pair with one, add. */
const VARIANTS = {
  "user functions": ["l => l.split(' ')", "w => [w, 1]", "(a, b) => a + b"],
  "built-ins": ["tokenize", "pair_with_one", "sum"],
};

function spec(variant: keyof typeof VARIANTS, dir: string): unknown {
  const [split, pair, add] = VARIANTS[variant];
  return {
    name: `bench-wordcount (${variant})`,
    nodes: [
      { id: "lines", op: "textFile", path: `${dir}/*.txt` },
      { id: "words", op: "flatMap", input: "lines", fn: split },
      { id: "ones", op: "map", input: "words", fn: pair },
      { id: "counts", op: "reduceByKey", input: "ones", fn: add },
    ],
    action: { op: "collect", input: "counts" },
  };
}

export async function minispark(cluster: LocalCluster, variant: keyof typeof VARIANTS, dir: string, runs: number): Promise<Result> {
  const wallMs: number[] = [];
  let value: [string, number][] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    value = (await cluster.client.run<[string, number][]>(spec(variant, dir))).value;
    wallMs.push(performance.now() - t);
  }
  const peakRss = cluster.workerProcesses.map((p) => residentBytes(p.pid!).peak);
  const workers = cluster.workerProcesses.length;
  return { name: `minispark, ${workers} worker${workers === 1 ? "" : "s"} × 1 slot (${variant})`, wallMs, peakRss, counts: new Map(value) };
}

export function sameCounts(a: Map<string, number>, b: Map<string, number>, what: string): void {
  if (a.size !== b.size) throw new Error(`${what}: ${a.size} distinct words, expected ${b.size}`);
  for (const [w, n] of b) if (a.get(w) !== n) throw new Error(`${what}: "${w}" counted ${a.get(w)}, expected ${n}`);
}

export async function wordcountBench(opts: BenchOptions): Promise<void> {
  const size = parseSize(opts.flags.size ?? "1gb");
  const runs = Number(opts.flags.runs ?? 3);
  const input = corpus(opts.dataDir, size);
  const rel = input.dir.slice(opts.dataDir.length + 1);
  console.error(`wordcount: baselines over ${fmtBytes(input.bytes)}…`);
  const single = await baseline("single", "split", input.files, runs);
  const threads = await baseline("threads", "split", input.files, runs);
  const bytes = await baseline("bytes", "split", input.files, runs);
  const tokenized = await baseline("threads", "tokenize", input.files, runs);
  sameCounts(threads.counts, single.counts, threads.name);
  sameCounts(bytes.counts, single.counts, bytes.name);
  console.error("wordcount: minispark…");
  const [user, builtins] = await withCluster(opts.dataDir, [], async (cluster) => [await minispark(cluster, "user functions", rel, runs), await minispark(cluster, "built-ins", rel, runs)]);
  sameCounts(user.counts, single.counts, user.name);
  sameCounts(builtins.counts, tokenized.counts, builtins.name);
  const words = [...single.counts.values()].reduce((a, b) => a + b, 0);
  const rows: [Result, Result | null][] = [
    [single, null],
    [threads, null],
    [bytes, null],
    [tokenized, null],
    [user, threads],
    [builtins, bytes],
  ];
  printTable(
    timingHeader("words"),
    rows.map(([r, against]) =>
      timingRow(r, words, input.bytes, against ? `${(median(r.wallMs) / median(against.wallMs)).toFixed(2)}× ${against === threads ? "2-thread strings" : "2-thread bytes"}` : ""),
    ),
  );
  writeResults("wordcount", {
    inputBytes: input.bytes,
    words,
    distinct: single.counts.size,
    runs: rows.map(([r]) => ({ name: r.name, wallMs: r.wallMs, medianMs: median(r.wallMs), peakRss: r.peakRss })),
  });
}
