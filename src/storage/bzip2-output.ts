// Owns writing a save part as one bzip2 stream (bzip2 1.0's format, blocks of
// 900,000 bytes as `bzip2 -9` writes), synchronously as records stream in, for
// the same reason bzip2-input.ts reads it itself: Node has no bzip2. Memory is
// one block and its sort: about 20 bytes per block byte, 18 MB at most.
//
// Each block takes bzip2's stages in order: runs of 4 to 255 equal bytes
// shortened to four and a count; the Burrows–Wheeler transform, sorting the
// block's rotations by prefix doubling (ranks of 2^k-byte prefixes, one
// counting sort per doubling, stopping once every rank differs); move-to-front
// with zero runs written as RUNA/RUNB digits; then 2 to 6 Huffman tables chosen
// per 50 symbols, refined four times as bzip2 does. bunzip2 and this project's
// reader both read the output (tests compare them).
import { CRC_START, crcByte } from "./bzip2-crc.js";
import type { PartSink } from "./part-sink.js";

const LEVEL = 9;
/** bzip2's limit on a block after its first run-length stage: room for the last run's 5 bytes. */
const MAX_BLOCK = LEVEL * 100_000 - 19;
const GROUP_SIZE = 50;
const MAX_CODE_LEN = 17;
const REFINE_ITERATIONS = 4;
/** Compressed bytes gathered before they go to the inner sink. */
const OUT_CHUNK = 64 * 1024;

/** Packs bits most significant first, handing full chunks to `flush`. */
class BitWriter {
  private buf = Buffer.allocUnsafe(OUT_CHUNK + 8);
  private pos = 0;
  private acc = 0;
  private count = 0;

  constructor(private readonly flush: (bytes: Uint8Array) => void) {}

  /** Writes the low `n` (≤ 24) bits of `v`. */
  bits(n: number, v: number): void {
    this.acc = ((this.acc << n) | (v & ((1 << n) - 1))) >>> 0;
    this.count += n;
    while (this.count >= 8) {
      this.count -= 8;
      this.buf[this.pos++] = (this.acc >>> this.count) & 0xff;
    }
    this.acc &= (1 << this.count) - 1;
    if (this.pos >= OUT_CHUNK) this.drain();
  }

  bits32(v: number): void {
    this.bits(16, v >>> 16);
    this.bits(16, v & 0xffff);
  }

  /** Pads to a byte and hands over everything written. */
  end(): void {
    if (this.count > 0) this.bits(8 - this.count, 0);
    this.drain();
  }

  private drain(): void {
    if (this.pos === 0) return;
    this.flush(this.buf.subarray(0, this.pos));
    this.buf = Buffer.allocUnsafe(OUT_CHUNK + 8);
    this.pos = 0;
  }
}

/** Compresses the part's bytes as bzip2 on their way to `inner`. */
export class Bzip2Sink implements PartSink {
  private readonly out: BitWriter;
  private block = new Uint8Array(MAX_BLOCK + 5);
  private n = 0;
  private runByte = -1;
  private runLength = 0;
  private blockCrc = CRC_START;
  private streamCrc = 0;
  private started = false;

  constructor(private readonly inner: PartSink) {
    this.out = new BitWriter((bytes) => inner.write(bytes));
  }

