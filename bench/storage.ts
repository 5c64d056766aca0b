// Where the input lives (issue 18): the word count corpus (bench/wordcount.ts)
// read by one cluster of 2 workers × 1 slot from local disk and from a real S3
// server on loopback (radosgw, test/helpers/s3-server.ts), each as plain text
// and as gzip, with the built-in functions and with user functions. Every
// answer is checked against the single-thread baseline's. The ratios say what
// reading from S3 costs over the same bytes on disk, and what gzip costs over
// plain text (one split per .gz file, as it cannot be read from the middle).
import fs from "node:fs";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { parseSize } from "../src/common/size.js";
import { S3Client } from "../src/storage/s3/s3-client.js";
import { resolveS3Config } from "../src/storage/s3/s3-config.js";
import { startS3Server } from "../test/helpers/s3-server.js";
import { S3TestClient } from "../test/helpers/s3-client.js";
import { withCluster } from "./cluster.js";
import { fmtBytes, median, printTable, timingHeader, timingRow, writeResults, type BenchOptions } from "./report.js";
import { type Result, baseline, corpus, sameCounts } from "./wordcount.js";
import { residentBytes } from "./proc-memory.js";
import type { LocalCluster } from "../src/client/local-cluster.js";

const BUCKET = "minispark-bench";
const PART_BYTES = 16 * 1024 * 1024;

/** The corpus's files gzipped (level 6, gzip's default), made once beside it. */
async function gzipped(files: string[], dir: string): Promise<string[]> {
  const out = `${dir}-gz`;
  if (!fs.existsSync(join(out, "_READY"))) {
    console.error(`storage: gzipping the corpus into ${out}…`);
    fs.mkdirSync(out, { recursive: true });
    await Promise.all(files.map((f) => pipeline(fs.createReadStream(f), createGzip({ level: 6 }), fs.createWriteStream(join(out, `${f.split("/").pop()!}.gz`)))));
    fs.writeFileSync(join(out, "_READY"), "");
  }
  return files.map((f) => join(out, `${f.split("/").pop()!}.gz`));
}

/** Uploads `file` to `key` in parts, as a large object would be written. */
async function upload(s3: S3Client, file: string, key: string): Promise<void> {
  const size = fs.statSync(file).size;
  const id = await s3.createMultipartUpload(BUCKET, key);
  const fd = fs.openSync(file, "r");
  try {
    const parts = [];
    for (let pos = 0, n = 1; pos < size || n === 1; pos += PART_BYTES, n++) {
      const body = Buffer.alloc(Math.min(PART_BYTES, size - pos));
      fs.readSync(fd, body, 0, body.length, pos);
      parts.push(await s3.uploadPart(BUCKET, key, id, n, body));
    }
    await s3.completeMultipartUpload(BUCKET, key, id, parts);
  } finally {
    fs.closeSync(fd);
  }
}

const FUNCTIONS = {
  "built-ins": ["tokenize", "pair_with_one", "sum"],
  "user functions": ["l => l.split(' ')", "w => [w, 1]", "(a, b) => a + b"],
} as const;

async function run(cluster: LocalCluster, name: string, path: string, fns: keyof typeof FUNCTIONS, runs: number): Promise<Result> {
  const [split, pair, add] = FUNCTIONS[fns];
  const spec = {
    name: `bench-storage (${name})`,
    nodes: [
      { id: "lines", op: "textFile", path },
      { id: "words", op: "flatMap", input: "lines", fn: split },
      { id: "ones", op: "map", input: "words", fn: pair },
      { id: "counts", op: "reduceByKey", input: "ones", fn: add },
    ],
    action: { op: "collect", input: "counts" },
  };
  const wallMs: number[] = [];
  let value: [string, number][] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    value = (await cluster.client.run<[string, number][]>(spec)).value;
    wallMs.push(performance.now() - t);
  }
  return { name: `minispark ${name} (${fns})`, wallMs, peakRss: cluster.workerProcesses.map((p) => residentBytes(p.pid!).peak), counts: new Map(value) };
}

