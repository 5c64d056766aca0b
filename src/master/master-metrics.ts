// The master's Prometheus metrics (GET /metrics): workers by state, jobs by
// how they ended and how long they took, task attempts launched and ended by
// state, and the tasks waiting for a slot. Fed by master-process.ts.
import { Counter, DURATION_BUCKETS, Gauge, Histogram, Registry } from "../common/prometheus.js";
import { addRuntimeMetrics } from "../common/runtime-metrics.js";
import type { AppStatus, AttemptState } from "../common/api-types.js";
import type { WorkerRegistry } from "./worker-registry.js";

/** The states an attempt ends in (job-run.ts's AttemptState but RUNNING), as labels. */
const ATTEMPT_END_STATES = ["finished", "failed", "fetch_failed", "killed", "lost", "launch_failed", "timed_out"] as const satisfies readonly Lowercase<Exclude<AttemptState, "RUNNING">>[];

export class MasterMetrics {
  private readonly registry = new Registry();
  readonly jobsSubmitted = this.registry.add(new Counter("minispark_jobs_submitted_total", "Jobs accepted."));
  readonly jobsEnded = this.registry.add(new Counter("minispark_jobs_ended_total", "Jobs ended, by status.", { name: "status", values: ["completed", "failed", "cancelled"] }));
  readonly jobDuration = this.registry.add(new Histogram("minispark_job_duration_seconds", "Run time of ended jobs.", DURATION_BUCKETS));
  readonly attemptsLaunched = this.registry.add(new Counter("minispark_task_attempts_launched_total", "Task attempts sent to workers."));
  readonly attemptsEnded = this.registry.add(new Counter("minispark_task_attempts_ended_total", "Task attempts ended, by state.", { name: "state", values: ATTEMPT_END_STATES }));
  readonly attemptDuration = this.registry.add(new Histogram("minispark_task_attempt_duration_seconds", "Run time of task attempts, as the master saw it.", DURATION_BUCKETS));

  constructor(workers: WorkerRegistry, pendingTasks: () => number) {
    addRuntimeMetrics(this.registry);
    this.registry.add(
      new Gauge("minispark_workers", "Workers by state.", () => {
        const all = workers.all();
        const alive = all.filter((w) => w.state === "ALIVE").length;
        return [
          { labels: { state: "alive" }, value: alive },
          { labels: { state: "dead" }, value: all.length - alive },
        ];
      }),
    );
    this.registry.add(new Gauge("minispark_slots", "Task slots of the live workers.", () => [{ value: workers.alive().reduce((n, w) => n + w.slots, 0) }]));
    this.registry.add(new Gauge("minispark_tasks_pending", "Tasks of running stages waiting for a slot.", () => [{ value: pendingTasks() }]));
  }

  /** minispark_applications{status}: how many applications are in each status. */
  applications(counts: () => Record<AppStatus, number>): void {
    this.registry.add(new Gauge("minispark_applications", "Applications by status.", () => Object.entries(counts()).map(([status, value]) => ({ labels: { status: status.toLowerCase() }, value }))));
  }

  render(): string {
    return this.registry.render();
  }
}
