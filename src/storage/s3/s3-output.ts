// A save's output under an `s3://bucket/prefix`, committed the way S3 allows.
// S3 has no rename, so the disk committer's staging files (output-files.ts)
// become multipart uploads: an upload is invisible until completed, and only
// the master's stored commit decision says which to complete.
//
//   prepare   one worker reserves the prefix for the job: in mode "error" it
//             must hold no object; in mode "overwrite" _SUCCESS goes first
//             (so the old output stops being complete before any of it goes),
//             then every other object and open upload under it. Then the
//             marker <prefix>/_JOB holds the job's id.
//   task      each attempt checks the marker names its job, then writes its
//             part to the final key <prefix>/part-NNNNN[.ext] as a multipart
//             upload (S3PartSink), which it never completes; its result
//             carries the upload id and the parts' ETags.
//   publish   at job commit, one worker completes the authorised attempt's
//             upload of each partition. Again after a master restart: an
//             upload already completed is recognised by the object's
//             multipart ETag, computed from the decision's part ETags.
//   finalize  _SUCCESS ({"job", "files", "partitions"}) is written, the marker
//             removed, and every upload still open under the prefix (lost and
//             duplicate attempts') aborted.
//   abort     a job that did not commit: its uploads are aborted and what it
//             wrote (marker included, last) deleted.
//
// So nothing is complete before _SUCCESS, and the objects under a committed
// prefix are exactly one job's parts. An attempt that wakes after its job
// ended finds no marker and writes nothing; one that passed the check just
// before finalize leaves an upload that nothing completes (invisible, and
// aborted by the next prepare of that prefix). Runs on workers: the async
// steps on the main thread (worker-process.ts), the sink in task threads.
import { createHash } from "node:crypto";
import { MinisparkError } from "../../common/errors.js";
import { MAX_UPLOAD_PARTS, type S3PartUpload } from "../../common/s3-part-upload.js";
import { parseS3Url } from "../../plan/s3-location.js";
import { isPartFileName, type SuccessFile } from "../output-files.js";
import type { PartSink } from "../part-sink.js";
import { S3Error } from "./s3-error.js";
import type { S3ObjectInfo, S3Operations, S3UploadedPart } from "./s3-operations.js";
import type { ThreadS3 } from "./s3-sync.js";

const MARKER = "_JOB";
const SUCCESS = "_SUCCESS";
/** Bytes per uploaded part: above S3's 5 MiB minimum, small beside a task's memory. */
export const S3_PART_BYTES = 8 * 1024 * 1024;

/** Objects looked at under one output prefix; a job has at most 100,000 partitions. */
const MAX_OUTPUT_OBJECTS = 200_000;
/** A marker or _SUCCESS larger than this is not ours. */
const MAX_META_BYTES = 1 << 20;

/** An attempt's part as an open multipart upload: what the commit completes. */
export type S3Upload = S3PartUpload;

/** One partition's authorised part, as the commit decision names it. */
export interface S3AuthorisedPart {
  partition: number;
  /** The part's name under the prefix, e.g. `part-00003.parquet`. */
  file: string;
  upload: S3Upload;
}

interface Target {
  url: string;
  bucket: string;
  /** The key prefix without a trailing "/"; objects live under `${prefix}/`. */
  prefix: string;
}

function target(url: string): Target {
  const { bucket, key } = parseS3Url(url);
  const prefix = key.replace(/\/+$/, "");
  if (prefix === "") throw new MinisparkError("BAD_REQUEST", `output "${url}" names a whole bucket`);
  return { url, bucket, prefix };
}

/** The small object at `key` as text, or null when there is none. */
async function readSmall(s3: S3Operations, bucket: string, key: string): Promise<string | null> {
  const info = await s3.headObject(bucket, key);
  if (info === null) return null;
  if (info.size === 0) return "";
  if (info.size > MAX_META_BYTES) return null;
  return Buffer.from(await s3.getRange(bucket, key, 0, info.size - 1)).toString("utf8");
}

function committedJob(text: string | null): string | null {
  if (text === null) return null;
  try {
    const job = (JSON.parse(text) as Partial<SuccessFile>).job;
    return typeof job === "string" ? job : null;
  } catch {
    return null;
  }
}

async function objectsUnder(s3: S3Operations, t: Target): Promise<S3ObjectInfo[]> {
  const objects: S3ObjectInfo[] = [];
  let token: string | null = null;
  do {
    const page = await s3.listObjectsPage(t.bucket, `${t.prefix}/`, token);
    objects.push(...page.objects);
    if (objects.length > MAX_OUTPUT_OBJECTS) throw new MinisparkError("CONFLICT", `output "${t.url}" holds more than ${MAX_OUTPUT_OBJECTS} objects; it is not a minispark output`);
    token = page.nextContinuationToken;
  } while (token !== null);
  return objects;
}

