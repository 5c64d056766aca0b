// save with "format": "parquet". Without processes: the Parquet encoder over a
// sink in memory, read back by our parquet reader (the records saved come
// back) and by DuckDB, an independent implementation (same rows, the types
// the rule says); row groups written as the records stream; each codec; the
// schema given or inferred; and the errors naming the record, column and
// value. Then on a real cluster (a master and two worker processes): a save
// read back by the parquet source, and by DuckDB from the part files.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parquetMetadata } from "hyparquet";
import type { JobFailedError } from "../src/client/rest-client.js";
import type { ParquetColumnSpec } from "../src/plan/physical.js";
import { openInput } from "../src/storage/confined-open.js";
import type { PartSink } from "../src/storage/part-sink.js";
import { readParquetRows } from "../src/storage/parquet-file.js";
import { ParquetEncoder, type ParquetSaveAction, type RowGroupLimits } from "../src/storage/parquet-writer.js";
import { parseParquetSchema } from "../src/storage/parquet-writer-types.js";
import { zstdAvailable } from "../src/storage/sync-codec.js";
import { startTestCluster, type TestCluster } from "./helpers/cluster.js";
import { duckdbSkip, openDuckDb, sqlString, type DuckDb } from "./helpers/duckdb.js";

const root = fs.mkdtempSync(join(os.tmpdir(), "minispark-parquet-save-"));
let duck: DuckDb | null = null;
before(async () => {
  if (!duckdbSkip) duck = await openDuckDb();
});
after(() => {
  duck?.close();
  fs.rmSync(root, { recursive: true, force: true });
});

/** The sink a part's bytes go to, kept in memory; counts the writes, so a test sees the bytes stream. */
class MemorySink implements PartSink {
  readonly chunks: Buffer[] = [];
  finished = false;
  aborted = false;
  write(bytes: Uint8Array): void {
    this.chunks.push(Buffer.from(bytes));
  }
  finish(): void {
    this.finished = true;
  }
  abort(): void {
    this.aborted = true;
  }
}

let files = 0;

/** Encodes `records` as one part, writes it to a file, and returns its path relative to `root`. */
function save(records: unknown[], opts: { schema?: string; compression?: ParquetSaveAction["compression"]; limits?: RowGroupLimits; sink?: MemorySink } = {}): string {
  const schema = opts.schema === undefined ? null : (parseParquetSchema(opts.schema) as ParquetColumnSpec[]);
  const action: ParquetSaveAction = { type: "save", path: "out", format: "parquet", compression: opts.compression === undefined ? "snappy" : opts.compression, schema };
  const sink = opts.sink ?? new MemorySink();
  const enc = new ParquetEncoder(action, sink, 'output "out/part-00000.parquet"', opts.limits);
  for (const [i, r] of records.entries()) enc.add(r, i + 1);
  enc.end();
  const rel = `f${files++}.parquet`;
  fs.writeFileSync(join(root, rel), Buffer.concat(sink.chunks));
  return rel;
}

function readBack(rel: string): Record<string, unknown>[] {
  const file = openInput(root, rel);
  try {
    const rows: Record<string, unknown>[] = [];
    for (const batch of readParquetRows(file, 0, file.size, null)) rows.push(...batch);
    return rows;
  } finally {
    file.close();
  }
}

/** A file's footer, through hyparquet (a small file's Buffer shares a pool, so its own bytes are copied out). */
const footerOf = (file: Buffer) => parquetMetadata(file.buffer.slice(file.byteOffset, file.byteOffset + file.length) as ArrayBuffer);
const meta = (rel: string) => footerOf(fs.readFileSync(join(root, rel)));

/** Records of every type the inference knows, nulls in each column; ints past 2^53 as our reader gives them (strings). */
const typedRecords = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    id: i,
    big: i % 3 === 0 ? null : i % 2 === 0 ? String(9007199254740993n + BigInt(i)) : i - 500,
    dbl: i % 4 === 0 ? null : i % 7 === 0 ? "NaN" : i % 5 === 0 ? i : i / 8,
    flag: i % 3 === 1 ? null : i % 2 === 0,
    s: i % 5 === 0 ? null : `row ${i} é ✓ ${"x".repeat(i % 30)}`,
    nested: i % 6 === 0 ? null : { a: i, list: [i, null] },
  }));