  write(bytes: Uint8Array): void {
    if (!this.started) this.header();
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i]!;
      if (b === this.runByte && this.runLength < 255) {
        this.runLength++;
        continue;
      }
      this.flushRun();
      this.runByte = b;
      this.runLength = 1;
    }
  }

  finish(): void {
    if (!this.started) this.header();
    this.flushRun();
    if (this.n > 0) this.endBlock();
    this.out.bits(24, 0x177245);
    this.out.bits(24, 0x385090);
    this.out.bits32(this.streamCrc);
    this.out.end();
    this.block = new Uint8Array(0);
    this.inner.finish();
  }

  abort(): void {
    this.block = new Uint8Array(0);
    this.inner.abort();
  }

  private header(): void {
    this.started = true;
    for (const c of "BZh9") this.out.bits(8, c.charCodeAt(0));
  }

  /** Puts the pending run into the block (1 to 3 bytes as they are, 4 or more as four and a count), and ends the block when full. */
  private flushRun(): void {
    const { runByte: b, runLength: len } = this;
    if (len === 0) return;
    let crc = this.blockCrc;
    for (let i = 0; i < len; i++) crc = crcByte(crc, b);
    this.blockCrc = crc;
    const block = this.block;
    for (let i = 0; i < Math.min(len, 4); i++) block[this.n++] = b;
    if (len >= 4) block[this.n++] = len - 4;
    this.runLength = 0;
    this.runByte = -1;
    if (this.n >= MAX_BLOCK) this.endBlock();
  }

  private endBlock(): void {
    const crc = ~this.blockCrc >>> 0;
    this.streamCrc = (((this.streamCrc << 1) | (this.streamCrc >>> 31)) ^ crc) >>> 0;
    writeBlock(this.out, this.block.subarray(0, this.n), crc);
    this.n = 0;
    this.blockCrc = CRC_START;
  }
}

/** The Burrows–Wheeler transform of `block` (as a cycle): its last column, and the row the block itself sorts to. */
export function bwt(block: Uint8Array): { last: Uint8Array; origPtr: number } {
  const n = block.length;
  let sa = new Int32Array(n);
  let rank = new Int32Array(n);
  let tmp = new Int32Array(n);
  const count = new Int32Array(Math.max(256, n) + 1);
  for (let i = 0; i < n; i++) count[block[i]! + 1]!++;
  for (let i = 1; i <= 256; i++) count[i]! += count[i - 1]!;
  for (let i = 0; i < n; i++) sa[count[block[i]!]!++] = i;
  let classes = 1;
  rank[sa[0]!] = 0;
  for (let i = 1; i < n; i++) {
    if (block[sa[i]!] !== block[sa[i - 1]!]) classes++;
    rank[sa[i]!] = classes - 1;
  }
  for (let k = 1; classes < n && k < n; k <<= 1) {
    // Ordered by the second half's rank: sa shifted back by k. Then a stable counting sort by the first half's.
    for (let i = 0; i < n; i++) {
      const j = sa[i]! - k;
      tmp[i] = j < 0 ? j + n : j;
    }
    count.fill(0, 0, classes + 1);
    for (let i = 0; i < n; i++) count[rank[tmp[i]!]! + 1]!++;
    for (let i = 1; i <= classes; i++) count[i]! += count[i - 1]!;
    for (let i = 0; i < n; i++) {
      const j = tmp[i]!;
      sa[count[rank[j]!]!++] = j;
    }
    // New ranks: equal when both halves' ranks are.
    tmp[sa[0]!] = 0;
    classes = 1;
    for (let i = 1; i < n; i++) {
      const a = sa[i]!;
      const b = sa[i - 1]!;
      let a2 = a + k;
      if (a2 >= n) a2 -= n;
      let b2 = b + k;
      if (b2 >= n) b2 -= n;
      if (rank[a] !== rank[b] || rank[a2] !== rank[b2]) classes++;
      tmp[a] = classes - 1;
    }
    [rank, tmp] = [tmp, rank];
  }
  const last = new Uint8Array(n);
  let origPtr = 0;
  for (let i = 0; i < n; i++) {
    const s = sa[i]!;
    if (s === 0) origPtr = i;
    last[i] = block[s === 0 ? n - 1 : s - 1]!;
  }
  sa = rank = tmp = new Int32Array(0);
  return { last, origPtr };
}

