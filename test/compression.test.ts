// Compressed input and output without processes, against real files written
// with node:zlib: codec by extension, one split per compressed file, lines read
// through the decompressor at every chunk boundary (concatenated members
// included), truncated, corrupt and trailing-garbage streams failing with the
// file named, the line limit holding on a decompression bomb, whole-file reads,
// and compressed part files that decompress to what was written.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { after, describe, it } from "node:test";
import type { ResultAction } from "../src/plan/physical.js";
import { openInput, type InputFile } from "../src/storage/confined-open.js";
import { compressionOf, extensionOf, unreadCompression, type Compression } from "../src/storage/compression.js";
import { DecompressedInput } from "../src/storage/decompressed-input.js";
import { LineTooLongError, readLineBatches, readWholeFile } from "../src/storage/line-reader.js";
import { finalizeOutput, prepareOutput, publishParts } from "../src/storage/output-files.js";
import { stagedPartWriter } from "../src/storage/part-writer.js";
import { listSplits } from "../src/storage/splits.js";
import { zstdAvailable } from "../src/storage/sync-codec.js";
import { Bzip2Input } from "../src/storage/bzip2-input.js";
import { Bzip2Sink } from "../src/storage/bzip2-output.js";
import { ZstdFrameTracker } from "../src/storage/zstd-frames.js";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "minispark-compression-"));
after(() => fs.rmSync(root, { recursive: true, force: true }));

const z = zlib as unknown as Record<string, (b: Buffer) => Buffer>;
const COMPRESS: Record<string, (b: Buffer) => Buffer> = {
  ".gz": (b) => zlib.gzipSync(b),
  ".deflate": (b) => zlib.deflateSync(b),
  ...(zstdAvailable() ? { ".zst": (b: Buffer) => z.zstdCompressSync!(b) } : {}),
  ".bz2": (b) => bzip2Sink(b),
};
const DECOMPRESS: Record<string, (b: Buffer) => Buffer> = {
  gzip: (b) => zlib.gunzipSync(b),
  deflate: (b) => zlib.inflateSync(b),
  zstd: (b) => z.zstdDecompressSync!(b),
  bzip2: (b) => bzip2Read(b),
};

/** `data` through minispark's bzip2 writer (checked against the bzip2 program in bzip2.test.ts). */
function bzip2Sink(data: Buffer): Buffer {
  const out: Buffer[] = [];
  const sink = new Bzip2Sink({ write: (b) => out.push(Buffer.from(b)), finish: () => {}, abort: () => {} });
  sink.write(data);
  sink.finish();
  return Buffer.concat(out);
}

/** `data` through minispark's bzip2 reader. */
function bzip2Read(data: Buffer): Buffer {
  const rel = put(`bz2/${Math.random().toString(36).slice(2)}.bz2`, data);
  return opened(rel, (file) => {
    const input = new Bzip2Input(file);
    const parts: Buffer[] = [];
    const buf = Buffer.allocUnsafe(65536);
    for (let n = input.read(buf, 0, buf.length); n > 0; n = input.read(buf, 0, buf.length)) parts.push(Buffer.from(buf.subarray(0, n)));
    return Buffer.concat(parts);
  });
}

function put(rel: string, content: Buffer | string): string {
  const abs = path.join(root, rel);
  fs.mkdirSync(path.dirname(abs), { recursive: true });
  fs.writeFileSync(abs, content);
  return rel;
}

function opened<T>(rel: string, f: (file: InputFile) => T): T {
  const file = openInput(root, rel);
  try {
    return f(file);
  } finally {
    file.close();
  }
}

function readAllLines(rel: string, chunkBytes?: number, maxLineBytes?: number): string[] {
  const size = fs.statSync(path.join(root, rel)).size;
  return opened(rel, (file) => [...readLineBatches(file, 0, size, { chunkBytes, maxLineBytes })].flat());
}

/** Some log lines: varied lengths, a CRLF, non-ASCII, so decoding across chunk edges is exercised. */
function logText(lines: number, seed = 1): string {
  const out: string[] = [];
  for (let i = 0; i < lines; i++) out.push(`${i % 7 === 0 ? "ERROR" : "INFO"} request ${(i * 7919 + seed) % 10007} took ${i % 13}ms ${"é".repeat(i % 5)}${i % 11 === 0 ? "\r" : ""}`);
  return `${out.join("\n")}\n`;
}

