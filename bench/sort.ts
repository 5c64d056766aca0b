// The sort benchmark (issue 6): 100-byte records (a 10-byte printable-ASCII
// key, then the record number in hex and filler, 99 characters and "\n", as
// gensort's ASCII mode writes them) sorted by key with `sortBy` and written
// range-partitioned with `save`, on a local cluster of 2 workers × 1 slot with
// `--memory M` each, against `LC_ALL=C sort` given the same memory in total
// and the same two cores. Both outputs are read back and checked: ordered by
// key, and the input's line count and checksum.
import { execFile } from "node:child_process";
import fs from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import type { LocalCluster } from "../src/client/local-cluster.js";
import { mulberry32 } from "../src/common/random.js";
import { parseSize } from "../src/common/size.js";
import { withCluster } from "./cluster.js";
import { generatedFile } from "./inputs.js";
import { residentBytes } from "./proc-memory.js";
import { fmtBytes, median, printTable, timingHeader, timingRow, writeResults, type BenchOptions } from "./report.js";
import { savedParts, summariseFiles, type LineSummary } from "./sorted-output.js";

const run = promisify(execFile);
const KEY_BYTES = 10;
const RECORD_BYTES = 100;
const RECORDS_PER_CHUNK = 10_000;
const OUTPUT = "bench-sort";

interface Result {
  name: string;
  wallMs: number[];
  peakRss: number[];
}

/** Keys drawn from "!"…"~" (94 characters, no blank, so a key is also the line's first field). */
function* records(count: number): Generator<Buffer> {
  const rand = mulberry32(100);
  for (let first = 0; first < count; first += RECORDS_PER_CHUNK) {
    const n = Math.min(RECORDS_PER_CHUNK, count - first);
    const buf = Buffer.alloc(n * RECORD_BYTES, " ");
    for (let r = 0; r < n; r++) {
      const at = r * RECORD_BYTES;
      for (let k = 0; k < KEY_BYTES; k++) buf[at + k] = 0x21 + Math.floor(rand() * 94);
      buf.write((first + r).toString(16).toUpperCase().padStart(32, "0"), at + KEY_BYTES + 2, "latin1");
      for (let f = KEY_BYTES + 36; f < RECORD_BYTES - 1; f++) buf[at + f] = 0x41 + ((first + r + (f >> 2)) % 26);
      buf[at + RECORD_BYTES - 1] = 0x0a;
    }
    yield buf;
  }
}

function sameLines(got: LineSummary, input: LineSummary, what: string): void {
  if (got.lines !== input.lines || got.checksum !== input.checksum) {
    throw new Error(`sort: ${what} has ${got.lines} lines (checksum ${got.checksum}), the input ${input.lines} (checksum ${input.checksum})`);
  }
}

// Plain `LC_ALL=C sort` compares whole lines bytewise; it does the same work
// as sorting by the 10-byte key, because keys hold no blank and differ within
// those bytes (94^10 possible keys), so every comparison is settled there.
// `-k1,1` would add field splitting the job does not do. -S gives it the
// workers' memory in total, --parallel=2 the two cores, -T a spill directory
// on the same disk as the workers'.
async function baseline(dataDir: string, input: string, memoryBytes: number, runs: number, expected: LineSummary): Promise<Result> {
  const out = join(dataDir, "sort-baseline.txt");
  const tmp = join(dataDir, "sort-baseline-tmp");
  fs.mkdirSync(tmp, { recursive: true });
  const wallMs: number[] = [];
  let peak = 0;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    // /usr/bin/time -f %M: sort's peak resident size in KiB, on stderr.
    const { stderr } = await run("/usr/bin/time", ["-f", "%M", "sort", "-S", `${memoryBytes}b`, "--parallel=2", "-T", tmp, "-o", out, input], {
      env: { ...process.env, LC_ALL: "C" },
    });
    wallMs.push(performance.now() - t);
    peak = Math.max(peak, Number(stderr.trim().split("\n").at(-1)) * 1024);
    sameLines(summariseFiles([out], KEY_BYTES), expected, "sort's output");
  }
  return { name: `LC_ALL=C sort -S ${fmtBytes(memoryBytes)} --parallel=2`, wallMs, peakRss: [peak] };
}

async function minispark(cluster: LocalCluster, dataDir: string, inputRel: string, runs: number, expected: LineSummary): Promise<Result & { spillBytes: number }> {
  const spec = {
    name: "bench-sort",
    nodes: [
      { id: "records", op: "textFile", path: inputRel },
      { id: "sorted", op: "sortBy", input: "records", fn: `r => r.slice(0, ${KEY_BYTES})` },
    ],
    action: { op: "save", input: "sorted", path: OUTPUT, format: "text", mode: "overwrite" },
  };
  const wallMs: number[] = [];
  let spillBytes = 0;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const { job } = await cluster.client.run(spec);
    wallMs.push(performance.now() - t);
    spillBytes = Number(job.metrics.spillBytes ?? 0);
    sameLines(summariseFiles(savedParts(dataDir, OUTPUT), KEY_BYTES), expected, "minispark's output");
  }
  const peakRss = cluster.workerProcesses.map((p) => residentBytes(p.pid!).peak);
  return { name: "minispark, 2 workers × 1 slot, sortBy → save", wallMs, peakRss, spillBytes };
}

export async function sortBench(opts: BenchOptions): Promise<void> {
  const size = parseSize(opts.flags.size ?? "1gb");
  const workerMemory = parseSize(opts.flags.memory ?? "1gb");
  const runs = Number(opts.flags.runs ?? 3);
  const count = Math.floor(size / RECORD_BYTES);
  const inputRel = `sort-${count}.txt`;
  console.error(`sort: generating ${count} records (once)…`);
  const input = generatedFile(opts.dataDir, inputRel, () => records(count));
  const bytes = fs.statSync(input).size;
  const expected = summariseFiles([input], null);
  console.error(`sort: LC_ALL=C sort over ${fmtBytes(bytes)}…`);
  const plain = await baseline(opts.dataDir, input, 2 * workerMemory, runs, expected);
  console.error("sort: minispark…");
  const engine = await withCluster(opts.dataDir, ["--memory", String(workerMemory)], (cluster) => minispark(cluster, opts.dataDir, inputRel, runs, expected));
  printTable(
    timingHeader("records"),
    [plain, engine].map((r) => timingRow(r, count, bytes, r === engine ? `${(median(r.wallMs) / median(plain.wallMs)).toFixed(2)}× (target ≤ 2×)` : "")),
  );
  writeResults("sort", {
    inputBytes: bytes,
    records: count,
    workerMemoryBytes: workerMemory,
    spillBytes: engine.spillBytes,
    runs: [plain, engine].map((r) => ({ name: r.name, wallMs: r.wallMs, medianMs: median(r.wallMs), peakRss: r.peakRss })),
  });
}
