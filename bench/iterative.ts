// What the iterative benchmarks (issue 17: k-means, PageRank, logistic
// regression) share: each runs its 10 iterations through the library —
// `connect()` to a fresh local cluster of 2 workers × 1 slot with `--memory`
// set — once with its input dataset cached and once without, in the same run;
// times every iteration; reads the workers' peak resident memory (a fresh
// cluster per variant, so the peak is that variant's) and the cached datasets'
// sizes from GET /api/v1/storage; and prints one table: iteration 1, the median
// and the slowest of iterations 2..n, first ÷ later median, against the
// issue's target (every later iteration of the cached job ≥ 5× faster than the
// first) and the storage region the cached blocks must fit. The plain Node
// reference (baselines/iterative.ts) runs as its own process; each benchmark
// compares both variants' results with it and throws when they differ.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { connect, type Context } from "../src/client/context.js";
import type { StorageList } from "../src/common/api-types.js";
import { requestJson } from "../src/common/http-client.js";
import { parseSize } from "../src/common/size.js";
import { memoryLayout } from "../src/worker/memory/memory-pool.js";
import { withCluster } from "./cluster.js";
import { residentBytes } from "./proc-memory.js";
import { fmtBytes, fmtMs, median, printTable, writeResults, type BenchOptions } from "./report.js";

const run = promisify(execFile);
const BASELINE = new URL("./baselines/iterative.js", import.meta.url).pathname;
export const TARGET_RATIO = 5;
/** Workers of every iterative benchmark's cluster, 1 slot each (the harness's 2-core setting). */
const WORKERS = 2;

export interface IterativeSettings {
  /** Sizes are multiplied by this (`--scale 0.1` for a quick run). */
  scale: number;
  iterations: number;
  /** Each worker's --memory. */
  memoryBytes: number;
}

export function settings(opts: BenchOptions): IterativeSettings {
  const scale = Number(opts.flags.scale ?? process.env.MINISPARK_BENCH_SCALE ?? 1);
  if (!(scale > 0 && scale <= 10)) throw new Error(`--scale must be in (0, 10], got ${opts.flags.scale}`);
  const iterations = Number(opts.flags.iterations ?? 10);
  if (!(Number.isInteger(iterations) && iterations >= 2)) throw new Error(`--iterations must be an integer ≥ 2, got ${opts.flags.iterations}`);
  return { scale, iterations, memoryBytes: parseSize(opts.flags.memory ?? "2gb") };
}

/** Bytes one worker's cached blocks may hold: each slot's storage may use what execution does not hold of its share (memory-pool.ts). */
export function storageRegionBytes(memoryBytes: number): number {
  return memoryLayout(memoryBytes, 1, 0.5).pool.taskCapBytes;
}

/** One variant's run: every iteration's wall time, the workers' peaks, what was cached at the end, and its result. */
export interface VariantRun<R> {
  variant: "cached" | "uncached";
  iterationMs: number[];
  peakRss: number[];
  cached: { memoryBytes: number; diskBytes: number; perWorkerMemory: number[]; partitions: string }[];
  result: R;
}

/**
 * The iterations of one variant on a fresh cluster, through a Context of its
 * own; `step(i)` runs iteration i (its jobs) and is timed; `finish()` gives
 * the result once all have run (the storage is read before, while the
 * application still holds its blocks).
 */
export async function runVariant<S, R>(
  name: string,
  variant: "cached" | "uncached",
  opts: BenchOptions,
  set: IterativeSettings,
  setup: (sc: Context, cached: boolean) => S,
  step: (state: S, iteration: number) => Promise<void>,
  finish: (state: S) => R,
): Promise<VariantRun<R>> {
  return withCluster(
    opts.dataDir,
    ["--memory", String(set.memoryBytes)],
    async (cluster) => {
      const sc = await connect(cluster.masterUrl, { token: cluster.token, appName: `bench-${name} (${variant})` });
      try {
        const state = setup(sc, variant === "cached");
        const iterationMs: number[] = [];
        for (let i = 1; i <= set.iterations; i++) {
          const t = performance.now();
          await step(state, i);
          iterationMs.push(performance.now() - t);
          console.error(`${name} (${variant}): iteration ${i} ${fmtMs(iterationMs.at(-1)!)}`);
        }
        const storage = await requestJson<StorageList>(`${cluster.masterUrl}/api/v1/storage`, { token: cluster.token });
        const cached = storage.datasets
          .filter((d) => d.application === sc.applicationId)
          .map((d) => ({
            memoryBytes: d.memoryBytes,
            diskBytes: d.diskBytes,
            perWorkerMemory: d.workers.map((w) => w.memoryBytes),
            partitions: `${d.cachedPartitions}/${d.numPartitions ?? "?"}`,
          }));
        const peakRss = cluster.workerProcesses.map((p) => residentBytes(p.pid!).peak);
        return { variant, iterationMs, peakRss, cached, result: finish(state) };
      } finally {
        await sc.close();
      }
    },
    WORKERS,
  );
}

