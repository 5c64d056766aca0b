// The parquet source end to end on a real cluster (a master and two worker
// processes on loopback), against files written by an independent
// implementation, DuckDB: every type README's rule maps, nulls and several row
// groups, compared with what DuckDB itself reads back (turned into the rule's
// JSON by DuckDB SQL, not by minispark's code); row groups as splits read once
// whatever the split size; column projection; codecs; and corrupt files, each
// failing the job with the file's name while the workers keep serving jobs.
import assert from "node:assert/strict";
import fs from "node:fs";
import zlib from "node:zlib";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parquetMetadata } from "hyparquet";
import type { JobFailedError } from "../src/client/rest-client.js";
import { startTestCluster, writeFile, type TestCluster } from "./helpers/cluster.js";
import { duckdbSkip, openDuckDb, sqlString, type DuckDb } from "./helpers/duckdb.js";

let t: TestCluster;
let duck: DuckDb;

before(async () => {
  if (duckdbSkip) return;
  t = await startTestCluster({ workers: 2, slots: 1 });
  duck = await openDuckDb();
});

after(async () => {
  duck?.close();
  await t?.stop();
});

const ROWS = 2500;

/** Columns of every type the rule maps; every third row of most is null. */
const TYPED_SELECT = `
  SELECT i::INTEGER AS id,
    CASE WHEN i % 3 = 1 THEN NULL ELSE (i - 1250)::INTEGER END AS i32,
    CASE WHEN i % 3 = 1 THEN NULL ELSE (i - 1250) * 1000000007 END::BIGINT AS i64,
    CASE WHEN i % 2 = 0 THEN 9007199254740991 + i ELSE -9007199254740991 - i END::BIGINT AS big,
    (i % 256)::UTINYINT AS u8, (18446744073709551615 - i)::UBIGINT AS u64,
    CASE WHEN i % 3 = 1 THEN NULL ELSE ((i - 1250) / 7)::DECIMAL(9,2) END AS d9,
    ((i - 1250) * 1.25)::DECIMAL(18,4) AS d18,
    ((i - 1250)::HUGEINT * 100000000000000000000 + i)::DECIMAL(38,10) AS d38,
    CASE WHEN i % 3 = 1 THEN NULL ELSE i % 2 = 0 END AS b,
    CASE WHEN i % 3 = 1 THEN NULL WHEN i % 5 = 0 THEN '' ELSE 'row ' || i || ' é ✓' END AS s,
    CASE WHEN i % 3 = 1 THEN NULL ELSE ('\\x00\\xFF' || i::VARCHAR)::BLOB END AS bin,
    DATE '1969-12-25' + i::INTEGER AS dt,
    TIMESTAMP '1969-12-31 23:59:58.999999' + INTERVAL (i * 1000003) MICROSECOND AS ts,
    (TIMESTAMP '2024-02-29 12:00:00' + INTERVAL (i * 1001) MILLISECOND)::TIMESTAMP_MS AS ts_ms,
    (TIMESTAMP '2024-02-29 12:00:00' + INTERVAL (i * 3) MICROSECOND)::TIMESTAMP_NS AS ts_ns,
    (TIMESTAMP '2001-01-01 00:00:00' + INTERVAL (i) SECOND)::TIMESTAMPTZ AS tstz,
    TIME '00:00:00' + INTERVAL (i * 17000013) MICROSECOND AS tm,
    CASE WHEN i % 4 = 1 THEN 'NaN'::DOUBLE WHEN i % 4 = 2 THEN 'Infinity'::DOUBLE WHEN i % 8 = 3 THEN '-Infinity'::DOUBLE ELSE (i - 1250) / 3.0 END AS dbl,
    ((i - 1250) / 4)::FLOAT AS flt,
    ('0000000a-0000-4000-8000-' || lpad(i::VARCHAR, 12, '0'))::UUID AS uid,
    CASE WHEN i % 3 = 1 THEN NULL ELSE [i, NULL, i + 1] END AS lst,
    {'a': i, 'b': CASE WHEN i % 2 = 0 THEN NULL ELSE 's' || i END, 'c': [i::VARCHAR]} AS st,
    MAP {'k' || i: i, 'z': NULL} AS mp
  FROM range(${ROWS}) t(i)`;

