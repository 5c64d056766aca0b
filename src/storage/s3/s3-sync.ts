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

/** Byte range `first`..`last` (inclusive) of an object: what a read asks for next. */
export type RangeAhead = readonly [bucket: string, key: string, first: number, last: number];

/** Synchronous S3 calls, with a ranged read that names the range to fetch ahead while the caller works on this one. */
export interface ThreadS3 extends SyncS3Operations {
  getRangeAhead(bucket: string, key: string, first: number, last: number, ahead: RangeAhead | null): Uint8Array;
}
