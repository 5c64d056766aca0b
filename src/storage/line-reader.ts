// Owns reading the text lines of one byte-range split of a file, synchronously,
// in batches. Called inside worker threads by the text and CSV input stages
// (csv-input.ts also reads a file's header through it), and, as undecoded bytes,
// by the word-count kernel.
//
// Ownership rule (Hadoop LineRecordReader): a line belongs to the split holding its
// first byte, where lines start at byte 0 and right after each '\n'. So a split
// skips the partial line it begins inside and finishes the last line it begins even
// past `end`; adjacent splits therefore never lose or duplicate a line.
//
// Files come opened and confined (confined-open.ts); this module reads through
// the descriptor and never closes it. No line may be longer than maxLineBytes:
// the buffer that holds one line grows up to that and no further, so a file
// without newlines fails with an error naming it instead of growing one Buffer
// (outside the heap limit) to the file's size. A compressed file (by its
// extension, compression.ts) is one split, read from its start through the
// decompressor (decompressed-input.ts), which writes only into that same
// bounded buffer: a decompression bomb meets the same limit.
import type { InputFile } from "./confined-open.js";
import { compressionOf, unreadCompression, type Compression } from "./compression.js";
import { openDecompressed } from "./decompressed-input.js";
import { UserCodeError } from "../functions/user-function.js";

const NEWLINE = 0x0a;

/** Longest line (and whole-file read, see readWholeFile) a task holds in memory: far past real text, far below a worker's memory. */
export const MAX_LINE_BYTES = 64 * 1024 * 1024;

export class LineTooLongError extends UserCodeError {
  /** `line` says which line, e.g. "the line starting at byte 6". */
  constructor(file: InputFile, line: string, limit: number) {
    super(`input "${file.path}": ${line} is longer than ${limit} bytes, the maximum line length`);
    this.name = "LineTooLongError";
  }
}

export interface LineReadOptions {
  chunkBytes?: number;
  maxLineBytes?: number;
}

export function* readLineBatches(file: InputFile, start: number, end: number, opts: LineReadOptions = {}): Generator<string[]> {
  for (const region of readLineRegions(file, start, end, opts)) yield decodeLines(region);
}

/** Reads up to `len` bytes of the file into buf at `off`, from byte `pos` of its (decompressed) text. */
type ReadAt = (buf: Buffer, off: number, len: number, pos: number) => number;

/**
 * The split's lines as raw bytes, in regions of whole lines: each line ends
 * with '\n' except a file's last line, which may lack one. A region is a view
 * of a reused buffer, valid until the next one is asked for.
 */
export function* readLineRegions(file: InputFile, start: number, end: number, opts: LineReadOptions = {}): Generator<Buffer> {
  if (start >= end) return;
  const codec = readableCompressionOf(file.path);
  if (codec === null) {
    yield* splitRegions(file, start, end, (buf, off, len, pos) => file.read(buf, off, len, pos), "", opts);
    return;
  }
  if (start !== 0) throw new Error(`task was sent a split of "${file.path}" starting at byte ${start}; a compressed file is one split, read from its start`);
  const input = openDecompressed(file, codec);
  try {
    // Decompressed reads are sequential, which is how the loop reads once it starts at 0.
    yield* splitRegions(file, 0, Number.POSITIVE_INFINITY, (buf, off, len) => input.read(buf, off, len), " of its decompressed text", opts);
  } finally {
    input.close();
  }
}

function* splitRegions(file: InputFile, start: number, end: number, read: ReadAt, ofText: string, opts: LineReadOptions): Generator<Buffer> {
  const maxLine = opts.maxLineBytes ?? MAX_LINE_BYTES;
  // A line and its '\n' fit in maxLine + 1 bytes; starting no bigger means every buffered line is checked.
  const cap = maxLine + 1;
  let buf: Buffer = Buffer.allocUnsafe(Math.max(1, Math.min(opts.chunkBytes ?? 1 << 20, cap)));
  const first = start === 0 ? { base: 0, len: 0 } : skipToLineStart(file, buf, start, maxLine);
  if (first === null) return;
  let { base, len } = first; // buf[0, len) holds file bytes [base, base + len); base is a line start
  while (base < end) {
    const lastNewline = len > 0 ? buf.lastIndexOf(NEWLINE, len - 1) : -1;
    if (lastNewline >= 0) {
      const cut = ownedRegionEnd(buf, lastNewline, end - base);
      yield buf.subarray(0, cut);
      base += cut;
      len -= cut;
      buf.copy(buf, 0, cut, cut + len);
      continue;
    }
    // No complete line buffered: read more, growing when one line outgrows the buffer, up to the cap.
    if (len === buf.length) {
      if (len >= cap) throw new LineTooLongError(file, `the line starting at byte ${base}${ofText}`, maxLine);
      buf = grow(buf, cap);
    }
    const n = read(buf, len, buf.length - len, base + len);
    if (n === 0) {
      // A last line without a trailing '\n' is still a line.
      if (len > 0) yield buf.subarray(0, len);
      return;
    }
    len += n;
  }
}

