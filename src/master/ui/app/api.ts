// The JSON API as the web UI calls it: one request helper that sends the token
// and turns a 401 into AuthError (so the page asks for a token) and any other
// failure into the API's error message, and one typed call per endpoint. The
// response types are the server's own (type-only imports, erased from the
// browser's script); the server is the page's own origin, so its replies are
// trusted to have them.
import type { FailedTaskView, JobView, StageView } from "../../job-view.js";
import type { StoredAttempt } from "../../job-store.js";
import type { LoadSample, WorkerState } from "../../worker-registry.js";
import type { Heartbeat } from "../../../common/protocol.js";
import { token } from "./token.js";

export type { FailedTaskView, JobView, LoadSample, StageView };

/** One worker as GET /api/v1/workers lists it (master-process.ts' workerView). */
export type WorkerView = Pick<
  Heartbeat,
  | "active_tasks"
  | "mem_usage_mb"
  | "cpu_percent"
  | "avg_task_ms"
  | "tasks_completed"
  | "tasks_failed"
  | "heap_used_mb"
  | "shuffle_bytes_served"
  | "memory_budget_mb"
  | "execution_memory_mb"
  | "spill_count"
  | "spill_bytes"
> & { id: string; address: string; status: WorkerState; slots: number; history: LoadSample[]; registeredAt: string; lastHeartbeatAt: string };

/** One stage's attempts by partition, as GET /api/v1/jobs/{id}/stages/{stage}/tasks answers (job-service.ts' stageTasks). */
export interface StageTasks {
  stage: number;
  tasks: { partition: number; attempts: (StoredAttempt & { durationMs: number | null })[] }[];
}

/** The API refused the token (401): the page signs out and asks for one. */
export class AuthError extends Error {}

async function api<T>(path: string, method = "GET"): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (token()) headers.authorization = "Bearer " + token();
  const res = await fetch(path, { method, headers });
  if (res.status === 401) throw new AuthError(token() ? "That token was not accepted." : "This cluster needs its access token.");
  const body = (await res.json().catch(() => null)) as { error?: { message?: string } } | null;
  if (!res.ok) throw new Error(body?.error?.message || "HTTP " + res.status);
  return body as T;
}

const jobPath = (id: string): string => "/api/v1/jobs/" + encodeURIComponent(id);

export const getWorkers = (): Promise<{ workers: WorkerView[] }> => api("/api/v1/workers");
export const getJobs = (): Promise<{ jobs: JobView[] }> => api("/api/v1/jobs");
export const getJob = (id: string): Promise<JobView> => api(jobPath(id));
export const getStageTasks = (id: string, stage: number): Promise<StageTasks> => api(jobPath(id) + "/stages/" + stage + "/tasks");
export const cancelJob = (id: string): Promise<unknown> => api(jobPath(id) + "/cancel", "POST");