const linesOf = (text: string) =>
  text
    .split("\n")
    .slice(0, -1)
    .map((l) => l.replace(/\r$/, ""));

describe("compression by extension", () => {
  it("names the codec of .gz, .deflate, .zst and .bz2, and nothing else", () => {
    assert.equal(compressionOf("logs/a.gz"), "gzip");
    assert.equal(compressionOf("a.deflate"), "deflate");
    assert.equal(compressionOf("x/y.zst"), "zstd");
    assert.equal(compressionOf("x/y.bz2"), "bzip2");
    for (const p of ["a.txt", "a.gzip", "a.gz.txt", "a.bz2.txt", "a.tgz.bak", "gz"]) assert.equal(compressionOf(p), null, p);
    for (const [p, codec] of [
      ["a.lz4", "LZ4"],
      ["a.snappy", "Snappy"],
      ["a.lzo", "LZO"],
      ["a.xz", "xz"],
    ]) {
      assert.equal(unreadCompression(p), `input "${p}" is ${codec}-compressed, which minispark does not read: decompress it, or recompress it as .gz, .zst or .bz2`);
    }
    for (const p of ["a.txt", "a.gz", "a.bz2.txt"]) assert.equal(unreadCompression(p), null, p);
    assert.equal(extensionOf("gzip"), ".gz");
    assert.equal(extensionOf(null), "");
  });

  it("gives each compressed file exactly one split, whatever maxPartitionBytes and minPartitions say", () => {
    const text = logText(20_000);
    put("split/a.gz", zlib.gzipSync(text));
    put("split/b.deflate", zlib.deflateSync(text));
    put("split/c.txt", text);
    put("split/empty.gz", "");
    const splits = listSplits(root, "split/*", { minPartitions: 50, maxPartitionBytes: 1000, splittable: true });
    const of = (f: string) => splits.filter((s) => s.path === f);
    const gz = fs.statSync(path.join(root, "split/a.gz")).size;
    assert.deepEqual(of("split/a.gz"), [{ path: "split/a.gz", start: 0, end: gz, fileSize: gz }]);
    assert.equal(of("split/b.deflate").length, 1);
    assert.ok(of("split/c.txt").length > 100, "the plain file is still cut");
    assert.deepEqual(of("split/empty.gz"), [], "an empty compressed file is no split, like an empty plain file");
  });
});

