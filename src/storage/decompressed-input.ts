// Owns reading a compressed input file's decompressed bytes, synchronously and
// in order, with bounded memory: 64 KiB of compressed input at a time, and
// output written straight into the caller's buffer, never more than it has room
// for. So a decompression bomb is just a long stream of bytes to its reader
// (line-reader.ts), which applies its line limit as to any file.
//
// Read as zcat reads: concatenated gzip members (`cat a.gz b.gz`) are one
// stream, and zero bytes after the last member (tape padding) are ignored;
// concatenated zlib streams are read one after another, as Hadoop's
// DecompressorStream reads .deflate files; zstd frames follow one another by
// the format itself. A stream cut short, or bytes zlib refuses, fail the read
// with an error naming the file (sync-codec.ts; for zstd on Node 22, whose
// decompressor misses a cut, zstd-frames.ts). An empty file holds no
// records, as an empty plain file does.
import type { InputFile } from "./confined-open.js";
import { Bzip2Input } from "./bzip2-input.js";
import type { Compression, ZlibCompression } from "./compression.js";
import { CompressionError, SyncCodec } from "./sync-codec.js";
import { ZstdFrameTracker } from "./zstd-frames.js";

/** Compressed bytes read per system call. */
const COMPRESSED_CHUNK_BYTES = 64 * 1024;

/** A compressed file's decompressed bytes, read in order. */
export interface DecompressingReader {
  /** Reads up to `len` decompressed bytes into buf at `off`; 0 once the stream has ended. */
  read(buf: Uint8Array, off: number, len: number): number;
  close(): void;
}

/** The reader of `file` compressed with `codec`. */
export function openDecompressed(file: InputFile, codec: Compression): DecompressingReader {
  return codec === "bzip2" ? new Bzip2Input(file) : new DecompressedInput(file, codec);
}

export class DecompressedInput implements DecompressingReader {
  private readonly codec: SyncCodec;
  /** zstd only: whether the file ends where a frame does, which Node 22's zstd does not check (zstd-frames.ts). */
  private readonly frames: ZstdFrameTracker | null;
  private readonly input = Buffer.allocUnsafe(COMPRESSED_CHUNK_BYTES);
  private inStart = 0;
  private inEnd = 0;
  /** Compressed bytes read from the file so far. */
  private filePos = 0;
  private eof = false;
  private done = false;

  constructor(
    private readonly file: InputFile,
    codec: ZlibCompression,
  ) {
    this.codec = new SyncCodec(codec, false, `input "${file.path}"`);
    this.frames = codec === "zstd" ? new ZstdFrameTracker() : null;
  }

  /** Reads up to `len` decompressed bytes into buf at `off`; 0 once the stream has ended. */
  read(buf: Uint8Array, off: number, len: number): number {
    if (len === 0) return 0;
    while (!this.done) {
      if (this.inStart === this.inEnd && !this.eof) this.fill();
      // Empty from the start: no stream at all, which is no records rather than a truncated stream.
      if (this.eof && this.filePos === 0) {
        this.done = true;
        break;
      }
      const { consumed, produced } = this.codec.step(this.eof, this.input, this.inStart, this.inEnd - this.inStart, buf, off, len);
      this.inStart += consumed;
      if (produced > 0) return produced;
      if (consumed > 0) continue;
      if (this.inStart < this.inEnd) this.afterStreamEnd();
      else if (this.eof) this.end();
    }
    return 0;
  }

  close(): void {
    this.codec.close();
  }

  private end(): void {
    if (this.frames !== null && !this.frames.atFrameEnd()) {
      throw new CompressionError(`input "${this.file.path}": zstd stream is truncated (the file ends inside it)`);
    }
    this.done = true;
  }

  private fill(): void {
    const n = this.file.read(this.input, 0, this.input.length, this.filePos);
    this.frames?.feed(this.input, 0, n);
    this.filePos += n;
    this.inStart = 0;
    this.inEnd = n;
    if (n === 0) this.eof = true;
  }

  /**
   * The engine took nothing and gave nothing though input is left: its stream
   * ended before the file did. Node's gunzip starts the next member by itself,
   * so for gzip what is left is zero padding; a zlib stream is followed by the
   * next one; anything else is not a stream this reader can continue.
   */
  private afterStreamEnd(): void {
    if (this.codec.codec === "gzip") {
      while (this.inStart < this.inEnd && this.input[this.inStart] === 0) this.inStart++;
      if (this.inStart < this.inEnd) throw this.trailing();
      return;
    }
    if (this.codec.codec === "deflate") {
      this.codec.reset();
      return;
    }
    throw this.trailing();
  }

  private trailing(): CompressionError {
    const at = this.filePos - (this.inEnd - this.inStart);
    return new CompressionError(`input "${this.file.path}": ${this.codec.codec} stream is corrupt: unexpected bytes after its end, at byte ${at}`);
  }
}
