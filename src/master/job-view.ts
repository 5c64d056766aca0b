// The JSON a client sees for a job (GET /api/v1/jobs/{id}): status, progress,
// stages with their task counts and timing, and metrics summed over the
// successful attempts. Built from the live JobRun while the job runs, and
// stored with the job when it ends. The status is the job lifecycle's
// (job-lifecycle.ts), passed in. Pure.
import type { AccumulatorInfo, FailedTaskInfo, PersistedDatasetInfo, JobStatus, StageInfo, TaskMetrics } from "../common/api-types.js";
import type { JobRow, StoredJobView } from "./job-store.js";
import type { JobRun, StageRun } from "./job-run.js";
import { isFailure, reportedFailure } from "./attempt-state.js";
import { childrenOf, type JobPlan, type Rdd } from "../plan/physical.js";

function failedTasks(run: JobRun): FailedTaskInfo[] {
  const out: FailedTaskInfo[] = [];
  for (const s of run.stages) {
    for (const t of s.tasks) {
      if (!t.attempts.some((a) => isFailure(a.state))) continue;
      out.push({
        stage: s.stage.id,
        partition: t.partition,
        status: t.status,
        attempts: t.attempts.map((a) => ({
          id: a.id,
          worker: a.workerId,
          state: a.state,
          error: a.error,
          durationMs: a.finishedAt === null ? null : a.finishedAt - a.startedAt,
        })),
      });
      if (out.length >= 100) return out;
    }
  }
  return out;
}

const iso = (t: number | null): string | null => (t === null ? null : new Date(t).toISOString());

function emptyMetrics(): TaskMetrics {
  return { durationMs: 0, recordsIn: 0, recordsOut: 0, bytesRead: 0, shuffleBytesWritten: 0, shuffleBytesRead: 0, shuffleBytesFetchedRemote: 0, spillCount: 0, spillBytes: 0 };
}

function stageView(s: StageRun, now: number): StageInfo {
  const counts = { pending: 0, running: 0, succeeded: 0, failed: 0 };
  const metrics = emptyMetrics();
  let attempts = 0;
  let failedAttempts = 0;
  for (const t of s.tasks) {
    counts[t.status === "PENDING" ? "pending" : t.status === "RUNNING" ? "running" : t.status === "SUCCEEDED" ? "succeeded" : "failed"]++;
    attempts += t.attempts.length;
    for (const a of t.attempts) {
      if (reportedFailure(a.state)) failedAttempts++;
      if (a.state === "FINISHED" && a.metrics) {
        for (const k of Object.keys(metrics) as (keyof TaskMetrics)[]) metrics[k] += a.metrics[k] ?? 0; // jobs stored before a metric existed lack it
      }
    }
  }
  const end = s.finishedAt ?? (s.startedAt === null ? null : now);
  return {
    id: s.stage.id,
    name: s.stage.name,
    status: s.status,
    kind: s.stage.output.type === "shuffle" ? "shuffleMap" : s.stage.output.type,
    parents: s.stage.parents,
    numTasks: s.stage.numTasks,
    tasks: counts,
    attempts,
    failedAttempts,
    startedAt: iso(s.startedAt),
    finishedAt: iso(s.finishedAt),
    durationMs: s.startedAt === null || end === null ? null : end - s.startedAt,
    metrics,
  };
}

export function jobView(row: JobRow, status: JobStatus, run: JobRun | undefined, now: number): StoredJobView {
  if (!run) {
    const stored = row.view;
    return {
      id: row.id,
      name: row.name,
      status,
      progress: stored?.progress ?? (status === "COMPLETED" ? 100 : 0),
      submittedAt: iso(row.submittedAt)!,
      startedAt: iso(row.startedAt),
      finishedAt: iso(row.finishedAt),
      error: row.error,
      action: stored?.action ?? null,
      stages: stored?.stages ?? [],
      failedTasks: stored?.failedTasks ?? [],
      metrics: stored?.metrics ?? { durationMs: row.finishedAt && row.startedAt ? row.finishedAt - row.startedAt : null },
      application: row.application,
      ...(stored?.accumulators && { accumulators: stored.accumulators }),
      ...(stored?.datasets && { datasets: stored.datasets }),
    };
  }
  const stages = run.stages.map((s) => stageView(s, now));
  const total = stages.reduce((n, s) => n + s.numTasks, 0);
  const done = stages.reduce((n, s) => n + s.tasks.succeeded, 0);
  const sum = (k: keyof TaskMetrics) => stages.reduce((n, s) => n + s.metrics[k], 0);
  const attempts = stages.reduce((n, s) => n + s.attempts, 0);
  return {
    id: row.id,
    name: row.name,
    status,
    progress: total === 0 ? 0 : Math.floor((done / total) * 1000) / 10,
    submittedAt: iso(row.submittedAt)!,
    startedAt: iso(run.startedAt),
    finishedAt: iso(run.finishedAt),
    error: run.error,
    action: run.plan.action.op,
    stages,
    failedTasks: failedTasks(run),
    metrics: {
      durationMs: (run.finishedAt ?? now) - run.startedAt,
      stages: stages.length,
      stagesCompleted: stages.filter((s) => s.status === "COMPLETED").length,
      tasks: total,
      tasksSucceeded: done,
      attempts,
      failedAttempts: stages.reduce((n, s) => n + s.failedAttempts, 0),
      retries: run.stages.reduce((n, s) => n + s.tasks.reduce((m, t) => m + Math.max(0, t.attempts.length - 1), 0), 0),
      recordsIn: sum("recordsIn"),
      recordsOut: stages.filter((s) => s.kind === "result").reduce((n, s) => n + s.metrics.recordsOut, 0),
      bytesRead: sum("bytesRead"),
      shuffleBytesWritten: sum("shuffleBytesWritten"),
      shuffleBytesRead: sum("shuffleBytesRead"),
      shuffleBytesFetchedRemote: sum("shuffleBytesFetchedRemote"),
      spillCount: sum("spillCount"),
      spillBytes: sum("spillBytes"),
      taskTimeMs: sum("durationMs"),
    },
    application: row.application,
    ...accumulatorsOf(run),
    ...datasetsOf(run.plan),
  };
}

/** The plan's persisted RDDs (their cache markers), each once, in stage order. */
function datasetsOf(plan: JobPlan): { datasets?: PersistedDatasetInfo[] } {
  const found = new Map<string, PersistedDatasetInfo>();
  for (const stage of plan.stages) {
    // Its own stack: a lineage is up to MAX_DEPTH deep.
    const stack: Rdd[] = [stage.rdd];
    while (stack.length > 0) {
      const r = stack.pop()!;
      if (r.cache && !found.has(r.cache.datasetId)) found.set(r.cache.datasetId, { node: r.node, datasetId: r.cache.datasetId, level: r.cache.level });
      stack.push(...childrenOf(r));
    }
  }
  return found.size > 0 ? { datasets: [...found.values()] } : {};
}

function accumulatorsOf(run: JobRun): { accumulators?: AccumulatorInfo[] } {
  const accumulators = run.accumulators.view();
  return accumulators ? { accumulators } : {};
}
