// Owns running a node:zlib engine (gzip, zlib, zstd; compressing or
// decompressing) synchronously, one bounded step at a time: each step reads
// what it can of an input range and writes at most the output range it is
// given. Used by the decompressing reader (decompressed-input.ts) and by the
// save action's compressed part files (part-sink.ts).
//
// Why the engine's handle and not a documented call: task threads read input
// as synchronous, pull-based generators, and node:zlib documents only
// asynchronous streams and one-shot *Sync calls over a whole buffer (which would
// hold a whole decompressed file, and a decompression bomb, in memory). The
// one-shot calls are themselves a loop over the handle's synchronous step,
// `writeSync(flush, in, inOff, inLen, out, outOff, outLen)` leaving
// [availOut, availIn] in the engine's `_writeState` (processChunkSync in Node's
// lib/zlib.js, unchanged in Node 20, 22 and 24, zstd included). Driving that
// step directly is what bounds the output. The shape is checked when an engine
// is made, so a Node that changed it fails with a message saying so rather than
// reading wrong. The handle's error callback is replaced: Node's own destroys
// the stream, whose 'error' event would then have no listener.
import zlib from "node:zlib";
import { UserCodeError } from "../functions/user-function.js";
import type { ZlibCompression } from "./compression.js";

interface EngineHandle {
  writeSync(flush: number, input: Uint8Array, inOff: number, inLen: number, out: Uint8Array, outOff: number, outLen: number): void;
  onerror: (message: string, errno: number, code?: string) => void;
}

interface Engine {
  _handle: EngineHandle | null;
  _writeState: Uint32Array;
  reset(): void;
  close(): void;
}

/** A compressed input (or output) that zlib refused; names the file and what is wrong. */
export class CompressionError extends UserCodeError {
  constructor(message: string) {
    super(message);
    this.name = "CompressionError";
  }
}

/** Node's zstd arrived in 22.15 (and 23.8); the message says which Node this is. */
export function zstdAvailable(): boolean {
  return typeof (zlib as { createZstdDecompress?: unknown }).createZstdDecompress === "function";
}

const NAMES: Record<ZlibCompression, string> = { gzip: "gzip", deflate: "deflate (zlib)", zstd: "zstd" };

function makeEngine(codec: ZlibCompression, compress: boolean, what: string): Engine {
  if (codec === "zstd" && !zstdAvailable()) {
    throw new CompressionError(`${what}: zstd needs Node.js 22.15 or later (its node:zlib has zstd); this worker runs Node.js ${process.versions.node}`);
  }
  const z = zlib as unknown as Record<string, () => unknown>;
  const factory = {
    gzip: compress ? zlib.createGzip : zlib.createGunzip,
    deflate: compress ? zlib.createDeflate : zlib.createInflate,
    zstd: compress ? z.createZstdCompress : z.createZstdDecompress,
  }[codec];
  const engine = factory() as Engine;
  if (typeof engine._handle?.writeSync !== "function" || !(engine._writeState instanceof Uint32Array)) {
    engine.close();
    throw new CompressionError(`${what}: this Node.js (${process.versions.node}) changed the zlib internals minispark drives; ${NAMES[codec]} cannot be read or written here`);
  }
  return engine;
}

export class SyncCodec {
  private readonly engine: Engine;
  private readonly handle: EngineHandle;
  private failure: { message: string; code: string | undefined } | null = null;
  private readonly flushContinue: number;
  private readonly flushFinish: number;

  /** `what` names the file in errors, e.g. `input "logs/a.gz"`. */
  constructor(
    readonly codec: ZlibCompression,
    readonly compress: boolean,
    private readonly what: string,
  ) {
    this.engine = makeEngine(codec, compress, what);
    this.handle = this.engine._handle!;
    this.handle.onerror = (message, _errno, code) => {
      this.failure = { message, code };
    };
    const c = zlib.constants as Record<string, number>;
    this.flushContinue = codec === "zstd" ? c.ZSTD_e_continue! : c.Z_NO_FLUSH!;
    this.flushFinish = codec === "zstd" ? c.ZSTD_e_end! : c.Z_FINISH!;
  }

  /**
   * One step: consumes what it can of input[inOff, inOff + inLen) and writes at most
   * out[outOff, outOff + outLen). `finish` says the input ends with this range, so that
   * a stream cut short fails here. Returns how much was consumed and produced.
   */
  step(finish: boolean, input: Uint8Array, inOff: number, inLen: number, out: Uint8Array, outOff: number, outLen: number): { consumed: number; produced: number } {
    this.handle.writeSync(finish ? this.flushFinish : this.flushContinue, input, inOff, inLen, out, outOff, outLen);
    if (this.failure !== null) throw this.error(this.failure);
    const [availOut, availIn] = this.engine._writeState;
    return { consumed: inLen - availIn!, produced: outLen - availOut! };
  }

  /** Starts a new stream after one ended (Hadoop reads concatenated zlib streams this way). */
  reset(): void {
    this.engine.reset();
  }

  close(): void {
    this.engine.close();
  }

  private error(f: { message: string; code: string | undefined }): CompressionError {
    const name = NAMES[this.codec];
    if (this.compress) return new CompressionError(`${this.what}: ${name} compression failed: ${f.message}`);
    // zlib and zstd both say "unexpected end of file" when the input stops inside the stream.
    if (f.code === "Z_BUF_ERROR" || f.message === "unexpected end of file") return new CompressionError(`${this.what}: ${name} stream is truncated (the file ends inside it)`);
    return new CompressionError(`${this.what}: ${name} stream is corrupt: ${f.message}`);
  }
}
