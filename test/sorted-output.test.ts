// Unit tests for the benchmarks' sort checker: order by key across chunks and files, and the order-independent line checksum (bench/sorted-output.ts).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { LineDigest, summariseFiles } from "../bench/sorted-output.js";

function digestOf(chunks: string[], keyBytes: number | null) {
  const d = new LineDigest(keyBytes);
  for (const c of chunks) d.update(Buffer.from(c), "test");
  d.endFile("test");
  return d.summary();
}

describe("LineDigest", () => {
  it("gives the same count and checksum for the same lines in any order and chunking", () => {
    const a = digestOf(["b 1\na 2\nc 3\n"], null);
    const b = digestOf(["c 3\na", " 2\nb 1"], null);
    assert.deepEqual(a, b);
    assert.equal(a.lines, 3);
  });

  it("tells a changed, lost or duplicated line", () => {
    const base = digestOf(["a\nb\nc\n"], null);
    assert.notDeepEqual(digestOf(["a\nb\nd\n"], null), base);
    assert.notDeepEqual(digestOf(["a\nb\n"], null), base);
    assert.notEqual(digestOf(["a\nb\nb\n"], null).checksum, base.checksum);
  });

  it("checks order by the first keyBytes bytes only, across chunk boundaries", () => {
    assert.doesNotThrow(() => digestOf(["aa9\naa1\nab", "0\n"], 2));
    assert.throws(() => digestOf(["ab0\naa", "1\n"], 2), /out of order/);
  });

  it("orders whole lines by code point when keyBytes is Infinity", () => {
    assert.doesNotThrow(() => digestOf(["a\nab\nb\nz\né\n"], Infinity));
    assert.throws(() => digestOf(["é\nz\n"], Infinity), /out of order/);
  });
});

describe("summariseFiles", () => {
  it("reads files one after the other, a last line without newline ending at its file", () => {
    const dir = fs.mkdtempSync(join(os.tmpdir(), "sorted-output-"));
    try {
      fs.writeFileSync(join(dir, "part-00000"), "a1\nb2");
      fs.writeFileSync(join(dir, "part-00001"), "c3\n");
      const s = summariseFiles([join(dir, "part-00000"), join(dir, "part-00001")], 1);
      assert.deepEqual(s, digestOf(["a1\nb2\nc3\n"], null));
      assert.throws(() => summariseFiles([join(dir, "part-00001"), join(dir, "part-00000")], 1), /out of order in .*part-00000/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