export async function storageBench(opts: BenchOptions): Promise<void> {
  const size = parseSize(opts.flags.size ?? "1gb");
  const runs = Number(opts.flags.runs ?? 3);
  const input = corpus(opts.dataDir, size);
  const gz = await gzipped(input.files, input.dir);
  const gzBytes = gz.reduce((n, f) => n + fs.statSync(f).size, 0);
  const rel = (p: string) => p.slice(opts.dataDir.length + 1);
  console.error(`storage: baselines over ${fmtBytes(input.bytes)}…`);
  const split = await baseline("single", "split", input.files, 1);
  const tokenized = await baseline("threads", "tokenize", input.files, 1);

  const server = await startS3Server({ deviceBytes: Math.ceil((input.bytes + gzBytes) * 1.5) });
  const saved = { ...process.env };
  try {
    const config = { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey, region: server.region, endpoint: server.endpoint };
    const s3 = new S3Client(resolveS3Config(config, { env: {}, homeDir: "/nonexistent", readFile: () => null }));
    try {
      // The engine never makes buckets: the tests' client does.
      await new S3TestClient(server).createBucket(BUCKET);
      console.error(`storage: uploading ${fmtBytes(input.bytes)} plain and ${fmtBytes(gzBytes)} gzip to S3…`);
      for (const f of input.files) await upload(s3, f, `plain/${f.split("/").pop()!}`);
      for (const f of gz) await upload(s3, f, `gz/${f.split("/").pop()!}`);
    } finally {
      s3.close();
    }
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: config.accessKeyId, AWS_SECRET_ACCESS_KEY: config.secretAccessKey, AWS_REGION: config.region, AWS_ENDPOINT_URL: config.endpoint });
    const sources = [
      { where: "local", kind: "plain", path: `${rel(input.dir)}/*.txt` },
      { where: "S3", kind: "plain", path: `s3://${BUCKET}/plain/*.txt` },
      { where: "local", kind: "gzip", path: `${rel(`${input.dir}-gz`)}/*.txt.gz` },
      { where: "S3", kind: "gzip", path: `s3://${BUCKET}/gz/*.txt.gz` },
    ] as const;
    type Measured = { where: string; kind: string; fns: keyof typeof FUNCTIONS; r: Result };
    const measured = await withCluster(opts.dataDir, [], async (cluster) => {
      const out: Measured[] = [];
      for (const fns of Object.keys(FUNCTIONS) as (keyof typeof FUNCTIONS)[]) {
        for (const { where, kind, path } of sources) {
          console.error(`storage: ${where}, ${kind}, ${fns}…`);
          const r = await run(cluster, `${where}, ${kind}`, path, fns, runs);
          sameCounts(r.counts, fns === "built-ins" ? tokenized.counts : split.counts, r.name);
          out.push({ where, kind, fns, r });
        }
      }
      return out;
    });
    const results = measured.map((m) => m.r);
    const words = [...split.counts.values()].reduce((a, b) => a + b, 0);
    const find = (where: string, kind: string, fns: string) => measured.find((m) => m.where === where && m.kind === kind && m.fns === fns)!.r;
    const times = (a: Result, b: Result) => `${(median(a.wallMs) / median(b.wallMs)).toFixed(2)}×`;
    const ratio = ({ where, kind, fns, r }: Measured): string =>
      [where === "S3" ? `${times(r, find("local", kind, fns))} local` : "", kind === "gzip" ? `${times(r, find(where, "plain", fns))} plain` : ""].filter(Boolean).join(", ");
    printTable(
      timingHeader("words"),
      measured.map((m) => timingRow(m.r, words, input.bytes, ratio(m))),
    );
    writeResults("storage", {
      inputBytes: input.bytes,
      gzipBytes: gzBytes,
      words,
      runs: results.map((r) => ({ name: r.name, wallMs: r.wallMs, medianMs: median(r.wallMs), peakRss: r.peakRss })),
    });
  } finally {
    process.env = saved;
    await server.stop();
  }
}
