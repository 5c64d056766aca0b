// A JobStore in memory, with the SQLite store's semantics (job-store.ts): rows
// kept as the database keeps them, JSON columns as text (so a reader never
// shares an object with a writer), the same orders and the same conditional
// updates. Nothing survives the process: for unit tests of the job service,
// and for a restart test, one instance handed to a second service.
import type { JobEvent, JobStatus } from "../common/api-types.js";
import type { AppId, JobId } from "../common/ids.js";
import type { JobPlan } from "../plan/physical.js";
import { unresolved, type PlanResolution } from "../plan/resolution.js";
import type { Attempt } from "./job-run.js";
import type { Application } from "./application-state.js";
import { appRecord, storedPlanJson, toApp, toRow, type AppRecord, type JobRecord, type JobRow, type JobStore, type StoredAttempt, type StoredJobView, type StoredMapOutput } from "./job-store.js";
import type { MapStatus } from "./map-output-tracker.js";
import type { CommitDecision } from "./output-commit-coordinator.js";

interface AttemptRecord extends StoredAttempt {
  job: JobId;
  stage: number;
}

export class MemoryJobStore implements JobStore {
  /** In insertion order, as SQLite's rowid order. */
  private readonly jobs = new Map<JobId, JobRecord>();
  private readonly outputs = new Map<JobId, Map<string, string>>();
  private readonly log: { time: number; jobId: JobId | null; kind: string; detailJson: string }[] = [];
  private readonly attempts = new Map<string, AttemptRecord>();
  private readonly decisions = new Map<JobId, string>();
  private readonly apps = new Map<AppId, AppRecord>();

  insertJob(id: JobId, name: string, specJson: string, now: number, application: AppId | null = null): void {
    if (this.jobs.has(id)) throw new Error(`UNIQUE constraint failed: jobs.id (${id})`);
    this.jobs.set(id, {
      id,
      name,
      status: "PENDING",
      spec_json: specJson,
      submitted_at: now,
      started_at: null,
      finished_at: null,
      error: null,
      result_json: null,
      view_json: null,
      plan_json: null,
      resolution_json: null,
      planning_started_at: null,
      application,
    });
  }

  startJob(id: JobId, now: number, plan: JobPlan, resolution: PlanResolution = unresolved()): void {
    const r = this.jobs.get(id);
    if (!r || (r.status !== "PENDING" && r.status !== "RUNNING")) return;
    r.status = "RUNNING";
    r.started_at = now;
    r.plan_json = storedPlanJson(plan);
    r.resolution_json = JSON.stringify(resolution);
  }

  planningBegan(id: JobId, now: number): void {
    const r = this.jobs.get(id);
    if (r) r.planning_started_at = now;
  }

  planningEnded(id: JobId): void {
    const r = this.jobs.get(id);
    if (r) r.planning_started_at = null;
  }

  saveResolution(id: JobId, resolution: PlanResolution): void {
    const r = this.jobs.get(id);
    if (r) r.resolution_json = JSON.stringify(resolution);
  }

  putMapOutput(id: JobId, shuffle: number, mapId: number, s: MapStatus): void {
    let byKey = this.outputs.get(id);
    if (!byKey) this.outputs.set(id, (byKey = new Map()));
    byKey.set(`${shuffle}/${mapId}`, JSON.stringify({ shuffle, mapId, status: s }));
  }

  dropMapOutput(id: JobId, shuffle: number, mapId: number): void {
    this.outputs.get(id)?.delete(`${shuffle}/${mapId}`);
  }

  /** In primary key order, as SQLite reads them through that index. */
  mapOutputs(id: JobId): StoredMapOutput[] {
    return [...(this.outputs.get(id)?.values() ?? [])].map((text) => JSON.parse(text) as StoredMapOutput).sort((a, b) => a.shuffle - b.shuffle || a.mapId - b.mapId);
  }

  stageAttempts(jobId: JobId, stageId: number, limit: number): StoredAttempt[] {
    return [...this.attempts.values()]
      .filter((a) => a.job === jobId && a.stage === stageId)
      .sort((a, b) => a.partition - b.partition || a.n - b.n)
      .slice(0, limit)
      .map(({ id, partition, n, worker, state, startedAt, finishedAt, error }) => ({ id, partition, n, worker, state, startedAt, finishedAt, error }));
  }

