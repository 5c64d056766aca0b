// Checks a sort's output without holding it: the files are read in order as
// one stream of lines, each line's sort key must not be below the previous
// one's, and the lines are summarised as a count and an order-independent
// checksum (the sum of a 32-bit FNV-1a hash of every line), so that an input
// and its sorted output — or two sorts' outputs — can be compared for holding
// the same lines. Used by the sort and memory benchmarks.
import fs from "node:fs";
import { join } from "node:path";

export interface LineSummary {
  lines: number;
  /** The sum of every line's hash: the same for any order of the same lines. */
  checksum: bigint;
}

const CHUNK = 4 << 20;
const NEWLINE = 0x0a;
// Per-line hashes are summed into a Number up to this many lines (2^21 × 2^32
// < 2^53, so the sum stays exact) before being carried into the bigint.
const EXACT_LINES = 1 << 21;

/**
 * Streams lines (without their "\n") through a checksum and, when `keyBytes`
 * is given, an order check on each line's first `keyBytes` bytes (Infinity:
 * the whole line), compared as bytes — which for UTF-8 is code point order,
 * minispark's order for strings.
 */
export class LineDigest {
  private lines = 0;
  private checksum = 0n;
  private partial = 0;
  private prevKey: Buffer | null = null;
  private rest: Buffer = Buffer.alloc(0);

  constructor(private readonly keyBytes: number | null) {}

  /** Feeds the next bytes of the stream; `where` names them in an order error. */
  update(bytes: Buffer, where: string): void {
    const buf = this.rest.length ? Buffer.concat([this.rest, bytes]) : bytes;
    let start = 0;
    for (let nl = buf.indexOf(NEWLINE); nl >= 0; nl = buf.indexOf(NEWLINE, start)) {
      this.line(buf, start, nl, where);
      start = nl + 1;
    }
    // Copied: the caller may reuse `bytes` for its next read.
    this.rest = Buffer.from(buf.subarray(start));
  }

  /** Ends a file: a last line without "\n" counts, and does not run into the next file's first. */
  endFile(where: string): void {
    if (this.rest.length) this.line(this.rest, 0, this.rest.length, where);
    this.rest = Buffer.alloc(0);
  }

  summary(): LineSummary {
    return { lines: this.lines, checksum: this.checksum + BigInt(this.partial) };
  }

  private line(buf: Buffer, from: number, to: number, where: string): void {
    let h = 0x811c9dc5;
    for (let i = from; i < to; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
    this.partial += h >>> 0;
    if (++this.lines % EXACT_LINES === 0) {
      this.checksum += BigInt(this.partial);
      this.partial = 0;
    }
    if (this.keyBytes === null) return;
    const key = buf.subarray(from, Math.min(to, from + this.keyBytes));
    if (this.prevKey && Buffer.compare(this.prevKey, key) > 0) {
      throw new Error(`sorted output is out of order in ${where}: "${this.prevKey.toString()}" before "${key.toString()}"`);
    }
    this.prevKey = Buffer.from(key);
  }
}

/** Summarises `files` read one after the other, checking order when `keyBytes` is given. */
export function summariseFiles(files: string[], keyBytes: number | null): LineSummary {
  const digest = new LineDigest(keyBytes);
  const buf = Buffer.allocUnsafe(CHUNK);
  for (const file of files) {
    const fd = fs.openSync(file, "r");
    try {
      for (let n: number; (n = fs.readSync(fd, buf, 0, CHUNK, null)) > 0; ) digest.update(buf.subarray(0, n), file);
    } finally {
      fs.closeSync(fd);
    }
    digest.endFile(file);
  }
  return digest.summary();
}

/** The part files of a `save` under `<dataDir>/outputs/<path>`, in partition order. */
export function savedParts(dataDir: string, path: string): string[] {
  const dir = join(dataDir, "outputs", path);
  return fs
    .readdirSync(dir)
    .filter((f) => f.startsWith("part-"))
    .sort()
    .map((f) => join(dir, f));
}
