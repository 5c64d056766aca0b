// Owns the S3 calls of task threads. A task runs as synchronous code, and S3 is
// reached only by async HTTP, so a thread sends each call to the worker's main
// thread and sleeps until the answer is back (task-thread.ts does the waiting,
// as for shuffle fetches); the main thread runs it on the client for the job's
// settings (s3-clients.ts). Reads of an object's successive byte ranges are
// fetched one range ahead on the main thread, so a task decodes one range while
// the next is on the wire: at most one range per slot is held that way.
//
// Errors cross as data: an S3Error is rebuilt with its operation, key, status
// and code, so task code can tell NoSuchUpload from AccessDenied; any other
// failure (no credentials configured, a malformed endpoint) as its message.
import { errorMessage } from "../common/errors.js";
import { S3Error } from "../storage/s3/s3-error.js";
import type { S3Operations } from "../storage/s3/s3-operations.js";
import type { RangeAhead, SyncS3Operations, ThreadS3 } from "../storage/s3/s3-sync.js";
import { UserCodeError } from "../functions/user-function.js";
import type { S3Clients } from "./s3-clients.js";
import type { S3JobSettings } from "../plan/job-spec.js";

type S3OpName = keyof S3Operations;

/** From a task thread over its fetch port: one S3 call, with the job's settings. */
export interface S3Request {
  kind: "s3";
  op: S3OpName;
  args: unknown[];
  settings: S3JobSettings | null;
  /** For getRange: the range the caller reads next, fetched at once so it is there when asked for. */
  ahead: RangeAhead | null;
}

type S3Failure = { s3: { operation: string; bucket: string; key: string | null; status: number | null; code: string; detail: string; attempts: number } } | { message: string };

export type S3Reply = { ok: true; value: unknown } | { ok: false; failure: S3Failure };

/** A call that failed for a reason other than S3's answer; fails the task with this message. */
export class S3CallError extends UserCodeError {
  constructor(message: string) {
    super(message);
    this.name = "S3CallError";
  }
}

const OPS: readonly S3OpName[] = [
  "listObjectsPage",
  "headObject",
  "getRange",
  "putObject",
  "createMultipartUpload",
  "uploadPart",
  "completeMultipartUpload",
  "abortMultipartUpload",
  "listMultipartUploads",
  "deleteObjects",
];

/** The S3 calls of a task with `settings`, each sent by `ask` (which blocks until the main thread answers). */
export function threadS3(settings: S3JobSettings | null, ask: (req: S3Request) => S3Reply): ThreadS3 {
  const call = (op: S3OpName, args: unknown[], ahead: RangeAhead | null): unknown => {
    const reply = ask({ kind: "s3", op, args, settings, ahead });
    if (reply.ok) return reply.value;
    const f = reply.failure;
    if ("s3" in f) throw new S3Error(f.s3.operation, f.s3.bucket, f.s3.key, f.s3.status, f.s3.code, f.s3.detail, f.s3.attempts);
    throw new S3CallError(f.message);
  };
  const ops = Object.fromEntries(OPS.map((op) => [op, (...args: unknown[]) => call(op, args, null)])) as unknown as SyncS3Operations;
  return { ...ops, getRangeAhead: (bucket, key, first, last, ahead) => call("getRange", [bucket, key, first, last], ahead) as Uint8Array };
}

/** The main thread's side: answers the S3 calls of each slot's thread. */
export class S3Service {
  /** The range fetched ahead for each slot, by the slot's index. */
  private readonly ahead = new Map<number, { range: string; bytes: Promise<Uint8Array> }>();

  constructor(private readonly clients: S3Clients) {}

  async answer(slot: number, req: S3Request): Promise<S3Reply> {
    try {
      if (!OPS.includes(req.op)) return { ok: false, failure: { message: `no S3 call named ${JSON.stringify(req.op)}` } };
      const client = this.clients.get(req.settings);
      const value = req.op === "getRange" ? await this.range(slot, client, req) : await (client[req.op] as (...a: unknown[]) => Promise<unknown>)(...req.args);
      return { ok: true, value };
    } catch (e) {
      if (e instanceof S3Error) {
        const { operation, bucket, key, status, code, detail, attempts } = e;
        return { ok: false, failure: { s3: { operation, bucket, key, status, code, detail, attempts } } };
      }
      return { ok: false, failure: { message: errorMessage(e) } };
    }
  }

  /** The slot's task ended: what was fetched ahead for it is dropped. */
  forget(slot: number): void {
    this.ahead.delete(slot);
  }

  private async range(slot: number, client: S3Operations, req: S3Request): Promise<Uint8Array> {
    const [bucket, key, first, last] = req.args as [string, string, number, number];
    const wanted = rangeKey(bucket, key, first, last);
    const held = this.ahead.get(slot);
    this.ahead.delete(slot);
    if (req.ahead !== null) {
      const [b, k, f, l] = req.ahead;
      const bytes = client.getRange(b, k, f, l);
      // Read or dropped, it must not surface as an unhandled rejection; a read of it sees the error.
      bytes.catch(() => undefined);
      this.ahead.set(slot, { range: rangeKey(b, k, f, l), bytes });
    }
    return held?.range === wanted ? held.bytes : client.getRange(bucket, key, first, last);
  }
}

function rangeKey(bucket: string, key: string, first: number, last: number): string {
  return `${bucket}\u0000${key}\u0000${first}\u0000${last}`;
}
