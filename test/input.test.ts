// Unit tests for src/storage: glob expansion and confinement, split sizing,
// split-boundary line reading, and CSV parsing, all against real temp files.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expandPaths, InputPathError } from "../src/storage/glob.js";
import { checkRelativePath } from "../src/plan/paths.js";
import { mulberry32 } from "../src/common/random.js";
import { listSplits, type FileSplit } from "../src/storage/splits.js";
import { readLineBatches } from "../src/storage/line-reader.js";
import { openInput, type InputFile } from "../src/storage/confined-open.js";

const MiB = 1 << 20;

function makeTempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "minispark-input-"));
}

function writeFiles(root: string, files: Record<string, string | Buffer>): void {
  for (const [rel, content] of Object.entries(files)) {
    const abs = path.join(root, rel);
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    fs.writeFileSync(abs, content);
  }
}

/** Deterministic, so a failing case can be reproduced. */
const prng = mulberry32;

/** The reference definition of a file's lines. */
function expectedLines(content: string): string[] {
  if (content === "") return [];
  const lines = content.split("\n");
  if (content.endsWith("\n")) lines.pop();
  return lines.map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l));
}

/** Runs f on the file opened as tasks open it (confined to its directory), and closes it. */
function opened<T>(abs: string, f: (file: InputFile) => T): T {
  const file = openInput(path.dirname(abs), path.basename(abs));
  try {
    return f(file);
  } finally {
    file.close();
  }
}

function readRange(abs: string, start: number, end: number, chunkBytes?: number): string[] {
  const out: string[] = [];
  opened(abs, (file) => {
    for (const batch of readLineBatches(file, start, end, { chunkBytes })) out.push(...batch);
  });
  return out;
}

function readCuts(abs: string, cuts: number[], chunkBytes?: number): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < cuts.length; i++) out.push(...readRange(abs, cuts[i], cuts[i + 1], chunkBytes));
  return out;
}

function uniformCuts(size: number, step: number): number[] {
  const cuts: number[] = [];
  for (let p = 0; p < size; p += step) cuts.push(p);
  cuts.push(size);
  return cuts;
}

function randomContent(rand: () => number): string {
  const pool = ["", "a", "héllo wörld 😀", "日本語テキスト", "ü", "😀😀", 'x,y,"z"'];
  const lines: string[] = [];
  const count = Math.floor(rand() * 16);
  for (let i = 0; i < count; i++) {
    const r = rand();
    let line = r < 0.5 ? pool[Math.floor(rand() * pool.length)] : "q".repeat(Math.floor(rand() * 60));
    if (rand() < 0.2) line += "\r";
    lines.push(line);
  }
  const body = lines.join("\n");
  return rand() < 0.5 ? body + "\n" : body;
}

