// Unit tests for the shuffle block frame codec (src/common/codec.ts): layout, round trips and truncation.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { decodeFrames, encodeFrame } from "../src/common/codec.js";

const decodeAll = (buf: Uint8Array, start?: number, end?: number) => [...decodeFrames(buf, start, end)];

describe("encodeFrame", () => {
  it("writes a little-endian u32 byte length and the UTF-8 JSON of the records", () => {
    const frame = encodeFrame([1, "a"]);
    const text = '[1,"a"]';
    assert.equal(frame.length, 4 + text.length);
    assert.deepEqual([...frame.subarray(0, 4)], [text.length, 0, 0, 0]);
    assert.equal(frame.subarray(4).toString("utf8"), text);
  });

  it("counts bytes, not characters, for non-ASCII text", () => {
    const frame = encodeFrame(["é€😀"]);
    const bytes = Buffer.byteLength('["é€😀"]');
    assert.equal(bytes, 2 + 2 + 2 + 3 + 4);
    assert.equal(frame.readUInt32LE(0), bytes);
    assert.equal(frame.length, 4 + bytes);
  });

  it("encodes an empty array as the two bytes []", () => {
    assert.deepEqual([...encodeFrame([])], [2, 0, 0, 0, 0x5b, 0x5d]);
  });
});

describe("decodeFrames", () => {
  it("round-trips records of every JSON kind", () => {
    const records = [null, true, false, 0, -1.5, 1e21, "", "text", ["k", 1], ["k", [1, [2]]], { a: { b: [null] } }];
    assert.deepEqual(decodeAll(encodeFrame(records)), [records]);
  });

  it("round-trips unicode, including astral characters, escapes and lone surrogates", () => {
    const records = ["héllo", "日本語", "😀 emoji", 'tab\tnew\nline "q" \\', "\u0000", "lone \ud800 surrogate", ["ключ", "значение"], { ü: "ß" }];
    assert.deepEqual(decodeAll(encodeFrame(records)), [records]);
  });

  it("round-trips empty frames and an empty buffer", () => {
    assert.deepEqual(decodeAll(encodeFrame([])), [[]]);
    assert.deepEqual(decodeAll(Buffer.concat([encodeFrame([]), encodeFrame([]), encodeFrame([1])])), [[], [], [1]]);
    assert.deepEqual(decodeAll(Buffer.alloc(0)), []);
  });

  it("decodes many concatenated frames in order", () => {
    const frames: unknown[][] = [];
    for (let i = 0; i < 500; i++) frames.push(Array.from({ length: i % 7 }, (_, j) => [`k${i}`, j, "ü".repeat(j)]));
    const block = Buffer.concat(frames.map(encodeFrame));
    assert.deepEqual(decodeAll(block), frames);
  });

  it("decodes a large frame", () => {
    const records = Array.from({ length: 20000 }, (_, i) => [`word-${i}`, i]);
    assert.deepEqual(decodeAll(encodeFrame(records)), [records]);
  });

  it("decodes only the frames of [start, end)", () => {
    const a = encodeFrame(["a"]);
    const b = encodeFrame(["b", "bb"]);
    const c = encodeFrame(["c"]);
    const block = Buffer.concat([a, b, c]);
    assert.deepEqual(decodeAll(block, a.length, a.length + b.length), [["b", "bb"]]);
    assert.deepEqual(decodeAll(block, a.length), [["b", "bb"], ["c"]]);
    assert.deepEqual(decodeAll(block, 0, a.length), [["a"]]);
    assert.deepEqual(decodeAll(block, a.length, a.length), []);
  });

  it("reads a Uint8Array view that starts inside a larger buffer", () => {
    const block = Buffer.concat([Buffer.from("garbage!"), encodeFrame(["x", 1]), encodeFrame([])]);
    const view = new Uint8Array(block.buffer, block.byteOffset + 8, block.length - 8);
    assert.deepEqual(decodeAll(view), [["x", 1], []]);
    const sub = block.subarray(8);
    assert.deepEqual(decodeAll(sub), [["x", 1], []]);
  });

  it("throws on a truncated frame header", () => {
    const block = Buffer.concat([encodeFrame([1]), encodeFrame([2]).subarray(0, 3)]);
    const frames: unknown[][] = [];
    assert.throws(() => {
      for (const f of decodeFrames(block)) frames.push(f);
    }, /truncated shuffle block: frame header at 7 past end 10/);
    assert.deepEqual(frames, [[1]], "the whole frames before the cut are still yielded");
  });

  it("throws on a truncated frame body", () => {
    const frame = encodeFrame(["abc"]);
    for (let cut = 4; cut < frame.length; cut++) {
      assert.throws(() => decodeAll(frame.subarray(0, cut)), /truncated shuffle block: frame of 7 bytes at 0 past end/, `cut at ${cut}`);
    }
    assert.throws(() => decodeAll(frame, 0, frame.length - 1), /truncated shuffle block/);
  });

  it("throws on a header alone", () => {
    assert.throws(() => decodeAll(encodeFrame([1, 2]).subarray(0, 4)), /truncated shuffle block/);
    assert.throws(() => decodeAll(Buffer.from([1])), /truncated shuffle block: frame header at 0 past end 1/);
  });
});
