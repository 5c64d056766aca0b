// A task's spill files: sorted runs written when its share of memory ran out,
// read back a chunk of frames at a time for the final merge. They are named
// spill_<job>_<attempt>_<n> in the worker's spill directory so that whoever
// outlives the task can find and delete them: the task itself when it ends, the
// executor when it had to kill the task's thread, the worker when the job ends.
// The format is the shuffle's (u32-length JSON frames, see common/codec.ts).
import fs from "node:fs";
import { join } from "node:path";
import { decodeFrames, encodeFrame } from "../../common/codec.js";
import { readFrameChunks } from "../shuffle-files.js";
import { estimateSize } from "./size-estimate.js";

/** Frames are cut at this many records or bytes, whichever first, to bound what a merge holds per run. */
const FRAME_RECORDS = 512;
const FRAME_BYTES = 64 * 1024;
const WRITE_BYTES = 1024 * 1024;
const READ_BYTES = 256 * 1024;
/** How many runs one merge reads at once; more are merged in passes first. */
const MERGE_WIDTH = 64;

export function spillPrefix(jobId: string, attemptId?: string): string {
  return attemptId === undefined ? `spill_${jobId}_` : `spill_${jobId}_${attemptId}_`;
}

/** Deletes every spill file whose name starts with `prefix`. */
export function removeSpillFiles(dir: string, prefix: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) if (name.startsWith(prefix)) fs.rmSync(join(dir, name), { force: true });
}

export class TaskSpills {
  private files: string[] = [];
  /** Runs being read: closed by removeAll even if a reader was abandoned mid-way. */
  private readonly open = new Set<number>();
  private nextRun = 0;
  count = 0;
  bytes = 0;

  constructor(
    /** Also the task's scratch directory (StepContext.scratchDir). */
    readonly dir: string,
    private readonly prefix: string,
  ) {}

  /** A fresh file name for a run; counted once written. */
  nextPath(): string {
    fs.mkdirSync(this.dir, { recursive: true });
    const path = join(this.dir, `${this.prefix}${this.nextRun++}`);
    this.files.push(path);
    return path;
  }

  /** Counts a spill just written to a path from nextPath(). */
  written(bytes: number): void {
    this.count++;
    this.bytes += bytes;
  }

  /** Writes the records, in order, as one run. */
  writeRun(records: Iterable<unknown>): string {
    const run = this.startRun();
    try {
      for (const r of records) run.add(r);
    } catch (e) {
      run.abort();
      throw e;
    }
    return run.close();
  }

  /** A run written record by record, for a writer that cannot hand over an iterable. */
  startRun(): RunWriter {
    return new RunWriter(this.nextPath(), (bytes) => this.written(bytes));
  }

  /**
   * Merges sorted runs and what is still in memory (the last run) with `merge`.
   * A merge holds a chunk of frames per run, so runs past MERGE_WIDTH are first merged
   * in passes, the first ones into one, in place, keeping run order and with
   * it a merge's stability.
   */
  mergeRuns<T>(runs: string[], inMemory: Iterable<T>, merge: (runs: Iterable<T>[]) => Iterable<T>): Iterable<T> {
    let out = runs;
    while (out.length > MERGE_WIDTH - 1) {
      const first = out.slice(0, MERGE_WIDTH - 1);
      const merged = this.writeRun(merge(first.map((f) => this.records<T>(f))));
      this.remove(first);
      out = [merged, ...out.slice(MERGE_WIDTH - 1)];
    }
    return merge([...out.map((f) => this.records<T>(f)), inMemory]);
  }

  /** A run's records in order, one chunk of frames in memory at a time. */
  *records<T>(path: string): Generator<T> {
    const fd = fs.openSync(path, "r");
    this.open.add(fd);
    try {
      for (const chunk of readFrameChunks(fd, 0, fs.fstatSync(fd).size, READ_BYTES, `spill file ${path}`)) {
        for (const frame of decodeFrames(chunk)) yield* frame as T[];
      }
    } finally {
      if (this.open.delete(fd)) fs.closeSync(fd);
    }
  }

  /** Deletes runs that have been merged into another. */
  remove(paths: string[]): void {
    for (const f of paths) fs.rmSync(f, { force: true });
    this.files = this.files.filter((f) => !paths.includes(f));
  }

  /** Deletes this task's files, whether or not it succeeded, and closes any still being read. */
  removeAll(): void {
    for (const fd of this.open) fs.closeSync(fd);
    this.open.clear();
    for (const f of this.files) fs.rmSync(f, { force: true });
    this.files = [];
  }
}

/** One run being written: records are cut into frames and written a megabyte at a time. */
export class RunWriter {
  private readonly fd: number;
  private chunks: Buffer[] = [];
  private pending = 0;
  private total = 0;
  private frame: unknown[] = [];
  private frameBytes = 0;
  private closed = false;
  count = 0;
  /** The records' estimated size in memory (size-estimate.ts), which framing needs anyway. */
  estimatedBytes = 0;

  constructor(
    readonly path: string,
    private readonly onClosed: (bytes: number) => void,
  ) {
    this.fd = fs.openSync(path, "w");
  }

  add(record: unknown): void {
    this.frame.push(record);
    this.count++;
    const bytes = estimateSize(record);
    this.estimatedBytes += bytes;
    this.frameBytes += bytes;
    if (this.frame.length >= FRAME_RECORDS || this.frameBytes >= FRAME_BYTES) this.cut();
  }

  /** Writes what is buffered and closes the file; returns its path. Idempotent. */
  close(): string {
    if (this.closed) return this.path;
    this.closed = true;
    try {
      if (this.frame.length > 0) this.cut();
      this.flush();
    } finally {
      fs.closeSync(this.fd);
    }
    this.onClosed(this.total);
    return this.path;
  }

  /** Closes the file unfinished (after an error); the task's end deletes it. */
  abort(): void {
    if (this.closed) return;
    this.closed = true;
    fs.closeSync(this.fd);
  }

  private cut(): void {
    const buf = encodeFrame(this.frame);
    this.chunks.push(buf);
    this.pending += buf.length;
    this.frame = [];
    this.frameBytes = 0;
    if (this.pending >= WRITE_BYTES) this.flush();
  }

  private flush(): void {
    if (this.chunks.length === 0) return;
    fs.writeSync(this.fd, this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.pending));
    this.total += this.pending;
    this.chunks = [];
    this.pending = 0;
  }
}
