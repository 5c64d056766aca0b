// Where a map task's shuffle output lives on the worker and how it is laid out:
// one file per map task holding every reduce partition's block back to back,
// followed by an index of block offsets, so a reduce partition's block is one
// contiguous range. The file is written under a temporary name and renamed, so
// a reader sees a whole output or none, and a retried attempt replaces it
// atomically. Used by the shuffle writer (task thread), the local block reader
// (task thread) and the block server (worker main thread).
import fs from "node:fs";
import { join } from "node:path";

const MAGIC = 0x4d53484c; // "MSHL"
const TRAILER = 8; // u32 partition count, u32 magic

export function jobShuffleDir(shuffleRoot: string, jobId: string): string {
  return join(shuffleRoot, jobId);
}

export function mapOutputPath(shuffleRoot: string, jobId: string, shuffleId: number, mapId: number): string {
  return join(shuffleRoot, jobId, `s${shuffleId}`, `m${mapId}.data`);
}

/** Writes the blocks (chunks per reduce partition) and returns each block's size. */
export function writeMapOutput(path: string, blocks: Buffer[][], tmpSuffix: string): number[] {
  return writeBlocks(path, blocks.length, tmpSuffix, (fd, p) => {
    let size = 0;
    for (const c of blocks[p]!) {
      fs.writeSync(fd, c);
      size += c.length;
    }
    return size;
  });
}

const COPY_BYTES = 1024 * 1024;

/**
 * Writes a map output whose every block is the same partition's blocks of
 * `parts` (earlier outputs, e.g. spills), in order, followed by its chunks in
 * `blocks`; the bytes are copied, never decoded.
 */
export function concatMapOutputs(path: string, parts: string[], blocks: Buffer[][], tmpSuffix: string): number[] {
  const fds: number[] = [];
  const copy = Buffer.allocUnsafe(COPY_BYTES);
  try {
    for (const f of parts) fds.push(fs.openSync(f, "r"));
    return writeBlocks(path, blocks.length, tmpSuffix, (out, p) => {
      let size = 0;
      for (const fd of fds) {
        const [start, end] = blockRange(fd, p);
        for (let pos = start; pos < end; ) {
          const n = fs.readSync(fd, copy, 0, Math.min(COPY_BYTES, end - pos), pos);
          if (n === 0) throw new Error(`map output part ended early at byte ${pos}`);
          fs.writeSync(out, copy, 0, n);
          pos += n;
          size += n;
        }
      }
      for (const c of blocks[p]!) {
        fs.writeSync(out, c);
        size += c.length;
      }
      return size;
    });
  } finally {
    for (const fd of fds) fs.closeSync(fd);
  }
}

/** Writes `partitions` blocks through `writeBlock` (which returns the block's size), then the index. */
function writeBlocks(path: string, partitions: number, tmpSuffix: string, writeBlock: (fd: number, p: number) => number): number[] {
  fs.mkdirSync(join(path, ".."), { recursive: true });
  const tmp = `${path}.${tmpSuffix}.tmp`;
  const fd = fs.openSync(tmp, "w");
  const sizes: number[] = [];
  const offsets = Buffer.alloc(8 * (partitions + 1) + TRAILER);
  let pos = 0;
  try {
    for (let p = 0; p < partitions; p++) {
      offsets.writeDoubleLE(pos, 8 * p);
      const size = writeBlock(fd, p);
      sizes.push(size);
      pos += size;
    }
    offsets.writeDoubleLE(pos, 8 * partitions);
    offsets.writeUInt32LE(partitions, offsets.length - TRAILER);
    offsets.writeUInt32LE(MAGIC, offsets.length - 4);
    fs.writeSync(fd, offsets);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, path);
  return sizes;
}

/** The [start, end) byte range of reduce partition `reduceId` in an open map output. */
export function blockRange(fd: number, reduceId: number): [number, number] {
  const size = fs.fstatSync(fd).size;
  const trailer = Buffer.alloc(TRAILER);
  fs.readSync(fd, trailer, 0, TRAILER, size - TRAILER);
  if (trailer.readUInt32LE(4) !== MAGIC) throw new Error("not a minispark map output file");
  const n = trailer.readUInt32LE(0);
  if (reduceId < 0 || reduceId >= n) throw new Error(`map output has no reduce partition ${reduceId}`);
  const indexStart = size - TRAILER - 8 * (n + 1);
  if (indexStart < 0) throw new Error(`map output index of ${n} partitions does not fit the file's ${size} bytes`);
  const pair = Buffer.alloc(16);
  fs.readSync(fd, pair, 0, 16, indexStart + 8 * reduceId);
  const start = pair.readDoubleLE(0);
  const end = pair.readDoubleLE(8);
  // A damaged file must not send a reader or the block server past its data.
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start || end > indexStart) {
    throw new Error(`map output index gives reduce partition ${reduceId} the range [${start}, ${end}) outside its ${indexStart} data bytes`);
  }
  return [start, end];
}

const CHUNK_BYTES = 1024 * 1024;

/** Reads reduce partition `reduceId`'s block of a map output a chunk of whole frames at a time. */
export function* readBlockChunks(path: string, reduceId: number): Generator<Buffer> {
  const fd = fs.openSync(path, "r");
  try {
    const [start, end] = blockRange(fd, reduceId);
    yield* readFrameChunks(fd, start, end, CHUNK_BYTES, `block in ${path}`);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Reads the frames in [start, end) of an open file in chunks of whole frames
 * (about `chunkBytes`, or one frame if it is larger), so that a reader holds
 * one chunk rather than the whole range. `what` names the file in errors.
 */
export function* readFrameChunks(fd: number, start: number, end: number, chunkBytes: number, what: string): Generator<Buffer> {
  let pos = start;
  let size = chunkBytes;
  while (pos < end) {
    const buf = readAt(fd, Math.min(size, end - pos), pos);
    let whole = 0;
    while (whole + 4 <= buf.length && whole + 4 + buf.readUInt32LE(whole) <= buf.length) whole += 4 + buf.readUInt32LE(whole);
    if (whole === 0) {
      if (buf.length < 4 || size >= end - pos) throw new Error(`truncated ${what} at byte ${pos}`);
      size = 4 + buf.readUInt32LE(0);
      continue;
    }
    size = chunkBytes;
    pos += whole;
    yield buf.subarray(0, whole);
  }
}

function readAt(fd: number, length: number, position: number): Buffer {
  const buf = Buffer.allocUnsafe(length);
  let off = 0;
  while (off < length) {
    const n = fs.readSync(fd, buf, off, length - off, position + off);
    if (n === 0) throw new Error(`map output ended early at byte ${position + off}`);
    off += n;
  }
  return buf;
}