/** DuckDB's own reading of the file, as README's rule says minispark must give it (DuckDB SQL; 9007199254740991 = 2^53 - 1). */
const EXPECTED_SELECT = (file: string) => `
  SELECT id, i32,
    CASE WHEN abs(i64) <= 9007199254740991 THEN to_json(i64) ELSE to_json(i64::VARCHAR) END AS i64,
    CASE WHEN abs(big) <= 9007199254740991 THEN to_json(big) ELSE to_json(big::VARCHAR) END AS big,
    u8,
    CASE WHEN u64 <= 9007199254740991 THEN to_json(u64) ELSE to_json(u64::VARCHAR) END AS u64,
    d9::VARCHAR AS d9, d18::VARCHAR AS d18, d38::VARCHAR AS d38, b, s,
    to_base64(bin) AS bin,
    strftime(dt, '%Y-%m-%d') AS dt,
    strftime(ts, '%Y-%m-%dT%H:%M:%S.%f') AS ts,
    strftime(ts_ms, '%Y-%m-%dT%H:%M:%S.%g') AS ts_ms,
    strftime(ts_ns, '%Y-%m-%dT%H:%M:%S.%n') AS ts_ns,
    strftime(tstz::TIMESTAMP, '%Y-%m-%dT%H:%M:%S.%f') || 'Z' AS tstz,
    strftime(DATE '1970-01-01' + tm, '%H:%M:%S.%f') AS tm,
    CASE WHEN isnan(dbl) THEN to_json('NaN') WHEN dbl = 'Infinity'::DOUBLE THEN to_json('Infinity') WHEN dbl = '-Infinity'::DOUBLE THEN to_json('-Infinity') ELSE to_json(dbl) END AS dbl,
    flt::DOUBLE AS flt, uid::VARCHAR AS uid,
    to_json(lst) AS lst, to_json(st) AS st, to_json(mp) AS mp
  FROM read_parquet(${sqlString(file)}) ORDER BY id`;

const JSON_COLUMNS = ["i64", "big", "u64", "dbl", "lst", "st", "mp"];

async function expectedRows(file: string): Promise<Record<string, unknown>[]> {
  const rows = await duck.rows(EXPECTED_SELECT(file));
  return rows.map((r) => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(r))
      out[k] = JSON_COLUMNS.includes(k) && typeof v === "string" ? JSON.parse(v) : typeof v === "string" && /^-?\d+$/.test(v) && ["id", "i32", "u8"].includes(k) ? Number(v) : v;
    return out;
  });
}

async function writeParquet(rel: string, select: string, options = "ROW_GROUP_SIZE 1000"): Promise<string> {
  const abs = join(t.dataDir, rel);
  fs.mkdirSync(join(abs, ".."), { recursive: true });
  await duck.run(`COPY (${select}) TO ${sqlString(abs)} (FORMAT parquet, ${options})`);
  return abs;
}

const byId = (rows: Record<string, unknown>[]) => [...rows].sort((a, b) => (a.id as number) - (b.id as number));

