// The library's cache API on a real cluster (master and worker processes): ds.cache()/persist() put "persist"
// on the dataset's node, so a second action of the same context reads the blocks the first kept (its job reads
// no input records); unpersist() releases them through the dataset id the job reported (JobInfo.datasets);
// close() ends the application and the workers drop its blocks. And the API's own rules, without a cluster.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { join } from "node:path";
import { connect, Context, type Dataset, type JobInfo } from "../src/index.js";
import { buildJobSpec } from "../src/client/job-builder.js";
import { startTestCluster, writeFile, type TestCluster } from "./helpers/cluster.js";

const LINES = 2000;

describe("the library's cache API on a real cluster", () => {
  let c: TestCluster;
  before(async () => {
    c = await startTestCluster({ workers: 1, slots: 2, workerArgs: ["--heartbeat", "1s"] });
    for (let f = 0; f < 4; f++) writeFile(c.dataDir, `lib-cache/in-${f}.txt`, Array.from({ length: LINES / 4 }, (_, i) => `line ${f * (LINES / 4) + i}`).join("\n") + "\n");
  });
  after(() => c?.stop());

  /** A context whose `last()` is the job its latest action ran, as it ended. */
  const context = async () => {
    let last: JobInfo | null = null;
    const sc = await connect(c.cluster.masterUrl, { token: c.cluster.token, appName: "cache-lib", onProgress: (j) => (last = j) });
    return { sc, last: () => last! };
  };
  const numbers = (sc: Context, tag: string) => sc.textFile("lib-cache/in-*.txt").map((l, env) => [env.tag, Number(l.split(" ")[1])] as [string, number], { env: { tag } });
  /** The block files of DISK_ONLY datasets under the workers' work dirs. */
  const blockFiles = (app: string) =>
    fs.readdirSync(join(c.dataDir, ".minispark")).flatMap((d) => {
      const dir = join(c.dataDir, ".minispark", d, "blocks", `app_${app}`);
      return fs.existsSync(dir) ? fs.readdirSync(dir) : [];
    });
  const heartbeat = () => new Promise((res) => setTimeout(res, 3000));

  it("a cached dataset read by two actions: the second reads no input; unpersist makes the next one compute it", async () => {
    const { sc, last } = await context();
    try {
      const ds = numbers(sc, "cache").setName("nums");
      assert.equal(ds.cache(), ds, "cache() returns the dataset");
      assert.deepEqual([ds.isCached, ds.storageLevel], [true, "MEMORY_ONLY"]);
      assert.equal(await ds.count(), LINES);
      assert.equal(last().metrics.recordsIn, LINES);
      assert.deepEqual(
        last().datasets?.map((d) => [d.node, d.level]),
        [["nums", "MEMORY_ONLY"]],
      );
      assert.match(last().datasets![0]!.datasetId, /^ds-[0-9a-f]{32}$/);
      assert.equal((await c.cluster.client.jobs()).find((j) => j.id === last().id)!.datasets, undefined, "the job list leaves them out");
      const records = await ds.collect();
      assert.deepEqual(
        records.map(([, n]) => n),
        Array.from({ length: LINES }, (_, i) => i),
      );
      assert.equal(last().metrics.recordsIn, 0, "the second action read the blocks, not the files");
      await ds.unpersist();
      assert.deepEqual([ds.isCached, ds.storageLevel], [false, null]);
      await heartbeat();
      assert.equal(await ds.count(), LINES);
      assert.equal(last().metrics.recordsIn, LINES, "computed again after unpersist");
      assert.equal(last().datasets, undefined, "no longer persisted");
      // The same lineage cached again has the same id: it reads no block only if unpersist released them.
      await ds.cache().count();
      assert.equal(last().metrics.recordsIn, LINES, "the blocks were released: caching it again computes it");
      await ds.count();
      assert.equal(last().metrics.recordsIn, 0);
    } finally {
      await sc.close();
    }
  });

  it("persist(level) at each level; unpersist before any job only clears the mark", async () => {
    const { sc, last } = await context();
    try {
      for (const level of ["MEMORY_ONLY_SER", "MEMORY_AND_DISK", "MEMORY_AND_DISK_SER", "DISK_ONLY"] as const) {
        const ds = numbers(sc, level).persist(level);
        assert.equal(ds.storageLevel, level);
        await ds.count();
        assert.equal(last().metrics.recordsIn, LINES, level);
        assert.equal((await ds.collect()).length, LINES);
        assert.equal(last().metrics.recordsIn, 0, `${level}: read from the blocks`);
      }
      const never = numbers(sc, "never").cache();
      await never.unpersist();
      assert.equal(never.isCached, false);
      assert.equal(await never.count(), LINES);
      assert.equal(last().datasets, undefined, "the mark is gone from the JobSpec");
    } finally {
      await sc.close();
    }
  });

  it("close() ends the application: the workers drop its blocks, and a new context computes again", async () => {
    const first = await context();
    const ds = numbers(first.sc, "closed").persist("DISK_ONLY");
    await ds.count();
    const app = first.sc.applicationId!;
    const id = first.last().datasets![0]!.datasetId;
    assert.ok(
      blockFiles(app).some((f) => f.startsWith(id)),
      "the blocks are files on the worker",
    );
    await first.sc.close();
    await heartbeat();
    assert.deepEqual(blockFiles(app), [], "the worker dropped the ended application's blocks");
    await assert.doesNotReject(ds.unpersist(), "unpersist after close is a no-op");
    const second = await context();
    try {
      const again = numbers(second.sc, "closed").persist("DISK_ONLY");
      assert.equal(await again.count(), LINES);
      assert.equal(second.last().metrics.recordsIn, LINES, "another application reuses nothing");
      assert.equal(second.last().datasets![0]!.datasetId, id, "the same lineage has the same id, scoped by the application");
    } finally {
      await second.sc.close();
    }
  });
});

describe("the cache API's rules", () => {
  const runner = { run: async () => 0, close: async () => {}, applicationId: "app-test" };
  it("persist puts the level on the node's JobSpec; a bad level throws naming the levels", () => {
    const sc = new Context(runner);
    const ds: Dataset<number> = sc
      .range(10)
      .map((x) => x + 1)
      .persist("DISK_ONLY");
    const spec = buildJobSpec("t", ds.lineage, { op: "count", params: {}, env: null });
    assert.deepEqual(
      spec.nodes.map((n) => [n.op, n.persist]),
      [
        ["range", undefined],
        ["map", "DISK_ONLY"],
      ],
    );
    assert.throws(() => sc.range(3).persist("MEMORY" as never), /one of MEMORY_ONLY, MEMORY_ONLY_SER, MEMORY_AND_DISK, MEMORY_AND_DISK_SER, DISK_ONLY, got MEMORY/);
    assert.equal(sc.range(3).storageLevel, null);
  });
  it("a context without an application refuses to persist", () => {
    const sc = new Context({ run: async () => 0, close: async () => {} });
    assert.throws(() => sc.range(3).cache(), /no application on a master/);
  });
});