describe("readLineBatches split boundaries", () => {
  let dir: string;
  before(() => {
    dir = makeTempDir();
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  function checkAllSplittings(content: string, name: string, chunks: number[]): void {
    const abs = path.join(dir, name);
    fs.writeFileSync(abs, content);
    const size = Buffer.byteLength(content);
    const want = expectedLines(content);
    const ctx = (how: string) => `${how} of ${JSON.stringify(content)}`;
    assert.deepEqual(readRange(abs, 0, size), want, ctx("whole file"));
    // Every possible two-way cut: lands on line starts, on '\n', inside multi-byte chars.
    for (let p = 0; p <= size; p++) {
      assert.deepEqual(readCuts(abs, [0, p, size]), want, ctx(`cut at ${p}`));
    }
    for (const step of [1, 2, 3, 4, 5, 7, 11, 16, 64]) {
      for (const chunk of chunks) {
        assert.deepEqual(readCuts(abs, uniformCuts(size, step), chunk), want, ctx(`step ${step} chunk ${chunk}`));
      }
    }
  }

  it("handles hand-picked edge cases", () => {
    const cases = ["", "\n", "\n\n", "a", "a\n", "a\nb", "a\n\nb\n", "\r\n", "a\r\nb\r\n", "a\r\n\r\nb", "héllo wörld 😀\n😀\n", "😀", "\n\nx\n\n", "trailing cr\r"];
    cases.forEach((c, i) => {
      checkAllSplittings(c, `edge-${i}.txt`, [1, 2, 5, 1 << 20]);
    });
  });

  it("never loses or duplicates a line for random files and split sizes", () => {
    const rand = prng(12345);
    for (let i = 0; i < 40; i++) checkAllSplittings(randomContent(rand), `random-${i}.txt`, [3, 1 << 20]);
  });

  it("reads a line longer than the chunk in full and decodes multi-byte chars across chunks", () => {
    const long = "é😀".repeat(5000);
    const content = `short\n${long}\nend`;
    const abs = path.join(dir, "long.txt");
    fs.writeFileSync(abs, content);
    const size = Buffer.byteLength(content);
    for (const chunk of [1, 3, 7, 100, 4096]) {
      assert.deepEqual(readRange(abs, 0, size, chunk), ["short", long, "end"]);
      assert.deepEqual(readCuts(abs, [0, 3, 10, 20000, size], chunk), ["short", long, "end"]);
    }
  });

  it("a split owns a line starting exactly at its start, and lines run past its end", () => {
    const abs = path.join(dir, "own.txt");
    fs.writeFileSync(abs, "aaa\nbbb\nccc\n");
    assert.deepEqual(readRange(abs, 0, 4), ["aaa"]); // 'bbb' starts at 4 = end, not ours
    assert.deepEqual(readRange(abs, 0, 5), ["aaa", "bbb"]); // 'bbb' starts at 4 < 5, read in full
    assert.deepEqual(readRange(abs, 4, 8), ["bbb"]);
    assert.deepEqual(readRange(abs, 5, 12), ["ccc"]);
    assert.deepEqual(readRange(abs, 3, 4), []); // only the '\n' of line 1
    assert.deepEqual(readRange(abs, 6, 6), []);
  });

  it("yields batches, and leaves the descriptor to its owner when abandoned early", () => {
    const abs = path.join(dir, "many.txt");
    const lines = Array.from({ length: 1000 }, (_, i) => `line ${i}`);
    fs.writeFileSync(abs, lines.join("\n"));
    const batches = opened(abs, (file) => [...readLineBatches(file, 0, Number.MAX_SAFE_INTEGER, { chunkBytes: 64 })]);
    assert.ok(batches.length > 10, "small chunks give many batches");
    assert.deepEqual(batches.flat(), lines);

    opened(abs, (file) => {
      const gen = readLineBatches(file, 0, 1 << 30, { chunkBytes: 64 });
      gen.next();
      gen.return(undefined);
      assert.deepEqual([...readLineBatches(file, 0, 1 << 30)].flat(), lines, "the same descriptor reads on");
    });
  });
});

describe("expandPaths", () => {
  let data: string;
  let outside: string;
  before(() => {
    data = makeTempDir();
    outside = makeTempDir();
    writeFiles(data, {
      "a.txt": "a",
      "b.txt": "b",
      "c.csv": "c",
      ".hidden.txt": "h",
      _SUCCESS: "",
      "dir/part-00000": "0",
      "dir/part-00001": "1",
      "dir/_SUCCESS": "",
      "dir/.part-00000.crc": "crc",
      "dir/sub/deep.txt": "d",
      "dir2/x.txt": "x",
      "deep/1/2/3/z.txt": "z",
      "_temporary/t.txt": "t",
      "onlyhidden/_SUCCESS": "",
      "br[ack]et.txt": "b",
    });
    writeFiles(outside, { "secret.txt": "s", "sub/s2.txt": "s" });
  });
  after(() => {
    fs.rmSync(data, { recursive: true, force: true });
    fs.rmSync(outside, { recursive: true, force: true });
  });

  it("matches * and ? and [] in a segment, skipping hidden names", () => {
    assert.deepEqual(expandPaths(data, "*.txt"), ["a.txt", "b.txt", "br[ack]et.txt"]);
    assert.deepEqual(expandPaths(data, "?.txt"), ["a.txt", "b.txt"]);
    assert.deepEqual(expandPaths(data, "[ab].txt"), ["a.txt", "b.txt"]);
    assert.deepEqual(expandPaths(data, "[!a].txt"), ["b.txt"]);
    assert.deepEqual(expandPaths(data, "[a-b].*"), ["a.txt", "b.txt"]);
    assert.deepEqual(expandPaths(data, "dir/part-*"), ["dir/part-00000", "dir/part-00001"]);
  });

  it("matches hidden names only when the pattern asks for them explicitly", () => {
    assert.deepEqual(expandPaths(data, ".*.txt"), [".hidden.txt"]);
    assert.deepEqual(expandPaths(data, "_SUCCESS"), ["_SUCCESS"]);
    assert.deepEqual(expandPaths(data, "dir/_*"), ["dir/_SUCCESS"]);
  });

  it("expands ** at any depth, without descending into hidden directories", () => {
    assert.deepEqual(expandPaths(data, "**/*.txt"), ["a.txt", "b.txt", "br[ack]et.txt", "deep/1/2/3/z.txt", "dir/sub/deep.txt", "dir2/x.txt"]);
    assert.deepEqual(expandPaths(data, "deep/**/z.txt"), ["deep/1/2/3/z.txt"]);
    assert.deepEqual(expandPaths(data, "dir/**"), ["dir/part-00000", "dir/part-00001", "dir/sub/deep.txt"]);
  });

  it("expands {a,b} alternatives including nested and across segments", () => {
    assert.deepEqual(expandPaths(data, "{a,b}.txt"), ["a.txt", "b.txt"]);
    // dir/* also matches the directory dir/sub, which contributes its own files (Hadoop semantics).
    assert.deepEqual(expandPaths(data, "{a.txt,dir{2,}/*}"), ["a.txt", "dir/part-00000", "dir/part-00001", "dir/sub/deep.txt", "dir2/x.txt"]);
    assert.deepEqual(expandPaths(data, "{a,zzz}.txt"), ["a.txt"], "one live alternative is enough");
  });

  it("treats a directory as its visible regular files, non-recursively", () => {
    const parts = ["dir/part-00000", "dir/part-00001"];
    assert.deepEqual(expandPaths(data, "dir"), parts);
    assert.deepEqual(expandPaths(data, "dir/"), parts);
    assert.deepEqual(expandPaths(data, "./dir"), parts);
    assert.deepEqual(expandPaths(data, "d*"), [...parts, "dir2/x.txt"]);
  });

  it("matches literal names containing glob characters when no class applies", () => {
    assert.deepEqual(expandPaths(data, "br[[]ack]et.txt"), ["br[ack]et.txt"]);
  });

  it("sorts and de-duplicates across an array of patterns", () => {
    assert.deepEqual(expandPaths(data, ["b.txt", "*.txt", "a.txt", "c.csv"]), ["a.txt", "b.txt", "br[ack]et.txt", "c.csv"]);
  });

  it("throws InputPathError when a pattern matches nothing", () => {
    assert.throws(() => expandPaths(data, "x/*.txt"), {
      name: "InputPathError",
      message: 'input path "x/*.txt" matched no files under the data directory',
    });
    assert.throws(() => expandPaths(data, ["a.txt", "nope.txt"]), /"nope.txt" matched no files/);
    assert.throws(() => expandPaths(data, "onlyhidden"), /matched no files/);
    assert.throws(() => expandPaths(data, "a.txt/x"), /matched no files/);
  });

  it("rejects .. segments and absolute paths", () => {
    for (const bad of ["../etc/passwd", "a/../../x", "dir/..", "{..,a}/x", "..\\x"]) {
      assert.throws(
        () => expandPaths(data, bad),
        (err: unknown) => err instanceof InputPathError && err.path === bad && err.message === `input path "${bad}" leaves the data directory`,
      );
    }
    assert.throws(() => expandPaths(data, "/etc/passwd"), /input path "\/etc\/passwd" is absolute/);
    assert.throws(() => expandPaths(data, ""), /is empty/);
  });

  it("rejects files reached through a symlink that leaves the data directory", () => {
    const linked = makeTempDir();
    try {
      writeFiles(linked, { "ok.txt": "ok", "real/inner.txt": "i" });
      fs.symlinkSync(path.join(outside, "secret.txt"), path.join(linked, "escape.txt"));
      fs.symlinkSync(outside, path.join(linked, "outdir"));
      fs.symlinkSync(path.join(linked, "ok.txt"), path.join(linked, "inside-link.txt"));
      fs.symlinkSync(path.join(linked, "real"), path.join(linked, "realdir"));
      fs.symlinkSync(path.join(linked, "missing"), path.join(linked, "dangling.txt"));
      assert.throws(
        () => expandPaths(linked, "escape.txt"),
        (err: unknown) => {
          return err instanceof InputPathError && /leaves the data directory/.test(err.message);
        },
      );
      assert.throws(() => expandPaths(linked, "*.txt"), /leaves the data directory/);
      assert.throws(() => expandPaths(linked, "outdir"), /leaves the data directory/);
      assert.throws(() => expandPaths(linked, "outdir/secret.txt"), /leaves the data directory/);
      assert.throws(() => expandPaths(linked, "**/s2.txt"), /leaves the data directory/);
      // Links that stay inside are fine; dangling ones are not files.
      assert.deepEqual(expandPaths(linked, ["inside-link.txt", "ok.txt", "realdir"]), ["inside-link.txt", "ok.txt", "realdir/inner.txt"]);
      // A data directory that is itself a symlink is confined to its target.
      const viaLink = `${linked}-link`;
      fs.symlinkSync(linked, viaLink);
      try {
        assert.deepEqual(expandPaths(viaLink, "ok.txt"), ["ok.txt"]);
      } finally {
        fs.unlinkSync(viaLink);
      }
    } finally {
      fs.rmSync(linked, { recursive: true, force: true });
    }
  });

  it("survives symlink cycles under **", () => {
    const cyc = makeTempDir();
    try {
      writeFiles(cyc, { "a/f.txt": "f" });
      fs.symlinkSync(path.join(cyc, "a"), path.join(cyc, "a", "loop"));
      const found = expandPaths(cyc, "**/f.txt");
      assert.ok(found.includes("a/f.txt"));
      assert.ok(found.length < 50);
    } finally {
      fs.rmSync(cyc, { recursive: true, force: true });
    }
  });

  it("checkRelativePath is a pure validator", () => {
    assert.equal(checkRelativePath("a/b/*.csv"), null);
    assert.equal(checkRelativePath("./x"), null);
    assert.equal(checkRelativePath("a..b/c.."), null, ".. only counts as a whole segment");
    assert.equal(checkRelativePath("../x"), '"../x" leaves the data directory');
    assert.match(checkRelativePath("a/{b,..}/c") ?? "", /leaves the data directory/);
    assert.match(checkRelativePath("/abs") ?? "", /is absolute/);
    assert.match(checkRelativePath("C:\\data") ?? "", /is absolute/);
    assert.match(checkRelativePath("") ?? "", /is empty/);
    assert.match(checkRelativePath("a\0b") ?? "", /NUL/);
    assert.equal(checkRelativePath("/definitely/not/on/disk/.."), '"/definitely/not/on/disk/.." is absolute; paths are relative to the data directory');
  });
});

describe("listSplits", () => {
  let data: string;
  before(() => {
    data = makeTempDir();
    writeFiles(data, {
      "big/ten.txt": Buffer.alloc(10 * MiB, "abcdefghi\n"),
      "small/b.txt": "x".repeat(215),
      "small/a.txt": "y".repeat(210),
      "small/empty.txt": "",
      "empties/e1": "",
      "empties/e2": "",
    });
  });
  after(() => fs.rmSync(data, { recursive: true, force: true }));

  const opts = (o: Partial<{ minPartitions: number; maxPartitionBytes: number; splittable: boolean }>) => ({
    minPartitions: 1,
    maxPartitionBytes: 128 * MiB,
    splittable: true,
    ...o,
  });

  function assertTiles(splits: FileSplit[], size: number): void {
    assert.equal(splits[0].start, 0);
    for (let i = 1; i < splits.length; i++) assert.equal(splits[i].start, splits[i - 1].end);
    assert.equal(splits[splits.length - 1].end, size);
    for (const s of splits) assert.equal(s.fileSize, size);
  }

  it("cuts a 10 MiB file into 1 MiB splits under maxPartitionBytes", () => {
    const splits = listSplits(data, "big", opts({ maxPartitionBytes: MiB }));
    assert.equal(splits.length, 10);
    assertTiles(splits, 10 * MiB);
    for (const s of splits) assert.equal(s.end - s.start, MiB);
  });

  it("raises the split count for minPartitions, down to a 1 MiB floor", () => {
    assert.equal(listSplits(data, "big", opts({})).length, 1);
    const four = listSplits(data, "big", opts({ minPartitions: 4 }));
    assert.equal(four.length, 4);
    assertTiles(four, 10 * MiB);
    assert.equal(listSplits(data, "big", opts({ minPartitions: 1000 })).length, 10);
  });

  it("merges a tail under 10% (SPLIT_SLOP) into the previous split", () => {
    const max100 = opts({ maxPartitionBytes: 100 });
    assert.deepEqual(
      listSplits(data, "small/a.txt", max100).map((s) => [s.start, s.end]),
      [
        [0, 100],
        [100, 210],
      ],
    );
    assert.deepEqual(
      listSplits(data, "small/b.txt", max100).map((s) => [s.start, s.end]),
      [
        [0, 100],
        [100, 200],
        [200, 215],
      ],
    );
  });

  it("orders files, skips empty ones, and keeps one empty split when all are empty", () => {
    const splits = listSplits(data, "small", opts({ maxPartitionBytes: 100 }));
    assert.deepEqual(
      splits.map((s) => `${s.path}:${s.start}-${s.end}`),
      ["small/a.txt:0-100", "small/a.txt:100-210", "small/b.txt:0-100", "small/b.txt:100-200", "small/b.txt:200-215"],
    );
    assert.deepEqual(listSplits(data, "empties", opts({})), [{ path: "empties/e1", start: 0, end: 0, fileSize: 0 }]);
  });

  it("gives every file exactly one split when not splittable", () => {
    const splits = listSplits(data, ["small", "big"], opts({ maxPartitionBytes: 100, splittable: false }));
    assert.deepEqual(
      splits.map((s) => [s.path, s.start, s.end]),
      [
        ["big/ten.txt", 0, 10 * MiB],
        ["small/a.txt", 0, 210],
        ["small/b.txt", 0, 215],
        ["small/empty.txt", 0, 0],
      ],
    );
  });

  it("reading every split of a multi-file input yields every line once", () => {
    const dir = makeTempDir();
    try {
      const rand = prng(99);
      const contents: Record<string, string> = {};
      for (let i = 0; i < 8; i++) contents[`in/part-${i}`] = randomContent(rand);
      contents["in/_SUCCESS"] = "";
      writeFiles(dir, contents);
      const want = Object.keys(contents)
        .filter((k) => !k.endsWith("_SUCCESS"))
        .sort()
        .flatMap((k) => expectedLines(contents[k]));
      for (const maxPartitionBytes of [1, 2, 3, 10, 50, 1000]) {
        const got = listSplits(dir, "in", opts({ maxPartitionBytes })).flatMap((s) => readRange(path.join(dir, s.path), s.start, s.end, 4));
        assert.deepEqual(got, want, `maxPartitionBytes ${maxPartitionBytes}`);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
