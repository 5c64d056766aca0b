// The bounded-memory benchmark (issue 5): word count over a large vocabulary
// (an aggregation that must spill) and a sort of every line (an external sort)
// on a local cluster of 2 workers × 1 slot with `--memory M`, over inputs of
// 1×, 4× and 10× M. For each run it reports every worker's peak resident
// memory (VmHWM; a fresh cluster per run, so the peak is that run's) next to
// its idle RSS and the target 1.5 × M + idle, the bytes spilled, the job's wall
// time and its time per input MiB relative to the 1× run.
import { parseSize } from "../src/common/size.js";
import { withCluster } from "./cluster.js";
import { textInput, type TextInput } from "./inputs.js";
import { residentBytes } from "./proc-memory.js";
import { fmtBytes, fmtMs, printTable, writeResults, type BenchOptions } from "./report.js";
import { savedParts, summariseFiles } from "./sorted-output.js";

const MB = 1024 * 1024;
const VOCABULARY = 2_000_000;

interface Run {
  job: string;
  factor: number;
  inputBytes: number;
  memoryBytes: number;
  idleRss: number[];
  peakRss: number[];
  spillBytes: number;
  spillCount: number;
  wallMs: number;
  msPerMiB: number;
}

const JOBS: Record<string, (input: TextInput) => { spec: unknown; check(value: unknown, dataDir: string): void }> = {
  wordcount: (input) => ({
    spec: {
      name: "bench-memory-wordcount",
      nodes: [
        { id: "lines", op: "textFile", path: input.path },
        { id: "words", op: "flatMap", input: "lines", fn: "l => l.split(' ')" },
        { id: "ones", op: "map", input: "words", fn: "w => [w, 1]" },
        { id: "counts", op: "reduceByKey", input: "ones", fn: "(a, b) => a + b" },
      ],
      action: { op: "count", input: "counts" },
    },
    check: (value) => {
      if (value !== input.distinctWords) throw new Error(`word count found ${value} distinct words, the input has ${input.distinctWords}`);
    },
  }),
  sort: (input) => ({
    spec: {
      name: "bench-memory-sort",
      nodes: [
        { id: "lines", op: "textFile", path: input.path },
        { id: "sorted", op: "sortBy", input: "lines", fn: "l => l" },
      ],
      action: { op: "save", input: "sorted", path: "bench-sorted", format: "text", mode: "overwrite" },
    },
    check: (_, dataDir) => {
      // Every line once (as many lines as the input), globally ordered.
      const { lines } = summariseFiles(savedParts(dataDir, "bench-sorted"), Infinity);
      if (lines !== input.lines) throw new Error(`sorted output has ${lines} lines, the input ${input.lines}`);
    },
  }),
};

export async function memoryBench(opts: BenchOptions): Promise<void> {
  const memoryBytes = parseSize(opts.flags.memory ?? "128mb");
  const factors = (opts.flags.sizes ?? "1,4,10").split(",").map(Number);
  const jobs = (opts.flags.jobs ?? "wordcount,sort").split(",");
  for (const j of jobs) if (!JOBS[j]) throw new Error(`unknown job "${j}"; choose from ${Object.keys(JOBS).join(", ")}`);
  const runs: Run[] = [];
  for (const job of jobs) {
    for (const factor of factors) {
      const input = textInput(opts.dataDir, `text-${factor * memoryBytes}.txt`, factor * memoryBytes, VOCABULARY, 42);
      console.error(`memory: ${job} over ${fmtBytes(input.bytes)} with --memory ${fmtBytes(memoryBytes)}…`);
      runs.push(await runOnce(job, factor, input, memoryBytes, opts.dataDir));
    }
  }
  const base = new Map(runs.filter((r) => r.factor === Math.min(...factors)).map((r) => [r.job, r.msPerMiB]));
  printTable(
    ["job", "input", "--memory", "peak RSS per worker", "idle RSS", "target ≤ 1.5×M+idle", "spilled", "spills", "wall", "s/GiB", "vs smallest"],
    runs.map((r) => {
      const limit = r.idleRss.map((idle) => 1.5 * r.memoryBytes + idle);
      const ok = r.peakRss.every((p, i) => p <= limit[i]!);
      return [
        r.job,
        `${fmtBytes(r.inputBytes)} (${r.factor}×)`,
        fmtBytes(r.memoryBytes),
        r.peakRss.map(fmtBytes).join(", "),
        r.idleRss.map(fmtBytes).join(", "),
        `${ok ? "met" : "MISSED"} (${limit.map(fmtBytes).join(", ")})`,
        fmtBytes(r.spillBytes),
        String(r.spillCount),
        fmtMs(r.wallMs),
        ((r.msPerMiB * 1024) / 1000).toFixed(1),
        `${(r.msPerMiB / base.get(r.job)!).toFixed(2)}×`,
      ];
    }),
  );
  writeResults("memory", { memoryBytes, runs });
}

async function runOnce(job: string, factor: number, input: TextInput, memoryBytes: number, dataDir: string): Promise<Run> {
  return withCluster(dataDir, ["--memory", String(memoryBytes)], async (cluster) => {
    // Let the freshly started threads settle before taking the idle reading.
    await new Promise((r) => setTimeout(r, 1000));
    const pids = cluster.workerProcesses.map((p) => p.pid!);
    const idleRss = pids.map((pid) => residentBytes(pid).rss);
    const { spec, check } = JOBS[job]!(input);
    const started = performance.now();
    const { job: info, value } = await cluster.client.run(spec);
    const wallMs = performance.now() - started;
    const peakRss = pids.map((pid) => residentBytes(pid).peak);
    check(value, dataDir);
    const m = info.metrics;
    return {
      job,
      factor,
      inputBytes: input.bytes,
      memoryBytes,
      idleRss,
      peakRss,
      spillBytes: Number(m.spillBytes ?? 0),
      spillCount: Number(m.spillCount ?? 0),
      wallMs,
      msPerMiB: wallMs / (input.bytes / MB),
    };
  });
}
