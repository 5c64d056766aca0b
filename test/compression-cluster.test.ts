// Compressed input and output end to end, on a real master and two worker
// processes on loopback: files written here with node:zlib are counted by the
// cluster and compared with what decompressing them here counts (zcat | wc -l),
// concatenated members read whole, truncated and corrupt streams failing the
// job with the file named, .deflate and compressed CSV / JSON lines, the
// word-count kernel over a .gz, compressed saves read back by textFile, and a
// high-ratio input streamed by workers whose peak memory stays small.
import assert from "node:assert/strict";
import fs from "node:fs";
import { join } from "node:path";
import zlib from "node:zlib";
import { after, before, describe, it } from "node:test";
import type { JobFailedError } from "../src/client/rest-client.js";
import { bzip2Compress, bzip2Decompress } from "./helpers/bzip2-cli.js";
import { sortedPairs, startTestCluster, type TestCluster } from "./helpers/cluster.js";
import { PREREQUISITES, prerequisiteSkip } from "./helpers/prereq.js";

const bzip2Skip = prerequisiteSkip(PREREQUISITES.bzip2);

let t: TestCluster;
let log = "";

function put(rel: string, content: Buffer | string): void {
  const abs = join(t.dataDir, rel);
  fs.mkdirSync(join(abs, ".."), { recursive: true });
  fs.writeFileSync(abs, content);
}

/** What `zcat file | grep -c needle` says, computed here from the file on disk. */
function zcatCount(rel: string, needle: string, decompress = zlib.gunzipSync): number {
  const text = decompress(fs.readFileSync(join(t.dataDir, rel))).toString("utf8");
  return text.split("\n").filter((l, i, all) => (i < all.length - 1 || l !== "") && l.includes(needle)).length;
}

const count = (path: string | string[], extra: object = {}) => ({
  nodes: [{ id: "l", op: "textFile", path, maxPartitionBytes: 4096, ...extra }],
  action: { op: "count", input: "l" },
});
const countMatching = (path: string | string[], needle: string) => ({
  nodes: [
    { id: "l", op: "textFile", path, maxPartitionBytes: 4096 },
    { id: "f", op: "filter", input: "l", fn: `line => line.includes(${JSON.stringify(needle)})` },
  ],
  action: { op: "count", input: "f" },
});

before(async () => {
  // A 256 MiB budget: 128 MiB of heap per task thread, far less than the 512 MiB input decompressed below.
  t = await startTestCluster({ workers: 2, slots: 1, workerArgs: ["--memory", "256mb"] });
  const lines: string[] = [];
  for (let i = 0; i < 60_000; i++) lines.push(`2026-12-02T05:${String(i % 60).padStart(2, "0")} ${i % 9 === 0 ? "ERROR" : "INFO"} worker-${i % 17} handled request ${i} in ${(i * 31) % 997} ms`);
  log = `${lines.join("\n")}\n`;
  put("logs/app.log", log);
  put("logs/app.log.gz", zlib.gzipSync(log));
});

after(async () => {
  await t?.stop();
});

