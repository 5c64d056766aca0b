// Accumulators on a real local cluster (issue 17, item 5): the library counts
// bad records on the side of a map + filter pipeline with a flaky task and
// gets the exact count; every kind of accumulator, in map stages and result
// stages, across jobs and through a failed job; the REST view and 400s; and a
// worker killed (SIGKILL) while holding map output mid-job, whose map tasks
// re-run, leaves the accumulators exact.
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { connect, JobFailedError, TaskContext, type Context, type JobInfo } from "../src/index.js";
import { startTestCluster, writeFile, type TestCluster } from "./helpers/cluster.js";

const LEASE_MS = 2000;
let t: TestCluster;
let sc: Context;

before(async () => {
  t = await startTestCluster({ workers: 3, slots: 1, workerTimeoutMs: LEASE_MS, workerArgs: ["--heartbeat", "400ms"] });
  sc = await connect(t.cluster.masterUrl, { token: t.cluster.token, appName: "accumulators" });
});

after(async () => {
  await sc?.close();
  await t?.stop();
});

/** Records "<n>" and, every seventh, a bad one that does not parse. */
const records = Array.from({ length: 700 }, (_, i) => (i % 7 === 3 ? `bad-${i}` : String(i)));
const exactBad = records.filter((r) => Number.isNaN(Number(r))).length;

describe("accumulators through the library", () => {
  it("counts bad records on the side of map + filter exactly, though a task fails once and is retried", async () => {
    const bad = sc.accumulator(0, "sum", { name: "bad records" });
    const widest = sc.accumulator(0, "max");
    const parsed = sc
      .parallelize(records, 5)
      .map(
        (r, env) => {
          // Partition 2 adds, then fails, on its first attempt: those adds must not count.
          const n = Number(r);
          if (Number.isNaN(n)) env.bad.add(1);
          else env.widest.add(n);
          if (TaskContext.get().partitionId() === 2 && TaskContext.get().attemptNumber() === 0 && r === "300") throw new Error("flaky");
          return n;
        },
        { env: { bad, widest } },
      )
      .filter((n) => !Number.isNaN(n));
    assert.equal(await parsed.count(), records.length - exactBad);
    const [first] = await t.cluster.client.jobs();
    assert.equal(first!.metrics.retries, 1, "partition 2 failed once after adding, and ran again");
    assert.equal(bad.value, exactBad);
    assert.equal(widest.value, 699);
    // A second job adds to the same accumulator: value is the sum over jobs.
    assert.equal(await parsed.count(), records.length - exactBad);
    assert.equal(bad.value, 2 * exactBad);
  });

  it("list, set and custom accumulators, in a map stage and in an action's function", async () => {
    const seen = sc.setAccumulator<string>();
    const firsts = sc.listAccumulator<number>();
    const stats = sc.accumulator({ n: 0, total: 0 }, { merge: (a, b) => ({ n: a.n + b.n, total: a.total + b.total }), name: "stats" });
    const sums = await sc
      .parallelize(
        Array.from({ length: 40 }, (_, i) => i),
        4,
      )
      .map(
        (x, env) => {
          env.seen.add(`k${x % 3}`);
          env.stats.add({ n: 1, total: x });
          return [x % 2, x] as [number, number];
        },
        { env: { seen, stats } },
      )
      .reduceByKey((a, b) => a + b, 2)
      .map(
        (kv, env) => {
          env.firsts.add(kv[0]);
          return kv;
        },
        { env: { firsts } },
      )
      .collect();
    assert.deepEqual(
      sums.sort((a, b) => a[0] - b[0]),
      [
        [0, 380],
        [1, 400],
      ],
    );
    assert.deepEqual([...seen.value].sort(), ["k0", "k1", "k2"]);
    assert.deepEqual([...firsts.value].sort(), [0, 1]);
    assert.deepEqual(stats.value, { n: 40, total: 780 });
  });

  it("counts each record once upstream of a sort, a zipWithIndex and a histogram, whose probe stages compute the same records first", async () => {
    const seen = sc.accumulator(0);
    const nums = sc.parallelize(
      Array.from({ length: 60 }, (_, i) => (i * 37) % 60),
      3,
    );
    const counted = nums.map(
      (x, env) => {
        env.seen.add(1);
        return x;
      },
      { env: { seen } },
    );
    const sorted = await counted.sortBy((x) => x, true, 2).collect();
    assert.deepEqual(
      sorted,
      Array.from({ length: 60 }, (_, i) => i),
    );
    assert.equal(seen.value, 60, "the sort's key sample is not counted");
    assert.equal((await counted.zipWithIndex().collect()).length, 60);
    assert.equal(seen.value, 120, "zipWithIndex's count probe is not counted");
    await counted.histogram(4);
    assert.equal(seen.value, 180, "the histogram's min/max probe is not counted");
  });

  it("a failed job's finished partitions count (its map stage completed, its result stage failed)", async () => {
    const mapped = sc.accumulator(0);
    const job = sc
      .parallelize([1, 2, 3, 4, 5, 6], 3)
      .map(
        (x, env) => {
          env.mapped.add(1);
          return [x % 2, x] as [number, number];
        },
        { env: { mapped } },
      )
      .groupByKey(2)
      .map(() => {
        throw new Error("always");
      })
      .collect();
    await assert.rejects(job, (e: unknown) => e instanceof JobFailedError && /always/.test(e.message));
    assert.equal(mapped.value, 6);
  });

  it("fails the job with a clear message when a task reads .value or adds what is not JSON", async () => {
    const acc = sc.accumulator(0);
    await assert.rejects(
      sc
        .parallelize([1], 1)
        .map((x, env) => x + env.acc.value, { env: { acc } })
        .collect(),
      /accumulator "acc-[0-9a-f]{8}-\d+": \.value is the program's to read after the job; inside a task only add\(\) works/,
    );
    const list = sc.listAccumulator<number>();
    await assert.rejects(
      sc
        .parallelize([1], 1)
        .map(
          (x, env) => {
            env.list.add(Number.NaN);
            return x;
          },
          { env: { list } },
        )
        .collect(),
      /the task's delta is not JSON: NaN at the delta\[0\]/,
    );
    assert.deepEqual([acc.value, list.value], [0, []], "nothing of the failed tasks counts");
  });
});