/** Aborts every open upload under the prefix; an upload gone meanwhile is fine. */
async function abortOpenUploads(s3: S3Operations, t: Target): Promise<void> {
  for (const u of await s3.listMultipartUploads(t.bucket, `${t.prefix}/`)) await s3.abortMultipartUpload(t.bucket, u.key, u.uploadId);
}

/** Deletes every object under the prefix, `_SUCCESS` first (the output stops being complete) and the marker last. */
async function emptyPrefix(s3: S3Operations, t: Target, keep: string | null = null): Promise<void> {
  const keys = (await objectsUnder(s3, t)).map((o) => o.key).filter((k) => k !== keep);
  const success = `${t.prefix}/${SUCCESS}`;
  const marker = `${t.prefix}/${MARKER}`;
  if (keys.includes(success)) await s3.deleteObjects(t.bucket, [success]);
  await s3.deleteObjects(
    t.bucket,
    keys.filter((k) => k !== success && k !== marker),
  );
  await abortOpenUploads(s3, t);
  if (keys.includes(marker)) await s3.deleteObjects(t.bucket, [marker]);
}

/** Before a save job runs: reserves the prefix for it, refusing an existing output (mode "error") or removing it ("overwrite"). */
export async function prepareS3Output(s3: S3Operations, url: string, mode: "error" | "overwrite", jobId: string): Promise<void> {
  const t = target(url);
  const segments = t.prefix.split("/");
  for (let i = 1; i < segments.length; i++) {
    const above = segments.slice(0, i).join("/");
    if ((await s3.headObject(t.bucket, `${above}/${SUCCESS}`)) || (await s3.headObject(t.bucket, `${above}/${MARKER}`))) {
      throw new MinisparkError("OUTPUT_EXISTS", `output path "${url}" is inside the output "s3://${t.bucket}/${above}" of another job; save elsewhere`);
    }
  }
  const owner = await readSmall(s3, t.bucket, `${t.prefix}/${MARKER}`);
  if (owner === jobId) {
    // This job again (a restarted master starting it afresh): what its earlier run wrote goes, the reservation stays.
    await emptyPrefix(s3, t, `${t.prefix}/${MARKER}`);
    return;
  }
  const existing = await objectsUnder(s3, t);
  if (existing.length > 0) {
    if (mode === "error") {
      const why = owner !== null ? ` (job ${owner.slice(0, 80)} is writing it)` : "";
      throw new MinisparkError("OUTPUT_EXISTS", `output path "${url}" already exists${why}; remove it or save with "mode": "overwrite"`);
    }
    await emptyPrefix(s3, t);
  } else {
    await abortOpenUploads(s3, t);
  }
  await s3.putObject(t.bucket, `${t.prefix}/${MARKER}`, Buffer.from(jobId), "text/plain");
}

/**
 * Job commit, step 1: completes each authorised part's upload. Idempotent: an
 * upload already completed (a master that restarted mid-commit sends the
 * decision again) is recognised by its object's multipart ETag.
 */
