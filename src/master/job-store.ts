// The master's durable state, behind one interface (JobStore): jobs with their
// spec, status, result and final view; every task attempt; a save's commit
// decision; the workers it has seen. Two implementations: SQLite
// (sqlite-job-store.ts), the master's, and in memory (memory-job-store.ts), for
// tests of the job service. Both keep a jobs row as a JobRecord, JSON columns
// as text, read back through toRow.
import type { AttemptInfo, JobEvent, JobInfo, JobStatus } from "../common/api-types.js";
import type { AppId, JobId, WorkerId } from "../common/ids.js";
import type { JobPlan } from "../plan/physical.js";
import { unresolved, type PlanResolution } from "../plan/resolution.js";
import type { Attempt } from "./job-run.js";
import type { MapStatus } from "./map-output-tracker.js";
import type { CommitDecision } from "./output-commit-coordinator.js";
import { PROTOCOL_VERSION } from "../common/version.js";
import type { Application } from "./application-state.js";

/** A job's view without its events, which the service adds from the store: what is kept with the job when it ends. */
export type StoredJobView = Omit<JobInfo, "events">;

export interface JobRow {
  id: JobId;
  name: string;
  status: JobStatus;
  spec: unknown;
  submittedAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  error: string | null;
  /** The action's value once COMPLETED. */
  result: { action: string; value: unknown } | null;
  /** The job's last view (stages, metrics), kept when it ends. */
  view: StoredJobView | null;
  /** The plan it runs, so a restarted master resumes it unchanged. */
  plan: JobPlan | null;
  /** What the plan's probe stages found so far, so a resumed job does not run them again. */
  resolution: PlanResolution;
  /** Set while a master plans the job and hands it to its scheduler (see planningBegan). */
  planningStartedAt: number | null;
  /** The application the job belongs to, or null. */
  application: AppId | null;
}

/** An attempt as the store keeps it: the API's without the duration it derives. */
export type StoredAttempt = Omit<AttemptInfo, "durationMs">;

export interface StoredMapOutput {
  shuffle: number;
  mapId: number;
  status: MapStatus;
}

/**
 * The master's durable state. Status changes go through job-lifecycle.ts,
 * which owns a job's status; a row's status is where the lifecycle left it.
 */
export interface JobStore {
  /** A new job, PENDING, of `application` if it names one. `specJson`: the spec as JSON text, serialised once by the caller, which weighs it too. */
  insertJob(id: JobId, name: string, specJson: string, now: number, application?: AppId | null): void;
  /** The job is RUNNING this plan (unless it has ended meanwhile), resolved so far as `resolution` (absent: not at all). */
  startJob(id: JobId, now: number, plan: JobPlan, resolution?: PlanResolution): void;
  /**
   * The master is about to plan the job and hand it to its scheduler, work
   * that runs on its event loop: if the process dies before planningEnded, the
   * next master finds the mark and fails the job instead of dying on it again.
   */
  planningBegan(id: JobId, now: number): void;
  planningEnded(id: JobId): void;
  /** The running job's resolution changed (a probe stage completed). */
  saveResolution(id: JobId, resolution: PlanResolution): void;
  putMapOutput(id: JobId, shuffle: number, mapId: number, s: MapStatus): void;
  dropMapOutput(id: JobId, shuffle: number, mapId: number): void;
  /** The map outputs a running job has registered, for a restarted master to resume it with. */
  mapOutputs(id: JobId): StoredMapOutput[];
  /** Every ended attempt of one stage's tasks, by partition then attempt number (at most `limit`). */
  stageAttempts(jobId: JobId, stageId: number, limit: number): StoredAttempt[];
  saveAttempt(jobId: JobId, stageId: number, partition: number, a: Attempt): void;
  /** Something that happened, for the record (job started/ended, worker registered/lost, task failed). */
  event(now: number, jobId: JobId | null, kind: string, detail?: JobEvent["detail"]): void;
  /** A job's events, oldest first. */
  events(jobId: JobId): JobEvent[];
  /** The job ends with this status; its map outputs and commit decision are dropped. */
  endJob(id: JobId, status: JobStatus, now: number, error: string | null, result: JobRow["result"], view: StoredJobView | null): void;
  /**
   * A save's commit decision, stored before any worker publishes: a restarted
   * master finishes that same commit. The first decision stands; a later one
   * for the job is ignored. Returns the one stored.
   */
  saveCommitDecision(d: CommitDecision): CommitDecision;
  commitDecision(id: JobId): CommitDecision | null;
  getJob(id: JobId): JobRow | null;
  /** The newest `limit` jobs, newest first. */
  listJobs(limit: number): JobRow[];
  /** Jobs a previous master process left unfinished (PENDING or RUNNING), oldest first. */
  unfinishedJobs(): JobRow[];
  saveWorker(w: { id: WorkerId; address: string; state: string; slots: number; registeredAt: number; lastHeartbeatAt: number }): void;
  close(): void;
  /** An application, new or changed (renewed, ended). */
  saveApp(app: Application): void;
  getApp(id: AppId): Application | null;
  /** The newest `limit` applications, newest first. */
  listApps(limit: number): Application[];
  /** Applications ACTIVE or ended at `endedSince` or later: what a restarted master holds. */
  loadApps(endedSince: number): Application[];
  /** How many applications are in each status. */
  appCounts(): Record<Application["status"], number>;
  /** How many jobs were submitted under the application. */
  appJobCount(id: AppId): number;
  /** The application's jobs that have not ended (PENDING or RUNNING in the store). */
  unfinishedJobsOf(id: AppId): JobId[];
}

