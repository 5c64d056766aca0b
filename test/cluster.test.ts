// End to end on a real cluster: a master and two worker processes on loopback,
// jobs over real files through the REST API, compared with plain computations.
import assert from "node:assert/strict";
import fs from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { JobFailedError } from "../src/client/rest-client.js";
import { readParts, sortedPairs, startTestCluster, wordCounts, writeFile, type TestCluster } from "./helpers/cluster.js";

let t: TestCluster;
let text = "";

before(async () => {
  t = await startTestCluster({ workers: 2, slots: 1 });
  // ~2 MB over 3 files, read with 256 KiB splits: many partitions and split boundaries.
  const words = ["alpha", "beta", "gamma", "delta", "épsilon", "ζeta", "eta", "theta"];
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let f = 0; f < 3; f++) {
    const lines: string[] = [];
    for (let i = 0; i < 12_000; i++) {
      const n = 1 + Math.floor(rand() * 12);
      lines.push(Array.from({ length: n }, () => words[Math.floor(rand() * rand() * words.length)]! + (rand() < 0.3 ? String(Math.floor(rand() * 500)) : "")).join(" "));
    }
    const content = lines.join("\n") + "\n";
    text += content;
    writeFile(t.dataDir, `text/f${f}.txt`, content);
  }
});

after(async () => {
  await t?.stop();
});

const wordcount = (extra: object = {}) => ({
  name: "wordcount",
  nodes: [
    { id: "lines", op: "textFile", path: "text/*.txt", maxPartitionBytes: 256 * 1024 },
    { id: "words", op: "flatMap", input: "lines", fn: "line => line.split(/\\s+/).filter(w => w)" },
    { id: "pairs", op: "map", input: "words", fn: "w => [w, 1]" },
    { id: "counts", op: "reduceByKey", input: "pairs", fn: "(a, b) => a + b", numPartitions: 3 },
  ],
  ...extra,
});

