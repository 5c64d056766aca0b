// Opening and reading job inputs as tasks do: confined-open.ts refuses what
// lies outside the data directory or is not a regular file (without hanging
// on a FIFO), the line reader stops at the maximum line length naming the
// file, offset and limit, a file source closes its descriptor when abandoned
// early, and the listing runner refuses past its time limit and on a bad
// request, off the main thread.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Rdd } from "../src/plan/physical.js";
import { openInput } from "../src/storage/confined-open.js";
import { LineTooLongError, readLineBatches, readWholeFile } from "../src/storage/line-reader.js";
import { ListingRefused, ListingRunner } from "../src/storage/listing-runner.js";
import { computePartition, type ComputeContext } from "../src/worker/rdd-compute.js";

let dir: string;
let data: string;
let outside: string;

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "minispark-confined-"));
  data = path.join(dir, "data");
  outside = path.join(dir, "outside");
  fs.mkdirSync(path.join(data, "sub"), { recursive: true });
  fs.mkdirSync(outside);
  fs.writeFileSync(path.join(outside, "secret.txt"), "secret\n");
  fs.writeFileSync(path.join(data, "sub", "in.txt"), "inside\n");
  fs.symlinkSync("sub/in.txt", path.join(data, "alias.txt"));
  fs.symlinkSync(path.join(outside, "secret.txt"), path.join(data, "escape.txt"));
  fs.symlinkSync(outside, path.join(data, "outdir"));
  fs.symlinkSync("loop.txt", path.join(data, "loop.txt"));
  fs.symlinkSync("/proc/self/environ", path.join(data, "environ"));
  fs.symlinkSync("/dev/zero", path.join(data, "zero"));
  execFileSync("mkfifo", [path.join(data, "fifo")]);
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function readAll(rel: string): string[] {
  const file = openInput(data, rel);
  try {
    return [...readLineBatches(file, 0, Number.MAX_SAFE_INTEGER)].flat();
  } finally {
    file.close();
  }
}

describe("confined open", () => {
  it("reads files inside, also through symlinks that stay inside", () => {
    assert.deepEqual(readAll("sub/in.txt"), ["inside"]);
    assert.deepEqual(readAll("alias.txt"), ["inside"]);
  });

  it("refuses links out of the data directory, through the last component or a directory, and to /proc or /dev", () => {
    for (const rel of ["escape.txt", "outdir/secret.txt", "environ", "zero"]) {
      assert.throws(() => openInput(data, rel), /resolves outside the data directory/, rel);
    }
  });

  it("refuses a symlink loop, a FIFO (without blocking), a directory, a missing file and an escaping name", () => {
    assert.throws(() => openInput(data, "loop.txt"), /symbolic link loop/);
    assert.throws(() => openInput(data, "fifo"), /is not a regular file \(it is a FIFO\)/);
    assert.throws(() => openInput(data, "sub"), /is not a regular file \(it is a directory\)/);
    assert.throws(() => openInput(data, "gone.txt"), /no longer exists/);
    assert.throws(() => openInput(data, "../outside/secret.txt"), /leaves the data directory/);
  });
});

describe("maximum line length", () => {
  it("fails at a line past the limit, naming the file, the line's offset and the limit", () => {
    fs.writeFileSync(path.join(data, "long.txt"), `short\n${"x".repeat(100)}\nend\n`);
    const file = openInput(data, "long.txt");
    try {
      assert.deepEqual([...readLineBatches(file, 0, 1000, { maxLineBytes: 100, chunkBytes: 16 })].flat(), ["short", "x".repeat(100), "end"]);
      assert.throws(
        () => [...readLineBatches(file, 0, 1000, { maxLineBytes: 99, chunkBytes: 16 })],
        (e: Error) => e instanceof LineTooLongError && /input "long\.txt": the line starting at byte 6 is longer than 99 bytes/.test(e.message),
      );
      assert.throws(() => [...readLineBatches(file, 10, 1000, { maxLineBytes: 50 })], /the line running through byte 10 is longer than 50 bytes/, "a split starting inside the long line");
    } finally {
      file.close();
    }
  });

  it("reads a whole file (CSV multiLine) only up to the limit", () => {
    fs.writeFileSync(path.join(data, "whole.csv"), "a,b\n1,2\n");
    const file = openInput(data, "whole.csv");
    try {
      assert.equal(readWholeFile(file, 8), "a,b\n1,2\n");
      assert.throws(() => readWholeFile(file, 7), /input "whole\.csv" is larger than 7 bytes/);
    } finally {
      file.close();
    }
  });
});

describe("file sources", () => {
  it("close their descriptor when the consumer stops early", () => {
    const lines = Array.from({ length: 5000 }, (_, i) => `line ${i}`);
    fs.writeFileSync(path.join(data, "many.txt"), lines.join("\n"));
    const size = fs.statSync(path.join(data, "many.txt")).size;
    const rdd: Rdd = { kind: "file", node: "t", numPartitions: 1, format: "text", splits: [{ path: "many.txt", start: 0, end: size, fileSize: size }], firstSplit: 0, csv: null };
    const ctx = { dataDir: data, metrics: { recordsIn: 0, bytesRead: 0 } } as unknown as ComputeContext;
    const fds = () => fs.readdirSync("/proc/self/fd").length;
    const before = fds();
    for (let i = 0; i < 20; i++) {
      const it = computePartition(rdd, 0, ctx)[Symbol.iterator]();
      it.next();
      it.return?.();
    }
    assert.ok(fds() <= before, `descriptors leaked: ${fds() - before}`);
  });
});

describe("listing runner", () => {
  const source = { node: "t", path: "sub/*.txt", minPartitions: 1, maxPartitionBytes: 1 << 20, splittable: true };

  it("lists in a thread and answers the splits", async () => {
    const splits = await new ListingRunner(data).list([source], null);
    assert.deepEqual(splits, { t: [{ path: "sub/in.txt", start: 0, end: 7, fileSize: 7 }] });
  });

  it("refuses past its time limit, naming it, and lists again afterwards", async () => {
    const runner = new ListingRunner(data, 1);
    await assert.rejects(runner.list([source], null), (e: Error) => e instanceof ListingRefused && !e.busy && /took longer than 1 ms; at most 1 ms/.test(e.message));
  });

  it("refuses malformed sources and listing errors, naming the node", async () => {
    const runner = new ListingRunner(data);
    await assert.rejects(runner.list("nope", null), /needs an array of sources/);
    await assert.rejects(runner.list([{ ...source, maxPartitionBytes: 0 }], null), /maxPartitionBytes must be an integer >= 1/);
    await assert.rejects(runner.list([{ ...source, path: [] }], null), /needs a path/);
    await assert.rejects(runner.list([{ ...source, path: "escape.txt" }], null), /node "t": input path "escape\.txt" leaves the data directory/);
    await assert.rejects(runner.list([{ ...source, path: "{a,b}".repeat(30) }], null), /node "t": .*brace alternatives/);
    assert.equal(Object.keys(await runner.list([source], null)).length, 1);
  });
});
