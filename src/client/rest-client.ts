// A typed client of the master's REST API (DESIGN.md section 2), used by the
// CLI and the library. It talks only to the master, never to workers.
import { requestJson } from "../common/http-client.js";

/** A job's state: PENDING until the scheduler starts it, RUNNING, then one of the three final states. */
export type JobStatus = "PENDING" | "RUNNING" | "COMPLETED" | "FAILED" | "CANCELLED";

/** One stage of a job as the master reports it (a stage ends at a shuffle or at the action). */
export interface StageInfo {
  /** The stage's number within its job. */
  id: number;
  /** What the stage computes, named after its last op. */
  name: string;
  /** PENDING, RUNNING, COMPLETED or FAILED. */
  status: string;
  /** One task per partition. */
  numTasks: number;
  /** How many of its tasks are pending (not started), running, succeeded, or failed after all retries. */
  tasks: { pending: number; running: number; succeeded: number; failed: number };
  /** From its first task's start to its last one's end; null until it ends. */
  durationMs: number | null;
}

/** A job as `GET /api/v1/jobs/{id}` reports it. */
export interface JobInfo {
  /** The job's id, as submit returned it. */
  id: string;
  /** The JobSpec's name (the library's: "<appName>: <action>"). */
  name: string;
  /** Where the job is. */
  status: JobStatus;
  /** The percentage of its tasks finished, 0 to 100. */
  progress: number;
  /** When the job was submitted (ISO 8601, as the other times). */
  submittedAt: string;
  /** When the first task started, or null. */
  startedAt: string | null;
  /** When the job ended, or null. */
  finishedAt: string | null;
  /** Why a FAILED job failed (the failing task's error and record position), else null. */
  error: string | null;
  /** Its stages, in planning order. */
  stages: StageInfo[];
  /** Totals such as durationMs, records and bytes read, shuffled and written. */
  metrics: Record<string, number | null>;
}

/** A worker as `GET /api/v1/workers` reports it, from its last heartbeat. */
export interface WorkerSummary {
  /** The worker's id. */
  id: string;
  /** The URL the worker serves tasks and shuffle blocks at. */
  address: string;
  /** DEAD once unheard for the master's worker timeout. */
  status: "ALIVE" | "DEAD";
  /** How many tasks it runs at once. */
  slots: number;
  /** Tasks running now. */
  active_tasks: number;
  /** The worker process's resident memory. */
  mem_usage_mb: number;
  /** The worker's --memory, and how much of it running tasks hold now. */
  memory_budget_mb: number;
  /** The part of memory_budget_mb running tasks hold now. */
  execution_memory_mb: number;
  /** How often tasks spilled to disk. */
  spill_count: number;
  /** Bytes spilled to disk in all. */
  spill_bytes: number;
  /** CPU use of the worker process. */
  cpu_percent: number;
  /** When the master last heard from it (ISO 8601). */
  lastHeartbeatAt: string;
}

/** A completed job's value, as `GET /api/v1/jobs/{id}/results` returns it. */
export interface JobResults<T = unknown> {
  /** The job's id. */
  id: string;
  /** The action that computed the value. */
  action: string;
  /** The action's value as JSON (for save, a SaveResult). */
  value: T;
}

export const TERMINAL: ReadonlySet<JobStatus> = new Set(["COMPLETED", "FAILED", "CANCELLED"]);

/** A typed client of a master's REST API, for tools that submit and follow jobs themselves; {@link connect} is the library's way in. */
export class MinisparkClient {
  /** The master's URL, without a trailing slash. */
  readonly masterUrl: string;

  constructor(masterUrl: string, private readonly token: string | null = null) {
    this.masterUrl = masterUrl.replace(/\/+$/, "");
  }

  private call<T>(path: string, body?: unknown, method?: string): Promise<T> {
    return requestJson<T>(`${this.masterUrl}${path}`, { body, method, token: this.token, timeoutMs: 60_000 });
  }

  /** Submits a JobSpec; resolves to the new job's id. An invalid spec rejects with the master's message naming each problem. */
  async submit(spec: unknown): Promise<string> {
    return (await this.call<{ id: string }>("/api/v1/jobs", spec)).id;
  }

  /** A job's status, stages and metrics. */
  job(id: string): Promise<JobInfo> {
    return this.call(`/api/v1/jobs/${encodeURIComponent(id)}`);
  }

  /** A COMPLETED job's value; rejects (409) before it completes. */
  results<T = unknown>(id: string): Promise<JobResults<T>> {
    return this.call(`/api/v1/jobs/${encodeURIComponent(id)}/results`);
  }

  /** The jobs the master knows, newest first. */
  async jobs(): Promise<JobInfo[]> {
    return (await this.call<{ jobs: JobInfo[] }>("/api/v1/jobs")).jobs;
  }

  /** The workers the master knows. */
  async workers(): Promise<WorkerSummary[]> {
    return (await this.call<{ workers: WorkerSummary[] }>("/api/v1/workers")).workers;
  }

  /** Cancels a job that has not ended; resolves to it as CANCELLED. */
  cancel(id: string): Promise<JobInfo> {
    return this.call(`/api/v1/jobs/${encodeURIComponent(id)}/cancel`, undefined, "POST");
  }

  /** Polls until the job ends; `onUpdate` sees every state on the way. */
  async wait(id: string, onUpdate?: (job: JobInfo) => void, pollMs = 250): Promise<JobInfo> {
    for (;;) {
      const job = await this.job(id);
      onUpdate?.(job);
      if (TERMINAL.has(job.status)) return job;
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }

  /** Submits, waits, and resolves to the job as it ended and the action's value; throws with the job's error if it fails. */
  async run<T = unknown>(spec: unknown, onUpdate?: (job: JobInfo) => void): Promise<{ job: JobInfo; value: T }> {
    const id = await this.submit(spec);
    const job = await this.wait(id, onUpdate);
    if (job.status !== "COMPLETED") throw new JobFailedError(job);
    return { job, value: (await this.results<T>(id)).value };
  }
}

/** Thrown by {@link MinisparkClient.run} and by a Dataset's actions when the job does not complete. */
export class JobFailedError extends Error {
  /** @param job The job as it ended: its status and error. */
  constructor(readonly job: JobInfo) {
    super(`job ${job.id} ${job.status}${job.error ? `: ${job.error}` : ""}`);
    this.name = "JobFailedError";
  }
}