describe("reading compressed lines", () => {
  const text = logText(5_000);
  for (const [ext, compress] of Object.entries(COMPRESS)) {
    it(`reads ${ext} as its decompressed lines, at any buffer size`, () => {
      const rel = put(`read/log${ext}`, compress(Buffer.from(text)));
      for (const chunk of [1, 7, 4096, undefined]) assert.deepEqual(readAllLines(rel, chunk), linesOf(text), `chunkBytes ${chunk}`);
    });
  }

  it("reads concatenated gzip members whole, as zcat does, wherever the 64 KiB reads fall", () => {
    // Members of sizes around the reader's chunk, so that member ends land before, on and after chunk edges.
    const parts = [logText(9_000, 1), logText(1, 2), logText(6_000, 3), "last line without newline"];
    const members = parts.map((p) => zlib.gzipSync(p));
    const rel = put("read/cat.gz", Buffer.concat(members));
    assert.deepEqual(readAllLines(rel), linesOf(`${parts.join("")}\n`));
  });

  it("reads a member that ends exactly at a 64 KiB read boundary, then the next", () => {
    // A stored (level 0) member grown or shrunk until it is exactly 65536 bytes.
    let len = 65000;
    let member = zlib.gzipSync(`${"x".repeat(len)}\n`, { level: 0 });
    for (let i = 0; i < 20 && member.length !== 65536; i++) {
      len += 65536 - member.length;
      member = zlib.gzipSync(`${"x".repeat(len)}\n`, { level: 0 });
    }
    assert.equal(member.length, 65536);
    const rel = put("read/exact.gz", Buffer.concat([member, zlib.gzipSync("next\n")]));
    const lines = readAllLines(rel);
    assert.equal(lines.length, 2);
    assert.equal(lines[1], "next");
  });

  it("reads concatenated zlib streams one after another, as Hadoop does for .deflate", () => {
    const rel = put("read/cat.deflate", Buffer.concat([zlib.deflateSync("one\ntwo\n"), zlib.deflateSync("three\n")]));
    assert.deepEqual(readAllLines(rel), ["one", "two", "three"]);
  });

  it("ignores zero padding after the last gzip member, and refuses other trailing bytes", () => {
    const rel = put("read/padded.gz", Buffer.concat([zlib.gzipSync("a\nb\n"), Buffer.alloc(70_000)]));
    assert.deepEqual(readAllLines(rel), ["a", "b"]);
    const junk = put("read/junk.gz", Buffer.concat([zlib.gzipSync("a\n"), Buffer.from([0, 0, 0x41])]));
    assert.throws(() => readAllLines(junk), /input "read\/junk.gz": gzip stream is corrupt: unexpected bytes after its end, at byte \d+/);
  });

  it("fails a truncated stream with the file named, never a partial count", () => {
    const full = zlib.gzipSync(logText(3_000));
    for (const cut of [5, 100, full.length - 4]) {
      const rel = put(`read/trunc-${cut}.gz`, full.subarray(0, cut));
      assert.throws(() => readAllLines(rel), new RegExp(`input "read/trunc-${cut}.gz": gzip stream is truncated`));
    }
    const deflated = zlib.deflateSync(logText(3_000));
    const rel = put("read/trunc.deflate", deflated.subarray(0, deflated.length - 1));
    assert.throws(() => readAllLines(rel), /input "read\/trunc.deflate": deflate \(zlib\) stream is truncated/);
    // A second member cut short fails too: the first member's lines are not the answer.
    const two = Buffer.concat([zlib.gzipSync("a\n"), zlib.gzipSync("b\n").subarray(0, 12)]);
    assert.throws(() => readAllLines(put("read/trunc-second.gz", two)), /truncated/);
  });

  it("fails a corrupt stream with the file named and zlib's reason", () => {
    assert.throws(() => readAllLines(put("read/plain-named.gz", "just text\n")), /input "read\/plain-named.gz": gzip stream is corrupt: incorrect header check/);
    const data = zlib.gzipSync(logText(3_000));
    const flipped = Buffer.from(data);
    flipped[data.length - 6] ^= 0xff; // inside the CRC-32 trailer
    assert.throws(() => readAllLines(put("read/crc.gz", flipped)), /input "read\/crc.gz": gzip stream is corrupt: incorrect data check/);
    assert.throws(() => readAllLines(put("read/plain-named.deflate", "just text\n")), /deflate \(zlib\) stream is corrupt/);
  });

  it("reads an empty compressed file as no lines", () => {
    assert.deepEqual(readAllLines(put("read/empty.gz", "")), []);
  });

  it("streams a decompression bomb: one endless line hits the line limit, many lines stream through a small buffer", () => {
    // 16 MiB of zeros in ~16 KiB: a single line, refused at the limit rather than held whole.
    const bomb = put("read/bomb.gz", zlib.gzipSync(Buffer.alloc(16 << 20), { level: 9 }));
    assert.ok(fs.statSync(path.join(root, bomb)).size < 64 * 1024);
    assert.throws(
      () => readAllLines(bomb, 64 * 1024, 1 << 20),
      (e: unknown) => e instanceof LineTooLongError && /input "read\/bomb.gz": the line starting at byte 0 of its decompressed text is longer than 1048576 bytes/.test(e.message),
    );
    // 32 MiB of short lines read with a 64 KiB buffer: the decompressor never writes past it.
    const lines = put("read/lines.gz", zlib.gzipSync(Buffer.from("ab\n".repeat((32 << 20) >> 1).slice(0, 32 << 20)), { level: 9 }));
    const size = fs.statSync(path.join(root, lines)).size;
    let count = 0;
    let biggest = 0;
    opened(lines, (file) => {
      for (const batch of readLineBatches(file, 0, size, { chunkBytes: 64 * 1024 })) {
        count += batch.length;
        biggest = Math.max(biggest, batch.length);
      }
    });
    assert.equal(count, Math.ceil((32 << 20) / 3));
    assert.ok(biggest <= (64 * 1024) / 3 + 1, `a batch holds at most a buffer's worth of lines (${biggest})`);
  });

  it("hands out decompressed bytes no faster than the caller has room for", () => {
    const rel = put("read/room.gz", zlib.gzipSync(Buffer.alloc(1 << 20, 0x61)));
    opened(rel, (file) => {
      const input = new DecompressedInput(file, "gzip");
      try {
        const buf = Buffer.alloc(100);
        let total = 0;
        for (let n = input.read(buf, 0, 100); n > 0; n = input.read(buf, 0, 100)) {
          assert.ok(n <= 100);
          total += n;
        }
        assert.equal(total, 1 << 20);
        assert.equal(input.read(buf, 0, 100), 0, "stays at the end");
      } finally {
        input.close();
      }
    });
  });

  it("reads the first line (a CSV header) and the whole file (multiLine CSV) through the decompressor", () => {
    const rel = put("read/table.csv.gz", zlib.gzipSync('id,name\n1,"two\nlines"\n'));
    assert.equal(
      opened(rel, (file) => readLineBatches(file, 0, Number.MAX_SAFE_INTEGER).next().value?.[0]),
      "id,name",
    );
    assert.equal(
      opened(rel, (file) => readWholeFile(file)),
      'id,name\n1,"two\nlines"\n',
    );
    const big = put("read/big.csv.gz", zlib.gzipSync(Buffer.alloc(3000, 0x61)));
    assert.throws(() => opened(big, (file) => readWholeFile(file, 2048)), /input "read\/big.csv.gz" is larger decompressed than 2048 bytes/);
  });

  it("refuses a split of a compressed file that does not start at 0", () => {
    const rel = put("read/mid.gz", zlib.gzipSync("a\nb\n"));
    assert.throws(() => opened(rel, (file) => [...readLineBatches(file, 3, 10)]), /a compressed file is one split/);
  });

  it(zstdAvailable() ? "fails a truncated or corrupt zstd stream with the file named" : "refuses .zst naming the Node version it needs", () => {
    if (!zstdAvailable()) {
      const rel = put("read/old-node.zst", Buffer.from([0x28, 0xb5, 0x2f, 0xfd]));
      assert.throws(() => readAllLines(rel), /input "read\/old-node.zst": zstd needs Node.js 22.15 or later .*this worker runs Node.js \d+/);
      return;
    }
    const data = z.zstdCompressSync!(Buffer.from(logText(2_000)));
    assert.throws(() => readAllLines(put("read/trunc.zst", data.subarray(0, data.length - 3))), /input "read\/trunc.zst": zstd stream is truncated/);
    assert.throws(() => readAllLines(put("read/bad.zst", "not zstd at all\n")), /input "read\/bad.zst": zstd stream is corrupt/);
  });
});

