// Owns reading a bzip2 file's decompressed bytes, synchronously and in order,
// with bounded memory, as decompressed-input.ts does for the zlib codecs:
// Node has no bzip2, and the npm decoders are asynchronous streams or decode a
// whole buffer at once, so this is a decoder of bzip2 1.0's format written for
// a pull-based reader. It holds 64 KiB of compressed input and one block's
// Burrows–Wheeler vector (4 bytes for each of at most 900,000 symbols), and
// undoes the final run-length stage as the caller asks for bytes, so a block
// that expands 50-fold never exists whole in memory.
//
// Read as bunzip2 reads: concatenated streams (`cat a.bz2 b.bz2`, pbzip2's
// output) are one text, zero bytes after the last are ignored; every block's
// CRC and each stream's combined CRC are checked. A stream cut short, a CRC
// that does not match, or a malformed block fail the read naming the file.
// Blocks in bzip2 0.9.0's "randomised" form (never written since 0.9.5, 1999)
// are refused by name.
import { CRC_START, crcByte } from "./bzip2-crc.js";
import type { InputFile } from "./confined-open.js";
import { CompressionError } from "./sync-codec.js";

/** Compressed bytes read per system call. */
const COMPRESSED_CHUNK_BYTES = 64 * 1024;
const MAX_GROUPS = 6;
const MAX_CODE_LEN = 20;
/** bzip2 1.0.8 reads at most this many selectors and ignores the rest (CVE-2019-12900). */
const MAX_SELECTORS = 18_002;
const GROUP_SIZE = 50;
const BLOCK_MAGIC = [0x314159, 0x265359] as const;
const END_MAGIC = [0x177245, 0x385090] as const;

/** One Huffman table's canonical decoding arrays, as bzip2 builds them. */
interface HuffmanTable {
  minLen: number;
  maxLen: number;
  limit: Int32Array;
  base: Int32Array;
  perm: Uint16Array;
}

export class Bzip2Input {
  private readonly input = Buffer.allocUnsafe(COMPRESSED_CHUNK_BYTES);
  private inPos = 0;
  private inEnd = 0;
  private filePos = 0;
  private bitBuf = 0;
  private bitCount = 0;

  /** The stream's block size in units of 100,000 symbols, 0 between streams. */
  private level = 0;
  private streams = 0;
  private streamCrc = 0;
  private done = false;

  // The block being written out: its vector, where the walk is, and the run-length state.
  private tt = new Uint32Array(0);
  private tPos = 0;
  private left = 0;
  private blockCrc = 0;
  private expectedCrc = 0;
  private lastByte = -1;
  private runLength = 0;
  private repeats = 0;
  private inBlock = false;

  constructor(private readonly file: InputFile) {}

  /** Reads up to `len` decompressed bytes into buf at `off`; 0 once the file has ended. */
  read(buf: Uint8Array, off: number, len: number): number {
    let n = 0;
    while (n < len) {
      if (!this.inBlock) {
        if (this.done || !this.nextBlock()) break;
        continue;
      }
      n += this.emit(buf, off + n, len - n);
      if (this.inBlock && this.left === 0 && this.repeats === 0) this.endBlock();
    }
    return n;
  }

  close(): void {
    this.tt = new Uint32Array(0);
  }

  private corrupt(what: string): CompressionError {
    return new CompressionError(`input "${this.file.path}": bzip2 stream is corrupt: ${what}`);
  }

  private truncated(): CompressionError {
    return new CompressionError(`input "${this.file.path}": bzip2 stream is truncated (the file ends inside it)`);
  }

  // --- bits -----------------------------------------------------------------

  /** The next compressed byte, or -1 at the end of the file. */
  private byte(): number {
    if (this.inPos === this.inEnd) {
      const got = this.file.read(this.input, 0, this.input.length, this.filePos);
      this.filePos += got;
      this.inPos = 0;
      this.inEnd = got;
      if (got === 0) return -1;
    }
    return this.input[this.inPos++]!;
  }

