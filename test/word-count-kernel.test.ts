// The word-count kernel against the generic path it replaces: the token
// counter against `tokenize` on the lines the line reader would decode (random
// bytes from a fixed seed: Unicode, apostrophes, digits, empty lines, CRLF,
// invalid UTF-8, 'İ', final sigmas), the same counts leaving in the same order
// however often a small reservation makes it flush; the kernel's map output
// against [word, 1] records written one by one, with a budget small enough to
// spill; and whole jobs through runInline against the same chains written with
// user functions, which the kernel does not recognise.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { decodeFrames } from "../src/common/codec.js";
import { asShuffleId, asStageId } from "../src/common/ids.js";
import { mulberry32 } from "../src/common/random.js";
import { runInline } from "../src/inline/inline-runner.js";
import type { Combine, Rdd } from "../src/plan/physical.js";
import { BUILTIN_CODE } from "../src/functions/builtins.js";
import { MemoryPool, Reservation, memoryLayout, type TaskMemory } from "../src/worker/memory/memory-pool.js";
import { TaskSpills, spillPrefix } from "../src/worker/memory/spill-files.js";
import type { ComputeContext } from "../src/worker/rdd-compute.js";
import { readBlockChunks } from "../src/worker/shuffle-files.js";
import { ShuffleWriter } from "../src/worker/shuffle-writer.js";
import { TokenCounter } from "../src/worker/token-counter.js";
import { countWords, wordCountSource } from "../src/worker/word-count-kernel.js";
import { pipe as pipeAs, type Node } from "./helpers/pipe.js";

const dir = fs.mkdtempSync(join(os.tmpdir(), "minispark-kernel-test-"));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const KB = 1024;
const MB = 1024 * KB;
const tokenize = BUILTIN_CODE.tokenize as (line: string) => string[];

/** Pieces of text that each stress one rule of tokenize or of decoding; a line is a random run of them. */
const PIECES: (string | Buffer)[] = [
  "the",
  "The",
  "THE",
  "tHe",
  "cat's",
  "'tis",
  "o'",
  "''",
  "rock'n'roll",
  "2024",
  "x1y2",
  "a",
  "Zz",
  " ",
  "  ",
  "\t",
  ",",
  ". ",
  "!",
  "-",
  "_",
  '"',
  "(",
  ")",
  "/",
  "\r",
  "\0",
  "\x7f",
  "~",
  "@",
  "[",
  "`",
  "{",
  "café",
  "CAFÉ",
  "cafe\u0301",
  "İstanbul",
  "İ",
  "ß",
  "STRASSE",
  "ǅ",
  "ΟΔΟΣ",
  "ΑΣ.Β",
  "Σ",
  "ΑΣ'",
  "σς",
  "naïve",
  "Ünïcode",
  "٣٤",
  "²",
  "½",
  "日本語",
  "😀",
  "a😀b",
  "\u00a0",
  "\u2028",
  "\ufeff",
  "\u0301",
  Buffer.from([0xc3]),
  Buffer.from([0xff]),
  Buffer.from([0xe6, 0x97]),
  Buffer.from([0xed, 0xa0, 0x80]),
];

/** Lines of random pieces, some empty, some ending in CRLF; the last may lack its '\n'. */
function randomText(seed: number, lines: number, asciiOnly = false): Buffer {
  const rand = mulberry32(seed);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the ASCII range includes its control characters
  const pieces = asciiOnly ? PIECES.filter((p) => typeof p === "string" && /^[\x00-\x7f]*$/.test(p)) : PIECES;
  const parts: Buffer[] = [];
  for (let i = 0; i < lines; i++) {
    const n = rand() < 0.1 ? 0 : Math.floor(rand() * 12);
    for (let k = 0; k < n; k++) {
      const p = pieces[Math.floor(rand() * pieces.length)]!;
      parts.push(typeof p === "string" ? Buffer.from(p) : p);
    }
    if (i < lines - 1 || rand() < 0.5) parts.push(Buffer.from(rand() < 0.2 ? "\r\n" : "\n"));
  }
  return Buffer.concat(parts);
}