/** The block's move-to-front symbols, zero runs as RUNA (0) / RUNB (1), ending with EOB; and which bytes it uses. */
function mtfSymbols(last: Uint8Array): { symbols: Uint16Array; count: number; inUse: boolean[]; alphaSize: number } {
  const inUse = new Array<boolean>(256).fill(false);
  for (const b of last) inUse[b] = true;
  const unseqToSeq = new Uint8Array(256);
  let nInUse = 0;
  for (let b = 0; b < 256; b++) if (inUse[b]) unseqToSeq[b] = nInUse++;
  const eob = nInUse + 1;
  const symbols = new Uint16Array(last.length + 1);
  const order = new Uint8Array(nInUse);
  for (let i = 0; i < nInUse; i++) order[i] = i;
  let count = 0;
  let zeros = 0;
  const flushZeros = () => {
    // bzip2's bijective base 2: digits RUNA = 1 and RUNB = 2, least significant first.
    let z = zeros - 1;
    for (;;) {
      symbols[count++] = z & 1;
      if (z < 2) break;
      z = (z - 2) >> 1;
    }
    zeros = 0;
  };
  for (let i = 0; i < last.length; i++) {
    const s = unseqToSeq[last[i]!]!;
    if (order[0] === s) {
      zeros++;
      continue;
    }
    if (zeros > 0) flushZeros();
    let j = 1;
    while (order[j] !== s) j++;
    order.copyWithin(1, 0, j);
    order[0] = s;
    symbols[count++] = j + 1;
  }
  if (zeros > 0) flushZeros();
  symbols[count++] = eob;
  return { symbols, count, inUse, alphaSize: nInUse + 2 };
}

/** Huffman code lengths of at most `maxLen` for `freq` (zero counts as one), halving the weights until they fit, as bzip2 does. */
export function codeLengths(freq: ArrayLike<number>, maxLen: number): Uint8Array {
  const n = freq.length;
  const weight = Array.from({ length: n }, (_, i) => Math.max(1, freq[i]!));
  for (;;) {
    // Nodes 0..n-1 are leaves; each merge of the two lightest makes a new node.
    const parent = new Int32Array(2 * n).fill(-1);
    const w = [...weight];
    const heap: number[] = Array.from({ length: n }, (_, i) => i).sort((a, b) => w[a]! - w[b]! || a - b);
    let next = n;
    // Two sorted queues (leaves, and merged nodes in the order made) give the lightest in O(1).
    const merged: number[] = [];
    let li = 0;
    let mi = 0;
    const pop = (): number => (mi >= merged.length || (li < heap.length && w[heap[li]!]! <= w[merged[mi]!]!) ? heap[li++]! : merged[mi++]!);
    while (heap.length - li + merged.length - mi > 1) {
      const a = pop();
      const b = pop();
      w[next] = w[a]! + w[b]!;
      parent[a] = next;
      parent[b] = next;
      merged.push(next++);
    }
    const lengths = new Uint8Array(n);
    let longest = 0;
    for (let i = 0; i < n; i++) {
      let d = 0;
      for (let p = parent[i]!; p >= 0; p = parent[p]!) d++;
      lengths[i] = Math.max(1, d);
      longest = Math.max(longest, lengths[i]!);
    }
    if (longest <= maxLen) return lengths;
    for (let i = 0; i < n; i++) weight[i] = 1 + (weight[i]! >> 1);
  }
}

/** bzip2's canonical codes for `lengths`: by length, then by symbol. */
function assignCodes(lengths: Uint8Array): Int32Array {
  const codes = new Int32Array(lengths.length);
  let code = 0;
  for (let len = 1; len <= MAX_CODE_LEN; len++) {
    for (let s = 0; s < lengths.length; s++) if (lengths[s] === len) codes[s] = code++;
    code <<= 1;
  }
  return codes;
}

function tableCount(symbols: number): number {
  return symbols < 200 ? 2 : symbols < 600 ? 3 : symbols < 1200 ? 4 : symbols < 2400 ? 5 : 6;
}

