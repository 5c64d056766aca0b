// The shuffle block format: a block is a sequence of frames, each a little-endian
// u32 byte length followed by the UTF-8 JSON text of an array of records.
// JSON because V8 parses a large JSON array faster than any hand-written decoder
// of ours, and framing so that a reader never holds more than one frame's text.
// Pure; used by the shuffle writer and reader on the worker.

export function encodeFrame(records: readonly unknown[]): Buffer {
  const text = JSON.stringify(records);
  const len = Buffer.byteLength(text);
  const buf = Buffer.allocUnsafe(4 + len);
  buf.writeUInt32LE(len, 0);
  buf.write(text, 4, len, "utf8");
  return buf;
}

/** Decodes every frame of `buf[start, end)`; throws on a truncated block. */
export function* decodeFrames(buf: Uint8Array, start = 0, end = buf.length): Generator<unknown[]> {
  const view = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  let off = start;
  while (off < end) {
    if (off + 4 > end) throw new Error(`truncated shuffle block: frame header at ${off} past end ${end}`);
    const len = view.readUInt32LE(off);
    const textEnd = off + 4 + len;
    if (textEnd > end) throw new Error(`truncated shuffle block: frame of ${len} bytes at ${off} past end ${end}`);
    yield JSON.parse(view.toString("utf8", off + 4, textEnd)) as unknown[];
    off = textEnd;
  }
}