describe("parquet on a cluster, against DuckDB", { skip: duckdbSkip }, () => {
  it("maps every type as README's rule says, nulls included, over several row groups and many splits", async () => {
    const abs = await writeParquet("typed/all.parquet", TYPED_SELECT);
    const meta = parquetMetadata(fs.readFileSync(abs));
    // DuckDB rounds ROW_GROUP_SIZE up to its vectors of 2,048 rows: 2,500 rows make two row groups.
    assert.equal(meta.row_groups.length, 2, "DuckDB wrote two row groups");
    const expected = await expectedRows(abs);
    assert.equal(expected.length, ROWS);
    const spec = { nodes: [{ id: "p", op: "parquet", path: "typed/all.parquet", maxPartitionBytes: 4096 }], action: { op: "collect", input: "p" } };
    const id = await t.cluster.client.submit(spec);
    const job = await t.cluster.client.wait(id);
    assert.equal(job.status, "COMPLETED", job.error ?? "");
    assert.ok(job.stages[0]!.numTasks > 2, `more splits than row groups: ${job.stages[0]!.numTasks}`);
    const got = byId((await t.cluster.client.results<Record<string, unknown>[]>(id)).value);
    assert.equal(got.length, ROWS);
    for (let i = 0; i < ROWS; i++) assert.deepEqual(got[i], expected[i], `row ${i}`);
    // Keys come in the file's column order, as csv's header gives them.
    assert.deepEqual(Object.keys(got[0]!), Object.keys(expected[0]!));
  });

  it("reads every row exactly once whatever the split size: a row group belongs to the split holding its midpoint", async () => {
    await writeParquet("many/a.parquet", `SELECT i AS id, repeat('x', i % 50) AS pad FROM range(0, 30000) t(i)`, "ROW_GROUP_SIZE 700");
    await writeParquet("many/b.parquet", `SELECT i AS id, repeat('y', i % 50) AS pad FROM range(30000, 41000) t(i)`, "ROW_GROUP_SIZE 5000");
    for (const maxPartitionBytes of [512, 3000, 20_000, 1 << 25]) {
      const node = { id: "p", op: "parquet", path: "many/*.parquet", maxPartitionBytes };
      const stats = await t.run<number[]>({
        nodes: [node, { id: "ids", op: "map", input: "p", fn: "r => r.id" }, { id: "d", op: "distinct", input: "ids" }, { id: "n", op: "map", input: "d", fn: "x => 1" }],
        action: { op: "reduce", input: "n", fn: "(a, b) => a + b" },
      });
      const count = await t.run<number>({ nodes: [node], action: { op: "count", input: "p" } });
      assert.equal(count, 41000, `maxPartitionBytes ${maxPartitionBytes}: every row once`);
      assert.equal(stats, 41000, `maxPartitionBytes ${maxPartitionBytes}: no row twice`);
    }
  });

  it("columns reads only the named columns, in the order named; a column the file lacks fails the job naming it and the file", async () => {
    await writeParquet("proj/p.parquet", `SELECT i AS id, 'n' || i AS name, i * 2.5 AS price, {'x': i} AS nested FROM range(10) t(i)`);
    const rows = await t.run<Record<string, unknown>[]>({ nodes: [{ id: "p", op: "parquet", path: "proj/p.parquet", columns: ["nested", "id"] }], action: { op: "collect", input: "p" } });
    assert.deepEqual(rows[3], { nested: { x: 3 }, id: 3 });
    assert.deepEqual(Object.keys(rows[0]!), ["nested", "id"]);
    await assert.rejects(t.run({ nodes: [{ id: "p", op: "parquet", path: "proj/p.parquet", columns: ["id", "colour"] }], action: { op: "count", input: "p" } }), (e: JobFailedError) =>
      /input "proj\/p\.parquet": has no column "colour" \(its columns: "id", "name", "price", "nested"\)/.test(e.message),
    );
  });

  it("a column named __proto__ is a key of the row like any other", async () => {
    await writeParquet("proto/p.parquet", `SELECT i AS "__proto__", i * 2 AS x FROM range(3) t(i)`);
    const rows = await t.run<Record<string, unknown>[]>({
      nodes: [
        { id: "p", op: "parquet", path: "proto/p.parquet" },
        { id: "k", op: "map", input: "p", fn: "r => Object.keys(r).join(',') + '=' + JSON.stringify(r)" },
      ],
      action: { op: "collect", input: "k" },
    });
    assert.deepEqual(rows, ['__proto__,x={"__proto__":0,"x":0}', '__proto__,x={"__proto__":1,"x":2}', '__proto__,x={"__proto__":2,"x":4}']);
  });

  it("refuses a columns parameter that is not a non-empty array of distinct names, at submit", async () => {
    const bad = async (columns: unknown, pattern: RegExp) => {
      const res = await t.http("/api/v1/jobs", { body: { nodes: [{ id: "p", op: "parquet", path: "proj/p.parquet", columns }], action: { op: "count", input: "p" } } });
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.match(res.body.error.message, pattern);
    };
    await bad([], /parameter "columns" must name at least one column/);
    await bad("id", /parameter "columns" must be an array/);
    await bad(["id", 3], /parameter "columns" must be an array of column names \(non-empty strings\); item 1 is 3/);
    await bad(["id", "id"], /parameter "columns" names column "id" twice/);
  });

  it("reads the codecs DuckDB writes: uncompressed, snappy, gzip, brotli, and zstd where Node has it; LZ4 fails naming the codec", async () => {
    const select = `SELECT i AS id, 'v' || (i % 97) AS v, (i * 0.5)::DOUBLE AS f FROM range(3000) t(i)`;
    const expected = (await duck.rows(`SELECT i::INTEGER AS id, 'v' || (i % 97) AS v, (i * 0.5)::DOUBLE AS f FROM range(3000) t(i) ORDER BY id`)).map((r) => ({
      ...r,
      id: Number(r.id),
      f: Number(r.f),
    }));
    const zstdHere = typeof (zlib as { zstdDecompressSync?: unknown }).zstdDecompressSync === "function";
    for (const codec of ["uncompressed", "snappy", "gzip", "brotli", "zstd"]) {
      await writeParquet(`codecs/${codec}.parquet`, select, `COMPRESSION ${codec}, ROW_GROUP_SIZE 1000`);
      const run = t.run<Record<string, unknown>[]>({ nodes: [{ id: "p", op: "parquet", path: `codecs/${codec}.parquet` }], action: { op: "collect", input: "p" } });
      if (codec === "zstd" && !zstdHere) {
        await assert.rejects(run, (e: JobFailedError) =>
          /input "codecs\/zstd\.parquet": column "id" of row group 0 cannot be decoded .*ZSTD-compressed pages need Node 22\.15 or later/.test(e.message),
        );
        continue;
      }
      assert.deepEqual(byId(await run), expected, codec);
    }
    await writeParquet("codecs/lz4.parquet", select, "COMPRESSION lz4");
    await assert.rejects(t.run({ nodes: [{ id: "p", op: "parquet", path: "codecs/lz4.parquet" }], action: { op: "count", input: "p" } }), (e: JobFailedError) =>
      /input "codecs\/lz4\.parquet": column "id" of row group 0 cannot be decoded .*unsupported compression codec: LZ4_RAW/.test(e.message),
    );
  });
});