describe("the Parquet encoder", () => {
  it("what the parquet source reads back is what was saved (nested values as their JSON text), over several row groups", () => {
    const records = typedRecords(2500);
    const sink = new MemorySink();
    const rel = save(records, { limits: { rows: 1000, bytes: 1 << 30 }, sink });
    assert.ok(sink.chunks.length >= 3, `bytes went out as the row groups were written (${sink.chunks.length} writes)`);
    const m = meta(rel);
    assert.deepEqual(
      m.row_groups.map((g) => Number(g.num_rows)),
      [1000, 1000, 500],
    );
    const types = Object.fromEntries(m.schema.slice(1).map((e) => [e.name, e.type]));
    assert.deepEqual(types, { id: "INT64", big: "INT64", dbl: "DOUBLE", flag: "BOOLEAN", s: "BYTE_ARRAY", nested: "BYTE_ARRAY" });
    assert.equal(m.row_groups[0]!.columns[0]!.meta_data!.codec, "SNAPPY", "snappy by default, as Spark");
    const expected = records.map((r) => ({ ...r, nested: r.nested === null ? null : JSON.stringify(r.nested) }));
    assert.deepEqual(readBack(rel), expected);
  });

  it("DuckDB reads the same rows with the types the rule gives", { skip: duckdbSkip }, async () => {
    const rel = save(typedRecords(300), { limits: { rows: 128, bytes: 1 << 30 } });
    const rows = await duck!.rows(
      `SELECT id::VARCHAR AS sid, big::VARCHAR AS big, CASE WHEN isnan(dbl) THEN NULL ELSE dbl END AS dbl, isnan(dbl) AS nan, flag, s, nested->>'$.a' AS a, typeof(id) AS tid, typeof(big) AS tbig, typeof(dbl) AS tdbl, typeof(nested) AS tnested FROM read_parquet(${sqlString(join(root, rel))}) ORDER BY id`,
    );
    assert.equal(rows.length, 300);
    const records = typedRecords(300);
    for (const [i, row] of rows.entries()) {
      const r = records[i]!;
      assert.equal(row.sid, String(r.id));
      assert.equal(row.big, r.big === null ? null : String(r.big), `row ${i} big`);
      assert.equal(row.dbl, r.dbl === "NaN" ? null : r.dbl, `row ${i} dbl`);
      assert.equal(row.nan, r.dbl === null ? null : r.dbl === "NaN", `row ${i} NaN`);
      assert.equal(row.flag, r.flag);
      assert.equal(row.s, r.s);
      assert.equal(row.a, r.nested === null ? null : String(r.nested.a));
    }
    assert.deepEqual([rows[0]!.tid, rows[0]!.tbig, rows[0]!.tdbl, rows[0]!.tnested], ["BIGINT", "BIGINT", "DOUBLE", "JSON"]);
  });

  it("a given schema sets the columns and their Parquet types; absent keys are null; DuckDB agrees", { skip: duckdbSkip }, async () => {
    const schema = "id BIGINT, small TINYINT, mid SMALLINT, n INT, f FLOAT, d DOUBLE, ok BOOLEAN, `odd name` STRING, j JSON";
    const records = [
      { id: 1, small: -128, mid: 32767, n: -(2 ** 31), f: 1.5, d: "Infinity", ok: true, "odd name": "a", j: [1, { b: 2 }] },
      { id: 2n ** 62n, small: null, n: 7 },
      { id: "-9223372036854775808" },
    ];
    const rel = save(records, { schema });
    const rows = await duck!.rows(
      `SELECT id::VARCHAR AS id, small, mid, n, f, d::VARCHAR AS d, ok, "odd name" AS name, j::VARCHAR AS j, typeof(small) AS ts, typeof(mid) AS tm, typeof(n) AS tn, typeof(f) AS tf FROM read_parquet(${sqlString(join(root, rel))})`,
    );
    assert.deepEqual(rows[0], { id: "1", small: -128, mid: 32767, n: -(2 ** 31), f: 1.5, d: "inf", ok: true, name: "a", j: '[1,{"b":2}]', ts: "TINYINT", tm: "SMALLINT", tn: "INTEGER", tf: "FLOAT" });
    assert.equal(rows[1]!.id, String(2n ** 62n));
    assert.equal(rows[2]!.id, "-9223372036854775808");
    assert.deepEqual(readBack(rel)[1], { id: String(2n ** 62n), small: null, mid: null, n: 7, f: null, d: null, ok: null, "odd name": null, j: null });
  });

  it("arrays are rows of Spark's tuple columns _1, _2, …; other values one column named value", () => {
    assert.deepEqual(
      readBack(
        save([
          ["a", 1],
          ["b", 2],
        ]),
      ),
      [
        { _1: "a", _2: 1 },
        { _1: "b", _2: 2 },
      ],
    );
    assert.deepEqual(readBack(save(["x", null, "z"])), [{ value: "x" }, { value: null }, { value: "z" }]);
  });

  it("every codec: none, snappy, gzip, and zstd where Node has it (elsewhere it fails saying why)", () => {
    const records = typedRecords(200);
    const codecs = { none: "UNCOMPRESSED", snappy: "SNAPPY", gzip: "GZIP" } as const;
    for (const [compression, codec] of Object.entries(codecs)) {
      const rel = save(records, { compression: compression === "none" ? null : (compression as "snappy" | "gzip") });
      assert.equal(meta(rel).row_groups[0]!.columns[0]!.meta_data!.codec, codec);
      assert.equal(readBack(rel).length, 200);
    }
    if (zstdAvailable()) assert.equal(readBack(save(records, { compression: "zstd" })).length, 200);
    else assert.throws(() => save(records, { compression: "zstd" }), /output "out\/part-00000.parquet": zstd needs Node.js 22.15 or later/);
  });

  it("a row group is also cut by its estimated size", () => {
    const records = Array.from({ length: 100 }, (_, i) => ({ i, pad: "p".repeat(1000) }));
    const rel = save(records, { limits: { rows: 1_000_000, bytes: 20_000 } });
    const groups = meta(rel).row_groups.map((g) => Number(g.num_rows));
    assert.ok(groups.length >= 5 && groups.every((n) => n <= 20), `groups of at most ~20 KB: ${groups}`);
    assert.equal(readBack(rel).length, 100);
  });

  it("an empty part is a valid file: with a schema it has the columns and no rows", { skip: duckdbSkip }, async () => {
    const rel = save([], { schema: "id BIGINT, s STRING" });
    assert.deepEqual(readBack(rel), []);
    assert.deepEqual(await duck!.rows(`SELECT count(*)::INTEGER AS n FROM read_parquet(${sqlString(join(root, rel))})`), [{ n: 0 }]);
    assert.deepEqual(readBack(save([])), []);
  });

  it("a record that does not fit fails naming the record, the column and the value", () => {
    const bad = (records: unknown[], pattern: RegExp, opts: { schema?: string; limits?: RowGroupLimits } = {}) => assert.throws(() => save(records, opts), pattern);
    bad([{ a: 1 }, { a: "x" }], /save as parquet: record 2: column "a" holds the string "x" after values of type int64; one column has one type/);
    // Inferred from the first row group: a later group that changes a column's type, or adds one, is refused.
    bad([{ a: 1 }, { a: 2.5 }], /save as parquet: record 2: column "a" is int64 and cannot hold the number 2.5 \(columns inferred from its first row group: a int64; give "schema"/, {
      limits: { rows: 1, bytes: 1 << 30 },
    });
    bad([{ a: 1 }, { a: 2, z: 0 }], /save as parquet: record 2 has the key "z", not a column of its part \(columns inferred from its first row group: a int64/, {
      limits: { rows: 1, bytes: 1 << 30 },
    });
    bad([{ n: 128 }], /record 1: column "n" is int8 and cannot hold the number 128 \(columns of "schema": n int8\)/, { schema: "n TINYINT" });
    bad([{ n: 2n ** 63n }], /column "n" is int64 and cannot hold the bigint 9223372036854775808/, { schema: "n BIGINT" });
    bad([{ s: 5 }], /column "s" is string and cannot hold the number 5/, { schema: "s STRING" });
    bad([{ a: "x" }, { a: 1 }], /record 2: column "a" holds the number 1 after values of type string/);
  });
});

describe("save as parquet on a cluster", { skip: duckdbSkip }, () => {
  let t: TestCluster;
  before(async () => {
    t = await startTestCluster({ workers: 2, slots: 1 });
  });
  after(async () => {
    await t?.stop();
  });

  const words = Array.from({ length: 5000 }, (_, i) => `w${i % 37}`);
  const countsSpec = (action: Record<string, unknown>) => ({
    nodes: [
      { id: "d", op: "parallelize", data: words, numSlices: 4 },
      { id: "p", op: "map", input: "d", fn: "w => [w, 1]" },
      { id: "c", op: "reduceByKey", input: "p", fn: "(a, b) => a + b", numPartitions: 3 },
      { id: "o", op: "map", input: "c", fn: "([word, n]) => ({ word, n, big: String(9007199254740993n * BigInt(n)), share: n / 5000 })" },
    ],
    action: { op: "save", input: "o", ...action },
  });

  it("saves parts the parquet source and DuckDB read back as the same rows", async () => {
    const value = await t.run<{ files: string[]; records: number }>(countsSpec({ path: "pq/counts", format: "parquet" }));
    assert.deepEqual(value.files, ["part-00000.parquet", "part-00001.parquet", "part-00002.parquet"]);
    assert.equal(value.records, 37);
    const back = await t.run<Record<string, unknown>[]>({ nodes: [{ id: "r", op: "parquet", path: "outputs/pq/counts/*.parquet" }], action: { op: "collect", input: "r" } });
    const expected = [...new Set(words)].map((word) => {
      const n = words.filter((w) => w === word).length;
      return { word, n, big: String(9007199254740993n * BigInt(n)), share: n / 5000 };
    });
    const byWord = (rows: Record<string, unknown>[]) => [...rows].sort((a, b) => String(a.word).localeCompare(String(b.word)));
    assert.deepEqual(byWord(back), byWord(expected));
    const glob = join(t.dataDir, "outputs", "pq", "counts", "*.parquet");
    const duckRows = await duck!.rows(`SELECT word, n::INTEGER AS n, big::VARCHAR AS big, share, typeof(n) AS tn FROM read_parquet(${sqlString(glob)}) ORDER BY word`);
    assert.ok(
      duckRows.every((r) => r.tn === "BIGINT"),
      "n is BIGINT, as inferred",
    );
    assert.deepEqual(
      duckRows.map(({ tn: _, ...r }) => r),
      byWord(expected),
    );
  });

  it("with an inferred schema, parts without records are not written (DuckDB reads the rest); all empty keeps one part", { skip: duckdbSkip }, async () => {
    // 6 slices of 0..59, keeping 20..29: four of the six parts are empty.
    const spec = (path: string, keep: string) => ({
      nodes: [
        { id: "n", op: "range", start: 0, end: 60, numSlices: 6 },
        { id: "f", op: "filter", input: "n", fn: keep },
        { id: "o", op: "map", input: "f", fn: "x => ({ x, s: 's' + x })" },
      ],
      action: { op: "save", input: "o", path, format: "parquet" },
    });
    const some = await t.run<{ files: string[]; records: number }>(spec("pq/sparse", "x => x >= 20 && x < 30"));
    assert.deepEqual(some, { path: "pq/sparse", files: ["part-00002.parquet"], records: 10 });
    const dir = join(t.dataDir, "outputs", "pq", "sparse");
    assert.deepEqual(fs.readdirSync(dir).sort(), ["_SUCCESS", "part-00002.parquet"]);
    assert.deepEqual((JSON.parse(fs.readFileSync(join(dir, "_SUCCESS"), "utf8")) as { files: string[] }).files, ["part-00002.parquet"]);
    const rows = await duck!.rows(`SELECT x::INTEGER AS x, s FROM read_parquet(${sqlString(join(dir, "*.parquet"))}) ORDER BY x`);
    assert.deepEqual(
      rows,
      Array.from({ length: 10 }, (_, i) => ({ x: 20 + i, s: `s${20 + i}` })),
    );
    const none = await t.run<{ files: string[]; records: number }>(spec("pq/none", "x => x < 0"));
    assert.deepEqual(none, { path: "pq/none", files: ["part-00000.parquet"], records: 0 });
    assert.deepEqual(fs.readdirSync(join(t.dataDir, "outputs", "pq", "none")).sort(), ["_SUCCESS", "part-00000.parquet"]);
  });

  it("takes a schema and a codec; refuses a codec or parameter parquet does not take, at submit", async () => {
    const value = await t.run<{ files: string[] }>(countsSpec({ path: "pq/gz", format: "parquet", compression: "gzip", schema: "word STRING, n INT, big BIGINT, share DOUBLE" }));
    const m = footerOf(fs.readFileSync(join(t.dataDir, "outputs", "pq", "gz", value.files[0]!)));
    assert.deepEqual(
      m.schema.slice(1).map((e) => e.type),
      ["BYTE_ARRAY", "INT32", "INT64", "DOUBLE"],
    );
    assert.equal(m.row_groups[0]!.columns[0]!.meta_data!.codec, "GZIP");
    for (const [action, pattern] of [
      [{ compression: "deflate" }, /parameter "compression" is "deflate", which format parquet does not write; it takes none, snappy, gzip, zstd/],
      [{ schema: "id WHATEVER" }, /parameter "schema" column "id" has type WHATEVER/],
      [{ header: true }, /parameter "header" is for format csv/],
    ] as const) {
      const res = await t.http("/api/v1/jobs", { body: countsSpec({ path: "pq/bad", format: "parquet", ...action }) });
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.match(res.body.error.message, pattern);
    }
    const res = await t.http("/api/v1/jobs", { body: countsSpec({ path: "pq/bad", format: "text", schema: "a INT" }) });
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.match(res.body.error.message, /parameter "schema" is for format parquet only/);
  });

  it("a record that does not fit fails the job with the record, column and value; nothing is left", async () => {
    const spec = countsSpec({ path: "pq/fail", format: "parquet", schema: "word STRING, n INT, big INT, share DOUBLE" });
    await assert.rejects(t.run(spec), (e: JobFailedError) =>
      /save as parquet: record 1: column "big" is int32 and cannot hold the string "\d+" \(columns of "schema": word string, n int32, big int32, share double\)/.test(e.message),
    );
    assert.equal(fs.existsSync(join(t.dataDir, "outputs", "pq", "fail")), false);
  });
});
