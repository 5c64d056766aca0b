// The worker's Prometheus metrics (GET /metrics): tasks by outcome and their
// durations, slots and active tasks, memory, and the bytes it read, wrote,
// fetched and served for shuffles. Fed by worker-process.ts.
import { Counter, DURATION_BUCKETS, Gauge, Histogram, Registry } from "../common/prometheus.js";
import { addRuntimeMetrics } from "../common/runtime-metrics.js";
import type { TaskMetrics } from "../common/api-types.js";

export class WorkerMetrics {
  private readonly registry = new Registry();
  private readonly tasks = this.registry.add(
    new Counter("minispark_worker_tasks_total", "Task attempts this worker ended, by state.", { name: "state", values: ["finished", "failed", "fetch_failed", "killed"] }),
  );
  private readonly duration = this.registry.add(new Histogram("minispark_worker_task_duration_seconds", "Run time of finished tasks.", DURATION_BUCKETS));
  private readonly inputBytes = this.registry.add(new Counter("minispark_worker_input_bytes_total", "Bytes of input splits read by finished tasks."));
  private readonly recordsIn = this.registry.add(new Counter("minispark_worker_records_in_total", "Input records read by finished tasks."));
  private readonly recordsOut = this.registry.add(new Counter("minispark_worker_records_out_total", "Records finished tasks wrote out."));
  private readonly shuffleWritten = this.registry.add(new Counter("minispark_worker_shuffle_written_bytes_total", "Shuffle bytes written by finished tasks."));
  private readonly shuffleFetched = this.registry.add(new Counter("minispark_worker_shuffle_fetched_bytes_total", "Shuffle bytes finished tasks fetched from other workers."));
  private readonly spills = this.registry.add(new Counter("minispark_worker_spills_total", "Runs finished tasks spilled to disk when their memory share ran out."));
  private readonly spilled = this.registry.add(new Counter("minispark_worker_spilled_bytes_total", "Bytes finished tasks spilled to disk."));
  readonly served = this.registry.add(new Counter("minispark_worker_shuffle_served_bytes_total", "Shuffle block bytes sent to other workers."));

  constructor(stats: { slots: number; active: () => number; executionMemory: () => number; memoryBudget: number }) {
    addRuntimeMetrics(this.registry);
    this.registry.add(new Gauge("minispark_worker_slots", "Task slots of this worker.", () => [{ value: stats.slots }]));
    this.registry.add(new Gauge("minispark_worker_active_tasks", "Tasks running now.", () => [{ value: stats.active() }]));
    this.registry.add(new Gauge("minispark_worker_resident_memory_bytes", "Resident set size.", () => [{ value: process.memoryUsage.rss() }]));
    this.registry.add(new Gauge("minispark_worker_memory_budget_bytes", "The worker's --memory.", () => [{ value: stats.memoryBudget }]));
    this.registry.add(new Gauge("minispark_worker_execution_memory_bytes", "Memory granted to running tasks' aggregation, sort and shuffle buffers.", () => [{ value: stats.executionMemory() }]));
    this.registry.add(new Gauge("minispark_worker_heap_used_bytes", "V8 heap in use on the main thread.", () => [{ value: process.memoryUsage().heapUsed }]));
  }

  taskEnded(state: string, m: TaskMetrics | null): void {
    this.tasks.inc(1, { state: state.toLowerCase() });
    if (!m) return;
    this.duration.observe(m.durationMs / 1000);
    this.inputBytes.inc(m.bytesRead);
    this.recordsIn.inc(m.recordsIn);
    this.recordsOut.inc(m.recordsOut);
    this.shuffleWritten.inc(m.shuffleBytesWritten);
    this.shuffleFetched.inc(m.shuffleBytesFetchedRemote);
    this.spills.inc(m.spillCount);
    this.spilled.inc(m.spillBytes);
  }

  render(): string {
    return this.registry.render();
  }
}
