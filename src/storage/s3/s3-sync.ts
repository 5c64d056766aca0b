// Owns the synchronous face of the S3 calls (s3-operations.ts) that code in a
// task thread uses: a task runs as plain synchronous code, so each call is
// sent to the worker's main thread, which runs it on its S3 client and
// answers, while the task thread sleeps (worker/s3-bridge.ts). Same calls,
// same arguments, same errors (an S3Error rebuilt from the answer).
import type { S3Operations } from "./s3-operations.js";

/** S3Operations, each call returning its value instead of a promise of it. */
export type SyncS3Operations = {
  [K in keyof S3Operations]: (...args: Parameters<S3Operations[K]>) => Awaited<ReturnType<S3Operations[K]>>;
};
