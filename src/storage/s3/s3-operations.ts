// Owns the shape of what an S3 client can be asked: plain-data arguments and
// results (strings, numbers, Uint8Array), so that a task thread, which reads
// synchronously, can later send these calls to its worker's main thread and
// get answers back by structured clone. Implemented by s3-client.ts.

/** One object as a listing or HeadObject describes it. */
export interface S3ObjectInfo {
  key: string;
  size: number;
  /** The ETag as S3 gives it, quotes included. */
  etag: string;
  /** ISO-8601 time of the last write. */
  lastModified: string;
}

/** One page of ListObjectsV2. */
export interface S3ObjectPage {
  objects: S3ObjectInfo[];
  /** Pass back to get the next page; null on the last page. */
  nextContinuationToken: string | null;
}

/** A multipart upload started and neither completed nor aborted. */
export interface S3OpenUpload {
  key: string;
  uploadId: string;
  /** ISO-8601 time it was started. */
  initiated: string;
}

/** A part uploaded, as CompleteMultipartUpload needs it. */
export interface S3UploadedPart {
  partNumber: number;
  etag: string;
}

/** The S3 calls minispark's sources and `save` use. Every call retries transient failures itself and rejects with S3Error. */
export interface S3Operations {
  /** One page of the keys under `prefix`, in UTF-8 binary order; `maxKeys` at most 1,000. */
  listObjectsPage(bucket: string, prefix: string, continuationToken: string | null, maxKeys?: number): Promise<S3ObjectPage>;
  /** The object's size and ETag, or null when there is no such key. */
  headObject(bucket: string, key: string): Promise<S3ObjectInfo | null>;
  /** Bytes `first`..`last` (inclusive, as HTTP ranges count) of the object; fewer only where the object ends first. */
  getRange(bucket: string, key: string, first: number, last: number): Promise<Uint8Array>;
  /** Writes the whole object; returns its ETag. */
  putObject(bucket: string, key: string, body: Uint8Array, contentType?: string): Promise<string>;
  /** Starts a multipart upload; returns its upload id. Nothing is visible at `key` until it completes. A retry after a lost answer can leave an extra open upload: listMultipartUploads finds it. */
  createMultipartUpload(bucket: string, key: string, contentType?: string): Promise<string>;
  /** Uploads part `partNumber` (1–10,000; every part but the last at least 5 MiB). */
  uploadPart(bucket: string, key: string, uploadId: string, partNumber: number, body: Uint8Array): Promise<S3UploadedPart>;
  /**
   * Makes the object visible at `key` from `parts`. Returns nothing: some servers (Ceph 16) answer an empty ETag, so ask headObject.
   * Retried like every call: a retry after a lost answer can fail with NoSuchUpload although the first attempt completed it.
   */
  completeMultipartUpload(bucket: string, key: string, uploadId: string, parts: readonly S3UploadedPart[]): Promise<void>;
  /** Discards the upload and its parts; false when there was no such upload (already completed or aborted). */
  abortMultipartUpload(bucket: string, key: string, uploadId: string): Promise<boolean>;
  /** Every open multipart upload whose key starts with `prefix`, following pages. */
  listMultipartUploads(bucket: string, prefix: string): Promise<S3OpenUpload[]>;
  /** Deletes the keys (any number, sent 1,000 per request); a key that did not exist counts as deleted. */
  deleteObjects(bucket: string, keys: readonly string[]): Promise<void>;
}