/**
 * The whole file as text (CSV multiLine, whose records may span lines), read
 * through the descriptor (and decompressed, for a compressed file) and refused
 * past `maxBytes`, however the file's size changed since it was listed or opened.
 */
export function readWholeFile(file: InputFile, maxBytes = MAX_LINE_BYTES): string {
  const codec = readableCompressionOf(file.path);
  const what = codec === null ? "larger" : "larger decompressed";
  const tooBig = () => new UserCodeError(`input "${file.path}" is ${what} than ${maxBytes} bytes, the most a multiLine CSV file may hold (it is read whole)`);
  if (codec === null) {
    if (file.size > maxBytes) throw tooBig();
    return readAll((buf, off, len) => file.read(buf, off, len, off), file.size, maxBytes, tooBig);
  }
  const input = openDecompressed(file, codec);
  try {
    return readAll((buf, off, len) => input.read(buf, off, len), file.size, maxBytes, tooBig);
  } finally {
    input.close();
  }
}

/** Reads to the end into a buffer that starts at `sizeHint` and grows up to maxBytes + 1, which is refused. */
function readAll(read: ReadAt, sizeHint: number, maxBytes: number, tooBig: () => Error): string {
  const cap = maxBytes + 1;
  let buf: Buffer = Buffer.allocUnsafe(Math.max(1, Math.min(sizeHint + 1, cap)));
  let len = 0;
  for (;;) {
    if (len === buf.length) {
      if (len >= cap) throw tooBig();
      buf = grow(buf, cap);
    }
    const n = read(buf, len, buf.length - len, len);
    if (n === 0) return buf.toString("utf8", 0, len);
    len += n;
  }
}

/**
 * Finds the first line start at or after `start`: scanning from start - 1 means a line
 * beginning exactly at `start` (previous byte '\n') is kept rather than skipped.
 * Returns the carried-over bytes after that point, or null if no line starts there.
 */
function skipToLineStart(file: InputFile, buf: Buffer, start: number, maxLine: number): { base: number; len: number } | null {
  let pos = start - 1;
  for (;;) {
    const n = file.read(buf, 0, buf.length, pos);
    if (n === 0) return null;
    const nl = buf.subarray(0, n).indexOf(NEWLINE);
    // The line running through `start` began at start - 1 or before: past the limit, the split owning
    // it fails, and so does this one, rather than scan the rest of an endless line for its end.
    if ((nl >= 0 ? pos + nl : pos + n) - (start - 1) > maxLine) {
      throw new LineTooLongError(file, `the line running through byte ${start}`, maxLine);
    }
    if (nl >= 0) {
      buf.copy(buf, 0, nl + 1, n);
      return { base: pos + nl + 1, len: n - nl - 1 };
    }
    pos += n;
  }
}

/**
 * End (exclusive, just past a '\n') of the complete lines in buf that this split owns.
 * Lines start at 0 and after each '\n'; once the split end falls inside the complete
 * region, the first line start at or past it is where this split stops.
 */
function ownedRegionEnd(buf: Buffer, lastNewline: number, endRel: number): number {
  if (endRel > lastNewline) return lastNewline + 1;
  return buf.indexOf(NEWLINE, endRel - 1) + 1;
}

/** One decode for the whole region is far cheaper than decoding line by line. */
function decodeLines(region: Buffer): string[] {
  const terminated = region[region.length - 1] === NEWLINE;
  const lines = region.toString("utf8", 0, terminated ? region.length - 1 : region.length).split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.endsWith("\r")) lines[i] = line.slice(0, -1);
  }
  return lines;
}

function grow(buf: Buffer, cap: number): Buffer {
  const bigger = Buffer.allocUnsafe(Math.min(buf.length * 2, cap));
  buf.copy(bigger);
  return bigger;
}

function readableCompressionOf(path: string): Compression | null {
  const unread = unreadCompression(path);
  if (unread !== null) throw new UserCodeError(unread);
  return compressionOf(path);
}