/** A jobs row as stored: JSON columns as text. */
export interface JobRecord {
  id: string;
  name: string;
  status: string;
  spec_json: string;
  submitted_at: number;
  started_at: number | null;
  finished_at: number | null;
  error: string | null;
  result_json: string | null;
  view_json: string | null;
  plan_json: string | null;
  resolution_json: string | null;
  planning_started_at: number | null;
  application: string | null;
}

/** The JSON columns are parsed when read: a job view polled many times a second needs none of them. */
export function toRow(r: JobRecord): JobRow {
  return {
    id: r.id as JobId,
    name: r.name,
    status: r.status as JobStatus,
    get spec() {
      return JSON.parse(r.spec_json) as unknown;
    },
    submittedAt: r.submitted_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    error: r.error,
    get result() {
      return r.result_json ? (JSON.parse(r.result_json) as JobRow["result"]) : null;
    },
    get view() {
      return r.view_json ? (JSON.parse(r.view_json) as StoredJobView) : null;
    },
    get plan() {
      return r.plan_json ? storedPlan(r.plan_json) : null;
    },
    get resolution() {
      // Written with its plan (startJob), so it is read only with a plan of this protocol.
      return r.resolution_json ? (JSON.parse(r.resolution_json) as PlanResolution) : unresolved();
    },
    planningStartedAt: r.planning_started_at ?? null,
    application: (r.application ?? null) as AppId | null,
  };
}

/**
 * A plan as stored: with the wire protocol it was made for, since a plan's
 * shape changes with it. A master resumes only plans of its own protocol; a
 * job planned by another version (or before plans were stamped) is planned
 * again from its spec, like a job that had not started.
 */
interface StoredPlan {
  protocol: number;
  plan: JobPlan;
}

export function storedPlanJson(plan: JobPlan): string {
  return JSON.stringify({ protocol: PROTOCOL_VERSION, plan } satisfies StoredPlan);
}

function storedPlan(json: string): JobPlan | null {
  const stored = JSON.parse(json) as Partial<StoredPlan>;
  return stored.protocol === PROTOCOL_VERSION && stored.plan ? stored.plan : null;
}

/** An apps row as stored. */
export type AppRecord = {
  id: string;
  name: string;
  status: string;
  created_at: number;
  renewed_at: number;
  ended_at: number | null;
  lease_ms: number;
  end_reason: string | null;
};

export function appRecord(a: Application): AppRecord {
  return { id: a.id, name: a.name, status: a.status, created_at: a.createdAt, renewed_at: a.renewedAt, ended_at: a.endedAt, lease_ms: a.leaseMs, end_reason: a.endReason };
}

export function toApp(r: AppRecord): Application {
  return {
    id: r.id as AppId,
    name: r.name,
    status: r.status as Application["status"],
    createdAt: r.created_at,
    renewedAt: r.renewed_at,
    endedAt: r.ended_at,
    leaseMs: r.lease_ms,
    endReason: r.end_reason,
  };
}