/** Lines of two words each from a vocabulary of about 2 × 50,000, in either case: enough to outgrow a small budget. */
function manyWords(seed: number, lines: number): Buffer {
  const rand = mulberry32(seed);
  return Buffer.from(Array.from({ length: lines }, () => `w${Math.floor(rand() * 50_000)} W${Math.floor(rand() * 50_000)}x`).join("\n") + "\n");
}

/** What the generic path counts: the line reader's lines (one decode, split at '\n', a '\r' cut), tokenized. */
function genericCounts(text: Buffer): { counts: [string, number][]; lines: number } {
  const terminated = text[text.length - 1] === 0x0a;
  const lines = text.length === 0 ? [] : text.toString("utf8", 0, terminated ? text.length - 1 : text.length).split("\n");
  const counts = new Map<string, number>();
  for (const line of lines) for (const w of tokenize(line.endsWith("\r") ? line.slice(0, -1) : line)) counts.set(w, (counts.get(w) ?? 0) + 1);
  return { counts: [...counts], lines: lines.length };
}

/** Cuts a text into regions of whole lines, as readLineRegions hands them out. */
function regionsOf(text: Buffer, rand: () => number): Buffer[] {
  const out: Buffer[] = [];
  let from = 0;
  while (from < text.length) {
    const nl = text.indexOf(0x0a, Math.min(text.length - 1, from + Math.floor(rand() * 400)));
    const to = nl < 0 ? text.length : nl + 1;
    out.push(text.subarray(from, to));
    from = to;
  }
  return out;
}

function taskMemory(bytes: number): TaskMemory {
  const memory = new MemoryPool(memoryLayout(bytes * 2, 1, 0.5).pool).task(0);
  memory.reset();
  return memory;
}

/** Runs a text through a counter; returns every flush's counts in the order they left. */
function kernelCounts(text: Buffer, seed: number, memory: TaskMemory): { flushed: [string, number][]; lines: number } {
  const flushed: [string, number][] = [];
  const counter = new TokenCounter(new Reservation(memory), (w, n) => flushed.push([w, n]));
  let lines = 0;
  for (const region of regionsOf(text, mulberry32(seed))) lines += counter.addLines(region);
  counter.flush();
  return { flushed, lines };
}

/** Adds up flushed counts, keeping each word where it first left. */
function summed(flushed: [string, number][]): [string, number][] {
  const m = new Map<string, number>();
  for (const [w, n] of flushed) m.set(w, (m.get(w) ?? 0) + n);
  return [...m];
}

describe("TokenCounter", () => {
  it("counts what tokenize counts on the decoded lines, in first-seen order", () => {
    for (let seed = 1; seed <= 40; seed++) {
      const text = randomText(seed, 300, seed % 4 === 0);
      const expected = genericCounts(text);
      const got = kernelCounts(text, seed, taskMemory(64 * MB));
      assert.deepStrictEqual(got.flushed, expected.counts, `seed ${seed}`);
      assert.equal(got.lines, expected.lines, `lines of seed ${seed}`);
    }
  });

  it("agrees on the hard cases of Unicode lower-casing and decoding", () => {
    const lines = ["", "\r", "ΑΣ ΑΣ. ΑΣ.Β ΑΣ'Β Σ", "İİ Iİ i̇", "ǅungla ǄUNGLA", "STRAẞE straße", "ﬁle FILE", "x\xff y", "abc def é ABC", "'''", "don't DON'T", "١٢٣ 123 ½ ²", "a\u00adb", "\ufeffbom"];
    const text = Buffer.concat([Buffer.from(lines.join("\n")), Buffer.from([0x0a, 0x41, 0xc3, 0x0a, 0x62, 0xe2, 0x82])]);
    assert.deepStrictEqual(kernelCounts(text, 7, taskMemory(64 * MB)).flushed, genericCounts(text).counts);
  });

  it("flushes when its reservation runs out, and the flushes add up to the same counts", () => {
    const words = Array.from({ length: 60_000 }, (_, i) => `Word${i.toString(36)}`);
    const rand = mulberry32(3);
    const text = Buffer.from(Array.from({ length: 20_000 }, () => Array.from({ length: 8 }, () => words[Math.floor(rand() * words.length)]).join(" ")).join("\n"));
    const got = kernelCounts(text, 3, taskMemory(MB));
    const counts = summed(got.flushed);
    assert.ok(got.flushed.length > 2 * counts.length, `flushed ${got.flushed.length} counts of ${counts.length} words: words left again in later flushes`);
    assert.deepStrictEqual(counts, genericCounts(text).counts, "first-seen order survives the flushes");
  });
});

