// Owns cutting a job's input files into byte-range splits, one per partition,
// using the Hadoop FileInputFormat sizing rule that Spark's textFile inherits.
// Called on workers when planning a file-sourced stage (inside the listing
// thread, listing-thread.ts); line-reader.ts then reads each split so that no
// line is lost or duplicated across split boundaries. Split counts are computed
// before any split is made and refused past the caps, so `maxPartitionBytes: 1`
// on a large file costs one division, not one object per byte. A compressed
// file (by its extension, compression.ts) cannot be read from the middle, so it
// is one split whatever the sizes say, as Hadoop does for unsplittable codecs.
import fs from "node:fs";
import path from "node:path";
import { compressionOf } from "./compression.js";
import { expandPaths } from "./glob.js";

/** Path is relative to dataDir, or an object's `s3://` URL; [start, end) is the byte range whose lines this split owns. */
export interface FileSplit {
  path: string;
  start: number;
  end: number;
  fileSize: number;
}

export interface SplitOptions {
  minPartitions: number;
  maxPartitionBytes: number;
  splittable: boolean;
}

/** Stops minPartitions from shredding input into splits whose per-task overhead dominates. */
const MIN_SPLIT_BYTES = 1 << 20;
/** Hadoop's SPLIT_SLOP: a tail under 10% of a split is merged into the previous split. */
const SPLIT_SLOP = 1.1;
/** Splits of one file: 10,000 default-sized splits are 320 GiB, far past what one file here holds. */
export const MAX_SPLITS_PER_FILE = 10_000;
/** Splits of one source: each is a task, and the master refuses more than 100,000 partitions per stage. */
export const MAX_SPLITS_PER_LISTING = 100_000;

export class SplitLimitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SplitLimitError";
  }
}

/** A listed input file: a path under the data directory, or an object's `s3://` URL. */
export interface ListedFile {
  path: string;
  size: number;
}

export function listSplits(dataDir: string, patterns: string | string[], opts: SplitOptions): FileSplit[] {
  return cutSplits(
    expandPaths(dataDir, patterns).map((p) => ({ path: p, size: fs.statSync(path.join(dataDir, p)).size })),
    opts,
  );
}

/** The splits of `files` (at least one), in their order. */
export function cutSplits(files: readonly ListedFile[], opts: SplitOptions): FileSplit[] {
  // Unsplittable inputs (e.g. whole-file reads) keep empty files: an empty file is still a record.
  if (!opts.splittable) return files.map((f) => ({ path: f.path, start: 0, end: f.size, fileSize: f.size }));
  const total = files.reduce((sum, f) => sum + f.size, 0);
  const splitSize = chooseSplitSize(total, opts);
  let count = 0;
  for (const f of files) {
    const n = compressionOf(f.path) !== null ? wholeFile(f.path, f.size).length : splitCount(f.size, splitSize);
    if (n > MAX_SPLITS_PER_FILE) {
      throw new SplitLimitError(
        `"${f.path}" (${f.size} bytes) would be cut into ${n} splits of ${splitSize} bytes; at most ${MAX_SPLITS_PER_FILE} splits per file are allowed (raise maxPartitionBytes)`,
      );
    }
    count += n;
    if (count > MAX_SPLITS_PER_LISTING) {
      throw new SplitLimitError(`the input would be cut into more than ${MAX_SPLITS_PER_LISTING} splits; at most ${MAX_SPLITS_PER_LISTING} are allowed (raise maxPartitionBytes)`);
    }
  }
  const splits = files.flatMap((f) => (compressionOf(f.path) !== null ? wholeFile(f.path, f.size) : cutFile(f.path, f.size, splitSize)));
  // A listing never yields no file, so files[0] exists; one empty partition beats zero.
  return splits.length > 0 ? splits : [{ path: files[0]!.path, start: 0, end: 0, fileSize: 0 }];
}

/**
 * Hadoop's max(minSize, min(goalSize, blockSize)), except that maxPartitionBytes is a hard cap:
 * the 1 MiB floor only limits how small minPartitions may push splits, so a caller that
 * explicitly asks for tiny partitions (tests, skew experiments) still gets them.
 */
function chooseSplitSize(totalBytes: number, opts: SplitOptions): number {
  const maxBytes = Math.max(1, Math.floor(opts.maxPartitionBytes));
  const goal = Math.floor(totalBytes / Math.max(1, Math.floor(opts.minPartitions)));
  return Math.min(maxBytes, Math.max(MIN_SPLIT_BYTES, goal));
}

/** How many splits cutFile makes, without making them: full splits while the rest exceeds SPLIT_SLOP, then the tail. */
export function splitCount(size: number, splitSize: number): number {
  let full = Math.max(0, Math.ceil(size / splitSize - SPLIT_SLOP));
  // The float estimate can be off by one either way near the slop boundary; settle it with cutFile's own test.
  while (full > 0 && (size - (full - 1) * splitSize) / splitSize <= SPLIT_SLOP) full--;
  while ((size - full * splitSize) / splitSize > SPLIT_SLOP) full++;
  return full + (full * splitSize < size ? 1 : 0);
}

/** A compressed file's one split; none for an empty file, as cutFile gives none for an empty plain file. */
function wholeFile(filePath: string, size: number): FileSplit[] {
  return size > 0 ? [{ path: filePath, start: 0, end: size, fileSize: size }] : [];
}

function cutFile(filePath: string, size: number, splitSize: number): FileSplit[] {
  const splits: FileSplit[] = [];
  let start = 0;
  while ((size - start) / splitSize > SPLIT_SLOP) {
    splits.push({ path: filePath, start, end: start + splitSize, fileSize: size });
    start += splitSize;
  }
  if (start < size) splits.push({ path: filePath, start, end: size, fileSize: size });
  return splits;
}