  /** Makes at least `n` (≤ 24) bits available. */
  private need(n: number): void {
    while (this.bitCount < n) {
      const b = this.byte();
      if (b < 0) throw this.truncated();
      this.bitBuf = ((this.bitBuf << 8) | b) & 0x7fffffff;
      this.bitCount += 8;
    }
  }

  /** The next `n` (≤ 24) bits, most significant first. */
  private bits(n: number): number {
    this.need(n);
    this.bitCount -= n;
    return (this.bitBuf >>> this.bitCount) & ((1 << n) - 1);
  }

  private bits32(): number {
    return ((this.bits(16) << 16) | this.bits(16)) >>> 0;
  }

  // --- streams and blocks ---------------------------------------------------

  /** Decodes the next block into tt; false at the end of the file. */
  private nextBlock(): boolean {
    for (;;) {
      if (this.level === 0 && !this.streamHeader()) {
        this.done = true;
        return false;
      }
      const m1 = this.bits(24);
      const m2 = this.bits(24);
      if (m1 === BLOCK_MAGIC[0] && m2 === BLOCK_MAGIC[1]) {
        this.decodeBlock();
        return true;
      }
      if (m1 !== END_MAGIC[0] || m2 !== END_MAGIC[1]) throw this.corrupt(`no block or end-of-stream marker at byte ${this.bytePosition()}`);
      const stored = this.bits32();
      if (stored !== this.streamCrc) throw this.corrupt(`the stream's combined CRC is ${hex(this.streamCrc)}, not ${hex(stored)} as stored`);
      // A stream ends on a byte boundary; the next, if any, starts afresh.
      this.bitCount -= this.bitCount % 8;
      this.level = 0;
    }
  }

  /** Reads "BZh1".."BZh9"; false when the file has ended (zero padding allowed). */
  private streamHeader(): boolean {
    let b = this.bitCount >= 8 ? this.bits(8) : this.byte();
    while (b === 0 && this.streams > 0) b = this.bitCount >= 8 ? this.bits(8) : this.byte();
    if (b < 0) return false;
    const at = this.bytePosition() - 1;
    const rest = [this.bits(8), this.bits(8), this.bits(8)];
    if (b !== 0x42 || rest[0] !== 0x5a || rest[1] !== 0x68 || rest[2]! < 0x31 || rest[2]! > 0x39) {
      throw this.corrupt(this.streams === 0 ? `it does not start with a bzip2 header ("BZh1" to "BZh9")` : `unexpected bytes after its end, at byte ${at}`);
    }
    this.level = rest[2]! - 0x30;
    this.streamCrc = 0;
    this.streams++;
    return true;
  }

  /** The compressed byte being read, for messages. */
  private bytePosition(): number {
    return this.filePos - (this.inEnd - this.inPos) - Math.floor(this.bitCount / 8);
  }

  private decodeBlock(): void {
    this.expectedCrc = this.bits32();
    if (this.bits(1) === 1) throw this.corrupt(`it has a randomised block (bzip2 0.9.0's format), which minispark does not read`);
    const origPtr = this.bits(24);

    // The bytes the block uses, as a 16 × 16 bitmap.
    const seqToUnseq = new Uint8Array(256);
    let inUse = 0;
    const used16 = this.bits(16);
    for (let i = 0; i < 16; i++) {
      if ((used16 & (0x8000 >>> i)) === 0) continue;
      const used = this.bits(16);
      for (let j = 0; j < 16; j++) if (used & (0x8000 >>> j)) seqToUnseq[inUse++] = i * 16 + j;
    }
    if (inUse === 0) throw this.corrupt("a block uses no bytes");
    const alphaSize = inUse + 2;

    const nGroups = this.bits(3);
    if (nGroups < 2 || nGroups > MAX_GROUPS) throw this.corrupt(`a block has ${nGroups} Huffman tables (2 to 6)`);
    const nSelectors = this.bits(15);
    if (nSelectors < 1) throw this.corrupt("a block has no selectors");
    const selectors = this.selectors(nSelectors, nGroups);
    const tables: HuffmanTable[] = [];
    for (let t = 0; t < nGroups; t++) tables.push(this.table(alphaSize));

    this.inverseBwt(this.symbols(tables, selectors, seqToUnseq, inUse), origPtr);
  }

