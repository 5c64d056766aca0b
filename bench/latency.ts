// Small-job overheads (issue 6) on a warm local cluster of 2 workers × 1 slot:
// latency — `parallelize` 1,000 numbers and `count`, 200 times one after the
// other, end to end (submit, wait, fetch the result) with the client polling
// every 2 ms; scheduler — one job of 20,000 no-op tasks, in tasks per second
// (polled every 200 ms: each poll builds the job's view over all its tasks).
import type { LocalCluster } from "../src/client/local-cluster.js";
import type { JobInfo } from "../src/common/api-types.js";
import { withCluster } from "./cluster.js";
import { fmtMs, printTable, writeResults, type BenchOptions } from "./report.js";

const numbers = (n: number) => Array.from({ length: n }, (_, i) => i);

async function timeJob(cluster: LocalCluster, spec: unknown, pollMs: number): Promise<{ ms: number; value: unknown; job: JobInfo }> {
  const c = cluster.client;
  const t = performance.now();
  const id = await c.submit(spec);
  const job = await c.wait(id, undefined, pollMs);
  if (job.status !== "COMPLETED") throw new Error(`job ${id} ended ${job.status}: ${job.error}`);
  const { value } = await c.results(id);
  return { ms: performance.now() - t, value, job };
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

export async function latencyBench(opts: BenchOptions): Promise<void> {
  const jobs = Number(opts.flags.jobs ?? 200);
  const spec = { name: "bench-latency", nodes: [{ id: "n", op: "parallelize", data: numbers(1000) }], action: { op: "count", input: "n" } };
  const times = await withCluster(opts.dataDir, [], async (cluster) => {
    for (let i = 0; i < 10; i++) await timeJob(cluster, spec, 2); // warm-up
    const out: number[] = [];
    for (let i = 0; i < jobs; i++) {
      const { ms, value } = await timeJob(cluster, spec, 2);
      if (value !== 1000) throw new Error(`count gave ${value}`);
      out.push(ms);
    }
    return out.sort((a, b) => a - b);
  });
  const [p50, p90, p99] = [0.5, 0.9, 0.99].map((q) => quantile(times, q));
  printTable(
    ["benchmark", "jobs", "p50", "p90", "p99", "max", "target"],
    [["latency", String(jobs), fmtMs(p50!), fmtMs(p90!), fmtMs(p99!), fmtMs(times.at(-1)!), `p50 ≤ 15 ms: ${p50! <= 15 ? "met" : "not met"}`]],
  );
  writeResults("latency", { jobs, p50, p90, p99, max: times.at(-1), timesMs: times });
}

export async function schedulerBench(opts: BenchOptions): Promise<void> {
  const tasks = Number(opts.flags.tasks ?? 20_000);
  const spec = { name: "bench-scheduler", nodes: [{ id: "n", op: "parallelize", data: numbers(tasks), numSlices: tasks }], action: { op: "count", input: "n" } };
  const { ms, value, job } = await withCluster(opts.dataDir, [], (cluster) => timeJob(cluster, spec, 200));
  if (value !== tasks) throw new Error(`count gave ${value}`);
  const jobMs = Number(job.metrics.durationMs);
  const rate = (tasks / jobMs) * 1000;
  printTable(
    ["benchmark", "tasks", "job time", "end to end", "tasks/s", "target"],
    [["scheduler", String(tasks), fmtMs(jobMs), fmtMs(ms), rate.toFixed(0), `≥ 5,000 tasks/s: ${rate >= 5000 ? "met" : "not met"}`]],
  );
  writeResults("scheduler", { tasks, jobMs, endToEndMs: ms, tasksPerSecond: rate });
}
