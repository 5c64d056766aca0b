// The master's say over save outputs, as Spark's OutputCommitCoordinator and
// more: which job owns an output path (two jobs never write one directory, or
// one inside the other, at once), and, at job commit, which attempt of each
// partition is the one whose staged file is published. Pure: JobService asks
// it, keeps its decisions in the job store and does the I/O.
//
// Why a later "overwrite" waits instead of cancelling the earlier writer: a
// Spark or Dask user who runs a second overwrite expects their job to replace
// the output, not to kill someone else's job; waiting gives "the last one to
// finish wins", with each job's output whole while it stands. A later job in
// mode "error" fails at once, naming the writer, as the path is not free.
import type { S3PartUpload } from "../common/s3-part-upload.js";
import type { AttemptId, JobId, WorkerId } from "../common/ids.js";
import type { TaskRun } from "./job-run.js";

/** The save action's value: what the client gets back. */
export interface SaveValue {
  path: string;
  files: string[];
  records: number;
}

/** Which attempt's staged file becomes each partition's part file. Stored before any worker publishes. */
export interface CommitDecision {
  job: JobId;
  path: string;
  /** For an s3:// output each also names its part and its upload, which the commit completes. */
  partitions: { partition: number; attemptId: AttemptId; workerId: WorkerId; file?: string; upload?: S3PartUpload }[];
  value: SaveValue;
}

export type Claim = { kind: "granted" } | { kind: "wait"; holder: JobId } | { kind: "refused"; holder: JobId };

/** "a//b/./c/" and "a/b/c" are one path, as "s3a://b/k" and "s3://b/k" are one prefix: its components. */
export function pathKey(path: string): string[] {
  const parts = path.split(/[\\/]/).filter((s) => s !== "" && s !== ".");
  if (parts[0] === "s3a:") parts[0] = "s3:";
  return parts;
}

/** Whether writing one path could touch the other: the same directory, or one inside the other. */
export function overlaps(a: string, b: string): boolean {
  const x = pathKey(a);
  const y = pathKey(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return false;
  return true;
}

export class OutputCommitCoordinator {
  /** Output path → the job that owns it (writing, or committing). */
  private readonly owners = new Map<string, JobId>();

  /**
   * Job `job` wants to write `path`. Held by another job that is still live
   * (`live`: not ended; a job that ended without releasing, e.g. failed to
   * start, frees its paths that way): "wait" in mode overwrite, "refused" in
   * mode error. Otherwise the job owns it until release().
   */
  claim(path: string, job: JobId, mode: "error" | "overwrite", live: (id: JobId) => boolean): Claim {
    for (const [held, holder] of this.owners) {
      if (holder === job || !overlaps(held, path)) continue;
      if (!live(holder)) {
        this.owners.delete(held);
        continue;
      }
      return { kind: mode === "overwrite" ? "wait" : "refused", holder };
    }
    this.owners.set(pathKey(path).join("/"), job);
    return { kind: "granted" };
  }

  /** The job ended (its output committed or removed): its paths are free. */
  release(job: JobId): void {
    for (const [held, holder] of this.owners) if (holder === job) this.owners.delete(held);
  }

  holder(path: string): JobId | null {
    for (const [held, holder] of this.owners) if (overlaps(held, path)) return holder;
    return null;
  }
}

/**
 * The commit decision of a save job whose result stage succeeded: per
 * partition, the attempt whose result the scheduler accepted (the first to
 * finish; a later duplicate, or an attempt declared lost that wakes up, is not
 * it). Throws if a partition has no accepted saved part. With
 * `dropEmptyParts`, parts without records are left out, except one when all
 * are empty; their staged files or uploads go with the job's staging area.
 */
export function decideCommit(job: JobId, path: string, tasks: readonly TaskRun[], dropEmptyParts = false): CommitDecision {
  const partitions: CommitDecision["partitions"] = [];
  const files: string[] = [];
  let records = 0;
  const anyRecords = tasks.some((t) => t.result?.type === "saved" && t.result.records > 0);
  for (const t of tasks) {
    const attempt = t.attempts.find((a) => a.id === t.resultAttempt);
    if (t.result?.type !== "saved" || !attempt || attempt.state !== "FINISHED") {
      throw new Error(`partition ${t.partition} has no finished attempt whose part can be committed`);
    }
    // One part is kept when all are empty, so the output still has a part and a _SUCCESS.
    if (dropEmptyParts && t.result.records === 0 && (anyRecords || partitions.length > 0)) continue;
    const upload = t.result.upload;
    partitions.push({ partition: t.partition, attemptId: attempt.id, workerId: attempt.workerId, ...(upload !== undefined && { file: t.result.file, upload }) });
    files.push(t.result.file);
    records += t.result.records;
  }
  return { job, path, partitions, value: { path, files, records } };
}

/** The decision's parts grouped by the worker that staged them: each worker publishes its own. */
export function partsByWorker(d: CommitDecision): Map<WorkerId, { partition: number; attemptId: AttemptId }[]> {
  const by = new Map<WorkerId, { partition: number; attemptId: AttemptId }[]>();
  for (const p of d.partitions) {
    let list = by.get(p.workerId);
    if (!list) by.set(p.workerId, (list = []));
    list.push({ partition: p.partition, attemptId: p.attemptId });
  }
  return by;
}
