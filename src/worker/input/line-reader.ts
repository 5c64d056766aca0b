// Owns reading the text lines of one byte-range split of a file, synchronously,
// in batches. Called inside worker threads by the text and CSV input stages
// (and by csv callers for headers via readFirstLine), and, as undecoded bytes,
// by the word-count kernel.
//
// Ownership rule (Hadoop LineRecordReader): a line belongs to the split holding its
// first byte, where lines start at byte 0 and right after each '\n'. So a split
// skips the partial line it begins inside and finishes the last line it begins even
// past `end`; adjacent splits therefore never lose or duplicate a line.
import fs from 'node:fs';

const NEWLINE = 0x0a;

export function* readLineBatches(
  absPath: string,
  start: number,
  end: number,
  chunkBytes = 1 << 20,
): Generator<string[]> {
  for (const region of readLineRegions(absPath, start, end, chunkBytes)) yield decodeLines(region);
}

/**
 * The split's lines as raw bytes, in regions of whole lines: each line ends
 * with '\n' except a file's last line, which may lack one. A region is a view
 * of a reused buffer, valid until the next one is asked for.
 */
export function* readLineRegions(
  absPath: string,
  start: number,
  end: number,
  chunkBytes = 1 << 20,
): Generator<Buffer> {
  if (start >= end) return;
  const fd = fs.openSync(absPath, 'r');
  try {
    let buf: Buffer = Buffer.allocUnsafe(Math.max(1, chunkBytes));
    const first = start === 0 ? { base: 0, len: 0 } : skipToLineStart(fd, buf, start);
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
      // No complete line buffered: read more, growing when one line outgrows the buffer.
      if (len === buf.length) buf = grow(buf);
      const n = fs.readSync(fd, buf, len, buf.length - len, base + len);
      if (n === 0) {
        // A last line without a trailing '\n' is still a line.
        if (len > 0) yield buf.subarray(0, len);
        return;
      }
      len += n;
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** First line of the file (for CSV headers), or null for an empty file. */
export function readFirstLine(absPath: string): string | null {
  for (const batch of readLineBatches(absPath, 0, 1, 64 * 1024)) return batch[0];
  return null;
}

/**
 * Finds the first line start at or after `start`: scanning from start - 1 means a line
 * beginning exactly at `start` (previous byte '\n') is kept rather than skipped.
 * Returns the carried-over bytes after that point, or null if no line starts there.
 */
function skipToLineStart(fd: number, buf: Buffer, start: number): { base: number; len: number } | null {
  let pos = start - 1;
  for (;;) {
    const n = fs.readSync(fd, buf, 0, buf.length, pos);
    if (n === 0) return null;
    const nl = buf.subarray(0, n).indexOf(NEWLINE);
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
  const lines = region.toString('utf8', 0, terminated ? region.length - 1 : region.length).split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.endsWith('\r')) lines[i] = line.slice(0, -1);
  }
  return lines;
}

function grow(buf: Buffer): Buffer {
  const bigger = Buffer.allocUnsafe(buf.length * 2);
  buf.copy(bigger);
  return bigger;
}