describe("zstd frame tracking (a cut-short .zst on Node 22, whose zstd does not report it)", () => {
  /** A frame of one raw block: single-segment descriptor, a 1-byte content size, the block, no checksum. */
  const rawFrame = (text: string) => {
    const body = Buffer.from(text);
    const block = 1 | (0 << 1) | (body.length << 3);
    return Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x20, body.length, block & 0xff, (block >> 8) & 0xff, block >> 16]), body]);
  };
  /** A frame with a window descriptor, an RLE block (one byte, repeated) then a raw last block, and a checksum. */
  const rleFrame = () => {
    const rle = 0 | (1 << 1) | (10 << 3);
    const raw = 1 | (0 << 1) | (2 << 3);
    return Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x04, 0x00, rle & 0xff, rle >> 8, 0, 0x61, raw & 0xff, raw >> 8, 0, 0x62, 0x0a, 1, 2, 3, 4]);
  };
  const skippable = Buffer.from([0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 9, 9, 9]);

  it("is at a frame end exactly at the frame boundaries, whether fed at once or byte by byte", () => {
    const frames = [rawFrame("hello\n"), skippable, rleFrame(), rawFrame("")];
    const all = Buffer.concat(frames);
    const boundaries = new Set([0]);
    let end = 0;
    for (const f of frames) boundaries.add((end += f.length));
    for (let cut = 0; cut <= all.length; cut++) {
      const whole = new ZstdFrameTracker();
      whole.feed(all, 0, cut);
      const bytewise = new ZstdFrameTracker();
      for (let i = 0; i < cut; i++) bytewise.feed(all, i, i + 1);
      assert.equal(whole.atFrameEnd(), boundaries.has(cut), `cut at ${cut}`);
      assert.equal(bytewise.atFrameEnd(), boundaries.has(cut), `cut at ${cut}, byte by byte`);
    }
  });

  it("leaves bytes that are not zstd to the decompressor", () => {
    const t = new ZstdFrameTracker();
    t.feed(Buffer.from("not zstd at all"), 0, 15);
    assert.equal(t.atFrameEnd(), true);
  });

  it(zstdAvailable() ? "every cut of a real .zst fails as truncated, except at a frame boundary" : "(zstd cuts need Node 22.15 or later)", () => {
    if (!zstdAvailable()) return;
    const withChecksum = { params: { [(zlib.constants as Record<string, number>).ZSTD_c_checksumFlag!]: 1 } };
    const zc = zlib as unknown as Record<string, (b: Buffer, o?: object) => Buffer>;
    const first = zc.zstdCompressSync!(Buffer.from(logText(40, 1)), withChecksum);
    const second = zc.zstdCompressSync!(Buffer.from(logText(30, 2)));
    assert.deepEqual(readAllLines(put("zst/two.zst", Buffer.concat([first, second]))), linesOf(logText(40, 1) + logText(30, 2)));
    const all = Buffer.concat([first, second]);
    for (let cut = 1; cut < all.length; cut++) {
      const rel = put("zst/cut.zst", all.subarray(0, cut));
      if (cut === first.length) assert.deepEqual(readAllLines(rel), linesOf(logText(40, 1)), "a whole first frame");
      else assert.throws(() => readAllLines(rel), /input "zst\/cut.zst": zstd stream is (truncated|corrupt)/, `cut at ${cut}`);
    }
  });
});

