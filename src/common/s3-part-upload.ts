// An S3 part file's open multipart upload, as a task reports it and the commit
// decision carries it to the worker that completes it (storage/s3/s3-output.ts),
// and the check of its shape wherever it arrives from a peer: S3's bounds on
// parts (1 to 10,000, numbered from 1 without gaps), and ids and ETags of
// sizes S3 gives, so that nothing a report holds can balloon a later request.

/** A part file written as a multipart upload: the upload's id and each part's number and ETag. */
export interface S3PartUpload {
  uploadId: string;
  parts: { partNumber: number; etag: string }[];
}

/** S3's limit on parts per upload. */
export const MAX_UPLOAD_PARTS = 10_000;
/** Far past the ids and ETags S3 and its imitators give. */
const MAX_ID_CHARS = 1024;
const MAX_ETAG_CHARS = 200;

/** What is wrong with `v` as an S3PartUpload, as a phrase, or null. */
export function s3PartUploadProblem(v: unknown): string | null {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return "an upload must be an object with uploadId and parts";
  const u = v as Record<string, unknown>;
  if (typeof u.uploadId !== "string" || u.uploadId === "" || u.uploadId.length > MAX_ID_CHARS) return `an upload's id must be a non-empty string of at most ${MAX_ID_CHARS} characters`;
  if (!Array.isArray(u.parts) || u.parts.length === 0 || u.parts.length > MAX_UPLOAD_PARTS) return `an upload has 1 to ${MAX_UPLOAD_PARTS} parts`;
  for (let i = 0; i < u.parts.length; i++) {
    const p = u.parts[i] as Record<string, unknown> | null;
    if (p === null || typeof p !== "object" || p.partNumber !== i + 1) return `an upload's parts are numbered 1 to ${u.parts.length} in order; part ${i} is not ${i + 1}`;
    if (typeof p.etag !== "string" || p.etag === "" || p.etag.length > MAX_ETAG_CHARS) return `part ${i + 1} of an upload needs an ETag of at most ${MAX_ETAG_CHARS} characters`;
  }
  return null;
}
