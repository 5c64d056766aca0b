// Every file source reading `s3://` from a real S3 server (radosgw on loopback,
// test/helpers/s3-server.ts) on a cluster whose workers share no directory:
// splits of a 12 MiB object read by ranged GETs across range and split
// boundaries give each line once; a glob over 1,100 keys lists past S3's page
// of 1,000; a .gz object counts what `zcat | wc -l` counts; csv, jsonl and
// Parquet objects read as their local copies do; word count and a join over S3
// equal the computation in this process; throttling, 5xx answers and dropped
// connections from a proxy in front of the server cost retries only. Per-job S3 settings are used, and
// their secret appears nowhere: not in the master's store or logs, the job's
// view or its error.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { after, before, describe, it } from "node:test";
import { LocalCluster } from "../src/client/local-cluster.js";
import { connect } from "../src/index.js";
import { JobFailedError } from "../src/client/rest-client.js";
import { duckdbSkip, openDuckDb, sqlString } from "./helpers/duckdb.js";
import { PREREQUISITES, prerequisiteSkip } from "./helpers/prereq.js";
import { S3TestClient } from "./helpers/s3-client.js";
import { type S3Server, startS3Server } from "./helpers/s3-server.js";
import { type Behaviour, scriptedProxy } from "./helpers/s3-proxy.js";
import { wordCounts } from "./helpers/cluster.js";

const skip = prerequisiteSkip(PREREQUISITES.radosgw, PREREQUISITES.cephMon, PREREQUISITES.cephOsd) || duckdbSkip;
const BUCKET = "minispark-input";
const MiB = 1024 * 1024;

/** Lines of 1 to 200 characters from a small vocabulary, so that lines cross every boundary at some offset. */
function textOf(bytes: number, seed: number): string {
  const words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa"];
  let x = seed;
  const lines: string[] = [];
  let size = 0;
  while (size < bytes) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    const n = 1 + (x % 30);
    const line = Array.from({ length: n }, (_, i) => `${words[(x >> (i % 16)) % words.length]}${i % 7}`).join(" ");
    lines.push(line);
    size += line.length + 1;
  }
  return `${lines.join("\n")}\n`;
}