describe("corrupt parquet input fails the job naming the file, and the workers keep serving", { skip: duckdbSkip }, () => {
  const count = (path: string) => t.run<number>({ nodes: [{ id: "p", op: "parquet", path }], action: { op: "count", input: "p" } });
  const fails = (path: string, pattern: RegExp) => assert.rejects(count(path), (e: JobFailedError) => pattern.test(e.message), path);
  let good: Buffer;

  before(async () => {
    if (duckdbSkip) return;
    good = fs.readFileSync(await writeParquet("bad/good.parquet", `SELECT i AS id, 'x' || i AS s FROM range(5000) t(i)`));
  });

  it("a truncated file, at the footer and in the data", async () => {
    fs.writeFileSync(join(t.dataDir, "bad/cut-tail.parquet"), good.subarray(0, good.length - 3));
    await fails("bad/cut-tail.parquet", /input "bad\/cut-tail\.parquet": is not a Parquet file \(it does not begin and end with the magic bytes "PAR1"\)/);
    // The footer kept, the data before it cut: the column chunks it names lie past the bytes that are left.
    const footerLength = good.readUInt32LE(good.length - 8);
    const footer = good.subarray(good.length - 8 - footerLength);
    fs.writeFileSync(join(t.dataDir, "bad/cut-data.parquet"), Buffer.concat([good.subarray(0, 200), footer]));
    await fails(
      "bad/cut-data.parquet",
      /input "bad\/cut-data\.parquet": is corrupt: column chunk "id" of row group 0 claims bytes \[\d+, \d+\), outside the file's data \(bytes \[4, 200\)\); the file may be truncated/,
    );
  });

  it("a file that is not Parquet, an empty file holds no rows", async () => {
    writeFile(t.dataDir, "bad/text.parquet", "id,name\n1,ann\n");
    await fails("bad/text.parquet", /input "bad\/text\.parquet": is not a Parquet file/);
    writeFile(t.dataDir, "bad/tiny.parquet", "PAR1");
    await fails("bad/tiny.parquet", /input "bad\/tiny\.parquet": is not a Parquet file \(4 bytes, shorter than the 12/);
    writeFile(t.dataDir, "empty/e.parquet", "");
    assert.equal(await count("empty/e.parquet"), 0);
  });

  it("a footer length past the file, in a 1 KiB file, is refused before anything is allocated", async () => {
    const kib = Buffer.alloc(1024, 0x41);
    kib.write("PAR1", 0);
    kib.writeUInt32LE(0xfffffff0, 1016);
    kib.write("PAR1", 1020);
    fs.writeFileSync(join(t.dataDir, "bad/huge-footer.parquet"), kib);
    await fails("bad/huge-footer.parquet", /input "bad\/huge-footer\.parquet": is corrupt: its footer length is 4294967280 bytes, but the file has only 1012 bytes/);
    // A footer of the right length that is not thrift.
    const garbage = Buffer.from(good);
    const footerLength = garbage.readUInt32LE(garbage.length - 8);
    garbage.fill(0xff, garbage.length - 8 - footerLength, garbage.length - 8);
    fs.writeFileSync(join(t.dataDir, "bad/garbage-footer.parquet"), garbage);
    await fails("bad/garbage-footer.parquet", /input "bad\/garbage-footer\.parquet": is corrupt: its footer cannot be parsed/);
  });

  it("a page declaring a huge uncompressed size is refused before it is decompressed", async () => {
    // One 4 MB value of 'x': snappy makes it a small file whose one data page declares ~4 MB uncompressed (a 4-byte varint).
    const abs = await writeParquet("bad/one-page.parquet", `SELECT repeat('x', 4000000) AS s`, "COMPRESSION snappy");
    const bytes = fs.readFileSync(abs);
    const meta = parquetMetadata(bytes);
    const col = meta.row_groups[0]!.columns[0]!.meta_data!;
    const at = Number(col.dictionary_page_offset ?? col.data_page_offset);
    // Page header (thrift compact): field 1 type (0x15, zigzag varint), field 2 uncompressed_page_size (0x15, zigzag varint).
    assert.equal(bytes[at], 0x15);
    let p = at + 1;
    while (bytes[p]! & 0x80) p++;
    p++;
    assert.equal(bytes[p], 0x15);
    const varint = p + 1;
    let len = 0;
    while (bytes[varint + len]! & 0x80) len++;
    len++;
    assert.equal(len, 4, "a 4-byte varint to overwrite in place");
    // 0xFE 0xFF 0xFF 0x7F is zigzag 2^27 - 1: a 128 MiB page from a file of a few hundred KiB.
    Buffer.from([0xfe, 0xff, 0xff, 0x7f]).copy(bytes, varint);
    fs.writeFileSync(join(t.dataDir, "bad/huge-page.parquet"), bytes);
    assert.ok(bytes.length < 1 << 20, `${bytes.length} bytes`);
    await fails("bad/huge-page.parquet", /input "bad\/huge-page\.parquet": column "s" of row group 0 cannot be decoded .*declares 134217727 bytes uncompressed; at most 67108864 are allowed/);
  });

  it("after all that the workers still run jobs", async () => {
    assert.equal(await count("bad/good.parquet"), 5000);
    const workers = await t.http("/api/v1/workers");
    assert.equal(workers.status, 200);
  });
});
