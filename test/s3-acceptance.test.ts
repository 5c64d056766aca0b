// Issue 18's acceptance, end to end: a cluster whose two workers have no shared
// directory (each its own empty data directory) runs a word count and a join
// over s3:// inputs, compressed and not, and saves both as Parquet to s3://.
// The results equal a plain computation in this process, DuckDB (an
// independent Parquet implementation) reads the saved parts back to the same
// rows, and minispark's own parquet source reads them back from S3 too.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { after, before, describe, it } from "node:test";
import { LocalCluster } from "../src/client/local-cluster.js";
import { duckdbSkip, openDuckDb, sqlString } from "./helpers/duckdb.js";
import { PREREQUISITES, prerequisiteSkip } from "./helpers/prereq.js";
import { S3TestClient } from "./helpers/s3-client.js";
import { type S3Server, startS3Server } from "./helpers/s3-server.js";
import { wordCounts } from "./helpers/cluster.js";

const skip = prerequisiteSkip(PREREQUISITES.radosgw, PREREQUISITES.cephMon, PREREQUISITES.cephOsd) || duckdbSkip;
const BUCKET = "minispark-accept";
const MiB = 1024 * 1024;

function seeded(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x / 2 ** 31;
  };
}

describe("word count and a join over s3://, saved as Parquet to s3://, on workers without a shared directory", { skip }, () => {
  let server: S3Server;
  let s3: S3TestClient;
  let cluster: LocalCluster;
  const root = fs.mkdtempSync(join(os.tmpdir(), "minispark-s3accept-"));
  const savedEnv = { ...process.env };
  const rand = seeded(42);
  const words = Array.from({ length: 2000 }, (_, i) => `w${i.toString(36)}`);
  const texts = Array.from({ length: 4 }, () => {
    const lines: string[] = [];
    for (let i = 0; i < 60_000; i++) lines.push(Array.from({ length: 1 + Math.floor(rand() * 12) }, () => words[Math.floor(rand() ** 2 * words.length)]).join(" "));
    return `${lines.join("\n")}\n`;
  });
  const products = Array.from({ length: 500 }, (_, i) => ({ product: i, category: `c${i % 17}` }));
  const sales = Array.from({ length: 40_000 }, (_, i) => ({ id: i, product: Math.floor(rand() * 520), qty: 1 + Math.floor(rand() * 9), price: Math.round(rand() * 10_000) / 100 }));

  before(async () => {
    server = await startS3Server({ deviceBytes: 512 * MiB });
    s3 = new S3TestClient(server);
    await s3.createBucket(BUCKET);
    // Word count input: two plain objects (several splits each) and two gzip ones (a split each).
    await s3.putObject(BUCKET, "text/a.txt", texts[0]!);
    await s3.putObject(BUCKET, "text/b.txt", texts[1]!);
    await s3.putObject(BUCKET, "text/c.txt.gz", gzipSync(texts[2]!));
    await s3.putObject(BUCKET, "text/d.txt.gz", gzipSync(texts[3]!));
    // The join's inputs: sales as CSV, half plain and half gzip; products as gzip JSON lines.
    const csv = (rows: typeof sales) => `id,product,qty,price\n${rows.map((r) => `${r.id},${r.product},${r.qty},${r.price}`).join("\n")}\n`;
    await s3.putObject(BUCKET, "sales/2024-01.csv", csv(sales.slice(0, 20_000)));
    await s3.putObject(BUCKET, "sales/2024-02.csv.gz", gzipSync(csv(sales.slice(20_000))));
    await s3.putObject(BUCKET, "products/all.jsonl.gz", gzipSync(`${products.map((p) => JSON.stringify(p)).join("\n")}\n`));

    Object.assign(process.env, { AWS_ACCESS_KEY_ID: server.accessKeyId, AWS_SECRET_ACCESS_KEY: server.secretAccessKey, AWS_REGION: server.region, AWS_ENDPOINT_URL: server.endpoint });
    const dirs = ["a", "b"].map((d) => join(root, d));
    for (const d of dirs) fs.mkdirSync(d);
    cluster = await LocalCluster.start({ workers: 0, slots: 1, dataDir: dirs[0]!, logFile: join(root, "cluster.log") });
    for (const d of dirs) cluster.startWorker(["--data-dir", d]);
    await cluster.waitForWorkers(2);
  });

  after(async () => {
    await cluster?.stop();
    await server?.stop();
    process.env = savedEnv;
    fs.rmSync(root, { recursive: true, force: true });
  });

  /** The saved output's part objects, downloaded to a local directory for DuckDB; checks _SUCCESS names them. */
  async function download(prefix: string): Promise<string> {
    const { keys } = await s3.listAllKeys(BUCKET, `${prefix}/`);
    assert.ok(keys.includes(`${prefix}/_SUCCESS`), `${prefix} is committed: ${keys.join(", ")}`);
    const parts = keys.filter((k) => k.slice(prefix.length + 1).startsWith("part-"));
    assert.ok(parts.length > 0);
    const success = JSON.parse((await s3.getObject(BUCKET, `${prefix}/_SUCCESS`)).toString("utf8")) as { files: string[] };
    assert.deepEqual([...success.files].sort(), parts.map((k) => k.slice(prefix.length + 1)).sort(), "_SUCCESS names exactly the part objects");
    const dir = fs.mkdtempSync(join(root, "dl-"));
    for (const k of parts) fs.writeFileSync(join(dir, k.slice(prefix.length + 1)), await s3.getObject(BUCKET, k));
    return dir;
  }

  it("word count over plain and gzip objects, saved as Parquet: DuckDB reads back this process's counts", async () => {
    const saved = await cluster.client.run<{ records: number }>({
      nodes: [
        { id: "lines", op: "textFile", path: `s3://${BUCKET}/text/*`, maxPartitionBytes: MiB },
        { id: "words", op: "flatMap", input: "lines", fn: "tokenize" },
        { id: "ones", op: "map", input: "words", fn: "pair_with_one" },
        { id: "counts", op: "reduceByKey", input: "ones", fn: "sum" },
        { id: "rows", op: "map", input: "counts", fn: "([word, n]) => ({ word, n })" },
      ],
      action: { op: "save", input: "rows", path: `s3://${BUCKET}/out/wordcount`, format: "parquet" },
    });
    const expected = wordCounts(texts.join(""));
    assert.equal(saved.value.records, expected.size);
    const dir = await download("out/wordcount");
    const db = await openDuckDb();
    try {
      const rows = await db.rows(`SELECT word, n FROM read_parquet(${sqlString(join(dir, "*"))})`);
      assert.deepEqual(new Map(rows.map((r) => [r.word as string, Number(r.n)])), expected);
    } finally {
      db.close();
    }
  });

  it("revenue by category from a join of CSV and JSON lines objects, saved as Parquet; read back by DuckDB and by the parquet source", async () => {
    const expected = new Map<string, number>();
    const categoryOf = new Map(products.map((p) => [p.product, p.category]));
    for (const s of sales) {
      const c = categoryOf.get(s.product);
      if (c !== undefined) expected.set(c, (expected.get(c) ?? 0) + s.qty * s.price);
    }
    await cluster.client.run({
      nodes: [
        { id: "sales", op: "csv", path: `s3://${BUCKET}/sales/*`, header: true, schema: "id INT, product INT, qty INT, price DOUBLE" },
        { id: "byProduct", op: "map", input: "sales", fn: "(r) => [r.product, r.qty * r.price]" },
        { id: "products", op: "jsonl", path: `s3://${BUCKET}/products/*.jsonl.gz` },
        { id: "categories", op: "map", input: "products", fn: "(p) => [p.product, p.category]" },
        { id: "joined", op: "join", inputs: ["byProduct", "categories"] },
        { id: "byCategory", op: "map", input: "joined", fn: "([, [revenue, category]]) => [category, revenue]" },
        { id: "sums", op: "reduceByKey", input: "byCategory", fn: "sum" },
        { id: "rows", op: "map", input: "sums", fn: "([category, revenue]) => ({ category, revenue })" },
      ],
      action: { op: "save", input: "rows", path: `s3://${BUCKET}/out/revenue`, format: "parquet" },
    });
    const close = (got: Map<string, number>) => {
      assert.deepEqual([...got.keys()].sort(), [...expected.keys()].sort());
      for (const [c, v] of expected) assert.ok(Math.abs(got.get(c)! - v) <= 1e-9 * Math.abs(v), `${c}: ${got.get(c)} vs ${v}`);
    };
    const dir = await download("out/revenue");
    const db = await openDuckDb();
    try {
      close(new Map((await db.rows(`SELECT category, revenue FROM read_parquet(${sqlString(join(dir, "*"))})`)).map((r) => [r.category as string, Number(r.revenue)])));
    } finally {
      db.close();
    }
    const back = await cluster.client.run<{ category: string; revenue: number }[]>({
      nodes: [{ id: "q", op: "parquet", path: `s3://${BUCKET}/out/revenue/part-*` }],
      action: { op: "collect", input: "q" },
    });
    close(new Map(back.value.map((r) => [r.category, r.revenue])));
  });
});
