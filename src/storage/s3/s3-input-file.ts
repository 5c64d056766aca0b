// Owns reading an S3 object as an input file (confined-open.ts's InputFile):
// ranged GETs of a few MiB at a time through a task thread's synchronous S3
// calls (s3-sync.ts), each naming the range after it so that the worker
// fetches it while this one is read. So a split is read in order with one
// request per range, and a split's reader that starts before its first line
// or finishes its last line past its end reads those bytes like any others.
// The size is the one the listing saw: an object that has shrunk since fails
// its read with S3's InvalidRange, one that has grown is read to that size.
import type { InputFile } from "../confined-open.js";
import { parseS3Url } from "../../plan/s3-location.js";
import type { ThreadS3 } from "./s3-sync.js";

/** Bytes per ranged GET: large enough that a request's latency is small beside its transfer, small beside a task's memory. */
export const S3_READ_BYTES = 8 * 1024 * 1024;

export class S3InputFile implements InputFile {
  private readonly bucket: string;
  private readonly key: string;
  private chunk: Uint8Array = new Uint8Array(0);
  /** The object offset of chunk[0]. */
  private chunkStart = 0;

  constructor(
    private readonly s3: ThreadS3,
    /** The object's `s3://` URL. */
    readonly path: string,
    readonly size: number,
    private readonly rangeBytes = S3_READ_BYTES,
  ) {
    ({ bucket: this.bucket, key: this.key } = parseS3Url(path));
  }

  read(buf: Uint8Array, off: number, len: number, pos: number): number {
    if (len === 0 || pos >= this.size) return 0;
    if (pos < this.chunkStart || pos >= this.chunkStart + this.chunk.length) this.fetch(pos);
    const from = pos - this.chunkStart;
    const n = Math.min(len, this.chunk.length - from);
    buf.set(this.chunk.subarray(from, from + n), off);
    return n;
  }

  close(): void {
    this.chunk = new Uint8Array(0);
  }

  private fetch(pos: number): void {
    const end = Math.min(this.size, pos + this.rangeBytes);
    const nextEnd = Math.min(this.size, end + this.rangeBytes);
    const ahead = end < this.size ? ([this.bucket, this.key, end, nextEnd - 1] as const) : null;
    this.chunk = this.s3.getRangeAhead(this.bucket, this.key, pos, end - 1, ahead);
    this.chunkStart = pos;
  }
}