describe("compressed part files", () => {
  const JOB = "job-000000001-aaaaaa";
  const codecs: Compression[] = ["gzip", "deflate", "bzip2", ...(zstdAvailable() ? (["zstd"] as const) : [])];
  for (const compression of codecs) {
    it(`${compression}: staged, published and listed under the extension, and decompress to the records`, () => {
      const data = fs.mkdtempSync(path.join(root, "out-"));
      prepareOutput(data, "o", "error", JOB);
      const action = { type: "save", path: "o", format: "text", header: false, compression } satisfies ResultAction;
      const records = Array.from({ length: 50_000 }, (_, i) => `record ${i} ${"z".repeat(i % 40)}`);
      const writer = stagedPartWriter(data, "o", JOB, `${JOB}.0.0.0`, 0, action);
      for (const r of records) writer.add(r);
      const name = writer.finish();
      assert.equal(name, `part-00000${extensionOf(compression)}`);
      publishParts(data, "o", JOB, [{ partition: 0, attemptId: `${JOB}.0.0.0` }]);
      publishParts(data, "o", JOB, [{ partition: 0, attemptId: `${JOB}.0.0.0` }]); // a repeated publish
      finalizeOutput(data, "o", JOB, 1);
      const dir = path.join(data, "outputs", "o");
      assert.deepEqual(fs.readdirSync(dir).sort(), ["_SUCCESS", name]);
      assert.deepEqual(JSON.parse(fs.readFileSync(path.join(dir, "_SUCCESS"), "utf8")).files, [name]);
      const raw = fs.readFileSync(path.join(dir, name));
      assert.ok(raw.length < records.join("\n").length / 3, "really compressed");
      assert.equal(DECOMPRESS[compression]!(raw).toString(), `${records.join("\n")}\n`);
    });
  }

  it("an empty partition is still a valid compressed stream", () => {
    const data = fs.mkdtempSync(path.join(root, "out-"));
    prepareOutput(data, "o", "error", JOB);
    const writer = stagedPartWriter(data, "o", JOB, `${JOB}.0.0.0`, 0, { type: "save", path: "o", format: "jsonl", header: false, compression: "gzip" });
    writer.finish();
    const staged = path.join(data, "outputs", "o", "_temporary", JOB, `${JOB}.0.0.0`, "part-00000.gz");
    assert.equal(zlib.gunzipSync(fs.readFileSync(staged)).length, 0);
  });
});