  saveAttempt(jobId: JobId, stageId: number, partition: number, a: Attempt): void {
    const known = this.attempts.get(a.id);
    if (known) {
      // As the SQLite upsert: only how it ended changes.
      known.state = a.state;
      known.finishedAt = a.finishedAt;
      known.error = a.error;
      return;
    }
    this.attempts.set(a.id, { job: jobId, stage: stageId, id: a.id, partition, n: a.n, worker: a.workerId, state: a.state, startedAt: a.startedAt, finishedAt: a.finishedAt, error: a.error });
  }

  event(now: number, jobId: JobId | null, kind: string, detail: JobEvent["detail"] = {}): void {
    this.log.push({ time: now, jobId, kind, detailJson: JSON.stringify(detail) });
  }

  events(jobId: JobId): JobEvent[] {
    return this.log.filter((e) => e.jobId === jobId).map((e) => ({ time: e.time, kind: e.kind, detail: JSON.parse(e.detailJson) as JobEvent["detail"] }));
  }

  endJob(id: JobId, status: JobStatus, now: number, error: string | null, result: JobRow["result"], view: StoredJobView | null): void {
    this.outputs.delete(id);
    const r = this.jobs.get(id);
    if (r) {
      r.status = status;
      r.finished_at = now;
      r.error = error;
      r.result_json = result === null ? null : JSON.stringify(result);
      r.view_json = view === null ? null : JSON.stringify(view);
    }
    this.decisions.delete(id);
  }

  saveCommitDecision(d: CommitDecision): CommitDecision {
    if (!this.decisions.has(d.job)) this.decisions.set(d.job, JSON.stringify(d));
    return this.commitDecision(d.job)!;
  }

  commitDecision(id: JobId): CommitDecision | null {
    const text = this.decisions.get(id);
    return text === undefined ? null : (JSON.parse(text) as CommitDecision);
  }

  getJob(id: JobId): JobRow | null {
    const r = this.jobs.get(id);
    return r ? toRow({ ...r }) : null;
  }

  listJobs(limit: number): JobRow[] {
    return [...this.jobs.values()]
      .sort((a, b) => b.submitted_at - a.submitted_at || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
      .slice(0, limit)
      .map((r) => toRow({ ...r }));
  }

  unfinishedJobs(): JobRow[] {
    return [...this.jobs.values()]
      .filter((r) => r.status === "PENDING" || r.status === "RUNNING")
      .sort((a, b) => a.submitted_at - b.submitted_at)
      .map((r) => toRow({ ...r }));
  }

  /** Nothing reads workers back from a store (SQLite's table is for an operator's eyes), so none are kept here. */
  saveWorker(): void {}

  close(): void {}

  /** As the SQLite upsert: name, creation and lease stay as first stored. */
  saveApp(app: Application): void {
    const known = this.apps.get(app.id);
    const r = appRecord(app);
    this.apps.set(app.id, known ? { ...known, status: r.status, renewed_at: r.renewed_at, ended_at: r.ended_at, end_reason: r.end_reason } : r);
  }

  getApp(id: AppId): Application | null {
    const r = this.apps.get(id);
    return r ? toApp(r) : null;
  }

  listApps(limit: number): Application[] {
    return [...this.apps.values()]
      .sort((a, b) => b.created_at - a.created_at || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
      .slice(0, limit)
      .map(toApp);
  }

  loadApps(endedSince: number): Application[] {
    return [...this.apps.values()]
      .filter((r) => r.status === "ACTIVE" || (r.ended_at !== null && r.ended_at >= endedSince))
      .sort((a, b) => a.created_at - b.created_at)
      .map(toApp);
  }

  appCounts(): Record<Application["status"], number> {
    const counts = { ACTIVE: 0, ENDED: 0, EXPIRED: 0 };
    for (const r of this.apps.values()) counts[r.status as Application["status"]]++;
    return counts;
  }

  appJobCount(id: AppId): number {
    return [...this.jobs.values()].filter((r) => r.application === id).length;
  }

  unfinishedJobsOf(id: AppId): JobId[] {
    return [...this.jobs.values()]
      .filter((r) => r.application === id && (r.status === "PENDING" || r.status === "RUNNING"))
      .sort((a, b) => a.submitted_at - b.submitted_at)
      .map((r) => r.id as JobId);
  }
}