describe("file sources over s3://", { skip }, () => {
  let server: S3Server;
  let s3: S3TestClient;
  let cluster: LocalCluster;
  const root = fs.mkdtempSync(join(os.tmpdir(), "minispark-s3in-"));
  const big = textOf(12 * MiB, 7);
  const small = textOf(300 * 1024, 11);
  const savedEnv = { ...process.env };

  before(async () => {
    server = await startS3Server({ deviceBytes: 512 * MiB });
    s3 = new S3TestClient(server);
    await s3.createBucket(BUCKET);
    await s3.putObject(BUCKET, "logs/big.txt", big);
    await s3.putObject(BUCKET, "logs/small.txt", small);
    await s3.putObject(BUCKET, "logs/_ignored.txt", "hidden names are not input\n");
    await s3.putObject(BUCKET, "gz/small.txt.gz", gzipSync(small));
    await s3.putObject(BUCKET, "people/people.csv", 'id,name,age\n1,ann,31\n2,bob,\n3,"cy, jr",40\n');
    await s3.putObject(BUCKET, "people/cities.jsonl", '{"id":1,"city":"Oslo"}\n{"id":3,"city":"Lima"}\n{"id":4,"city":"Pune"}\n');
    const db = await openDuckDb();
    try {
      const file = join(root, "t.parquet");
      await db.run(
        `COPY (SELECT i AS id, 'n' || i AS name, CASE WHEN i % 3 = 0 THEN NULL ELSE (i * 1.5)::DOUBLE END AS score FROM range(5000) t(i)) TO ${sqlString(file)} (FORMAT parquet, ROW_GROUP_SIZE 1000)`,
      );
      await s3.putObject(BUCKET, "pq/t.parquet", fs.readFileSync(file));
    } finally {
      db.close();
    }
    const keys = Array.from({ length: 1100 }, (_, i) => `many/k${String(i).padStart(4, "0")}.txt`);
    for (let i = 0; i < keys.length; i += 50) await Promise.all(keys.slice(i, i + 50).map((k) => s3.putObject(BUCKET, k, `${k}\n`)));

    // The workers find the server through the standard AWS variables; each has a data directory of its own.
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

  const run = async <T>(spec: unknown): Promise<T> => (await cluster.client.run<T>(spec)).value;

  it("reads every line of an object once across ranged reads and split boundaries", async () => {
    const lines = await run<string[]>({
      nodes: [{ id: "t", op: "textFile", path: `s3://${BUCKET}/logs/big.txt`, maxPartitionBytes: 5 * MiB }],
      action: { op: "collect", input: "t" },
    });
    assert.equal(lines.length, big.split("\n").length - 1);
    assert.deepEqual(lines, big.slice(0, -1).split("\n"), "in order, each line whole");
  });

  it("a directory-like prefix reads its visible objects; word count equals this process's", async () => {
    const counts = await run<[string, number][]>({
      nodes: [
        { id: "t", op: "textFile", path: `s3://${BUCKET}/logs/`, maxPartitionBytes: 4 * MiB },
        { id: "w", op: "flatMap", input: "t", fn: "tokenize" },
        { id: "p", op: "map", input: "w", fn: "pair_with_one" },
        { id: "c", op: "reduceByKey", input: "p", fn: "sum" },
      ],
      action: { op: "collect", input: "c" },
    });
    assert.deepEqual(new Map(counts), wordCounts(big + small));
  });

  it("lists past 1,000 keys: a glob over 1,100 objects reads each", async () => {
    const lines = await run<string[]>({ nodes: [{ id: "t", op: "textFile", path: `s3://${BUCKET}/many/k*.txt` }], action: { op: "collect", input: "t" } });
    assert.equal(lines.length, 1100);
    assert.equal(new Set(lines).size, 1100);
  });

  it("a .gz object counts what zcat | wc -l counts", async () => {
    const n = await run<number>({ nodes: [{ id: "t", op: "textFile", path: `s3://${BUCKET}/gz/*.gz` }], action: { op: "count", input: "t" } });
    const local = join(root, "small.txt.gz");
    fs.writeFileSync(local, gzipSync(small));
    assert.equal(n, Number(execFileSync("sh", ["-c", `zcat '${local}' | wc -l`], { encoding: "utf8" }).trim()));
  });

  it("csv, jsonl and a join of them; Parquet row groups as splits with column projection", async () => {
    const joined = await run<[number, [Record<string, unknown>, Record<string, unknown>]][]>({
      nodes: [
        { id: "p", op: "csv", path: `s3://${BUCKET}/people/*.csv`, header: true, inferSchema: true },
        { id: "pk", op: "keyBy", input: "p", fn: "(r) => r.id" },
        { id: "c", op: "jsonl", path: `s3://${BUCKET}/people/*.jsonl` },
        { id: "ck", op: "keyBy", input: "c", fn: "(r) => r.id" },
        { id: "j", op: "join", inputs: ["pk", "ck"] },
      ],
      action: { op: "collect", input: "j" },
    });
    assert.deepEqual(
      joined.sort((a, b) => a[0] - b[0]),
      [
        [
          1,
          [
            { id: 1, name: "ann", age: 31 },
            { id: 1, city: "Oslo" },
          ],
        ],
        [
          3,
          [
            { id: 3, name: "cy, jr", age: 40 },
            { id: 3, city: "Lima" },
          ],
        ],
      ],
    );
    const rows = await run<{ id: number; score: number | null }[]>({
      nodes: [{ id: "q", op: "parquet", path: `s3://${BUCKET}/pq/t.parquet`, columns: ["id", "score"], maxPartitionBytes: 8 * 1024 }],
      action: { op: "collect", input: "q" },
    });
    assert.equal(rows.length, 5000);
    assert.deepEqual(rows.sort((a, b) => a.id - b.id).slice(0, 4), [
      { id: 0, score: null },
      { id: 1, score: 1.5 },
      { id: 2, score: 3 },
      { id: 3, score: null },
    ]);
  });

  it("throttling, 5xx and dropped connections on one request in four cost retries, never records", async () => {
    // Every fourth request misbehaves, in turn each way a server does; the job reaches S3 through the proxy by its own endpoint setting.
    const faults: Behaviour[] = ["slowdown", "internal-error", "reset"];
    const proxy = await scriptedProxy(server.endpoint, (n) => (n % 4 === 3 ? faults[Math.floor(n / 4) % faults.length]! : "pass"));
    try {
      const lines = await run<string[]>({
        nodes: [{ id: "t", op: "textFile", path: [`s3://${BUCKET}/logs/big.txt`, `s3://${BUCKET}/gz/*.gz`], maxPartitionBytes: 3 * MiB }],
        action: { op: "collect", input: "t" },
        s3: { endpoint: proxy.endpoint },
      });
      assert.deepEqual(lines, [...big.slice(0, -1).split("\n"), ...small.slice(0, -1).split("\n")]);
      assert.ok(proxy.arrivals.length >= 8, `${proxy.arrivals.length} requests went through the proxy`);
    } finally {
      await proxy.close();
    }
  });

  it("the library: connect()'s s3 settings go with every job; textFile and csv read s3:// as paths", async () => {
    const sc = await connect(cluster.masterUrl, { token: cluster.token, s3: { endpoint: server.endpoint, region: server.region } });
    try {
      assert.equal(await sc.textFile(`s3://${BUCKET}/logs/small.txt`).count(), (small.match(/\n/g) ?? []).length);
      const ages = await sc
        .csv<{ name: string; age: number | null }>(`s3://${BUCKET}/people/people.csv`, { header: true, inferSchema: true })
        .map((r) => r.age)
        .collect();
      assert.deepEqual(ages, [31, null, 40]);
    } finally {
      await sc.close();
    }
  });

  it("a missing bucket or an unmatched glob fails the job at submit with the URL", async () => {
    await assert.rejects(run({ nodes: [{ id: "t", op: "textFile", path: "s3://no-such-bucket-here/x/*.txt" }], action: { op: "count", input: "t" } }), (e: Error) => {
      assert.ok(e instanceof JobFailedError, e.message);
      assert.match(e.message, /NoSuchBucket/);
      return true;
    });
    await assert.rejects(
      run({ nodes: [{ id: "t", op: "textFile", path: `s3://${BUCKET}/nothing/*.txt` }], action: { op: "count", input: "t" } }),
      /s3:\/\/minispark-input\/nothing\/\*\.txt" matches no objects/,
    );
    const bad = await fetch(`${cluster.masterUrl}/api/v1/jobs`, {
      method: "POST",
      headers: { authorization: `Bearer ${cluster.token}`, "content-type": "application/json" },
      body: JSON.stringify({ nodes: [{ id: "t", op: "textFile", path: "s3://UPPER/x" }], action: { op: "count", input: "t" } }),
    });
    assert.equal(bad.status, 400);
    assert.match(await bad.text(), /S3 bucket names use lower-case letters/);
  });

  it("per-job S3 settings are used, and their secret is never stored, logged or shown", async () => {
    const secret = `SECRET${randomBytes(12).toString("hex")}`;
    const spec = (s3: unknown) => ({ nodes: [{ id: "t", op: "textFile", path: `s3://${BUCKET}/logs/small.txt` }], action: { op: "count", input: "t" }, s3 });
    // A wrong key pair in the job wins over the workers' good one: the job fails, naming S3's refusal but not the secret.
    const failure = await cluster.client.submit(spec({ accessKeyId: "AKIDWRONGWRONGWRONG1", secretAccessKey: secret, endpoint: server.endpoint }));
    const ended = await cluster.client.wait(failure);
    assert.equal(ended.status, "FAILED");
    assert.match(ended.error ?? "", /InvalidAccessKeyId|AccessDenied|SignatureDoesNotMatch/);
    // The job's own good keys and endpoint: read.
    const ok = await run<number>(spec({ accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey, endpoint: server.endpoint, region: server.region }));
    assert.equal(ok, (small.match(/\n/g) ?? []).length);
    const refused = await fetch(`${cluster.masterUrl}/api/v1/jobs`, {
      method: "POST",
      headers: { authorization: `Bearer ${cluster.token}`, "content-type": "application/json" },
      body: JSON.stringify(spec({ secretAccessKey: secret })),
    });
    assert.equal(refused.status, 400);
    const refusal = await refused.text();
    assert.match(refusal, /accessKeyId and secretAccessKey together/);
    assert.ok(!refusal.includes(secret));
    const view = JSON.stringify(await cluster.client.job(failure));
    assert.ok(!view.includes(secret), "the job's view");
    const ui = await fetch(`${cluster.masterUrl}/api/v1/jobs/${failure}/plan`, { headers: { authorization: `Bearer ${cluster.token}` } });
    assert.ok(!(await ui.text()).includes(secret), "the job's plan");
    // Every file the cluster wrote: the master's store, the processes' logs.
    const hits: string[] = [];
    const search = (dir: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) search(p);
        else if (e.isFile() && fs.readFileSync(p).includes(secret)) hits.push(p);
      }
    };
    search(cluster.tmpDir);
    search(root);
    assert.deepEqual(hits, [], "no file holds the secret");
  });
});
