// The byte side of one save part: where a part's encoded bytes go (a staged
// local file, output-files.ts; an S3 upload), and the compression stage that
// can sit in front of any of them. Kept byte-oriented and small so that a new
// destination implements three calls and gets every format and compression.
// Used by part-writer.ts, which puts an encoder (line-encoders.ts, parquet-writer.ts) in front.
import type { ZlibCompression } from "./compression.js";
import { SyncCodec } from "./sync-codec.js";

/** Where one attempt's part goes, as bytes in order. Nothing is published by a sink: the job's commit does that. */
export interface PartSink {
  /** Appends `bytes`; the sink may keep a reference only until it returns. */
  write(bytes: Uint8Array): void;
  /** All bytes written: makes the part durable (staged, not published). */
  finish(): void;
  /** Gives the part up, leaving nothing of it; also after a failed write or finish. */
  abort(): void;
}

/** Compresses the stream on its way to `inner`, as one compressed stream (the whole part is one .gz / .deflate / .zst). */
export class CompressingSink implements PartSink {
  private readonly codec: SyncCodec;
  /** The compressor's output buffer: a bounded step at a time, so memory does not grow with the part. */
  private readonly out = Buffer.allocUnsafe(64 * 1024);

  /** `what` names the part in errors, e.g. `output "counts/part-00000.gz"`. */
  constructor(
    private readonly inner: PartSink,
    compression: ZlibCompression,
    what: string,
  ) {
    this.codec = new SyncCodec(compression, true, what);
  }

  write(bytes: Uint8Array): void {
    this.compress(bytes, false);
  }

  finish(): void {
    this.compress(new Uint8Array(0), true);
    this.codec.close();
    this.inner.finish();
  }

  abort(): void {
    this.codec.close();
    this.inner.abort();
  }

  /** Runs `data` through the compressor to the inner sink; `end` ends the stream (trailer and all). */
  private compress(data: Uint8Array, end: boolean): void {
    const out = this.out;
    let off = 0;
    for (;;) {
      const { consumed, produced } = this.codec.step(end, data, off, data.length - off, out, 0, out.length);
      off += consumed;
      if (produced > 0) this.inner.write(out.subarray(0, produced));
      // Room left in the output means the engine has nothing more to give for this input.
      if (produced < out.length && off === data.length) return;
    }
  }
}