describe("the kernel in a map stage", () => {
  const dep = (combine: Combine) => ({ id: asShuffleId(0), mapStage: asStageId(0), numPartitions: 3, partitioner: { type: "hash" as const }, combine, lineage: null });
  const file = (path: string, start: number, end: number, size: number): Rdd & { kind: "file" } => ({
    kind: "file",
    node: "lines",
    format: "text",
    splits: [{ path, start, end, fileSize: size }],
    firstSplit: 0,
    csv: null,
    numPartitions: 1,
  });
  const narrow = (op: "map" | "flatMap" | "pairWithOne", fn: string | null, parent: Rdd): Rdd => ({ kind: "narrow", node: "", op, fn, env: {}, parent, numPartitions: 1 });

  it("recognises the built-in chains feeding a sum, and nothing else", () => {
    const src = file("f.txt", 0, 1, 1);
    const words = narrow("flatMap", "tokenize", src);
    const sum: Combine = { type: "fn", fn: "sum", env: {} };
    assert.equal(wordCountSource(narrow("map", "pair_with_one", words), sum), src);
    assert.equal(wordCountSource(narrow("pairWithOne", null, words), { type: "sum" }), src, "countByValue");
    assert.equal(wordCountSource(narrow("map", "pair_with_one", words), { type: "fn", fn: "max", env: {} }), null);
    assert.equal(wordCountSource(narrow("map", "w => [w, 1]", words), sum), null);
    assert.equal(wordCountSource(narrow("map", "pair_with_one", narrow("flatMap", "split_whitespace", src)), sum), null);
    assert.equal(wordCountSource(narrow("map", "pair_with_one", narrow("flatMap", "tokenize", { ...src, format: "jsonl" })), sum), null);
  });

  /** A map task's output records, every partition, decoded. */
  function output(path: string): [unknown, unknown][] {
    const out: [unknown, unknown][] = [];
    for (let p = 0; p < 3; p++) for (const chunk of readBlockChunks(path, p)) for (const frame of decodeFrames(chunk)) out.push(...(frame as [unknown, unknown][]));
    return out;
  }

  it("writes the map output of [word, 1] records, and spills under a small budget", () => {
    const text = Buffer.concat([randomText(5, 2000), Buffer.from("\n"), manyWords(11, 30_000)]);
    fs.writeFileSync(join(dir, "vocab.txt"), text);
    // Half the file: the split's lines by the line reader's ownership rule, for both writers.
    const start = Math.floor(text.length / 3);
    const end = Math.floor((2 * text.length) / 3);
    const owned = text.subarray(text.indexOf(0x0a, start - 1) + 1, text.indexOf(0x0a, end - 1) + 1);
    for (const combine of [{ type: "fn", fn: "sum", env: {} }, { type: "sum" }] as Combine[]) {
      const memory = taskMemory(256 * KB);
      const spills = new TaskSpills(dir, spillPrefix("job", `kernel-${combine.type}`));
      const ctx: ComputeContext = { dataDir: dir, s3: null, blocks: { blocks: () => [] }, inputs: {}, metrics: { recordsIn: 0, bytesRead: 0 }, memory, spills, cache: null };
      const kernel = new ShuffleWriter(dep(combine), "test", memory, spills);
      countWords(file("vocab.txt", start, end, text.length), 0, ctx, kernel);
      kernel.finish(join(dir, `kernel-${combine.type}.data`), "t");
      assert.ok(spills.count > 0, "the combine table spilled");

      const generic = new ShuffleWriter(dep(combine), "test", taskMemory(256 * KB), new TaskSpills(dir, spillPrefix("job", `generic-${combine.type}`)));
      const expected = genericCounts(owned);
      for (const [w, n] of expected.counts) for (let i = 0; i < n; i++) generic.add([w, 1]);
      generic.finish(join(dir, `generic-${combine.type}.data`), "t");

      const sorted = (xs: [unknown, unknown][]) => xs.map((x) => JSON.stringify(x)).sort();
      assert.deepStrictEqual(sorted(output(join(dir, `kernel-${combine.type}.data`))), sorted(output(join(dir, `generic-${combine.type}.data`))));
      assert.equal(kernel.records, generic.records, "records written count every word");
      assert.equal(ctx.metrics.recordsIn, expected.lines, "records read count every line");
      spills.removeAll();
    }
  });
});

