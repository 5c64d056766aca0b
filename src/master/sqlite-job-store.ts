// The JobStore on SQLite (synchronous, so a write is done when the call
// returns; sql-database.ts picks the driver): a master restarted on the same
// database still lists every job it knew.
import { dirname } from "node:path";
import type { JobEvent, JobStatus } from "../common/api-types.js";
import { errorMessage } from "../common/errors.js";
import type { AppId, JobId, WorkerId } from "../common/ids.js";
import { logger } from "../common/log.js";
import { makeDatabasePrivate, makePrivateDir } from "../common/private-files.js";
import type { JobPlan } from "../plan/physical.js";
import { unresolved, type PlanResolution } from "../plan/resolution.js";
import type { Attempt } from "./job-run.js";
import { appRecord, storedPlanJson, toApp, toRow, type AppRecord, type JobRecord, type JobRow, type JobStore, type StoredAttempt, type StoredJobView, type StoredMapOutput } from "./job-store.js";
import type { Application } from "./application-state.js";
import type { MapStatus } from "./map-output-tracker.js";
import { openSqlDatabase, SQLITE_DRIVER, type SqlDatabase, type SqliteDriver } from "./sql-database.js";
import type { CommitDecision } from "./output-commit-coordinator.js";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS jobs (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  status TEXT NOT NULL,
  spec_json TEXT NOT NULL,
  submitted_at INTEGER NOT NULL,
  started_at INTEGER,
  finished_at INTEGER,
  error TEXT,
  result_json TEXT,
  view_json TEXT,
  plan_json TEXT,
  resolution_json TEXT
);
CREATE TABLE IF NOT EXISTS map_outputs (
  job_id TEXT NOT NULL,
  shuffle INTEGER NOT NULL,
  map_id INTEGER NOT NULL,
  worker_id TEXT NOT NULL,
  address TEXT NOT NULL,
  sizes_json TEXT NOT NULL,
  PRIMARY KEY (job_id, shuffle, map_id)
);
CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  time INTEGER NOT NULL,
  job_id TEXT,
  kind TEXT NOT NULL,
  detail_json TEXT
);
CREATE INDEX IF NOT EXISTS events_by_job ON events (job_id);
CREATE TABLE IF NOT EXISTS attempts (
  id TEXT PRIMARY KEY,
  job_id TEXT NOT NULL,
  stage_id INTEGER NOT NULL,
  partition INTEGER NOT NULL,
  n INTEGER NOT NULL,
  worker_id TEXT NOT NULL,
  state TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  finished_at INTEGER,
  error TEXT,
  metrics_json TEXT
);
CREATE INDEX IF NOT EXISTS attempts_by_job ON attempts (job_id);
CREATE TABLE IF NOT EXISTS output_commits (
  job_id TEXT PRIMARY KEY,
  decision_json TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS workers (
  id TEXT PRIMARY KEY,
  address TEXT NOT NULL,
  state TEXT NOT NULL,
  slots INTEGER NOT NULL,
  registered_at INTEGER NOT NULL,
  last_heartbeat_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS apps (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  status TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  renewed_at INTEGER NOT NULL,
  ended_at INTEGER,
  lease_ms INTEGER NOT NULL,
  end_reason TEXT
);
CREATE INDEX IF NOT EXISTS apps_by_status ON apps (status, ended_at);
`;

const FLUSH_MS = 50;
const log = logger("store");

export class SqliteJobStore implements JobStore {
  private readonly db: SqlDatabase;
  private readonly stmts;
  /**
   * Attempt and map output rows, written together in one transaction every
   * FLUSH_MS: a busy master records thousands a second, and one commit each
   * would cost more than scheduling the tasks. A master that crashes loses the
   * last few; they are redone like any lost work. Reads flush first.
   */
  private readonly deferred: (() => void)[] = [];

  constructor(path: string, driver: SqliteDriver = SQLITE_DRIVER) {
    if (path !== ":memory:") {
      makePrivateDir(dirname(path));
      makeDatabasePrivate(path);
    }
    this.db = openSqlDatabase(path, driver);
    this.db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL");
    this.db.exec(SCHEMA);
    const jobColumns = this.db.prepare("PRAGMA table_info(jobs)");
    const columns = jobColumns.all() as { name: string }[];
    if (!columns.some((c) => c.name === "plan_json")) this.db.exec("ALTER TABLE jobs ADD COLUMN plan_json TEXT");
    if (!columns.some((c) => c.name === "planning_started_at")) this.db.exec("ALTER TABLE jobs ADD COLUMN planning_started_at INTEGER");
    if (!columns.some((c) => c.name === "resolution_json")) this.db.exec("ALTER TABLE jobs ADD COLUMN resolution_json TEXT");
    if (!columns.some((c) => c.name === "application")) this.db.exec("ALTER TABLE jobs ADD COLUMN application TEXT");
    // After the column: a database from before applications gets it first.
    this.db.exec("CREATE INDEX IF NOT EXISTS jobs_by_application ON jobs (application, status)");
    this.stmts = {
      jobColumns,
      insertJob: this.db.prepare("INSERT INTO jobs (id, name, status, spec_json, submitted_at, application) VALUES (@id, @name, @status, @spec_json, @submitted_at, @application)"),
      startJob: this.db.prepare("UPDATE jobs SET status = 'RUNNING', started_at = ?, plan_json = ?, resolution_json = ? WHERE id = ? AND status IN ('PENDING', 'RUNNING')"),
      saveResolution: this.db.prepare("UPDATE jobs SET resolution_json = ? WHERE id = ?"),
      planningBegan: this.db.prepare("UPDATE jobs SET planning_started_at = ? WHERE id = ?"),
      planningEnded: this.db.prepare("UPDATE jobs SET planning_started_at = NULL WHERE id = ?"),
      putMapOutput: this.db.prepare(
        `INSERT INTO map_outputs (job_id, shuffle, map_id, worker_id, address, sizes_json) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (job_id, shuffle, map_id) DO UPDATE SET worker_id = excluded.worker_id, address = excluded.address, sizes_json = excluded.sizes_json`,
      ),
      dropMapOutput: this.db.prepare("DELETE FROM map_outputs WHERE job_id = ? AND shuffle = ? AND map_id = ?"),
      mapOutputs: this.db.prepare("SELECT * FROM map_outputs WHERE job_id = ?"),
      dropJobOutputs: this.db.prepare("DELETE FROM map_outputs WHERE job_id = ?"),
      event: this.db.prepare("INSERT INTO events (time, job_id, kind, detail_json) VALUES (?, ?, ?, ?)"),
      endJob: this.db.prepare("UPDATE jobs SET status = @status, finished_at = @finished_at, error = @error, result_json = @result_json, view_json = @view_json WHERE id = @id"),
      getJob: this.db.prepare("SELECT * FROM jobs WHERE id = ?"),
      putCommitDecision: this.db.prepare("INSERT INTO output_commits (job_id, decision_json) VALUES (?, ?) ON CONFLICT (job_id) DO NOTHING"),
      commitDecision: this.db.prepare("SELECT decision_json FROM output_commits WHERE job_id = ?"),
      dropCommitDecision: this.db.prepare("DELETE FROM output_commits WHERE job_id = ?"),
      listJobs: this.db.prepare("SELECT * FROM jobs ORDER BY submitted_at DESC, id DESC LIMIT ?"),
      upsertAttempt: this.db.prepare(
        `INSERT INTO attempts (id, job_id, stage_id, partition, n, worker_id, state, started_at, finished_at, error, metrics_json)
         VALUES (@id, @job_id, @stage_id, @partition, @n, @worker_id, @state, @started_at, @finished_at, @error, @metrics_json)
         ON CONFLICT (id) DO UPDATE SET state = excluded.state, finished_at = excluded.finished_at,
           error = excluded.error, metrics_json = excluded.metrics_json`,
      ),
      stageAttempts: this.db.prepare("SELECT * FROM attempts WHERE job_id = ? AND stage_id = ? ORDER BY partition, n LIMIT ?"),
      events: this.db.prepare("SELECT time, kind, detail_json FROM events WHERE job_id = ? ORDER BY id"),
      unfinishedJobs: this.db.prepare("SELECT * FROM jobs WHERE status IN ('PENDING', 'RUNNING') ORDER BY submitted_at"),
      upsertWorker: this.db.prepare(
        `INSERT INTO workers (id, address, state, slots, registered_at, last_heartbeat_at)
         VALUES (@id, @address, @state, @slots, @registered_at, @last_heartbeat_at)
         ON CONFLICT (id) DO UPDATE SET address = excluded.address, state = excluded.state, slots = excluded.slots,
           last_heartbeat_at = excluded.last_heartbeat_at`,
      ),
      upsertApp: this.db.prepare(
        `INSERT INTO apps (id, name, status, created_at, renewed_at, ended_at, lease_ms, end_reason)
         VALUES (@id, @name, @status, @created_at, @renewed_at, @ended_at, @lease_ms, @end_reason)
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, renewed_at = excluded.renewed_at, ended_at = excluded.ended_at, end_reason = excluded.end_reason`,
      ),
      getApp: this.db.prepare("SELECT * FROM apps WHERE id = ?"),
      listApps: this.db.prepare("SELECT * FROM apps ORDER BY created_at DESC, id DESC LIMIT ?"),
      loadApps: this.db.prepare("SELECT * FROM apps WHERE status = 'ACTIVE' OR ended_at >= ? ORDER BY created_at"),
      appCounts: this.db.prepare("SELECT status, COUNT(*) AS n FROM apps GROUP BY status"),
      appJobCount: this.db.prepare("SELECT COUNT(*) AS n FROM jobs WHERE application = ?"),
      unfinishedJobsOf: this.db.prepare("SELECT id FROM jobs WHERE application = ? AND status IN ('PENDING', 'RUNNING') ORDER BY submitted_at"),
    };
  }

  private defer(write: () => void): void {
    if (this.deferred.length === 0) setTimeout(() => this.flush(), FLUSH_MS).unref();
    this.deferred.push(write);
  }

  /**
   * Writes the deferred rows in one transaction. If it fails (e.g. a full
   * disk) they stay, to be written with the next ones, and the master goes on:
   * these rows matter only after a restart.
   */
  private flush(): void {
    if (this.deferred.length === 0 || !this.db.isOpen) return;
    try {
      this.db.transaction(() => {
        for (const write of this.deferred) write();
      });
      this.deferred.length = 0;
    } catch (e) {
      log.error("could not write attempts and map outputs to the job database; will retry", { rows: this.deferred.length, error: errorMessage(e) });
      setTimeout(() => this.flush(), FLUSH_MS * 20).unref();
    }
  }

  /** `specJson`: the spec as JSON text, serialised once by the caller, which weighs it too. */
  insertJob(id: JobId, name: string, specJson: string, now: number, application: AppId | null = null): void {
    this.stmts.insertJob.run({ id, name, status: "PENDING", spec_json: specJson, submitted_at: now, application });
  }

  startJob(id: JobId, now: number, plan: JobPlan, resolution: PlanResolution = unresolved()): void {
    this.stmts.startJob.run(now, storedPlanJson(plan), JSON.stringify(resolution), id);
  }

  /**
   * The master is about to plan the job and hand it to its scheduler, work
   * that runs on its event loop: if the process dies before planningEnded, the
   * next master finds the mark and fails the job instead of dying on it again.
   */
  planningBegan(id: JobId, now: number): void {
    this.stmts.planningBegan.run(now, id);
  }

  planningEnded(id: JobId): void {
    this.stmts.planningEnded.run(id);
  }

  saveResolution(id: JobId, resolution: PlanResolution): void {
    this.stmts.saveResolution.run(JSON.stringify(resolution), id);
  }

  putMapOutput(id: JobId, shuffle: number, mapId: number, s: MapStatus): void {
    const sizes = JSON.stringify(s.sizes);
    this.defer(() => this.stmts.putMapOutput.run(id, shuffle, mapId, s.workerId, s.address, sizes));
  }

  dropMapOutput(id: JobId, shuffle: number, mapId: number): void {
    this.defer(() => this.stmts.dropMapOutput.run(id, shuffle, mapId));
  }

  mapOutputs(id: JobId): StoredMapOutput[] {
    this.flush();
    const rows = this.stmts.mapOutputs.all(id) as { shuffle: number; map_id: number; worker_id: string; address: string; sizes_json: string }[];
    return rows.map((r) => ({
      shuffle: r.shuffle,
      mapId: r.map_id,
      status: { workerId: r.worker_id as WorkerId, address: r.address, sizes: JSON.parse(r.sizes_json) as number[] },
    }));
  }

  /** Every attempt of one stage's tasks, by partition then attempt number (at most `limit`). */
  stageAttempts(jobId: JobId, stageId: number, limit: number): StoredAttempt[] {
    this.flush();
    const rows = this.stmts.stageAttempts.all(jobId, stageId, limit) as {
      id: string;
      partition: number;
      n: number;
      worker_id: string;
      state: string;
      started_at: number;
      finished_at: number | null;
      error: string | null;
    }[];
    return rows.map((r) => ({
      id: r.id,
      partition: r.partition,
      n: r.n,
      worker: r.worker_id,
      state: r.state as StoredAttempt["state"],
      startedAt: r.started_at,
      finishedAt: r.finished_at,
      error: r.error,
    }));
  }

  /** Something that happened, for the record (job started/ended, worker registered/lost, task failed). */
  event(now: number, jobId: JobId | null, kind: string, detail: JobEvent["detail"] = {}): void {
    this.stmts.event.run(now, jobId, kind, JSON.stringify(detail));
  }

  events(jobId: JobId): JobEvent[] {
    const rows = this.stmts.events.all(jobId) as { time: number; kind: string; detail_json: string }[];
    return rows.map((r) => ({ time: r.time, kind: r.kind, detail: JSON.parse(r.detail_json) as JobEvent["detail"] }));
  }

  endJob(id: JobId, status: JobStatus, now: number, error: string | null, result: JobRow["result"], view: StoredJobView | null): void {
    this.flush();
    this.stmts.dropJobOutputs.run(id);
    this.stmts.endJob.run({
      id,
      status,
      finished_at: now,
      error,
      result_json: result === null ? null : JSON.stringify(result),
      view_json: view === null ? null : JSON.stringify(view),
    });
    // Only once the job is terminal: a master that dies in between finds the decision again.
    this.stmts.dropCommitDecision.run(id);
  }

  /**
   * A save's commit decision, written (synchronously, unlike attempts) before
   * any worker publishes: a restarted master finishes that same commit. The
   * first decision stands; a later one for the job is ignored.
   */
  saveCommitDecision(d: CommitDecision): CommitDecision {
    this.stmts.putCommitDecision.run(d.job, JSON.stringify(d));
    return this.commitDecision(d.job)!;
  }

  commitDecision(id: JobId): CommitDecision | null {
    const r = this.stmts.commitDecision.get(id) as { decision_json: string } | undefined;
    return r ? (JSON.parse(r.decision_json) as CommitDecision) : null;
  }

  getJob(id: JobId): JobRow | null {
    const r = this.stmts.getJob.get(id) as JobRecord | undefined;
    return r ? toRow(r) : null;
  }

  listJobs(limit: number): JobRow[] {
    return (this.stmts.listJobs.all(limit) as JobRecord[]).map(toRow);
  }

  /** Jobs a previous master process left unfinished. */
  unfinishedJobs(): JobRow[] {
    const rows = this.stmts.unfinishedJobs.all() as JobRecord[];
    return rows.map(toRow);
  }

  saveAttempt(jobId: JobId, stageId: number, partition: number, a: Attempt): void {
    const row = {
      id: a.id,
      job_id: jobId,
      stage_id: stageId,
      partition,
      n: a.n,
      worker_id: a.workerId,
      state: a.state,
      started_at: a.startedAt,
      finished_at: a.finishedAt,
      error: a.error,
      metrics_json: a.metrics ? JSON.stringify(a.metrics) : null,
    };
    this.defer(() => this.stmts.upsertAttempt.run(row));
  }

  saveWorker(w: { id: WorkerId; address: string; state: string; slots: number; registeredAt: number; lastHeartbeatAt: number }): void {
    this.stmts.upsertWorker.run({
      id: w.id,
      address: w.address,
      state: w.state,
      slots: w.slots,
      registered_at: w.registeredAt,
      last_heartbeat_at: w.lastHeartbeatAt,
    });
  }

  close(): void {
    this.flush();
    this.db.close();
  }

  saveApp(app: Application): void {
    this.stmts.upsertApp.run(appRecord(app));
  }

  getApp(id: AppId): Application | null {
    const r = this.stmts.getApp.get(id) as AppRecord | undefined;
    return r ? toApp(r) : null;
  }

  listApps(limit: number): Application[] {
    return (this.stmts.listApps.all(limit) as AppRecord[]).map(toApp);
  }

  loadApps(endedSince: number): Application[] {
    return (this.stmts.loadApps.all(endedSince) as AppRecord[]).map(toApp);
  }

  appCounts(): Record<Application["status"], number> {
    const counts = { ACTIVE: 0, ENDED: 0, EXPIRED: 0 };
    for (const r of this.stmts.appCounts.all() as { status: keyof typeof counts; n: number }[]) counts[r.status] = r.n;
    return counts;
  }

  appJobCount(id: AppId): number {
    return (this.stmts.appJobCount.get(id) as { n: number }).n;
  }

  unfinishedJobsOf(id: AppId): JobId[] {
    return (this.stmts.unfinishedJobsOf.all(id) as { id: JobId }[]).map((r) => r.id);
  }
}