describe("word count", () => {
  it("saves exactly the counts a plain script computes, once each", async () => {
    const value = await t.run<{ path: string; files: string[]; records: number }>(wordcount({ action: { op: "save", input: "counts", path: "wc", format: "jsonl" } }));
    const expected = wordCounts(text);
    assert.deepEqual(value.files, ["part-00000", "part-00001", "part-00002"]);
    assert.equal(value.records, expected.size);
    const { files, lines } = readParts(t.dataDir, "wc");
    assert.deepEqual(files, ["_SUCCESS", "part-00000", "part-00001", "part-00002"]);
    const got = new Map(lines.map((l) => JSON.parse(l) as [string, number]));
    assert.equal(got.size, lines.length, "no word appears twice in the output");
    assert.deepEqual(got, expected);
  });

  it("counts the same with collect, and shuffle bytes travel worker to worker", async () => {
    const id = await t.cluster.client.submit(wordcount({ action: { op: "collect", input: "counts" } }));
    const job = await t.cluster.client.wait(id);
    assert.equal(job.status, "COMPLETED");
    const { value } = await t.cluster.client.results<[string, number][]>(id);
    assert.deepEqual(new Map(value), wordCounts(text));
    assert.ok(job.stages.length === 2 && job.stages[0]!.numTasks > 3, `more splits than files: ${job.stages[0]!.numTasks}`);
    const fetched = job.metrics.shuffleBytesFetchedRemote!;
    assert.ok(fetched > 0, "some blocks were fetched from the other worker");
    const served = await servedBytes(t);
    assert.ok(served >= fetched, `workers served ${served} bytes, job fetched ${fetched}`);
    const viaMaster = await t.http(`/data/shuffle/${id}/0/0?maps=0`);
    assert.equal(viaMaster.status, 404, "the master serves no shuffle data");
  });

  it("explains a job's plan: its stages, what each ends in, and each stage's RDD tree with the splits the workers listed", async () => {
    const id = await t.cluster.client.submit(wordcount({ action: { op: "collect", input: "counts" } }));
    await t.cluster.client.wait(id);
    const { plan } = await t.cluster.client.plan(id);
    const lines = plan.split("\n");
    assert.equal(lines[0], 'job: collect of "counts", 2 stages');
    assert.match(lines[1]!, /^stage 0: shuffle write → shuffle 0 \(\d+ partitions, hash, combine with /);
    assert.match(plan, /\(\d+\) lines: textFile \d+ splits/);
    assert.match(plan, /stage 1: result: collect, \d+ tasks, after stage 0\n {2}\(\d+\) counts: reduceByKey ← shuffle 0/);
    const unknown = await t.http("/api/v1/jobs/job-nope/plan");
    assert.equal(unknown.status, 404);
  });
});

async function servedBytes(tc: TestCluster): Promise<number> {
  let total = 0;
  for (const w of await tc.cluster.client.workers()) {
    const res = await fetch(`http://${w.address}/metrics`, { headers: { authorization: `Bearer ${tc.cluster.token}` } });
    const m = /minispark_worker_shuffle_served_bytes_total (\d+)/.exec(await res.text());
    total += Number(m?.[1] ?? 0);
  }
  return total;
}

describe("operations and actions", () => {
  const par = (data: unknown[], numSlices = 3) => ({ id: "src", op: "parallelize", data, numSlices });
  const job = (nodes: object[], action: object) => ({ nodes, action });

  it("narrow ops, env and fusion", async () => {
    const value = await t.run(
      job(
        [
          par([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]),
          { id: "m", op: "map", input: "src", fn: "(x, env) => x * env.k", env: { k: 10 } },
          { id: "f", op: "filter", input: "m", fn: "x => x % 20 === 0" },
          { id: "fm", op: "flatMap", input: "f", fn: "x => [x, -x]" },
          { id: "mp", op: "mapPartitions", input: "fm", fn: "function* (it) { let s = 0; for (const x of it) s += x > 0 ? x : 0; yield s; }" },
        ],
        { op: "collect", input: "mp" },
      ),
    );
    // Slices of [10..100]: [1,2,3] [4,5,6] [7,8,9,10] → positives divisible by 20 per slice.
    assert.deepEqual(value, [20, 40 + 60, 80 + 100]);
  });

  it("keyBy, mapValues, groupByKey, union, distinct", async () => {
    const grouped = await t.run<[number, string[]][]>(
      job(
        [
          par(["apple", "avocado", "banana", "blueberry", "cherry"]),
          { id: "k", op: "keyBy", input: "src", fn: "s => s.length" },
          { id: "v", op: "mapValues", input: "k", fn: "s => s.toUpperCase()" },
          { id: "g", op: "groupByKey", input: "v", numPartitions: 2 },
        ],
        { op: "collect", input: "g" },
      ),
    );
    assert.deepEqual(sortedPairs(grouped.map(([k, vs]) => [k, [...vs].sort()] as [number, string[]])), [
      [5, ["APPLE"]],
      [6, ["BANANA", "CHERRY"]],
      [7, ["AVOCADO"]],
      [9, ["BLUEBERRY"]],
    ]);
    const distinct = await t.run<unknown[]>(
      job(
        [
          par([1, 2, 2, "2", [1, 2], [1, 2], { a: 1, b: 2 }, { b: 2, a: 1 }, null, null]),
          { id: "b", op: "parallelize", data: [3, 1], numSlices: 1 },
          { id: "u", op: "union", inputs: ["src", "b"] },
          { id: "d", op: "distinct", input: "u" },
        ],
        { op: "collect", input: "d" },
      ),
    );
    assert.equal(distinct.length, 7);
    assert.deepEqual(new Set(distinct.map((x) => JSON.stringify(x))), new Set(["1", "2", '"2"', "[1,2]", '{"a":1,"b":2}', "null", "3"]));
  });

  it("join and leftOuterJoin", async () => {
    const nodes = [
      {
        id: "l",
        op: "parallelize",
        data: [
          ["a", 1],
          ["b", 2],
          ["a", 3],
          ["c", 4],
        ],
        numSlices: 2,
      },
      {
        id: "r",
        op: "parallelize",
        data: [
          ["a", "x"],
          ["a", "y"],
          ["b", "z"],
          ["d", "w"],
        ],
        numSlices: 3,
      },
    ];
    const inner = await t.run<[string, [number, string]][]>(job([...nodes, { id: "j", op: "join", inputs: ["l", "r"] }], { op: "collect", input: "j" }));
    assert.deepEqual(sortedPairs(inner), [
      ["a", [1, "x"]],
      ["a", [1, "y"]],
      ["a", [3, "x"]],
      ["a", [3, "y"]],
      ["b", [2, "z"]],
    ]);
    const left = await t.run<[string, [number, string | null]][]>(job([...nodes, { id: "j", op: "leftOuterJoin", inputs: ["l", "r"], numPartitions: 4 }], { op: "collect", input: "j" }));
    assert.deepEqual(sortedPairs(left), [
      ["a", [1, "x"]],
      ["a", [1, "y"]],
      ["a", [3, "x"]],
      ["a", [3, "y"]],
      ["b", [2, "z"]],
      ["c", [4, null]],
    ]);
  });

  it("sortBy sorts globally across partitions (range partitioning), both ways", async () => {
    const data = Array.from({ length: 5000 }, (_, i) => (i * 7919) % 5003);
    const asc = await t.run<number[]>(job([par(data, 5), { id: "s", op: "sortBy", input: "src", fn: "x => x", numPartitions: 4 }], { op: "collect", input: "s" }));
    assert.deepEqual(
      asc,
      [...data].sort((a, b) => a - b),
    );
    const saved = await t.run<{ files: string[] }>(
      job([par(data, 5), { id: "s", op: "sortBy", input: "src", fn: "x => x", ascending: false, numPartitions: 4 }], { op: "save", input: "s", path: "sorted-desc" }),
    );
    assert.equal(saved.files.length, 4);
    const { lines } = readParts(t.dataDir, "sorted-desc");
    assert.deepEqual(
      lines.map(Number),
      [...data].sort((a, b) => b - a),
    );
    const sizes = saved.files.map((f) => fs.readFileSync(join(t.dataDir, "outputs/sorted-desc", f), "utf8").split("\n").length - 1);
    assert.ok(Math.min(...sizes) > 500, `range partitions are balanced: ${sizes}`);
  });

  it("sortByKey with a key function, strings by code point", async () => {
    const value = await t.run<[string, number][]>(
      job(
        [
          par(
            [
              ["b", 1],
              ["A", 2],
              ["é", 3],
              ["a", 4],
              ["😀", 5],
              ["Z", 6],
            ],
            2,
          ),
          { id: "s", op: "sortByKey", input: "src", numPartitions: 2 },
        ],
        { op: "collect", input: "s" },
      ),
    );
    assert.deepEqual(
      value.map((p) => p[0]),
      ["A", "Z", "a", "b", "é", "😀"],
    );
    const lower = await t.run<[string, number][]>(
      job(
        [
          par(
            [
              ["b", 1],
              ["A", 2],
              ["c", 3],
            ],
            2,
          ),
          { id: "s", op: "sortByKey", input: "src", fn: "k => k.toLowerCase()", ascending: false },
        ],
        { op: "collect", input: "s" },
      ),
    );
    assert.deepEqual(
      lower.map((p) => p[0]),
      ["c", "b", "A"],
    );
  });

  it("count, take, first, reduce, countByValue over range", async () => {
    const range = { id: "src", op: "range", start: 0, end: 1000, step: 3, numSlices: 4 };
    assert.equal(await t.run(job([range], { op: "count", input: "src" })), 334);
    assert.deepEqual(await t.run(job([range], { op: "take", input: "src", num: 5 })), [0, 3, 6, 9, 12]);
    assert.equal(await t.run(job([range], { op: "first", input: "src" })), 0);
    assert.equal(await t.run(job([range], { op: "reduce", input: "src", fn: "(a, b) => a + b" })), (999 * 334) / 2);
    const cbv = await t.run<[unknown, number][]>(job([par(["x", "y", "x", 1, "1", 1, "x"])], { op: "countByValue", input: "src" }));
    assert.deepEqual(
      sortedPairs(cbv),
      sortedPairs<unknown>([
        ["x", 3],
        ["y", 1],
        [1, 2],
        ["1", 1],
      ]),
    );
  });

  it("an action with no value on an empty dataset fails clearly", async () => {
    const empty = job([par([], 2)], { op: "first", input: "src" });
    await assert.rejects(t.run(empty), (e: JobFailedError) => /first\(\) has no value on an empty dataset/.test(e.message));
    assert.deepEqual(await t.run(job([par([], 2)], { op: "take", input: "src", num: 3 })), []);
  });
});

describe("file formats", () => {
  it("joins two CSV files with headers and aggregates", async () => {
    writeFile(t.dataDir, "shop/customers.csv", "id,name,country\n1,Ada,UK\n2,Linus,FI\n3,Grace,US\n");
    writeFile(t.dataDir, "shop/orders.csv", 'order,customer,amount\n10,1,5.5\n11,2,"3"\n12,1,4.5\n13,3,1\n14,9,100\n');
    const value = await t.run<[string, number][]>({
      nodes: [
        { id: "c", op: "csv", path: "shop/customers.csv", header: true, inferSchema: true },
        { id: "o", op: "csv", path: "shop/orders.csv", header: true, inferSchema: true },
        { id: "ck", op: "map", input: "c", fn: "c => [c.id, c.country]" },
        { id: "ok", op: "map", input: "o", fn: "o => [o.customer, o.amount]" },
        { id: "j", op: "join", inputs: ["ok", "ck"] },
        { id: "byCountry", op: "map", input: "j", fn: "([, [amount, country]]) => [country, amount]" },
        { id: "sum", op: "reduceByKey", input: "byCountry", fn: "(a, b) => a + b" },
      ],
      action: { op: "collect", input: "sum" },
    });
    assert.deepEqual(sortedPairs(value), [
      ["FI", 3],
      ["UK", 10],
      ["US", 1],
    ]);
  });

  it("reads JSON lines, and reports a bad line with its place", async () => {
    writeFile(t.dataDir, "events/a.jsonl", '{"k":"x","n":1}\n\n{"k":"y","n":2}\n{"k":"x","n":5}\n');
    const value = await t.run({
      nodes: [
        { id: "e", op: "jsonl", path: "events/a.jsonl" },
        { id: "p", op: "map", input: "e", fn: "e => [e.k, e.n]" },
        { id: "s", op: "reduceByKey", input: "p", fn: "(a, b) => a + b" },
      ],
      action: { op: "collect", input: "s" },
    });
    assert.deepEqual(sortedPairs(value as [string, number][]), [
      ["x", 6],
      ["y", 2],
    ]);
    writeFile(t.dataDir, "events/bad.jsonl", '{"k":1}\n{oops\n');
    await assert.rejects(t.run({ nodes: [{ id: "e", op: "jsonl", path: "events/bad.jsonl" }], action: { op: "count", input: "e" } }), (e: JobFailedError) =>
      /events\/bad\.jsonl: line 2 .* is not JSON/.test(e.message),
    );
  });
});

describe("bad input", () => {
  const bad = async (spec: unknown, pattern: RegExp) => {
    const res = await t.http("/api/v1/jobs", { body: spec });
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.equal(res.body.error.code, "INVALID_JOB_SPEC");
    assert.match(res.body.error.message, pattern);
  };
  const src = { id: "a", op: "parallelize", data: [1] };

  it("refuses cycles, dangling inputs, unknown ops, missing parameters, bad functions and escaping paths with 400", async () => {
    await bad(
      {
        nodes: [
          { id: "a", op: "map", input: "b", fn: "x => x" },
          { id: "b", op: "map", input: "a", fn: "x => x" },
        ],
        action: { op: "count", input: "a" },
      },
      /cycle: (a → b → a|b → a → b)/,
    );
    await bad({ nodes: [src, { id: "m", op: "map", input: "nope", fn: "x => x" }], action: { op: "count", input: "m" } }, /node "m" \(map\): input "nope" is not a node/);
    await bad({ nodes: [src, { id: "m", op: "frobnicate", input: "a" }], action: { op: "count", input: "m" } }, /node "m": unknown op "frobnicate"/);
    await bad({ nodes: [src, { id: "m", op: "map", input: "a" }], action: { op: "count", input: "m" } }, /node "m" \(map\): missing parameter "fn"/);
    await bad({ nodes: [src, { id: "m", op: "map", input: "a", fn: "x => x +" }], action: { op: "count", input: "m" } }, /node "m" \(map\): parameter "fn" does not compile/);
    await bad({ nodes: [{ id: "t", op: "textFile", path: "../../etc/passwd" }], action: { op: "count", input: "t" } }, /node "t" \(textFile\): parameter "path" .* leaves the data directory/);
    await bad({ nodes: [{ id: "t", op: "textFile", path: "/etc/passwd" }], action: { op: "count", input: "t" } }, /is absolute/);
    await bad({ nodes: [src], action: { op: "save", input: "a", path: "../x" } }, /action \(save\): parameter "path" .* leaves the data directory/);
    await bad([1, 2], /must be a JSON object/);
    const garbage = await t.http("/api/v1/jobs", { body: "{not json" });
    assert.equal(garbage.status, 400);
    assert.match(garbage.body.error.message, /not valid JSON/);
  });

  it("fails the job at start when an input matches no file", async () => {
    await assert.rejects(t.run({ nodes: [{ id: "t", op: "textFile", path: "missing/*.txt" }], action: { op: "count", input: "t" } }), (e: JobFailedError) =>
      /node "t": input path "missing\/\*\.txt" matched no files/.test(e.message),
    );
  });

  it("a throwing function fails the job after its retries with the message, and the cluster serves the next job", async () => {
    const id = await t.cluster.client.submit({
      nodes: [
        { id: "n", op: "parallelize", data: [1, 2, 3, 4], numSlices: 2 },
        { id: "boom", op: "map", input: "n", fn: "x => { if (x === 3) throw new Error('bad record ' + x); return x; }" },
      ],
      action: { op: "collect", input: "boom" },
    });
    const job = await t.cluster.client.wait(id);
    assert.equal(job.status, "FAILED");
    assert.match(job.error!, /failed 3 times/);
    assert.match(job.error!, /node "boom" \(map\) threw Error: bad record 3 \(at record #1 of the partition: 3\)/);
    const res = await t.http(`/api/v1/jobs/${id}/results`);
    assert.equal(res.status, 409);
    assert.equal(await t.run({ nodes: [{ id: "n", op: "range", start: 5 }], action: { op: "count", input: "n" } }), 5);
  });

  it("refuses to overwrite an existing output unless asked", async () => {
    const spec = (mode?: string) => ({ nodes: [{ id: "n", op: "range", start: 3 }], action: { op: "save", input: "n", path: "twice", ...(mode ? { mode } : {}) } });
    await t.run(spec());
    await assert.rejects(t.run(spec()), (e: JobFailedError) => /output path "twice" already exists/.test(e.message));
    await t.run(spec("overwrite"));
    assert.deepEqual(readParts(t.dataDir, "twice").lines.sort(), ["0", "1", "2"]);
  });
});

describe("API", () => {
  it("requires the token on every endpoint but /healthz", async () => {
    assert.equal((await t.http("/api/v1/jobs", { token: null })).status, 401);
    assert.equal((await t.http("/api/v1/workers", { token: "wrong" })).status, 401);
    assert.equal((await t.http("/api/v1/jobs", { token: null, body: { nodes: [] } })).status, 401);
    assert.equal((await t.http("/heartbeat", { token: null, body: {} })).status, 401);
    assert.equal((await t.http("/healthz", { token: null })).status, 200);
    const w = (await t.cluster.client.workers())[0]!;
    assert.equal((await fetch(`http://${w.address}/data/shuffle/x/0/0?maps=0`)).status, 401);
    assert.equal((await fetch(`http://${w.address}/healthz`)).status, 200);
  });

  it("lists jobs newest first, shows progress and stages, and cancels", async () => {
    const id = await t.cluster.client.submit({
      name: "slow",
      nodes: [
        { id: "n", op: "range", start: 0, end: 40, numSlices: 40 },
        { id: "s", op: "map", input: "n", fn: "x => { const end = Date.now() + 200; while (Date.now() < end); return x; }" },
      ],
      action: { op: "count", input: "s" },
    });
    const running = await waitFor(async () => {
      const j = await t.cluster.client.job(id);
      return j.status === "RUNNING" && j.progress > 0 ? j : null;
    });
    assert.equal(running.stages.length, 1);
    assert.equal(running.stages[0]!.numTasks, 40);
    const list = await t.cluster.client.jobs();
    assert.equal(list[0]!.id, id);
    const cancelled = await t.cluster.client.cancel(id);
    assert.equal(cancelled.status, "CANCELLED");
    assert.equal((await t.http(`/api/v1/jobs/${id}/cancel`, { method: "POST" })).status, 409);
    assert.equal(await t.run({ nodes: [{ id: "n", op: "range", start: 2 }], action: { op: "count", input: "n" } }), 2);
  });
});

async function waitFor<T>(probe: () => Promise<T | null>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== null) return v;
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("metrics", () => {
  const scrape = async (url: string) => {
    const res = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${t.cluster.token}` } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /text\/plain/);
    return res.text();
  };
  const value = (text: string, series: string) => {
    const line = text.split("\n").find((l) => l.startsWith(series + " "));
    return line ? Number(line.slice(series.length + 1)) : 0;
  };

  it("/metrics on master and workers is Prometheus text whose counters move with a job", async () => {
    const workers = await t.cluster.client.workers();
    const before = { master: await scrape(t.cluster.masterUrl), workers: await Promise.all(workers.map((w) => scrape(`http://${w.address}`))) };
    await t.run(wordcount({ action: { op: "count", input: "counts" } }));
    const after = { master: await scrape(t.cluster.masterUrl), workers: await Promise.all(workers.map((w) => scrape(`http://${w.address}`))) };
    assert.match(after.master, /# TYPE minispark_task_attempts_launched_total counter/);
    assert.match(after.master, /^minispark_workers\{state="alive"\} 2$/m);
    assert.ok(value(after.master, "minispark_jobs_submitted_total") > value(before.master, "minispark_jobs_submitted_total"));
    assert.ok(value(after.master, 'minispark_jobs_ended_total{status="completed"}') > value(before.master, 'minispark_jobs_ended_total{status="completed"}'));
    assert.ok(value(after.master, "minispark_task_attempts_launched_total") > value(before.master, "minispark_task_attempts_launched_total"));
    const finished = (texts: string[]) => texts.reduce((n, x) => n + value(x, 'minispark_worker_tasks_total{state="finished"}'), 0);
    assert.ok(finished(after.workers) > finished(before.workers));
    const written = (texts: string[]) => texts.reduce((n, x) => n + value(x, "minispark_worker_shuffle_written_bytes_total"), 0);
    assert.ok(written(after.workers) > written(before.workers));
    assert.match(after.workers[0]!, /^minispark_worker_task_duration_seconds_bucket\{le="\+Inf"\} \d+$/m);
  });

  it("master and workers expose the standard process and Node.js runtime metrics", async () => {
    const workers = await t.cluster.client.workers();
    for (const text of [await scrape(t.cluster.masterUrl), ...(await Promise.all(workers.map((w) => scrape(`http://${w.address}`))))]) {
      assert.match(text, /# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total \d+(\.\d+)?(e-\d+)?$/m);
      assert.ok(value(text, "process_resident_memory_bytes") > 1e6);
      assert.ok(Math.abs(value(text, "process_start_time_seconds") - Date.now() / 1000) < 3600);
      assert.ok(value(text, "process_open_fds") > 3);
      assert.ok(value(text, "nodejs_heap_size_used_bytes") > 0 && value(text, "nodejs_heap_size_limit_bytes") > value(text, "nodejs_heap_size_used_bytes"));
      assert.match(text, /^nodejs_eventloop_lag_seconds\{quantile="0\.99"\} [\d.e-]+$/m);
      assert.match(text, new RegExp(`^nodejs_version_info\\{version="${process.version.replace(/\./g, "\\.")}"\\} 1$`, "m"));
      assert.match(text, /# TYPE nodejs_gc_duration_seconds histogram/);
      // A labelled counter never shows an unlabelled sample.
      assert.doesNotMatch(text, /^minispark_(jobs_ended|task_attempts_ended|worker_tasks)_total \d/m);
    }
  });
});
