// Owns running a worker's input listings (the /splits endpoint, local globs and
// `s3://` ones) off its main thread: one listing thread at a time, each under a time limit and a heap
// limit, terminated past them. Every way a listing can fail -- a bad request,
// a glob or split cap, a missing file, the time or memory limit -- comes back
// as a refusal naming the problem, which the endpoint answers with 400 so that
// the master fails the job instead of retrying it on every other worker.
// Called by worker-process.ts.
import { Worker } from "node:worker_threads";
import type { InputSplit } from "../plan/physical.js";
import type { SplitSource } from "../plan/physical.js";
import type { S3JobSettings } from "../plan/job-spec.js";
import { parseS3Settings } from "../plan/s3-settings.js";
import { awsEnvironment } from "./s3/s3-config.js";

/** What a listing thread is started with. */
export interface ListingData {
  dataDir: string;
  sources: SplitSource[];
  s3: S3JobSettings | null;
  awsEnv: Record<string, string>;
}

/** Listing a large tree takes well under a second; past this the listing is hostile or the disk is unwell. */
export const LISTING_TIME_LIMIT_MS = 20_000;
/** Heap for one listing thread: 100,000 splits and the walk's state need a few tens of MiB. */
export const LISTING_HEAP_MB = 256;
/** Listings waiting behind the running one; past this the worker answers BUSY and the master retries later. */
export const MAX_QUEUED_LISTINGS = 16;

export type ListingOutcome = { ok: true; splits: Record<string, InputSplit[]> } | { ok: false; node: string | null; message: string };

/** Why a listing was refused; `busy` means the worker could take it later. */
export class ListingRefused extends Error {
  constructor(
    message: string,
    readonly busy = false,
  ) {
    super(message);
    this.name = "ListingRefused";
  }
}

const THREAD_URL = new URL("./listing-thread.js", import.meta.url);

export class ListingRunner {
  private tail: Promise<unknown> = Promise.resolve();
  private waiting = 0;

  constructor(
    private readonly dataDir: string,
    private readonly timeLimitMs = LISTING_TIME_LIMIT_MS,
  ) {}

  /** The splits of each source, or a ListingRefused naming the node and the problem; `rawS3`: the job's S3 settings. */
  async list(rawSources: unknown, rawS3: unknown): Promise<Record<string, InputSplit[]>> {
    const sources = checkSources(rawSources);
    const problems: string[] = [];
    const settings = parseS3Settings(rawS3 ?? undefined, problems);
    if (problems.length > 0) throw new ListingRefused(problems.join("; "));
    if (this.waiting >= MAX_QUEUED_LISTINGS) throw new ListingRefused(`${this.waiting} input listings are already waiting on this worker`, true);
    this.waiting++;
    const run = this.tail.then(() => {
      this.waiting--;
      return this.runThread(sources, settings);
    });
    this.tail = run.catch(() => undefined);
    const outcome = await run;
    if (!outcome.ok) throw new ListingRefused(outcome.node === null ? outcome.message : `node "${outcome.node}": ${outcome.message}`);
    return outcome.splits;
  }

  private runThread(sources: SplitSource[], s3: S3JobSettings | null): Promise<ListingOutcome> {
    return new Promise((resolve) => {
      const thread = new Worker(THREAD_URL, {
        // The thread's environment is empty: it gets the AWS variables (and HOME, for the AWS files) it lists S3 with.
        workerData: { dataDir: this.dataDir, sources, s3, awsEnv: awsEnvironment() } satisfies ListingData,
        resourceLimits: { maxOldGenerationSizeMb: LISTING_HEAP_MB },
        env: {},
      });
      let outcome: ListingOutcome | null = null;
      const timer = setTimeout(() => {
        outcome ??= { ok: false, node: null, message: `listing the input took longer than ${this.timeLimitMs} ms; at most ${this.timeLimitMs} ms are allowed` };
        void thread.terminate();
      }, this.timeLimitMs);
      thread.on("message", (m: ListingOutcome) => (outcome ??= m));
      thread.on("error", (e) => {
        const oom = (e as NodeJS.ErrnoException).code === "ERR_WORKER_OUT_OF_MEMORY";
        outcome ??= { ok: false, node: null, message: oom ? `listing the input needed more than ${LISTING_HEAP_MB} MiB of memory` : `listing the input failed: ${e.message}` };
      });
      thread.on("exit", () => {
        clearTimeout(timer);
        resolve(outcome ?? { ok: false, node: null, message: "the listing thread exited without an answer" });
      });
    });
  }
}

/** A /splits request comes from a peer: its sources are checked before a thread is started for them. */
function checkSources(raw: unknown): SplitSource[] {
  if (!Array.isArray(raw)) throw new ListingRefused("a split listing needs an array of sources");
  return raw.map((s: unknown, i) => {
    const src = s as Partial<SplitSource> | null;
    const where = `source ${i}`;
    if (src === null || typeof src !== "object") throw new ListingRefused(`${where} is not an object`);
    if (typeof src.node !== "string") throw new ListingRefused(`${where} needs a node name`);
    const paths = Array.isArray(src.path) ? src.path : [src.path];
    if (paths.length === 0 || !paths.every((p) => typeof p === "string")) throw new ListingRefused(`${where} needs a path or an array of paths`);
    for (const key of ["minPartitions", "maxPartitionBytes"] as const) {
      if (!Number.isSafeInteger(src[key]) || src[key]! < 1) throw new ListingRefused(`${where}: ${key} must be an integer >= 1`);
    }
    if (typeof src.splittable !== "boolean") throw new ListingRefused(`${where}: splittable must be true or false`);
    return { node: src.node, path: src.path as string | string[], minPartitions: src.minPartitions!, maxPartitionBytes: src.maxPartitionBytes!, splittable: src.splittable };
  });
}
