// A typed client of the master's REST API (DESIGN.md section 2), used by the
// CLI and the library. It talks only to the master, never to workers, but for
// a broadcast's upload, which goes to the worker the master names.
import { hasEnded, type AppInfo, type AppList, type JobInfo, type JobList, type JobPlanText, type JobResults, type SubmitReply, type WorkerList, type WorkerSummary } from "../common/api-types.js";
import type { UnpersistReply } from "../common/api-types.js";
import type { BroadcastCreated, BroadcastDestroyed } from "../common/api-types.js";
import { HttpError, requestRaw } from "../common/http-client.js";
import { requestJson } from "../common/http-client.js";

/** A typed client of a master's REST API, for tools that submit and follow jobs themselves; {@link connect} is the library's way in. */
export class MinisparkClient {
  /** The master's URL, without a trailing slash. */
  readonly masterUrl: string;

  constructor(
    masterUrl: string,
    private readonly token: string | null = null,
  ) {
    this.masterUrl = masterUrl.replace(/\/+$/, "");
  }

  private call<T>(path: string, body?: unknown, method?: string): Promise<T> {
    return requestJson<T>(`${this.masterUrl}${path}`, { body, method, token: this.token, timeoutMs: 60_000 });
  }

  /** Submits a JobSpec; resolves to the new job's id. An invalid spec rejects with the master's message naming each problem. */
  async submit(spec: unknown): Promise<string> {
    return (await this.call<SubmitReply>("/api/v1/jobs", spec)).id;
  }

  /** A job's status, stages and metrics. */
  job(id: string): Promise<JobInfo> {
    return this.call(`/api/v1/jobs/${encodeURIComponent(id)}`);
  }

  /** A COMPLETED job's value; rejects (409) before it completes. */
  results<T = unknown>(id: string): Promise<JobResults<T>> {
    return this.call(`/api/v1/jobs/${encodeURIComponent(id)}/results`);
  }

  /** The job's plan as text: its stages and their RDD trees (Spark's toDebugString). */
  plan(id: string): Promise<JobPlanText> {
    return this.call(`/api/v1/jobs/${encodeURIComponent(id)}/plan`);
  }

  /** The jobs the master knows, newest first. */
  async jobs(): Promise<JobInfo[]> {
    return (await this.call<JobList>("/api/v1/jobs")).jobs;
  }

  /** The workers the master knows. */
  async workers(): Promise<WorkerSummary[]> {
    return (await this.call<WorkerList>("/api/v1/workers")).workers;
  }

  /** Cancels a job that has not ended; resolves to it as CANCELLED. */
  cancel(id: string): Promise<JobInfo> {
    return this.call(`/api/v1/jobs/${encodeURIComponent(id)}/cancel`, undefined, "POST");
  }

  /** Registers an application (a session jobs belong to), held while it is renewed within `leaseMs` (default 30 s). */
  registerApp(name: string, leaseMs?: number): Promise<AppInfo> {
    return this.call("/api/v1/apps", { name, ...(leaseMs === undefined ? {} : { leaseMs }) });
  }

  /** The applications the master knows, newest first. */
  async apps(): Promise<AppInfo[]> {
    return (await this.call<AppList>("/api/v1/apps")).apps;
  }

  /** Extends an application's lease; rejects with status 410 once it has ended, saying why. */
  renewApp(id: string): Promise<AppInfo> {
    return this.call(`/api/v1/apps/${encodeURIComponent(id)}/renew`, undefined, "POST");
  }

  /** Ends an application, cancelling its jobs that have not ended (idempotent). */
  endApp(id: string): Promise<AppInfo> {
    return this.call(`/api/v1/apps/${encodeURIComponent(id)}`, undefined, "DELETE");
  }

  /** Releases a persisted dataset of an application (its id as JobInfo.datasets shows it): the master forgets its blocks, workers drop them with their next heartbeat. Idempotent. */
  unpersist(app: string, datasetId: string): Promise<UnpersistReply> {
    return this.call(`/api/v1/apps/${encodeURIComponent(app)}/datasets/${encodeURIComponent(datasetId)}`, undefined, "DELETE");
  }

  /** Declares a broadcast of the application and uploads its JSON, once, to the worker the master picked; resolves to its id. */
  async broadcast(app: string, json: string): Promise<string> {
    const created = await this.call<BroadcastCreated>(`/api/v1/apps/${encodeURIComponent(app)}/broadcasts`, { bytes: Buffer.byteLength(json) });
    const url = `${created.uploadTo}/broadcasts/${encodeURIComponent(app)}/${encodeURIComponent(created.id)}`;
    const res = await requestRaw(url, { method: "PUT", body: json, token: this.token, timeoutMs: 120_000, maxReplyBytes: 64 * 1024 });
    if (res.status !== 200) {
      let message = res.body.toString("utf8").slice(0, 500);
      try {
        message = (JSON.parse(message) as { error: { message: string } }).error.message;
      } catch {}
      // A worker whose limit is below the master's refuses what the master took.
      const limit = res.status === 413 ? " (over the worker's --max-broadcast-size)" : "";
      throw new HttpError(res.status, "BROADCAST_UPLOAD_FAILED", `uploading broadcast ${created.id} to ${created.uploadTo} failed: ${message}${limit}`);
    }
    return created.id;
  }

  /** Destroys a broadcast: the master forgets it, its workers drop it with their next heartbeat. Idempotent. */
  destroyBroadcast(app: string, id: string): Promise<BroadcastDestroyed> {
    return this.call(`/api/v1/apps/${encodeURIComponent(app)}/broadcasts/${encodeURIComponent(id)}`, undefined, "DELETE");
  }

  /**
   * Waits until the job ends, learning of the end as it happens (the master
   * holds GET /api/v1/jobs/{id}/wait until then); `onUpdate` sees the job's
   * state every `pollMs` on the way, and as it ended.
   */
  async wait(id: string, onUpdate?: (job: JobInfo) => void, pollMs = 250): Promise<JobInfo> {
    const holdMs = onUpdate ? pollMs : 25_000;
    for (;;) {
      const job = await requestJson<JobInfo>(`${this.masterUrl}/api/v1/jobs/${encodeURIComponent(id)}/wait?timeoutMs=${holdMs}`, { token: this.token, timeoutMs: holdMs + 60_000 });
      onUpdate?.(job);
      if (hasEnded(job.status)) return job;
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