export async function publishS3Parts(s3: S3Operations, url: string, jobId: string, parts: readonly S3AuthorisedPart[]): Promise<{ published: number }> {
  const t = target(url);
  if ((await ownership(s3, t, jobId)) === "committed") return { published: 0 };
  let published = 0;
  for (const p of parts) {
    if (!isPartFileName(p.file)) throw new MinisparkError("BAD_REQUEST", `${JSON.stringify(p.file.slice(0, 80))} is not a part file name`);
    const key = `${t.prefix}/${p.file}`;
    try {
      await s3.completeMultipartUpload(t.bucket, key, p.upload.uploadId, p.upload.parts);
      published++;
    } catch (e) {
      if (!(e instanceof S3Error && e.code === "NoSuchUpload")) throw e;
      const info = await s3.headObject(t.bucket, key);
      const expected = multipartEtag(p.upload.parts);
      if (info === null || expected === null || info.etag.replace(/"/g, "") !== expected) {
        throw new MinisparkError("CONFLICT", `output "${url}": the upload of ${p.file} (partition ${p.partition}) is gone and ${info === null ? "no object is there" : "the object there is not its"}`);
      }
    }
  }
  return { published };
}

/** Job commit, step 2: _SUCCESS naming the part objects, the marker gone, every other upload aborted. Idempotent. */
export async function finalizeS3Output(s3: S3Operations, url: string, jobId: string, partitions: number): Promise<void> {
  const t = target(url);
  if ((await ownership(s3, t, jobId)) === "committed") return;
  const files = (await objectsUnder(s3, t))
    .map((o) => o.key.slice(t.prefix.length + 1))
    .filter(isPartFileName)
    .sort();
  const success: SuccessFile = { job: jobId, files, partitions };
  await s3.putObject(t.bucket, `${t.prefix}/${SUCCESS}`, Buffer.from(JSON.stringify(success)), "application/json");
  await s3.deleteObjects(t.bucket, [`${t.prefix}/${MARKER}`]);
  await abortOpenUploads(s3, t);
}

/**
 * Removes what job `jobId` wrote under the prefix: everything, if it holds the
 * reservation, or if it finalized and `committed` is false (it failed after);
 * nothing of another job's.
 */
export async function abortS3Output(s3: S3Operations, url: string, jobId: string, committed: boolean): Promise<void> {
  const t = target(url);
  const owner = await readSmall(s3, t.bucket, `${t.prefix}/${MARKER}`);
  const mine = owner === jobId || (!committed && owner === null && committedJob(await readSmall(s3, t.bucket, `${t.prefix}/${SUCCESS}`)) === jobId);
  if (mine) await emptyPrefix(s3, t);
}

/** "owned" while the marker names the job; "committed" once its _SUCCESS stands; else a conflict. */
async function ownership(s3: S3Operations, t: Target, jobId: string): Promise<"owned" | "committed"> {
  const owner = await readSmall(s3, t.bucket, `${t.prefix}/${MARKER}`);
  if (owner === jobId) return "owned";
  if (owner === null && committedJob(await readSmall(s3, t.bucket, `${t.prefix}/${SUCCESS}`)) === jobId) return "committed";
  throw new MinisparkError("CONFLICT", `output "${t.url}" no longer belongs to job ${jobId}${owner ? ` (job ${owner.slice(0, 80)} took it over)` : ""}`);
}

/** The ETag S3 gives an object completed from `parts`: the MD5 of their MD5s, then "-" and their count; null if a part's ETag is no MD5. */
export function multipartEtag(parts: readonly S3UploadedPart[]): string | null {
  const md5 = createHash("md5");
  for (const p of [...parts].sort((a, b) => a.partNumber - b.partNumber)) {
    const hex = p.etag.replace(/"/g, "");
    if (!/^[0-9a-f]{32}$/i.test(hex)) return null;
    md5.update(Buffer.from(hex, "hex"));
  }
  return `${md5.digest("hex")}-${parts.length}`;
}

/**
 * One attempt's part, written as a multipart upload to its final key from a
 * task thread, in parts of S3_PART_BYTES; never completed here. Refused unless
 * the output's marker names the attempt's job.
 */
export class S3PartSink implements PartSink {
  private readonly bucket: string;
  private readonly key: string;
  private readonly uploadId: string;
  private readonly buffer = Buffer.allocUnsafe(S3_PART_BYTES);
  private filled = 0;
  private readonly parts: S3UploadedPart[] = [];
  private ended = false;

  constructor(
    private readonly s3: ThreadS3,
    url: string,
    jobId: string,
    name: string,
  ) {
    const t = target(url);
    this.bucket = t.bucket;
    this.key = `${t.prefix}/${name}`;
    const marker = s3.headObject(t.bucket, `${t.prefix}/${MARKER}`);
    const owner = marker === null || marker.size > MAX_META_BYTES ? null : marker.size === 0 ? "" : Buffer.from(s3.getRange(t.bucket, `${t.prefix}/${MARKER}`, 0, marker.size - 1)).toString("utf8");
    if (owner !== jobId) {
      throw new MinisparkError(
        "CONFLICT",
        `output "${url}" is not reserved for job ${jobId} (${owner ? `job ${owner.slice(0, 80)} owns it` : "it was committed or removed"}); this attempt may not write it`,
      );
    }
    this.uploadId = s3.createMultipartUpload(this.bucket, this.key);
  }

  write(bytes: Uint8Array): void {
    for (let off = 0; off < bytes.length; ) {
      const n = Math.min(bytes.length - off, this.buffer.length - this.filled);
      this.buffer.set(bytes.subarray(off, off + n), this.filled);
      this.filled += n;
      off += n;
      if (this.filled === this.buffer.length) this.uploadBuffered();
    }
  }

  finish(): void {
    // A part may be smaller than 5 MiB only if it is the last; an empty part file is one empty part.
    if (this.filled > 0 || this.parts.length === 0) this.uploadBuffered();
    this.ended = true;
  }

  /** The finished part's upload, for the task's result. */
  get upload(): S3Upload {
    if (!this.ended) throw new Error("the part's upload is asked for before the part was finished");
    return { uploadId: this.uploadId, parts: [...this.parts] };
  }

  abort(): void {
    try {
      this.s3.abortMultipartUpload(this.bucket, this.key, this.uploadId);
    } catch {
      // Best effort: an upload left open is invisible, and the job's end aborts every open upload under the output.
    }
  }

  private uploadBuffered(): void {
    if (this.parts.length >= MAX_UPLOAD_PARTS)
      throw new MinisparkError("CONFLICT", `output part s3://${this.bucket}/${this.key} would need more than ${MAX_UPLOAD_PARTS} upload parts of ${S3_PART_BYTES} bytes`);
    this.parts.push(this.s3.uploadPart(this.bucket, this.key, this.uploadId, this.parts.length + 1, this.buffer.subarray(0, this.filled)));
    this.filled = 0;
  }
}
