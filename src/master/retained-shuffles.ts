// Shuffle output kept past the job that wrote it, for later jobs of the same
// application: a job whose plan writes a shuffle of the same lineage
// (planner/dataset-id.ts) reads these files instead, and the stages that
// would have written them are skipped (Spark's skipped stages). Kept per
// application until it ends or until it keeps more than MAX_RETAINED_SHUFFLES or
// MAX_RETAINED_BYTES, least recently used first (Spark keeps them until the
// driver drops the RDD; a JobSpec client has no RDD object to drop). A lost
// worker takes its part only: a later job reuses the rest and writes the
// missing map outputs again. The files
// live in the writing job's shuffle directory on each worker, so that
// directory is dropped only when no retained output is in it: `keep`, `drop…`
// and `removeWorker` return the jobs whose directories are no longer needed.
// Pure bookkeeping; the scheduler decides, the job service deletes.
import type { AppId, JobId, WorkerId } from "../common/ids.js";
import type { MapStatus } from "./map-output-tracker.js";

/** Retained shuffles per application, at most. */
export const MAX_RETAINED_SHUFFLES = 64;
/** Bytes of retained map output per application (all workers' together), at most. */
export const MAX_RETAINED_BYTES = 8 * 2 ** 30;

interface Retained {
  /** By map id, each naming the files it is in; a lost worker's are gone. */
  statuses: (MapStatus | undefined)[];
  bytes: number;
}

export class RetainedShuffles {
  /** By application, then lineage; each map in least-recently-used-first order. */
  private readonly byApp = new Map<AppId, Map<string, Retained>>();
  /** How many retained map outputs each job's directory holds. */
  private readonly refs = new Map<JobId, number>();

  /** A complete shuffle's outputs (each with `writtenBy` set), to be reused by a later job with the same lineage; returns the job directories no longer needed. */
  keep(app: AppId, lineage: string, statuses: MapStatus[]): JobId[] {
    let shuffles = this.byApp.get(app);
    if (!shuffles) this.byApp.set(app, (shuffles = new Map()));
    const before = shuffles.get(lineage);
    shuffles.delete(lineage);
    shuffles.set(lineage, { statuses, bytes: statuses.reduce((n, s) => n + bytesOf(s), 0) });
    this.count(statuses, 1);
    const released = before ? this.count(before.statuses, -1) : [];
    let bytes = 0;
    for (const r of shuffles.values()) bytes += r.bytes;
    for (const [oldest, r] of shuffles) {
      if (shuffles.size <= MAX_RETAINED_SHUFFLES && bytes <= MAX_RETAINED_BYTES) break;
      shuffles.delete(oldest);
      bytes -= r.bytes;
      released.push(...this.count(r.statuses, -1));
    }
    return released;
  }

  /** The outputs of a retained shuffle by map id (a lost worker's missing), marked as just used; null when none is kept. */
  take(app: AppId, lineage: string): readonly (MapStatus | undefined)[] | null {
    const shuffles = this.byApp.get(app);
    const r = shuffles?.get(lineage);
    if (!shuffles || !r) return null;
    shuffles.delete(lineage);
    shuffles.set(lineage, r);
    return r.statuses;
  }

  /** Whether a retained output is in the job's shuffle directory. */
  holdsFilesOf(job: JobId): boolean {
    return this.refs.has(job);
  }

  /** An ended application's shuffles go. */
  dropApplication(app: AppId): JobId[] {
    const shuffles = this.byApp.get(app);
    if (!shuffles) return [];
    this.byApp.delete(app);
    return [...shuffles.values()].flatMap((r) => this.count(r.statuses, -1));
  }

  /** A lost worker's outputs go; what other workers hold stays. */
  removeWorker(worker: WorkerId): JobId[] {
    const released: JobId[] = [];
    for (const shuffles of this.byApp.values()) {
      for (const [lineage, r] of shuffles) {
        const lost = r.statuses.filter((s) => s?.workerId === worker) as MapStatus[];
        if (lost.length === 0) continue;
        r.statuses = r.statuses.map((s) => (s?.workerId === worker ? undefined : s));
        r.bytes -= lost.reduce((n, s) => n + bytesOf(s), 0);
        if (r.statuses.every((s) => s === undefined)) shuffles.delete(lineage);
        released.push(...this.count(lost, -1));
      }
    }
    return [...new Set(released)];
  }

  /** Adds `by` to each status's directory's count; returns the directories it brought to none. */
  private count(statuses: readonly (MapStatus | undefined)[], by: 1 | -1): JobId[] {
    const released: JobId[] = [];
    for (const s of statuses) {
      if (!s) continue;
      const job = s.writtenBy!.job;
      const n = (this.refs.get(job) ?? 0) + by;
      if (n > 0) this.refs.set(job, n);
      else if (this.refs.delete(job)) released.push(job);
    }
    return [...new Set(released)];
  }
}

const bytesOf = (s: MapStatus | undefined): number => (s ? s.sizes.reduce((a, b) => a + b, 0) : 0);
