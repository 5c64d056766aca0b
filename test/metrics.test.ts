// The metrics computations: the Prometheus text rendering, and the job view's
// per-stage and per-job sums over successful attempts.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { asJobId, asWorkerId, asAttemptId } from "../src/common/ids.js";
import { Counter, Gauge, Histogram, Registry } from "../src/common/prometheus.js";
import { newJobRun } from "../src/master/job-run.js";
import { jobView } from "../src/master/job-view.js";
import { planJob } from "../src/planner/stage-planner.js";
import { validateJobSpec } from "../src/planner/validate.js";
import { unresolved } from "../src/plan/resolution.js";
import type { TaskMetrics } from "../src/common/api-types.js";

describe("Prometheus text", () => {
  it("renders counters with labels, gauges read at scrape time and cumulative histogram buckets", () => {
    const r = new Registry();
    const c = r.add(new Counter("x_total", "Things."));
    c.inc();
    c.inc(2, { kind: 'a"b' });
    r.add(new Gauge("g", "A gauge.", () => [{ labels: { s: "up" }, value: 3 }]));
    const h = r.add(new Histogram("d_seconds", "Durations.", [0.1, 1]));
    h.observe(0.05);
    h.observe(0.5);
    h.observe(5);
    assert.equal(
      r.render(),
      [
        "# HELP x_total Things.",
        "# TYPE x_total counter",
        "x_total 1",
        'x_total{kind="a\\"b"} 2',
        "# HELP g A gauge.",
        "# TYPE g gauge",
        'g{s="up"} 3',
        "# HELP d_seconds Durations.",
        "# TYPE d_seconds histogram",
        'd_seconds_bucket{le="0.1"} 1',
        'd_seconds_bucket{le="1"} 2',
        'd_seconds_bucket{le="+Inf"} 3',
        "d_seconds_sum 5.55",
        "d_seconds_count 3",
        "",
      ].join("\n"),
    );
  });

  it("starts a labelled counter's known values at 0, with no unlabelled sample that would vanish at the first increment", () => {
    const r = new Registry();
    const c = r.add(new Counter("jobs_total", "Jobs.", { name: "status", values: ["ok", "failed"] }));
    const before = r.render();
    assert.ok(!before.includes("jobs_total 0"), before);
    assert.match(before, /jobs_total\{status="ok"\} 0\njobs_total\{status="failed"\} 0/);
    c.inc(1, { status: "failed" });
    assert.match(r.render(), /jobs_total\{status="ok"\} 0\njobs_total\{status="failed"\} 1/);
  });
});

describe("job view metrics", () => {
  it("sums successful attempts per stage and per job, counts retries and failed attempts, and computes progress", () => {
    const spec = validateJobSpec({
      nodes: [
        { id: "n", op: "parallelize", data: [1, 2, 3, 4], numSlices: 2 },
        { id: "p", op: "map", input: "n", fn: "x => [x % 2, x]" },
        { id: "r", op: "reduceByKey", input: "p", fn: "(a, b) => a + b", numPartitions: 2 },
      ],
      action: { op: "collect", input: "r" },
    });
    const plan = planJob(spec, { splits: {}, defaultParallelism: 2 });
    const run = newJobRun(asJobId("j"), "j", plan, { maxTaskRetries: 3, taskTimeoutMs: 0 }, 1000);
    const m = (recordsOut: number, shuffleBytesWritten: number): TaskMetrics => ({
      durationMs: 10,
      recordsIn: 2,
      recordsOut,
      bytesRead: 0,
      shuffleBytesWritten,
      shuffleBytesRead: 0,
      shuffleBytesFetchedRemote: 0,
      spillCount: 1,
      spillBytes: 100,
    });
    const attempt = (n: number, state: "FINISHED" | "FAILED", metrics: TaskMetrics | null) => ({
      id: asAttemptId(`a${n}`),
      n,
      workerId: asWorkerId("w"),
      startedAt: 1000,
      finishedAt: 1010,
      state,
      error: state === "FAILED" ? "x" : null,
      metrics,
    });
    const map = run.stages[0]!;
    map.status = "COMPLETED";
    map.startedAt = 1000;
    map.finishedAt = 1500;
    map.tasks[0]!.attempts = [attempt(0, "FAILED", null), attempt(1, "FINISHED", m(2, 100))];
    map.tasks[1]!.attempts = [attempt(0, "FINISHED", m(2, 50))];
    for (const t of map.tasks) t.status = "SUCCEEDED";
    map.succeeded = 2;
    const view = jobView(
      {
        id: asJobId("j"),
        name: "j",
        status: "RUNNING",
        spec: {},
        submittedAt: 900,
        startedAt: 1000,
        finishedAt: null,
        error: null,
        result: null,
        view: null,
        plan: null,
        resolution: unresolved(),
        planningStartedAt: null,
        application: null,
      },
      "RUNNING",
      run,
      2000,
    );
    assert.equal(view.progress, 50);
    assert.deepEqual(view.stages[0]!.tasks, { pending: 0, running: 0, succeeded: 2, failed: 0 });
    assert.equal(view.stages[0]!.durationMs, 500);
    assert.equal(view.stages[0]!.metrics.shuffleBytesWritten, 150);
    assert.equal(view.stages[0]!.failedAttempts, 1);
    assert.equal(view.metrics.retries, 1);
    assert.equal(view.metrics.failedAttempts, 1);
    assert.equal(view.metrics.spillCount, 2, "only finished attempts' spills count");
    assert.equal(view.metrics.spillBytes, 200);
    assert.equal(view.metrics.stagesCompleted, 1);
    assert.equal(view.metrics.durationMs, 1000);
    assert.deepEqual(
      view.failedTasks.map((f) => [f.stage, f.partition, f.attempts.map((a) => a.state)]),
      [[0, 0, ["FAILED", "FINISHED"]]],
    );
  });
});