describe("reading compressed files", () => {
  it("a filter over a gzipped log counts what zcat | grep -c counts, with the file as one partition", async () => {
    const expected = zcatCount("logs/app.log.gz", "ERROR");
    assert.ok(expected > 6000);
    assert.equal(await t.run(countMatching("logs/app.log.gz", "ERROR")), expected);
    assert.equal(await t.run(countMatching("logs/app.log", "ERROR")), expected, "the same as the plain file");
    assert.equal(await t.run(count("logs/app.log.gz")), 60_000);
    const parts = { ...count("logs/app.log.gz"), action: { op: "getNumPartitions", input: "l" } };
    assert.equal(await t.run({ ...parts, nodes: [{ ...parts.nodes[0], minPartitions: 8 }] }), 1, "not split, whatever the sizes say");
  });

  it("a filter over a bzip2 log (as the bzip2 program writes it) counts what bzcat | grep -c counts", { skip: bzip2Skip }, async () => {
    put("logs/app.log.bz2", bzip2Compress(Buffer.from(log)));
    const expected = bzip2Decompress(fs.readFileSync(join(t.dataDir, "logs/app.log.bz2")))
      .toString("utf8")
      .split("\n")
      .filter((l) => l.includes("ERROR")).length;
    assert.equal(await t.run(countMatching("logs/app.log.bz2", "ERROR")), expected);
    assert.equal(await t.run(count("logs/app.log.bz2")), 60_000);
  });

  it("reads concatenated gzip members (cat a.gz b.gz) whole", async () => {
    const a = "first member line 1\nfirst member line 2\n";
    put("cat/ab.gz", Buffer.concat([zlib.gzipSync(a), fs.readFileSync(join(t.dataDir, "logs/app.log.gz"))]));
    assert.equal(await t.run(count("cat/ab.gz")), 60_002, "both members' lines");
    assert.equal(await t.run(countMatching("cat/ab.gz", "first member")), 2);
  });

  it("fails the job naming the file when a stream is truncated or corrupt, or in a codec it does not read", async () => {
    const gz = fs.readFileSync(join(t.dataDir, "logs/app.log.gz"));
    put("bad/truncated.gz", gz.subarray(0, Math.floor(gz.length / 2)));
    const corrupt = Buffer.from(gz);
    corrupt[0] = 0x1e; // not the gzip magic
    put("bad/corrupt.gz", corrupt);
    await assert.rejects(t.run({ ...count("bad/truncated.gz"), maxTaskRetries: 1 }), (e: JobFailedError) => {
      assert.equal(e.job.status, "FAILED");
      assert.match(e.message, /input "bad\/truncated\.gz": gzip stream is truncated/);
      return true;
    });
    await assert.rejects(t.run({ ...count("bad/corrupt.gz"), maxTaskRetries: 1 }), (e: JobFailedError) => {
      assert.match(e.message, /input "bad\/corrupt\.gz": gzip stream is corrupt: incorrect header check/);
      return true;
    });
    // A codec minispark does not read fails too, rather than count binary garbage as lines.
    put("bad/log.bz2", Buffer.from("BZh91AY&SY\x00\x01binary", "latin1"));
    await assert.rejects(t.run({ ...count("bad/log.bz2"), maxTaskRetries: 1 }), (e: JobFailedError) => {
      assert.match(e.message, /input "bad\/log\.bz2": bzip2 stream is (truncated|corrupt)/);
      return true;
    });
    put("bad/log.lz4", Buffer.from("\x04\x22\x4d\x18binary", "latin1"));
    await assert.rejects(t.run({ ...count("bad/log.lz4"), maxTaskRetries: 1 }), (e: JobFailedError) => {
      assert.match(e.message, /input "bad\/log\.lz4" is LZ4-compressed, which minispark does not read/);
      return true;
    });
  });

  it("reads .deflate (a zlib stream, as Hadoop's DefaultCodec writes), and compressed CSV and JSON lines", async () => {
    put("deflate/app.log.deflate", zlib.deflateSync(log));
    assert.equal(await t.run(countMatching("deflate/app.log.deflate", "ERROR")), zcatCount("deflate/app.log.deflate", "ERROR", zlib.inflateSync));
    put("tables/people.csv.gz", zlib.gzipSync("name,age\nada,36\ngrace,45\n"));
    assert.deepEqual(await t.run({ nodes: [{ id: "c", op: "csv", path: "tables/people.csv.gz", header: true, inferSchema: true }], action: { op: "collect", input: "c" } }), [
      { name: "ada", age: 36 },
      { name: "grace", age: 45 },
    ]);
    put("events/e.jsonl.gz", zlib.gzipSync('{"k":"x","n":1}\n{"k":"x","n":2}\n'));
    assert.deepEqual(await t.run({ nodes: [{ id: "j", op: "jsonl", path: "events/e.jsonl.gz" }], action: { op: "collect", input: "j" } }), [
      { k: "x", n: 1 },
      { k: "x", n: 2 },
    ]);
  });

  it("the word-count kernel counts a .gz as it counts the plain file", async () => {
    const wc = (path: string) => ({
      nodes: [
        { id: "l", op: "textFile", path },
        { id: "w", op: "flatMap", input: "l", fn: "tokenize" },
        { id: "p", op: "map", input: "w", fn: "pair_with_one" },
        { id: "c", op: "reduceByKey", input: "p", fn: "sum", numPartitions: 2 },
      ],
      action: { op: "collect", input: "c" },
    });
    const gz = sortedPairs(await t.run<[string, number][]>(wc("logs/app.log.gz")));
    assert.ok(gz.length > 100);
    assert.deepEqual(gz, sortedPairs(await t.run<[string, number][]>(wc("logs/app.log"))));
  });

  it("streams a high-ratio input: 512 MiB decompressed from about 2 MiB, with the workers' peak memory far below it", async () => {
    // Eight identical members of 64 MiB each: a whole-file read would need 512 MiB, four times a task thread's heap.
    const line = `${"the same long line of a very repetitive log ".repeat(4)}\n`;
    const perMember = Math.floor((64 << 20) / line.length);
    const member = zlib.gzipSync(Buffer.from(line.repeat(perMember)), { level: 9 });
    const gz = Buffer.concat(Array.from({ length: 8 }, () => member));
    assert.ok(gz.length < 4 << 20, `${gz.length} bytes compressed`);
    put("bomb/lines.gz", gz);
    assert.equal(await t.run(count("bomb/lines.gz")), 8 * perMember);
    for (const w of t.cluster.workerProcesses) {
      const peak = Number(/VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${w.pid}/status`, "utf8"))![1]) * 1024;
      assert.ok(peak < 320 << 20, `worker ${w.pid} peaked at ${Math.round(peak / (1 << 20))} MiB; it read 512 MiB`);
    }
  });

  it("fails a decompression bomb that is one endless line at the 64 MiB line limit, naming the file", async () => {
    put("bomb/zeros.gz", zlib.gzipSync(Buffer.alloc(80 << 20), { level: 9 }));
    assert.ok(fs.statSync(join(t.dataDir, "bomb/zeros.gz")).size < 128 << 10);
    await assert.rejects(t.run({ ...count("bomb/zeros.gz"), maxTaskRetries: 1 }), (e: JobFailedError) => {
      assert.match(e.message, /input "bomb\/zeros\.gz": the line starting at byte 0 of its decompressed text is longer than 67108864 bytes/);
      return true;
    });
  });
});

describe("saving compressed part files", () => {
  const records = Array.from({ length: 3000 }, (_, i) => `saved record ${i}`);
  const spec = (path: string, compression: string) => ({
    nodes: [{ id: "d", op: "parallelize", data: records, numSlices: 3 }],
    action: { op: "save", input: "d", path, compression },
  });

  for (const [compression, ext, decompress, skip] of [
    ["gzip", ".gz", zlib.gunzipSync, false],
    ["deflate", ".deflate", zlib.inflateSync, false],
    ["bzip2", ".bz2", bzip2Decompress, bzip2Skip],
  ] as const) {
    it(`${compression}: part files are ${compression} streams of the records, and textFile reads the directory back`, { skip }, async () => {
      const value = await t.run<{ files: string[]; records: number }>(spec(`saved-${compression}`, compression));
      const names = [0, 1, 2].map((p) => `part-0000${p}${ext}`);
      assert.deepEqual([...value.files].sort(), names);
      assert.equal(value.records, records.length);
      const dir = join(t.dataDir, "outputs", `saved-${compression}`);
      assert.deepEqual(fs.readdirSync(dir).sort(), ["_SUCCESS", ...names]);
      assert.deepEqual(JSON.parse(fs.readFileSync(join(dir, "_SUCCESS"), "utf8")).files, names);
      const decompressed = names.flatMap((n) =>
        decompress(fs.readFileSync(join(dir, n)))
          .toString("utf8")
          .split("\n")
          .slice(0, -1),
      );
      assert.deepEqual(decompressed, records, "each part decompresses (with zlib or the bzip2 program, here) to its partition's records, in order");
      const back = await t.run<string[]>({ nodes: [{ id: "r", op: "textFile", path: `outputs/saved-${compression}` }], action: { op: "collect", input: "r" } });
      assert.deepEqual([...back].sort(), [...records].sort());
    });
  }

  it('"none" writes plain part files, and an unknown compression is refused at submit', async () => {
    const value = await t.run<{ files: string[] }>(spec("saved-none", "none"));
    assert.deepEqual([...value.files].sort(), ["part-00000", "part-00001", "part-00002"]);
    const res = await t.http("/api/v1/jobs", { body: spec("saved-bad", "snappy") });
    assert.equal(res.status, 400);
    assert.match(JSON.stringify(res.body), /compression/);
  });
});