  /** The selectors, move-to-front coded in unary; beyond MAX_SELECTORS they are read and dropped. */
  private selectors(n: number, nGroups: number): Uint8Array {
    const mtf = [0, 1, 2, 3, 4, 5].slice(0, nGroups);
    const out = new Uint8Array(Math.min(n, MAX_SELECTORS));
    for (let i = 0; i < n; i++) {
      let j = 0;
      while (this.bits(1) === 1) if (++j >= nGroups) throw this.corrupt("a selector names a Huffman table that does not exist");
      const v = mtf[j]!;
      mtf.splice(j, 1);
      mtf.unshift(v);
      if (i < out.length) out[i] = v;
    }
    return out;
  }

  /** One Huffman table: code lengths delta-coded from a 5-bit start, then bzip2's canonical decoding arrays. */
  private table(alphaSize: number): HuffmanTable {
    const lengths = new Uint8Array(alphaSize);
    let len = this.bits(5);
    for (let i = 0; i < alphaSize; i++) {
      for (;;) {
        if (len < 1 || len > MAX_CODE_LEN) throw this.corrupt(`a Huffman code length is ${len} (1 to 20)`);
        if (this.bits(1) === 0) break;
        len += this.bits(1) === 0 ? 1 : -1;
      }
      lengths[i] = len;
    }
    let minLen = 32;
    let maxLen = 0;
    for (const l of lengths) {
      minLen = Math.min(minLen, l);
      maxLen = Math.max(maxLen, l);
    }
    const perm = new Uint16Array(alphaSize);
    let pp = 0;
    for (let l = minLen; l <= maxLen; l++) for (let s = 0; s < alphaSize; s++) if (lengths[s] === l) perm[pp++] = s;
    const base = new Int32Array(MAX_CODE_LEN + 2);
    for (const l of lengths) base[l + 1]!++;
    for (let l = 1; l < base.length; l++) base[l]! += base[l - 1]!;
    const limit = new Int32Array(MAX_CODE_LEN + 1).fill(-1);
    let vec = 0;
    for (let l = minLen; l <= maxLen; l++) {
      vec += base[l + 1]! - base[l]!;
      limit[l] = vec - 1;
      vec <<= 1;
    }
    for (let l = minLen + 1; l <= maxLen; l++) base[l] = ((limit[l - 1]! + 1) << 1) - base[l]!;
    return { minLen, maxLen, limit, base, perm };
  }

  /** Decodes the block's symbols (move-to-front indices and RUNA/RUNB runs) into bytes, the Burrows–Wheeler transform's last column. */
  private symbols(tables: HuffmanTable[], selectors: Uint8Array, seqToUnseq: Uint8Array, inUse: number): { tt: Uint32Array; n: number; counts: Int32Array } {
    const maxBlock = this.level * 100_000;
    if (this.tt.length < maxBlock) this.tt = new Uint32Array(maxBlock);
    const tt = this.tt;
    const counts = new Int32Array(256);
    const mtf = new Uint8Array(256);
    for (let i = 0; i < 256; i++) mtf[i] = i;
    const eob = inUse + 1;
    let n = 0;
    let group = -1;
    let groupLeft = 0;
    let table = tables[0]!;
    const next = (): number => {
      if (groupLeft === 0) {
        if (++group >= selectors.length) throw this.corrupt("a block has more symbols than its selectors cover");
        table = tables[selectors[group]!]!;
        groupLeft = GROUP_SIZE;
      }
      groupLeft--;
      return this.symbol(table);
    };
    let sym = next();
    while (sym !== eob) {
      if (sym <= 1) {
        // A run of the front byte: RUNA and RUNB digits of a bijective base-2 count.
        let run = 0;
        let weight = 1;
        while (sym <= 1) {
          run += weight << sym;
          weight <<= 1;
          if (weight > 1 << 21) throw this.corrupt("a run is longer than any block");
          sym = next();
        }
        const b = seqToUnseq[mtf[0]!]!;
        if (n + run > maxBlock) throw this.corrupt(`a block holds more than ${maxBlock} symbols`);
        tt.fill(b, n, n + run);
        counts[b]! += run;
        n += run;
        continue;
      }
      if (n >= maxBlock) throw this.corrupt(`a block holds more than ${maxBlock} symbols`);
      const index = sym - 1;
      const v = mtf[index]!;
      mtf.copyWithin(1, 0, index);
      mtf[0] = v;
      const b = seqToUnseq[v]!;
      tt[n++] = b;
      counts[b]!++;
      sym = next();
    }
    return { tt, n, counts };
  }

