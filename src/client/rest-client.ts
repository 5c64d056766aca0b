// A typed client of the master's REST API (DESIGN.md section 2), used by the
// CLI and the library. It talks only to the master, never to workers.
import { requestJson } from "../common/http-client.js";

export type JobStatus = "PENDING" | "RUNNING" | "COMPLETED" | "FAILED" | "CANCELLED";

export interface StageInfo {
  id: number;
  name: string;
  status: string;
  numTasks: number;
  tasks: { pending: number; running: number; succeeded: number; failed: number };
  durationMs: number | null;
}

export interface JobInfo {
  id: string;
  name: string;
  status: JobStatus;
  progress: number;
  submittedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  error: string | null;
  stages: StageInfo[];
  metrics: Record<string, number | null>;
}

export interface WorkerSummary {
  id: string;
  address: string;
  status: "ALIVE" | "DEAD";
  slots: number;
  active_tasks: number;
  mem_usage_mb: number;
  /** The worker's --memory, and how much of it running tasks hold now. */
  memory_budget_mb: number;
  execution_memory_mb: number;
  spill_count: number;
  spill_bytes: number;
  cpu_percent: number;
  lastHeartbeatAt: string;
}

export interface JobResults<T = unknown> {
  id: string;
  action: string;
  value: T;
}

export const TERMINAL: ReadonlySet<JobStatus> = new Set(["COMPLETED", "FAILED", "CANCELLED"]);

export class MinisparkClient {
  readonly masterUrl: string;

  constructor(masterUrl: string, private readonly token: string | null = null) {
    this.masterUrl = masterUrl.replace(/\/+$/, "");
  }

  private call<T>(path: string, body?: unknown, method?: string): Promise<T> {
    return requestJson<T>(`${this.masterUrl}${path}`, { body, method, token: this.token, timeoutMs: 60_000 });
  }

  async submit(spec: unknown): Promise<string> {
    return (await this.call<{ id: string }>("/api/v1/jobs", spec)).id;
  }

  job(id: string): Promise<JobInfo> {
    return this.call(`/api/v1/jobs/${encodeURIComponent(id)}`);
  }

  results<T = unknown>(id: string): Promise<JobResults<T>> {
    return this.call(`/api/v1/jobs/${encodeURIComponent(id)}/results`);
  }

  async jobs(): Promise<JobInfo[]> {
    return (await this.call<{ jobs: JobInfo[] }>("/api/v1/jobs")).jobs;
  }

  async workers(): Promise<WorkerSummary[]> {
    return (await this.call<{ workers: WorkerSummary[] }>("/api/v1/workers")).workers;
  }

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

  /** Submits, waits, and returns the action's value; throws with the job's error if it fails. */
  async run<T = unknown>(spec: unknown, onUpdate?: (job: JobInfo) => void): Promise<{ job: JobInfo; value: T }> {
    const id = await this.submit(spec);
    const job = await this.wait(id, onUpdate);
    if (job.status !== "COMPLETED") throw new JobFailedError(job);
    return { job, value: (await this.results<T>(id)).value };
  }
}

export class JobFailedError extends Error {
  constructor(readonly job: JobInfo) {
    super(`job ${job.id} ${job.status}${job.error ? `: ${job.error}` : ""}`);
    this.name = "JobFailedError";
  }
}
