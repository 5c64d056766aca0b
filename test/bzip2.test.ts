// minispark's own bzip2 reader (bzip2-input.ts) and writer (bzip2-output.ts)
// against the reference bzip2 program, both ways: what `bzip2` writes at
// several levels (multi-block, concatenated streams, zero padding) reads back
// byte for byte; what the writer writes `bzip2 -d` accepts (checking every
// CRC) and gives back byte for byte, for inputs that reach each stage's edge
// cases (runs of 3, 4, 5, 255, 256 and 260 equal bytes, a run across a block
// boundary, periodic text, random bytes, a single byte, nothing). Then the
// failures: every cut of a stream is "truncated" or "corrupt", never a short
// read passed off as the whole; bit flips give a named error (the CRCs catch
// what the structure does not), never another exception or a hang.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { Bzip2Input } from "../src/storage/bzip2-input.js";
import { Bzip2Sink, bwt, codeLengths } from "../src/storage/bzip2-output.js";
import { openInput } from "../src/storage/confined-open.js";
import { CompressionError } from "../src/storage/sync-codec.js";
import { bzip2Compress, bzip2Decompress } from "./helpers/bzip2-cli.js";
import { PREREQUISITES, prerequisiteSkip } from "./helpers/prereq.js";

const skip = prerequisiteSkip(PREREQUISITES.bzip2);
const root = fs.mkdtempSync(path.join(os.tmpdir(), "minispark-bzip2-"));
after(() => fs.rmSync(root, { recursive: true, force: true }));

let files = 0;
/** Decompresses `compressed` through the reader, `chunk` bytes per read. */
function readBack(compressed: Uint8Array, chunk = 64 * 1024): Buffer {
  const rel = `f${files++}.bz2`;
  fs.writeFileSync(path.join(root, rel), compressed);
  const file = openInput(root, rel);
  const input = new Bzip2Input(file);
  try {
    const parts: Buffer[] = [];
    const buf = Buffer.allocUnsafe(chunk);
    for (let n = input.read(buf, 0, chunk); n > 0; n = input.read(buf, 0, chunk)) parts.push(Buffer.from(buf.subarray(0, n)));
    return Buffer.concat(parts);
  } finally {
    input.close();
    file.close();
  }
}

/** Compresses `data` through the writer, fed `chunk` bytes at a time. */
function compress(data: Uint8Array, chunk = 64 * 1024): Buffer {
  const out: Buffer[] = [];
  let finished = false;
  const sink = new Bzip2Sink({ write: (b) => out.push(Buffer.from(b)), finish: () => (finished = true), abort: () => {} });
  for (let i = 0; i < data.length; i += chunk) sink.write(data.subarray(i, i + chunk));
  sink.finish();
  assert.ok(finished, "the inner sink was finished");
  return Buffer.concat(out);
}

function seeded(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}