/** The plain Node reference: `node baselines/iterative.js <args…>`, which prints {result, ms, maxRssKiB}. */
export async function reference<R>(args: string[]): Promise<{ result: R; ms: number; peakRss: number }> {
  const { stdout } = await run(process.execPath, [BASELINE, ...args], { maxBuffer: 1 << 30 });
  const out = JSON.parse(stdout) as { result: R; ms: number; maxRssKiB: number };
  return { result: out.result, ms: out.ms, peakRss: out.maxRssKiB * 1024 };
}

/** The later iterations' median and maximum, and first ÷ median. */
function laterStats(ms: number[]): { median: number; max: number; ratio: number } {
  const later = ms.slice(1);
  const m = median(later);
  return { median: m, max: Math.max(...later), ratio: ms[0]! / m };
}

/**
 * Prints the benchmark's table and writes bench/results/<name>.json. `check`
 * says how the results were compared with the reference (they were, before
 * this is called). Returns whether the cached variant met the target, for the
 * caller's summary line; missing it is reported, not thrown: it is a
 * measurement, unlike a wrong result.
 */
export function report<R>(name: string, about: Record<string, unknown>, set: IterativeSettings, runs: VariantRun<R>[], plain: { ms: number; peakRss: number }, check: string): void {
  const region = storageRegionBytes(set.memoryBytes);
  const rows = runs.map((r) => {
    const s = laterStats(r.iterationMs);
    const cachedMem = r.cached.reduce((n, c) => n + c.memoryBytes, 0);
    const cachedDisk = r.cached.reduce((n, c) => n + c.diskBytes, 0);
    const perWorker = r.cached.length ? r.cached.map((c) => c.perWorkerMemory.map(fmtBytes).join(" + ")).join("; ") : "none";
    return [
      r.variant,
      fmtMs(r.iterationMs[0]!),
      fmtMs(s.median),
      fmtMs(s.max),
      `${s.ratio.toFixed(1)}×`,
      fmtMs(r.iterationMs.reduce((a, b) => a + b, 0)),
      r.peakRss.map(fmtBytes).join(", "),
      r.cached.length ? `${fmtBytes(cachedMem)} mem (${perWorker}), ${fmtBytes(cachedDisk)} disk, ${r.cached.map((c) => c.partitions).join("; ")} partitions` : "none",
    ];
  });
  rows.push(["plain Node reference, 1 thread", "", "", "", "", fmtMs(plain.ms), fmtBytes(plain.peakRss), ""]);
  printTable(["variant", "iteration 1", `2..${set.iterations} median`, `2..${set.iterations} slowest`, "first/later", "total", "peak RSS per worker", "cached (GET /api/v1/storage)"], rows);
  const cached = runs.find((r) => r.variant === "cached")!;
  const uncached = runs.find((r) => r.variant === "uncached")!;
  const s = laterStats(cached.iterationMs);
  const slowestRatio = cached.iterationMs[0]! / s.max;
  const fits = cached.cached.every((c) => c.perWorkerMemory.every((b) => b <= region));
  const everyCached = cached.cached.every((c) => c.partitions.split("/")[0] === c.partitions.split("/")[1]);
  console.log(
    `${name}: target every later cached iteration ≥ ${TARGET_RATIO}× faster than the first: ${slowestRatio >= TARGET_RATIO ? "met" : "MISSED"} (slowest later ${slowestRatio.toFixed(1)}×, median ${s.ratio.toFixed(1)}×); ` +
      `cached later iterations ${(median(uncached.iterationMs.slice(1)) / s.median).toFixed(1)}× faster than uncached; ` +
      `cached blocks ${fits ? "within" : "OVER"} the storage region (${fmtBytes(region)} per worker at --memory ${fmtBytes(set.memoryBytes)})${everyCached ? "" : ", NOT every partition cached"}; ` +
      `results ${check}`,
  );
  writeResults(name, {
    ...about,
    scale: set.scale,
    iterations: set.iterations,
    memoryBytes: set.memoryBytes,
    storageRegionBytes: region,
    check,
    reference: { ms: plain.ms, peakRss: plain.peakRss },
    runs: runs.map((r) => ({ variant: r.variant, iterationMs: r.iterationMs, laterMedianMs: laterStats(r.iterationMs).median, peakRss: r.peakRss, cached: r.cached })),
  });
}