describe("word count jobs through the kernel and through user functions", () => {
  const pipe = (nodes: Node[], action: Node) => pipeAs("kernel", nodes, action);
  const data = join(dir, "jobs");
  fs.mkdirSync(join(data, "text"), { recursive: true });
  for (let i = 0; i < 4; i++) fs.writeFileSync(join(data, "text", `part-${i}.txt`), randomText(100 + i, 3000, i === 3));
  fs.writeFileSync(join(data, "text", "vocab.txt"), manyWords(12, 40_000));
  const TOKENIZE = "l => l.toLowerCase().match(/[\\p{L}\\p{N}']+/gu) ?? []";
  // Small splits cut lines (and UTF-8 sequences) at split ends; large ones make map tasks spill.
  const lines = { op: "textFile", path: "text/*.txt", maxPartitionBytes: 7000 };

  const cases: [string, Node[], Node[], Node][] = [
    [
      "reduceByKey(sum)",
      [lines, { op: "flatMap", fn: "tokenize" }, { op: "map", fn: "pair_with_one" }, { op: "reduceByKey", fn: "sum", numPartitions: 3 }],
      [lines, { op: "flatMap", fn: "tokenize" }, { op: "map", fn: "w => [w, 1]" }, { op: "reduceByKey", fn: "(a, b) => a + b", numPartitions: 3 }],
      { op: "collect" },
    ],
    ["countByValue", [lines, { op: "flatMap", fn: "tokenize" }], [lines, { op: "flatMap", fn: TOKENIZE }], { op: "countByValue" }],
  ];
  for (const [name, kernel, generic, action] of cases) {
    it(`${name}: the same value, in the same order`, () => {
      const expected = runInline(pipe(generic, action), { dataDir: data });
      assert.ok((expected as unknown[]).length > 100);
      assert.deepStrictEqual(runInline(pipe(kernel, action), { dataDir: data }), expected);
    });
    it(`${name}: the same counts when both spill`, () => {
      const bigSplits = (nodes: Node[]) => [{ ...lines, maxPartitionBytes: 256 * KB }, ...nodes.slice(1)];
      const sorted = (v: unknown) => (v as [string, number][]).map((x) => JSON.stringify(x)).sort();
      const opts = { dataDir: data, memoryBytes: 512 * KB };
      assert.deepStrictEqual(sorted(runInline(pipe(bigSplits(kernel), action), opts)), sorted(runInline(pipe(bigSplits(generic), action), opts)));
    });
  }
});
