// Counts the words of the built-in `tokenize` (lower-cased runs of letters,
// digits and apostrophes) straight from a text file's UTF-8 bytes, for the
// word-count kernel. An ASCII line is scanned byte by byte, lower-cased on the
// fly and hashed, and its words are looked up in an open-addressing table whose
// keys become strings once per distinct word. A line with any other byte is
// decoded and given to `tokenize` itself: Unicode lower-casing depends on
// context (a final sigma) and may change lengths ('İ' becomes two code units),
// so only the built-in is sure to agree with the built-in. Counts leave through
// `flush`, in the order their words were first seen, whenever the table
// outgrows its reservation and at the end.
import { BUILTIN_CODE } from "../functions/builtins.js";
import type { Reservation } from "./memory/memory-pool.js";
import { ENTRY_BYTES, estimateSize } from "./memory/size-estimate.js";

const NEWLINE = 0x0a;
const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;
const INITIAL_SLOTS = 1 << 12;

const tokenize = BUILTIN_CODE.tokenize as (line: string) => string[];

/** For each ASCII code, what `tokenize` makes of it as a word character (lower-cased), or 0 for a separator. */
const WORD_CHAR = Uint8Array.from({ length: 0x80 }, (_, c) => tokenize(String.fromCharCode(c))[0]?.charCodeAt(0) ?? 0);

export class TokenCounter {
  /** Entry index + 1 per slot, 0 for empty; the table is at most half full. */
  private slots = new Int32Array(INITIAL_SLOTS);
  private slotHashes = new Int32Array(INITIAL_SLOTS);
  /** Entries in the order their words were first seen. */
  private keys: string[] = [];
  private counts: number[] = [];
  /** Estimated bytes of the entries, as the combine table would hold them. */
  private bytes = 0;

  constructor(
    private readonly reservation: Reservation,
    private readonly sink: (word: string, count: number) => void,
  ) {}

  /** Counts the words of a region of whole lines (readLineRegions); returns how many lines it held. */
  addLines(buf: Buffer): number {
    const n = buf.length;
    let lines = 0;
    let lineStart = 0;
    let lineWords = 0;
    let start = -1;
    let h = FNV_OFFSET;
    for (let i = 0; i < n; i++) {
      const b = buf[i]!;
      if (b >= 0x80) {
        const end = lineEnd(buf, i);
        this.addDecodedLine(buf, lineStart, end, lineWords);
        lines++;
        start = -1;
        lineWords = 0;
        lineStart = end + 1;
        i = end;
        continue;
      }
      const c = WORD_CHAR[b]!;
      if (c !== 0) {
        if (start < 0) {
          start = i;
          h = FNV_OFFSET;
        }
        h = Math.imul(h ^ c, FNV_PRIME);
        continue;
      }
      if (start >= 0) {
        this.addAscii(buf, start, i, h);
        lineWords++;
        start = -1;
      }
      if (b === NEWLINE) {
        lines++;
        lineStart = i + 1;
        lineWords = 0;
      }
    }
    if (start >= 0) this.addAscii(buf, start, n, h);
    return lineStart < n ? lines + 1 : lines;
  }

  /** Hands every count to the sink and empties the table. */
  flush(): void {
    const { keys, counts } = this;
    this.keys = [];
    this.counts = [];
    this.slots.fill(0);
    this.bytes = 0;
    this.reservation.release();
    for (let e = 0; e < keys.length; e++) this.sink(keys[e]!, counts[e]!);
  }

  /**
   * A line with a non-ASCII byte, from its start: its first `counted` words
   * were ASCII words before that byte, already counted, and lower-casing the
   * whole line leaves that ASCII prefix as it is, so they are its first
   * `counted` tokens too.
   */
  private addDecodedLine(buf: Buffer, from: number, to: number, counted: number): void {
    // The line reader would cut a last '\r', but it is a separator, and lower-casing a final sigma looks past none.
    const words = tokenize(buf.toString("utf8", from, to));
    for (let k = counted; k < words.length; k++) this.addString(words[k]!);
  }

  private addAscii(buf: Buffer, from: number, to: number, h: number): void {
    const mask = this.slots.length - 1;
    for (let j = h & mask; ; j = (j + 1) & mask) {
      const e = this.slots[j]! - 1;
      if (e < 0) {
        this.insert(j, h, buf.toString("latin1", from, to).toLowerCase());
        return;
      }
      if (this.slotHashes[j] === h && sameAsciiWord(this.keys[e]!, buf, from, to)) {
        this.counts[e]!++;
        return;
      }
    }
  }

  /** Hashes the UTF-16 code units, which for an ASCII word are its lower-cased bytes: both roads meet in one entry. */
  private addString(word: string): void {
    let h = FNV_OFFSET;
    for (let k = 0; k < word.length; k++) h = Math.imul(h ^ word.charCodeAt(k), FNV_PRIME);
    const mask = this.slots.length - 1;
    for (let j = h & mask; ; j = (j + 1) & mask) {
      const e = this.slots[j]! - 1;
      if (e < 0) {
        this.insert(j, h, word);
        return;
      }
      if (this.slotHashes[j] === h && this.keys[e] === word) {
        this.counts[e]!++;
        return;
      }
    }
  }

  private insert(slot: number, h: number, key: string): void {
    this.slots[slot] = this.keys.length + 1;
    this.slotHashes[slot] = h;
    this.keys.push(key);
    this.counts.push(1);
    if (this.keys.length * 2 > this.slots.length) this.grow();
    this.bytes += ENTRY_BYTES + estimateSize(key);
    if (!this.reservation.fits(this.bytes)) this.flush();
  }

  private grow(): void {
    const { slots, slotHashes } = this;
    this.slots = new Int32Array(slots.length * 2);
    this.slotHashes = new Int32Array(slots.length * 2);
    const mask = this.slots.length - 1;
    for (let i = 0; i < slots.length; i++) {
      if (slots[i] === 0) continue;
      let j = slotHashes[i]! & mask;
      while (this.slots[j] !== 0) j = (j + 1) & mask;
      this.slots[j] = slots[i]!;
      this.slotHashes[j] = slotHashes[i]!;
    }
  }
}

function lineEnd(buf: Buffer, from: number): number {
  const nl = buf.indexOf(NEWLINE, from);
  return nl < 0 ? buf.length : nl;
}

function sameAsciiWord(key: string, buf: Buffer, from: number, to: number): boolean {
  if (key.length !== to - from) return false;
  for (let k = 0; k < key.length; k++) if (key.charCodeAt(k) !== WORD_CHAR[buf[from + k]!]) return false;
  return true;
}
