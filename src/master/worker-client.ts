// The master's outbound calls to workers: launch and kill tasks, list input
// splits, prepare, publish, finalize and abort save outputs, and drop a
// finished job's shuffle files. Every call has a timeout and a cap on the
// reply it reads (a worker's reply is a peer's input); the master never reads
// data itself.
import type { S3JobSettings } from "../plan/job-spec.js";
import { peerUrl, requestJson } from "../common/http-client.js";
import type { JobId } from "../common/ids.js";
import type { OutputAbort, OutputFinalize, OutputPrepare, OutputPublish } from "../common/output-messages.js";
import { MAX_SPLIT_REPLY_BYTES } from "./split-reply-check.js";
import type { SplitRequest, TaskLaunchBatch, TaskLaunchReply } from "../cluster/protocol.js";
import type { TaskLaunch } from "../plan/task.js";
import { PROTOCOL_VERSION } from "../common/version.js";

/** Control replies are a few hundred bytes a task; a batch's fits in far less. */
const MAX_CONTROL_REPLY_BYTES = 4 * 2 ** 20;

export class WorkerClient {
  constructor(private readonly token: string | null) {}

  launch(address: string, tasks: TaskLaunch[]): Promise<TaskLaunchReply> {
    return requestJson(peerUrl(address, "/tasks"), {
      body: { protocol: PROTOCOL_VERSION, tasks } satisfies TaskLaunchBatch,
      token: this.token,
      timeoutMs: 30_000,
      maxReplyBytes: MAX_CONTROL_REPLY_BYTES,
    });
  }

  async kill(address: string, attemptId: string): Promise<void> {
    await requestJson(peerUrl(address, `/tasks/${encodeURIComponent(attemptId)}/kill`), { method: "POST", token: this.token, timeoutMs: 10_000, maxReplyBytes: MAX_CONTROL_REPLY_BYTES });
  }

  /** The worker's reply as sent, unchecked (split-reply-check.ts checks it), read up to MAX_SPLIT_REPLY_BYTES. */
  listSplits(address: string, sources: SplitRequest["sources"], s3: S3JobSettings | null): Promise<unknown> {
    return requestJson<unknown>(peerUrl(address, "/splits"), {
      body: { protocol: PROTOCOL_VERSION, sources, ...(s3 !== null && { s3 }) } satisfies SplitRequest,
      token: this.token,
      timeoutMs: 120_000,
      maxReplyBytes: MAX_SPLIT_REPLY_BYTES,
    });
  }

  // `s3`: the job's own S3 settings, for an s3:// output (sent, never logged).
  async prepareOutput(address: string, jobId: JobId, path: string, mode: "error" | "overwrite", s3: S3JobSettings | null = null): Promise<void> {
    await this.outputStep(address, "prepare", { protocol: PROTOCOL_VERSION, jobId, path, mode, ...settings(s3) } satisfies OutputPrepare, 60_000);
  }

  async publishOutput(address: string, jobId: JobId, path: string, parts: OutputPublish["parts"], s3: S3JobSettings | null = null): Promise<void> {
    await this.outputStep(address, "publish", { protocol: PROTOCOL_VERSION, jobId, path, parts, ...settings(s3) } satisfies OutputPublish, 120_000);
  }

  async finalizeOutput(address: string, jobId: JobId, path: string, partitions: number, s3: S3JobSettings | null = null): Promise<void> {
    await this.outputStep(address, "finalize", { protocol: PROTOCOL_VERSION, jobId, path, partitions, ...settings(s3) } satisfies OutputFinalize, 120_000);
  }

  async abortOutput(address: string, jobId: JobId, path: string, committed: boolean, s3: S3JobSettings | null = null): Promise<void> {
    await this.outputStep(address, "abort", { protocol: PROTOCOL_VERSION, jobId, path, committed, ...settings(s3) } satisfies OutputAbort, 120_000);
  }

  private outputStep(address: string, step: "prepare" | "publish" | "finalize" | "abort", body: unknown, timeoutMs: number): Promise<unknown> {
    return requestJson(peerUrl(address, `/outputs/${step}`), { body, token: this.token, timeoutMs, maxReplyBytes: MAX_CONTROL_REPLY_BYTES });
  }

  async dropShuffle(address: string, jobId: JobId): Promise<void> {
    await requestJson(peerUrl(address, `/data/shuffle/${encodeURIComponent(jobId)}`), { method: "DELETE", token: this.token, timeoutMs: 30_000, maxReplyBytes: MAX_CONTROL_REPLY_BYTES });
  }
}

const settings = (s3: S3JobSettings | null): { s3?: S3JobSettings } => (s3 === null ? {} : { s3 });