function textOf(bytes: number, seed = 1): Buffer {
  const rand = seeded(seed);
  const words = ["the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "ERROR", "INFO", "request", "took", "é", "✓"];
  const out: string[] = [];
  let size = 0;
  while (size < bytes) {
    const line = Array.from({ length: 1 + Math.floor(rand() * 12) }, () => words[Math.floor(rand() * words.length)]).join(" ") + ` ${Math.floor(rand() * 100_000)}\n`;
    out.push(line);
    size += Buffer.byteLength(line);
  }
  return Buffer.from(out.join(""));
}

/** Inputs at the edges of each stage. */
function edgeCases(): [string, Buffer][] {
  const rand = seeded(7);
  const runs = Buffer.concat([3, 4, 5, 255, 256, 259, 260, 1000].map((n, i) => Buffer.alloc(n, 0x61 + i)));
  return [
    ["nothing", Buffer.alloc(0)],
    ["one byte", Buffer.from("x")],
    ["runs of 3 to 1000 equal bytes", runs],
    ["text over several blocks", textOf(2_500_000)],
    ["random bytes", Buffer.from(Array.from({ length: 1_000_000 }, () => Math.floor(rand() * 256)))],
    ["periodic text", Buffer.from("abcab".repeat(200_000))],
    ["one long run across block boundaries", Buffer.alloc(50_000_000, 0)],
    ["every byte value, in runs", Buffer.from(Array.from({ length: 256 * 9 }, (_, i) => i >> 3))],
  ];
}

describe("bzip2 read against the bzip2 program", { skip }, () => {
  it("reads what bzip2 -1, -6 and -9 write, byte for byte, at any read size", () => {
    const text = textOf(1_500_000, 3);
    for (const level of [1, 6, 9]) assert.ok(readBack(bzip2Compress(text, level)).equals(text), `level ${level}`);
    const small = textOf(300_000, 4);
    const z = bzip2Compress(small, 1);
    for (const chunk of [1, 7, 4096]) assert.ok(readBack(z, chunk).equals(small), `chunk ${chunk}`);
  });

  it("reads concatenated streams as one, skips zero padding after the last, refuses other trailing bytes", () => {
    const a = textOf(200_000, 5);
    const b = textOf(100_000, 6);
    const za = bzip2Compress(a);
    assert.ok(readBack(Buffer.concat([za, bzip2Compress(b)])).equals(Buffer.concat([a, b])));
    assert.ok(readBack(Buffer.concat([za, Buffer.alloc(300)])).equals(a));
    assert.throws(
      () => readBack(Buffer.concat([za, Buffer.from("garbage")])),
      (e: Error) => e instanceof CompressionError && new RegExp(`bzip2 stream is corrupt: unexpected bytes after its end, at byte ${za.length}`).test(e.message),
    );
  });

  it("reads the edge cases as bzip2 -9 writes them", () => {
    for (const [name, data] of edgeCases()) assert.ok(readBack(bzip2Compress(data)).equals(data), name);
  });
});

describe("bzip2 written for the bzip2 program", { skip }, () => {
  it("writes streams bzip2 -d accepts and decodes to the same bytes, about as small as bzip2 -9's", () => {
    for (const [name, data] of edgeCases()) {
      const ours = compress(data, name === "text over several blocks" ? 1000 : undefined);
      assert.ok(bzip2Decompress(ours).equals(data), `${name}: bzip2 -d gives the input back`);
      assert.ok(readBack(ours).equals(data), `${name}: our reader gives it back`);
      const theirs = bzip2Compress(data).length;
      assert.ok(ours.length <= theirs * 1.05 + 64, `${name}: ${ours.length} bytes against bzip2 -9's ${theirs}`);
    }
  });
});

describe("the block sort and the code lengths", () => {
  it("the transform's last column and origin match a sort of all rotations", () => {
    const rand = seeded(11);
    for (const s of ["banana", "abab", "aaaa", "x", "mississippi", Array.from({ length: 300 }, () => "ab"[Math.floor(rand() * 2)]).join("")]) {
      const b = Buffer.from(s);
      const rotations = Array.from({ length: b.length }, (_, i) => i).sort((x, y) =>
        Buffer.compare(Buffer.concat([b.subarray(x), b.subarray(0, x)]), Buffer.concat([b.subarray(y), b.subarray(0, y)])),
      );
      const { last, origPtr } = bwt(b);
      assert.equal(Buffer.from(last).toString(), rotations.map((r) => String.fromCharCode(b[(r + b.length - 1) % b.length]!)).join(""), s);
      const row = rotations.findIndex((r) => Buffer.compare(Buffer.concat([b.subarray(r), b.subarray(0, r)]), b) === 0);
      assert.equal(Buffer.concat([b.subarray(rotations[origPtr]!), b.subarray(0, rotations[origPtr]!)]).toString(), s, `row ${origPtr} (or ${row}) is the block itself`);
    }
  });

  it("code lengths obey Kraft's equality and the length limit, even for skewed counts", () => {
    for (const freq of [[1, 1, 1], [1000, 1, 1, 1], Array.from({ length: 258 }, (_, i) => 2 ** Math.min(i, 30)), Array.from({ length: 40 }, (_, i) => i)]) {
      const lengths = codeLengths(freq, 17);
      assert.ok(Math.max(...lengths) <= 17 && Math.min(...lengths) >= 1);
      assert.equal(
        [...lengths].reduce((s, l) => s + 2 ** -l, 0),
        1,
        `a complete code for ${freq.length} symbols`,
      );
    }
  });
});

describe("bzip2 streams that are cut or damaged", () => {
  const data = Buffer.concat([textOf(1_200_000, 9), Buffer.alloc(2000, 0x41)]);
  const z = compress(data);

  it("every cut fails as truncated or corrupt, naming the file", () => {
    const cuts = new Set([1, 3, 4, 10, 11, 14, 20, 100, z.length - 10, z.length - 5, z.length - 1]);
    const rand = seeded(13);
    while (cuts.size < 60) cuts.add(1 + Math.floor(rand() * (z.length - 1)));
    for (const cut of cuts) {
      assert.throws(
        () => readBack(z.subarray(0, cut)),
        (e: Error) => e instanceof CompressionError && /input "f\d+\.bz2": bzip2 stream is (truncated \(the file ends inside it\)|corrupt: .+)$/.test(e.message),
        `cut at ${cut} of ${z.length}`,
      );
    }
  });

  it("flipped bits fail with a named error, never another exception, never wrong bytes", () => {
    const rand = seeded(17);
    let failed = 0;
    for (let i = 0; i < 150; i++) {
      const bad = Buffer.from(z);
      const at = Math.floor(rand() * bad.length);
      bad[at]! ^= 1 << Math.floor(rand() * 8);
      try {
        const back = readBack(bad);
        assert.ok(back.equals(data), `a flip at byte ${at} read without error gives the input back`);
      } catch (e) {
        assert.ok(e instanceof CompressionError, `flip at byte ${at}: ${(e as Error).stack}`);
        failed++;
      }
    }
    assert.ok(failed >= 140, `${failed} of 150 flips were caught`);
  });

  it("refuses what is not bzip2, and bzip2 0.9.0's randomised blocks, by name", () => {
    assert.throws(() => readBack(Buffer.from("plain text, not bzip2\n")), /bzip2 stream is corrupt: it does not start with a bzip2 header/);
    // The bit after the block's magic (6 bytes) and CRC (4 bytes), after the 4-byte header.
    const randomised = Buffer.from(compress(Buffer.from("hello hello hello\n")));
    randomised[14]! |= 0x80;
    assert.throws(() => readBack(randomised), /bzip2 stream is corrupt: it has a randomised block/);
    assert.equal(readBack(Buffer.alloc(0)).length, 0, "an empty file holds nothing");
  });
});
