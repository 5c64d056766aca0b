// Issue 17's fault check for cached data: an iterative program (five actions over one cached dataset, through
// connect()) on three real worker processes, one of which is killed with SIGKILL while the third iteration runs.
// Every iteration's result must equal the plain computation, and only the partitions the killed worker held may be
// computed again, each once: a side channel (the function building the cached dataset appends its partition's index
// to a file, once per computation) says which partitions were computed, and GET /api/v1/storage plus the first
// iteration's task placement say which the victim held.
import assert from "node:assert/strict";
import fs from "node:fs";
import { join } from "node:path";
import { after, before, it } from "node:test";
import { connect, type Context } from "../src/index.js";
import { startTestCluster, writeFile, type TestCluster } from "./helpers/cluster.js";

const FILES = 6;
const PER_FILE = 2000;
let t: TestCluster;
let sc: Context;

before(async () => {
  t = await startTestCluster({ workers: 3, slots: 1, workerTimeoutMs: 2000, workerArgs: ["--heartbeat", "300ms"] });
  sc = await connect(t.cluster.masterUrl, { token: t.cluster.token, appName: "iterative" });
  for (let f = 0; f < FILES; f++) writeFile(t.dataDir, `iter/in-${f}.txt`, Array.from({ length: PER_FILE }, (_, i) => String(f * PER_FILE + i)).join("\n") + "\n");
});

after(async () => {
  await sc?.close();
  await t?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it("a worker holding cached partitions killed mid-iteration: exact results, and only its partitions are computed again", async () => {
  const log = join(t.dataDir, "computed.log");
  const computed = () => (fs.existsSync(log) ? fs.readFileSync(log, "utf8").split("\n").filter(Boolean).map(Number) : []);
  const records = sc.accumulator(0, "sum", { name: "records computed" });
  const cached = sc
    .textFile("iter/in-*.txt")
    .mapPartitionsWithIndex(
      (index, lines, env) => {
        // The side channel: a worker thread's own fs (the closure check keeps `process` out of shipped functions; this test means it).
        (globalThis as unknown as { process: { getBuiltinModule(m: string): typeof fs } }).process.getBuiltinModule("fs").appendFileSync(env.log, `${index}\n`);
        const out: number[] = [];
        for (const l of lines) {
          env.records.add(1);
          out.push(Number(l));
        }
        return out;
      },
      { env: { log, records } },
    )
    .cache();
  // Each iteration's work after the cache is slow enough (about 0.4 s per partition) for a kill to land inside it.
  const iteration = (k: number) =>
    cached
      .map(
        (x, env) => {
          if (x % 500 === 0) {
            const end = Date.now() + 100;
            while (Date.now() < end);
          }
          return x * env.k;
        },
        { env: { k } },
      )
      .sum();
  const n = FILES * PER_FILE;
  const plain = (k: number) => (k * n * (n - 1)) / 2;

  assert.equal(await iteration(1), plain(1));
  assert.deepEqual(
    computed().sort((a, b) => a - b),
    [0, 1, 2, 3, 4, 5],
    "the first iteration computes every partition once",
  );
  assert.equal(records.value, n);
  const [firstJob] = await t.cluster.client.jobs();
  const tasks = await t.http(`/api/v1/jobs/${firstJob!.id}/stages/0/tasks`);
  const holderOf = new Map<number, string>(tasks.body.tasks.map((task: any) => [task.partition, task.attempts.find((a: any) => a.state === "SUCCEEDED" || a.state === "FINISHED")!.worker]));
  assert.equal(holderOf.size, FILES);

  assert.equal(await iteration(2), plain(2));
  assert.equal(computed().length, FILES, "the second iteration reads the cache");
  assert.equal(records.value, n);

  // The storage listing agrees with where the partitions were computed: one dataset, every partition, per worker as placed.
  const storage = await t.http("/api/v1/storage");
  const mine = storage.body.datasets.filter((d: any) => d.application === sc.applicationId);
  assert.equal(mine.length, 1, JSON.stringify(storage.body));
  assert.equal(mine[0].cachedPartitions, FILES);
  const perWorker = new Map<string, number>();
  for (const w of holderOf.values()) perWorker.set(w, (perWorker.get(w) ?? 0) + 1);
  assert.deepEqual(new Map(mine[0].workers.map((w: any) => [w.worker, w.partitions])), perWorker);

  // The victim: a worker holding some partitions (the one holding the most); its pid is in its work directory's name (<host>.<pid>.<worker id>).
  const victim = [...perWorker.entries()].sort((a, b) => b[1] - a[1])[0]![0];
  const lost = [...holderOf.entries()].filter(([, w]) => w === victim).map(([p]) => p);
  const dir = fs.readdirSync(join(t.dataDir, ".minispark")).find((d) => d.endsWith(`.${victim}`))!;
  const proc = t.cluster.workerProcesses.find((p) => p.pid === Number(dir.split(".").at(-2)))!;
  assert.ok(proc, `the process of ${victim}`);

  const third = iteration(3);
  let killed = false;
  for (let i = 0; i < 400 && !killed; i++) {
    const [listed] = await t.cluster.client.jobs();
    const job = listed ? await t.cluster.client.job(listed.id) : null;
    if (job && job.id !== firstJob!.id && job.status === "RUNNING" && (job.stages[0]?.tasks.running ?? 0) > 0 && (job.stages[0]?.tasks.succeeded ?? 0) >= 1) {
      proc.kill("SIGKILL");
      killed = true;
    } else await sleep(20);
  }
  assert.ok(killed, "the kill landed inside the third iteration");
  assert.equal(await third, plain(3), "the third iteration's result is exact");
  assert.equal(await iteration(4), plain(4));
  assert.equal(await iteration(5), plain(5));

  const again = computed().slice(FILES);
  assert.deepEqual(
    again.sort((a, b) => a - b),
    lost.sort((a, b) => a - b),
    `only the killed worker's partitions (${lost}) were computed again, each once`,
  );
  assert.equal(records.value, n + lost.length * PER_FILE, "the accumulator counts the recomputed records once");
  const later = await t.http("/api/v1/storage");
  const now = later.body.datasets.find((d: any) => d.application === sc.applicationId);
  assert.equal(now.cachedPartitions, FILES, "the recomputed partitions are cached again");
  assert.ok(!now.workers.some((w: any) => w.worker === victim), "the dead worker holds nothing");
});
