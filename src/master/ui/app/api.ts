// The JSON API as the web UI calls it: one request helper that sends the token
// and turns a 401 into AuthError (so the page asks for a token) and any other
// failure into the API's error message, and one typed call per endpoint. The
// response types are the server's own (type-only imports, erased from the
// browser's script); the server is the page's own origin, so its replies are
// trusted to have them.
import type { AccumulatorInfo, ApiError, FailedTaskInfo, JobInfo, JobList, LoadSample, StageInfo, StageTasks, WorkerList, WorkerSummary } from "../../../common/api-types.js";
import type { AppInfo, AppList, CachedDatasetInfo, PersistedDatasetInfo, StorageList } from "../../../common/api-types.js";
import { token } from "./token.js";

export type { AccumulatorInfo, FailedTaskInfo, JobInfo, LoadSample, StageInfo, StageTasks, WorkerSummary };
export type { AppInfo, CachedDatasetInfo, PersistedDatasetInfo };

/** The API refused the token (401): the page signs out and asks for one. */
export class AuthError extends Error {}

async function api<T>(path: string, method = "GET"): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (token()) headers.authorization = "Bearer " + token();
  const res = await fetch(path, { method, headers });
  if (res.status === 401) throw new AuthError(token() ? "That token was not accepted." : "This cluster needs its access token.");
  // Partial: a reply that is not the server's JSON (a proxy's page) has no error to read.
  const body = (await res.json().catch(() => null)) as Partial<ApiError> | null;
  if (!res.ok) throw new Error(body?.error?.message || "HTTP " + res.status);
  return body as T;
}

const jobPath = (id: string): string => "/api/v1/jobs/" + encodeURIComponent(id);

export const getWorkers = (): Promise<WorkerList> => api("/api/v1/workers");
export const getJobs = (): Promise<JobList> => api("/api/v1/jobs");
export const getJob = (id: string): Promise<JobInfo> => api(jobPath(id));
export const getStageTasks = (id: string, stage: number): Promise<StageTasks> => api(jobPath(id) + "/stages/" + stage + "/tasks");
export const cancelJob = (id: string): Promise<unknown> => api(jobPath(id) + "/cancel", "POST");
export const getStorage = (): Promise<StorageList> => api("/api/v1/storage");
export const getApps = (): Promise<AppList> => api("/api/v1/apps");