/** The tables and, per 50 symbols, which one codes them: bzip2's start (tables over frequency bands) and refinement. */
function chooseTables(symbols: Uint16Array, count: number, alphaSize: number): { lengths: Uint8Array[]; selectors: Uint8Array } {
  const nGroups = tableCount(count);
  const freq = new Int32Array(alphaSize);
  for (let i = 0; i < count; i++) freq[symbols[i]!]!++;
  // Start: table t gives short codes to a band of symbols holding about 1/nGroups of the total.
  const lengths: Uint8Array[] = [];
  let remaining = count;
  let lo = 0;
  for (let t = nGroups; t > 0; t--) {
    const target = remaining / t;
    let hi = lo - 1;
    let sum = 0;
    while (sum < target && hi < alphaSize - 1) sum += freq[++hi]!;
    if (hi > lo && t !== nGroups && t !== 1 && (nGroups - t) % 2 === 1) sum -= freq[hi--]!;
    const len = new Uint8Array(alphaSize).fill(15);
    for (let s = lo; s <= hi; s++) len[s] = 0;
    lengths.push(len);
    lo = hi + 1;
    remaining -= sum;
  }
  const nSelectors = Math.ceil(count / GROUP_SIZE);
  const selectors = new Uint8Array(nSelectors);
  for (let iter = 0; iter < REFINE_ITERATIONS; iter++) {
    const tableFreq = lengths.map(() => new Int32Array(alphaSize));
    for (let g = 0; g < nSelectors; g++) {
      const start = g * GROUP_SIZE;
      const end = Math.min(start + GROUP_SIZE, count);
      let best = 0;
      let bestCost = Number.POSITIVE_INFINITY;
      for (let t = 0; t < nGroups; t++) {
        const len = lengths[t]!;
        let cost = 0;
        for (let i = start; i < end; i++) cost += len[symbols[i]!]!;
        if (cost < bestCost) {
          bestCost = cost;
          best = t;
        }
      }
      selectors[g] = best;
      const f = tableFreq[best]!;
      for (let i = start; i < end; i++) f[symbols[i]!]!++;
    }
    for (let t = 0; t < nGroups; t++) lengths[t] = codeLengths(tableFreq[t]!, MAX_CODE_LEN);
  }
  return { lengths, selectors };
}

function writeBlock(out: BitWriter, block: Uint8Array, crc: number): void {
  const { last, origPtr } = bwt(block);
  const { symbols, count, inUse, alphaSize } = mtfSymbols(last);
  const { lengths, selectors } = chooseTables(symbols, count, alphaSize);

  out.bits(24, 0x314159);
  out.bits(24, 0x265359);
  out.bits32(crc);
  out.bits(1, 0);
  out.bits(24, origPtr);
  let used16 = 0;
  for (let i = 0; i < 16; i++) if (inUse.slice(i * 16, i * 16 + 16).some(Boolean)) used16 |= 0x8000 >>> i;
  out.bits(16, used16);
  for (let i = 0; i < 16; i++) {
    if ((used16 & (0x8000 >>> i)) === 0) continue;
    let bits = 0;
    for (let j = 0; j < 16; j++) if (inUse[i * 16 + j]) bits |= 0x8000 >>> j;
    out.bits(16, bits);
  }
  out.bits(3, lengths.length);
  out.bits(15, selectors.length);
  const order = lengths.map((_, t) => t);
  for (const s of selectors) {
    const j = order.indexOf(s);
    for (let k = 0; k < j; k++) out.bits(1, 1);
    out.bits(1, 0);
    order.splice(j, 1);
    order.unshift(s);
  }
  for (const len of lengths) {
    let curr = len[0]!;
    out.bits(5, curr);
    for (let s = 0; s < alphaSize; s++) {
      while (curr < len[s]!) {
        out.bits(2, 2);
        curr++;
      }
      while (curr > len[s]!) {
        out.bits(2, 3);
        curr--;
      }
      out.bits(1, 0);
    }
  }
  const codes = lengths.map(assignCodes);
  for (let g = 0; g < selectors.length; g++) {
    const len = lengths[selectors[g]!]!;
    const code = codes[selectors[g]!]!;
    const end = Math.min((g + 1) * GROUP_SIZE, count);
    for (let i = g * GROUP_SIZE; i < end; i++) {
      const s = symbols[i]!;
      out.bits(len[s]!, code[s]!);
    }
  }
}
