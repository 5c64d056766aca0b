// The master → worker messages of a save's output commit (POST /outputs/prepare,
// /outputs/publish, /outputs/finalize, /outputs/abort) and their checks at the
// worker's HTTP edge: ids go into paths there, so a job id and an attempt id
// must have the exact shapes the master makes (ids.ts), and an attempt must
// belong to the job it is published for. Used by master/worker-client.ts
// (sending) and worker/worker-process.ts (receiving).
import { MinisparkError } from "./errors.js";
import type { AttemptId, JobId } from "./ids.js";
import { type S3PartUpload, s3PartUploadProblem } from "./s3-part-upload.js";

/** What every output request carries: the job, its output, and for an s3:// one the job's S3 settings (secrets: never logged). */
interface OutputRequest {
  protocol: number;
  jobId: JobId;
  path: string;
  s3?: unknown;
}

export interface OutputPrepare extends OutputRequest {
  mode: "error" | "overwrite";
}

/** One authorised part; for an s3:// output also its name and the upload that completing publishes it. */
export interface PublishedPart {
  partition: number;
  attemptId: AttemptId;
  file?: string;
  upload?: S3PartUpload;
}

/** Publish these partitions' staged files, each the authorised attempt's. */
export interface OutputPublish extends OutputRequest {
  parts: PublishedPart[];
}

export interface OutputFinalize extends OutputRequest {
  /** The job's partition count, recorded in _SUCCESS. */
  partitions: number;
}

export interface OutputAbort extends OutputRequest {
  /** The job committed on other workers: drop only an unused reservation here, never its output. */
  committed: boolean;
}

/** newJobId()'s shape: "job-" + 9 base-36 digits + "-" + 6 hex digits. */
const JOB_ID = /^job-[0-9a-z]{9}-[0-9a-f]{6}$/;
/** attemptIdOf()'s shape after the job id: ".<stage>.<partition>.<n>", then "@<incarnation>" or nothing. */
const ATTEMPT_TAIL = /^\.\d{1,9}\.(\d{1,9})\.\d{1,9}(@[0-9a-f]{1,32})?$/;
/** More partitions than any job may have is not a count we send. */
const MAX_PARTS = 1_000_000;
/** Parts per publish request: about 300 KB of JSON, well inside a worker's default 1 MB body limit. */
export const PUBLISH_BATCH = 4096;
/** Upload part ETags per publish request to S3: about 600 KB of JSON. */
export const PUBLISH_ETAGS = 10_000;

function object(body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== "object" || Array.isArray(body)) throw new MinisparkError("BAD_REQUEST", "an output request is a JSON object");
  return body as Record<string, unknown>;
}

function jobId(b: Record<string, unknown>): JobId {
  const id = b.jobId;
  if (typeof id !== "string" || !JOB_ID.test(id)) throw new MinisparkError("BAD_REQUEST", `jobId ${JSON.stringify(id)?.slice(0, 80)} is not a job id`);
  return id as JobId;
}

function path(b: Record<string, unknown>): string {
  if (typeof b.path !== "string") throw new MinisparkError("BAD_REQUEST", "an output request needs a path (a string)");
  return b.path;
}

/** The fields every request has; its S3 settings, if any, are the receiver's to check (they are a job's, and secret). */
function request(b: Record<string, unknown>): OutputRequest {
  return { protocol: b.protocol as number, jobId: jobId(b), path: path(b), ...(b.s3 !== undefined && { s3: b.s3 }) };
}

function count(v: unknown, what: string): number {
  if (!Number.isSafeInteger(v) || (v as number) < 0 || (v as number) > MAX_PARTS) throw new MinisparkError("BAD_REQUEST", `${what} must be an integer from 0 to ${MAX_PARTS}`);
  return v as number;
}

export function parsePrepare(body: unknown): OutputPrepare {
  const b = object(body);
  if (b.mode !== "error" && b.mode !== "overwrite") throw new MinisparkError("BAD_REQUEST", 'mode must be "error" or "overwrite"');
  return { ...request(b), mode: b.mode };
}

export function parsePublish(body: unknown): OutputPublish {
  const b = object(body);
  const id = jobId(b);
  if (!Array.isArray(b.parts) || b.parts.length > PUBLISH_BATCH) throw new MinisparkError("BAD_REQUEST", `parts must be an array of at most ${PUBLISH_BATCH}`);
  const parts = b.parts.map((p: unknown) => {
    const o = object(p);
    const a = o.attemptId;
    const partition = count(o.partition, "a part's partition");
    const tail = typeof a === "string" && a.startsWith(`${id}.`) ? ATTEMPT_TAIL.exec(a.slice(id.length)) : null;
    if (!tail || Number(tail[1]) !== partition) {
      throw new MinisparkError("BAD_REQUEST", `attemptId ${JSON.stringify(a)?.slice(0, 80)} is not an attempt of partition ${partition} of job ${id}`);
    }
    if (o.upload === undefined) return { partition, attemptId: a as AttemptId };
    const problem = s3PartUploadProblem(o.upload);
    if (problem !== null) throw new MinisparkError("BAD_REQUEST", `partition ${partition}: ${problem}`);
    if (typeof o.file !== "string" || o.file.length > 200) throw new MinisparkError("BAD_REQUEST", `partition ${partition}: an uploaded part needs its file name`);
    return { partition, attemptId: a as AttemptId, file: o.file, upload: o.upload as S3PartUpload };
  });
  const etags = parts.reduce((n, p) => n + (p.upload?.parts.length ?? 0), 0);
  if (etags > PUBLISH_ETAGS) throw new MinisparkError("BAD_REQUEST", `a publish may carry at most ${PUBLISH_ETAGS} upload parts, this one has ${etags}`);
  return { ...request(b), parts };
}

export function parseFinalize(body: unknown): OutputFinalize {
  const b = object(body);
  return { ...request(b), partitions: count(b.partitions, "partitions") };
}

export function parseAbort(body: unknown): OutputAbort {
  const b = object(body);
  if (typeof b.committed !== "boolean") throw new MinisparkError("BAD_REQUEST", "an abort says whether the job committed (committed: true or false)");
  return { ...request(b), committed: b.committed };
}