  /** One symbol through `t`: the shortest code length whose limit the next bits are within. */
  private symbol(t: HuffmanTable): number {
    this.need(t.maxLen);
    const peek = (this.bitBuf >>> (this.bitCount - t.maxLen)) & ((1 << t.maxLen) - 1);
    for (let l = t.minLen; l <= t.maxLen; l++) {
      const code = peek >>> (t.maxLen - l);
      if (code <= t.limit[l]!) {
        this.bitCount -= l;
        const i = code - t.base[l]!;
        if (i < 0 || i >= t.perm.length) break;
        return t.perm[i]!;
      }
    }
    throw this.corrupt("a Huffman code matches no symbol");
  }

  /** Links each position of the last column to its successor, ready to be walked from origPtr. */
  private inverseBwt({ tt, n, counts }: { tt: Uint32Array; n: number; counts: Int32Array }, origPtr: number): void {
    if (origPtr >= n) throw this.corrupt(`a block's origin pointer ${origPtr} is past its ${n} symbols`);
    const start = new Int32Array(256);
    for (let b = 1; b < 256; b++) start[b] = start[b - 1]! + counts[b - 1]!;
    for (let i = 0; i < n; i++) {
      const b = tt[i]! & 0xff;
      tt[start[b]!]! |= i << 8;
      start[b]!++;
    }
    this.tPos = tt[origPtr]! >>> 8;
    this.left = n;
    this.blockCrc = CRC_START;
    this.lastByte = -1;
    this.runLength = 0;
    this.repeats = 0;
    this.inBlock = true;
  }

  /** Writes the block's bytes into out, undoing bzip2's first run-length stage (four equal bytes, then a count of more). */
  private emit(out: Uint8Array, off: number, len: number): number {
    const tt = this.tt;
    let { tPos, left, lastByte, runLength, repeats } = this;
    let crc = this.blockCrc;
    let n = 0;
    while (n < len) {
      if (repeats > 0) {
        out[off + n++] = lastByte;
        crc = crcByte(crc, lastByte);
        repeats--;
        continue;
      }
      if (left === 0) break;
      const entry = tt[tPos]!;
      tPos = entry >>> 8;
      const b = entry & 0xff;
      left--;
      if (runLength === 4) {
        repeats = b;
        runLength = 0;
        continue;
      }
      if (b === lastByte) runLength++;
      else {
        lastByte = b;
        runLength = 1;
      }
      out[off + n++] = b;
      crc = crcByte(crc, b);
    }
    Object.assign(this, { tPos, left, lastByte, runLength, repeats, blockCrc: crc });
    return n;
  }

  private endBlock(): void {
    const crc = ~this.blockCrc >>> 0;
    if (crc !== this.expectedCrc) throw this.corrupt(`a block's CRC is ${hex(crc)}, not ${hex(this.expectedCrc)} as stored`);
    this.streamCrc = (((this.streamCrc << 1) | (this.streamCrc >>> 31)) ^ crc) >>> 0;
    this.inBlock = false;
  }
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, "0")}`;
}