describe("accumulators through REST", () => {
  it("shows each accumulator in the job view, and refuses bad ones with 400", async () => {
    const spec = {
      nodes: [
        { id: "n", op: "range", start: 0, end: 100, numSlices: 4 },
        {
          id: "m",
          op: "map",
          input: "n",
          fn: "(x, env) => { env.odd.add(x % 2); env.hi.add(x); return x; }",
          env: { odd: { $accumulator: { id: "odd", merge: "sum", zero: 1000, name: "odd ones" } }, hi: { $accumulator: { id: "hi", merge: "min" } } },
        },
      ],
      action: { op: "count", input: "m" },
    };
    const { job } = await t.cluster.client.run(spec);
    assert.deepEqual(job.accumulators, [
      { id: "odd", name: "odd ones", partitions: 4, merge: "sum", value: 1050 },
      { id: "hi", name: null, partitions: 4, merge: "min", value: 0 },
    ]);
    assert.equal((await t.cluster.client.jobs()).find((j) => j.id === job.id)!.accumulators, undefined, "the job list leaves them out");
    const bad = await t.http("/api/v1/jobs", { method: "POST", body: { ...spec, nodes: [spec.nodes[0], { ...spec.nodes[1], env: { odd: { $accumulator: { id: "odd", merge: "median" } } } }] } });
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(bad.body), /node \\"m\\" \(map\): env \\"odd\\": accumulator \\"odd\\": merge must be one of sum, max, min, list, set or one function expression/);
  });
});

const live = (): ChildProcess[] => t.cluster.workerProcesses.filter((p) => p.exitCode === null && p.signalCode === null);

describe("accumulators under faults", () => {
  it("kill -9 a worker holding map output while the reduce stage runs: its map tasks re-run and every accumulator stays exact", async () => {
    const lines: string[] = [];
    for (let i = 0; i < 6000; i++) lines.push(`w${i % 97} w${(i * 7) % 13} x${i % 500}`);
    writeFile(t.dataDir, "acc/words.txt", lines.join("\n") + "\n");
    const acc = (id: string) => ({ $accumulator: { id, merge: "sum" } });
    const spec = {
      nodes: [
        { id: "lines", op: "textFile", path: "acc/words.txt", maxPartitionBytes: 16 * 1024 },
        { id: "slow", op: "map", input: "lines", fn: "(l, env) => { env.lines.add(1); const end = Date.now() + 0.2; while (Date.now() < end); return l; }", env: { lines: acc("lines") } },
        { id: "words", op: "flatMap", input: "slow", fn: "l => l.split(' ')" },
        { id: "pairs", op: "map", input: "words", fn: "w => [w, 1]" },
        { id: "counts", op: "reduceByKey", input: "pairs", fn: "(a, b) => a + b", numPartitions: 6 },
        { id: "slowly", op: "mapValues", input: "counts", fn: "(v, env) => { env.keys.add(1); const end = Date.now() + 10; while (Date.now() < end); return v; }", env: { keys: acc("keys") } },
      ],
      action: { op: "count", input: "slowly" },
    };
    const id = await t.cluster.client.submit(spec);
    let killed = false;
    let job: JobInfo | null;
    for (;;) {
      job = await t.cluster.client.job(id).catch(() => null);
      if (job && !killed && job.stages[1]?.status === "RUNNING" && (job.stages[1]?.tasks.running ?? 0) > 0) {
        killed = true;
        live()[1]!.kill("SIGKILL");
      }
      if (job && ["COMPLETED", "FAILED", "CANCELLED"].includes(job.status)) break;
      await new Promise((r) => setTimeout(r, 30));
    }
    assert.ok(killed, "the kill landed before the job ended");
    assert.equal(job.status, "COMPLETED", job.error ?? "");
    const distinct = 97 + 500; // w0..w12 are among w0..w96
    assert.equal((await t.cluster.client.results(id)).value, distinct);
    const mapStage = job.stages[0]!;
    assert.ok(mapStage.attempts > mapStage.numTasks, `map tasks ran again after the kill (${mapStage.attempts} attempts of ${mapStage.numTasks} tasks)`);
    const byId = Object.fromEntries((job.accumulators ?? []).map((a) => [a.id, a]));
    assert.deepEqual([byId.lines!.value, byId.lines!.partitions], [6000, mapStage.numTasks], "each line counted once, though map tasks re-ran");
    assert.deepEqual([byId.keys!.value, byId.keys!.partitions], [distinct, 6]);
  });
});
