// ds.checkpoint() on a real cluster (master and worker processes): the first action that needs it runs a save
// job into outputs/checkpoints/<app>/<id>/ and then reads the files, as does every later job (the lineage cut,
// seen in the jobs' plans); records round-trip exactly; a failed write leaves the dataset unwritten and fails the
// action; parallel actions write once. And the API's own rules, without a cluster.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { join } from "node:path";
import { connect, Context, type Dataset, type JobInfo } from "../src/index.js";
import { startTestCluster, writeFile, type TestCluster } from "./helpers/cluster.js";

const TRICKY = [
  "line\nbreak",
  "crlf\r\nand\ttab",
  "\u2028\u2029 separators",
  "",
  "null",
  '"quoted"',
  "emoji 😀 and \u0000 nul",
  0,
  -1.5,
  1e300,
  123456789012345,
  null,
  true,
  false,
  [],
  [1, "two", [null, { three: 3 }]],
  {},
  { "a\nb": "c\n", nested: { list: [true, false, null], n: -0.25 } },
];

describe("checkpoints on a real cluster", () => {
  let c: TestCluster;
  before(async () => {
    c = await startTestCluster({ workers: 2, slots: 1 });
  });
  after(() => c?.stop());

  const context = async () => {
    const jobs: JobInfo[] = [];
    const sc = await connect(c.cluster.masterUrl, { token: c.cluster.token, appName: "ckpt", onProgress: (j) => jobs.push(j) });
    /** The distinct jobs this context ran, in order. */
    const ran = () => [...new Set(jobs.map((j) => j.id))];
    return { sc, ran };
  };
  const planLines = async (jobId: string) => ((await c.http(`/api/v1/jobs/${jobId}/plan`)).body.plan as string).trim().split("\n").length;

  it("tricky records round-trip; the action after the write reads the files; checkpoint() again is a no-op", async () => {
    const { sc, ran } = await context();
    try {
      const ds = sc.parallelize(TRICKY, 4).map((x) => x);
      assert.equal(ds.checkpoint(), ds, "checkpoint() returns the dataset");
      assert.deepEqual([ds.isCheckpointed, ds.checkpointPath], [false, null], "lazy: nothing written yet");
      assert.equal(ran().length, 0);
      assert.deepEqual(await ds.collect(), TRICKY);
      assert.equal(ran().length, 2, "one save job, then the action");
      assert.equal(ds.isCheckpointed, true);
      assert.match(ds.checkpointPath!, new RegExp(`^outputs/checkpoints/${sc.applicationId}/rdd-[0-9a-f]{12}$`));
      const files = fs.readdirSync(join(c.dataDir, ds.checkpointPath!)).sort();
      assert.deepEqual(files, ["_SUCCESS", "part-00000", "part-00001", "part-00002", "part-00003"]);
      assert.match(await (await c.http(`/api/v1/jobs/${ran()[1]}/plan`)).body.plan, /jsonl/, "the action reads the files");
      assert.equal(await ds.getNumPartitions(), 4, "one partition per part file");
      ds.checkpoint();
      assert.deepEqual(await ds.collect(), TRICKY);
      assert.equal(ran().length, 4, "no second save job");
      const derived = ds.filter((x) => typeof x === "string");
      assert.deepEqual(
        await derived.collect(),
        TRICKY.filter((x) => typeof x === "string"),
        "a dataset derived from it reads the files too",
      );
      assert.equal(ran().length, 5);
    } finally {
      await sc.close();
    }
  });

  it("a dataset with empty partitions reads back with one partition per non-empty one; a pair dataset keeps its records", async () => {
    const { sc } = await context();
    try {
      const ds = sc.parallelize([7], 3).checkpoint();
      assert.deepEqual(await ds.collect(), [7]);
      assert.equal(await ds.getNumPartitions(), 1);
      const pairs = sc
        .parallelize(["a", "b", "a"], 2)
        .map((w) => [w, 1] as [string, number])
        .reduceByKey((a, b) => a + b, 2)
        .checkpoint();
      assert.deepEqual((await pairs.collectAsMap()).sort(), [
        ["a", 2],
        ["b", 1],
      ]);
    } finally {
      await sc.close();
    }
  });

  it("a 50-iteration lineage checkpointed every 10: the last job's plan stays bounded and the result equals the uncut computation", async () => {
    const { sc, ran } = await context();
    try {
      const step = (d: Dataset<number>, i: number) => d.map((x, env) => (x * 3 + env.i) % 1000003, { env: { i } });
      const start = () => sc.range(0, 200, 1, 4);
      let cut = start();
      let whole = start();
      for (let i = 1; i <= 50; i++) {
        cut = step(cut, i);
        whole = step(whole, i);
        if (i % 10 === 0) cut.checkpoint();
      }
      const expected = Array.from({ length: 200 }, (_, x) => {
        let v = x;
        for (let i = 1; i <= 50; i++) v = (v * 3 + i) % 1000003;
        return v;
      });
      assert.deepEqual(await whole.collect(), expected);
      const wholeLines = await planLines(ran().at(-1)!);
      const before = ran().length;
      assert.deepEqual(await cut.collect(), expected);
      assert.equal(ran().length - before, 6, "five save jobs (each reading the one before), then the action");
      const cutLines = await planLines(ran().at(-1)!);
      assert.ok(wholeLines > 50, `the uncut plan has a line per map: ${wholeLines}`);
      assert.ok(cutLines <= 4, `the cut plan has the checkpoint source and at most a few lines: ${cutLines}`);
      for (const job of ran().slice(before + 1, -1)) assert.ok((await planLines(job)) <= 14, "each save job reads the checkpoint before it");
    } finally {
      await sc.close();
    }
  });

  it("a save job that fails leaves the dataset unwritten and fails the action; the next action tries again", async () => {
    const { sc, ran } = await context();
    try {
      const ds = sc
        .parallelize([1, 2, 3], 3)
        .map((x) => {
          if (x === 2) throw new Error("boom at 2");
          return x;
        })
        .checkpoint();
      await assert.rejects(ds.count(), /boom at 2/);
      assert.deepEqual([ds.isCheckpointed, ds.checkpointPath], [false, null]);
      const jobs = ran().length;
      await assert.rejects(ds.collect(), /boom at 2/);
      assert.equal(ran().length, jobs + 1, "the write is tried again, and only the write");
    } finally {
      await sc.close();
    }
  });

  it("a dataset cached before it is checkpointed: the save job writes the blocks, not the lineage", async () => {
    const { sc, ran } = await context();
    try {
      writeFile(c.dataDir, "ckpt-in/numbers.txt", Array.from({ length: 500 }, (_, i) => String(i + 1)).join("\n") + "\n");
      const ds = sc
        .textFile("ckpt-in/numbers.txt", { maxPartitionBytes: 1000 })
        .map((l) => Number(l))
        .cache();
      assert.equal(await ds.count(), 500);
      assert.equal((await c.cluster.client.job(ran().at(-1)!)).metrics.recordsIn, 500, "the first action computed it");
      ds.checkpoint();
      assert.equal(await ds.count(), 500);
      const [save, action] = ran().slice(-2);
      assert.equal((await c.cluster.client.job(save!)).metrics.recordsIn, 0, "the save job read the cached blocks");
      assert.equal((await c.cluster.client.job(action!)).metrics.recordsIn, 500, "the action read the files (and cached them)");
      assert.equal(await ds.sum(), 125250);
      assert.equal((await c.cluster.client.job(ran().at(-1)!)).metrics.recordsIn, 0, "then the cache");
    } finally {
      await sc.close();
    }
  });

  it("two actions in parallel write the checkpoint once; persisted too, the second action after it reads the cache", async () => {
    const { sc, ran } = await context();
    try {
      const ds = sc
        .range(0, 1000, 1, 4)
        .map((x) => x * 2)
        .persist("MEMORY_ONLY")
        .checkpoint();
      const [count, sum] = await Promise.all([ds.count(), ds.sum()]);
      assert.deepEqual([count, sum], [1000, 999000]);
      const dir = join(c.dataDir, "outputs", "checkpoints", sc.applicationId!);
      assert.equal(fs.readdirSync(dir).length, 1, "one checkpoint directory");
      assert.equal(ran().length, 3, "one save job and the two actions");
      const last = await c.cluster.client.job(ran().at(-1)!);
      await ds.count();
      const again = await c.cluster.client.job(ran().at(-1)!);
      assert.equal(again.metrics.recordsIn, 0, `the cached read-back: ${last.metrics.recordsIn} then ${again.metrics.recordsIn}`);
      await sc.close();
      assert.ok(fs.existsSync(join(dir, fs.readdirSync(dir)[0]!, "_SUCCESS")), "the files stay when the application ends");
    } finally {
      await sc.close();
    }
  });
});

describe("the checkpoint API's rules", () => {
  const inline = new Context({ run: async () => [], close: async () => {} });

  it("a context without an application refuses checkpoint(), naming why", () => {
    assert.throws(() => inline.range(3).checkpoint(), /checkpoint\(\): this context has no application/);
  });

  it("setCheckpointDir keeps the directory inside the outputs directory", () => {
    for (const bad of ["", "../x", "a/../b", "/abs", "a//b", "a/_x", ".hidden", "a\\b", "a/*", "x".repeat(201), "a/b/"]) {
      assert.throws(() => inline.setCheckpointDir(bad), /setCheckpointDir\(\)/, JSON.stringify(bad));
    }
    assert.throws(() => inline.setCheckpointDir(5 as never), /must be a string/);
    inline.setCheckpointDir("iter/v1.2");
    assert.equal(inline.getCheckpointDir(), "iter/v1.2");
  });
});
