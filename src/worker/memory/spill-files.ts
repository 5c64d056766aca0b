// A task's spill files: sorted runs written when its share of memory ran out,
// read back one frame at a time for the final merge. They are named
// spill_<job>_<attempt>_<n> in the worker's spill directory so that whoever
// outlives the task can find and delete them: the task itself when it ends, the
// executor when it had to kill the task's thread, the worker when the job ends.
// The format is the shuffle's (u32-length JSON frames, see common/codec.ts).
import fs from "node:fs";
import { join } from "node:path";
import { encodeFrame } from "../../common/codec.js";
import { estimateSize } from "./size-estimate.js";

/** Frames are cut at this many records or bytes, whichever first, to bound what a merge holds per run. */
const FRAME_RECORDS = 512;
const FRAME_BYTES = 64 * 1024;
const WRITE_BYTES = 1024 * 1024;
const READ_BYTES = 256 * 1024;

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
    private readonly dir: string,
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
    const path = this.nextPath();
    const fd = fs.openSync(path, "w");
    let total = 0;
    try {
      let chunks: Buffer[] = [];
      let pending = 0;
      const flush = () => {
        if (chunks.length === 0) return;
        fs.writeSync(fd, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, pending));
        total += pending;
        chunks = [];
        pending = 0;
      };
      let frame: unknown[] = [];
      let frameBytes = 0;
      const cut = () => {
        const buf = encodeFrame(frame);
        chunks.push(buf);
        pending += buf.length;
        frame = [];
        frameBytes = 0;
        if (pending >= WRITE_BYTES) flush();
      };
      for (const r of records) {
        frame.push(r);
        frameBytes += estimateSize(r);
        if (frame.length >= FRAME_RECORDS || frameBytes >= FRAME_BYTES) cut();
      }
      if (frame.length > 0) cut();
      flush();
    } finally {
      fs.closeSync(fd);
    }
    this.written(total);
    return path;
  }

  /**
   * Merges runs down to at most `width` (the first `width` into one, in place,
   * so run order and with it a merge's stability are kept): a merge holds one
   * frame per run, and this bounds how many.
   */
  mergeDown(runs: string[], width: number, merge: (runs: Iterable<unknown>[]) => Iterable<unknown>): string[] {
    let out = runs;
    while (out.length > width) {
      const first = out.slice(0, width);
      const merged = this.writeRun(merge(first.map((f) => this.records(f))));
      this.remove(first);
      out = [merged, ...out.slice(width)];
    }
    return out;
  }

  /** A run's records in order, one frame in memory at a time. */
  *records(path: string): Generator<unknown> {
    const fd = fs.openSync(path, "r");
    this.open.add(fd);
    try {
      for (const frame of readFrames(fd, path)) yield* frame;
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

/** Reads a run's frames from an open file, holding at most one frame and one read buffer. */
export function* readFrames(fd: number, path: string): Generator<unknown[]> {
  let buf = Buffer.allocUnsafe(READ_BYTES);
  let start = 0;
  let end = 0;
  let pos = 0;
  const fill = (need: number): boolean => {
    if (end - start >= need) return true;
    if (start > 0) {
      buf.copy(buf, 0, start, end);
      end -= start;
      start = 0;
    }
    if (need > buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(need, 2 * buf.length));
      buf.copy(bigger, 0, 0, end);
      buf = bigger;
    }
    while (end < need) {
      const n = fs.readSync(fd, buf, end, buf.length - end, pos);
      if (n === 0) return false;
      end += n;
      pos += n;
    }
    return true;
  };
  for (;;) {
    if (!fill(4)) {
      if (end > start) throw new Error(`truncated spill file ${path}`);
      return;
    }
    const len = buf.readUInt32LE(start);
    if (!fill(4 + len)) throw new Error(`truncated spill file ${path}`);
    const records = JSON.parse(buf.toString("utf8", start + 4, start + 4 + len)) as unknown[];
    start += 4 + len;
    yield records;
  }
}
