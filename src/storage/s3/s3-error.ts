// Owns what a failed S3 call says: the operation, the bucket and key, the
// HTTP status and S3's error code (or the socket error's code), and how many
// attempts were made, so a job's error tells what was asked of which object.
// Never the secret key, the session token or the signature: the client
// builds messages from S3's <Code> and <Message> only, and scrubs those too.

/** One S3 call that failed, after any retries. */
export class S3Error extends Error {
  constructor(
    /** The S3 API name, e.g. "GetObject". */
    readonly operation: string,
    readonly bucket: string,
    /** The key, or null for a bucket-level call (ListObjectsV2, DeleteObjects). */
    readonly key: string | null,
    /** The HTTP status, or null when no response came (a connection error). */
    readonly status: number | null,
    /** S3's error code (NoSuchKey, SlowDown, …) or the socket error's (ECONNRESET, …). */
    readonly code: string,
    /** What S3 (or the socket) said beyond the code, scrubbed of secrets; may be "". */
    readonly detail: string,
    readonly attempts: number,
  ) {
    const where = `s3://${bucket}${key === null ? "" : `/${key.length > 300 ? `${key.slice(0, 300)}…` : key}`}`;
    const what = status === null ? code : `${status} ${code}`;
    super(`S3 ${operation} ${where}: ${what}${detail === "" ? "" : ` (${detail})`}${attempts > 1 ? `, after ${attempts} attempts` : ""}`);
    this.name = "S3Error";
  }
}

/** `text` with every occurrence of each secret replaced, for text that might echo a request. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length > 0) out = out.split(s).join("[redacted]");
  return out;
}
