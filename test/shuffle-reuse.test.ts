// Shuffle output reused across the jobs of one application (Spark's skipped
// stages without a cache) on a real cluster: a later job whose plan writes a
// shuffle of the same lineage reads the files the earlier job wrote, and the
// stage that would write them again is skipped. The tests try what could make
// reuse serve wrong records or lose files: a job outside any application, an
// input file that changed between the jobs, a worker killed between them (only
// its part is written again), kept files deleted behind the master's back, an
// accumulator in the skipped stage, and the application's end, after which the
// workers hold none of the kept files.
import assert from "node:assert/strict";
import fs from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { JobInfo } from "../src/index.js";
import { startTestCluster, writeFile, type TestCluster } from "./helpers/cluster.js";

const FILES = 4;
const LINES = 3000;
const KEYS = 53;

function counts(lines: string[]): [string, number][] {
  const m = new Map<string, number>();
  for (const l of lines) m.set(l, (m.get(l) ?? 0) + 1);
  return [...m].sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

const sorted = (v: unknown) => [...(v as [string, number][])].sort((a, b) => (a[0] < b[0] ? -1 : 1));

describe("shuffle output reused by a later job of the application", () => {
  let c: TestCluster;
  let app = "";
  const allLines: string[] = [];
  before(async () => {
    c = await startTestCluster({ workers: 2, slots: 1, workerTimeoutMs: 2000, workerArgs: ["--heartbeat", "300ms"] });
    const res = await c.http("/api/v1/apps", { method: "POST", body: { name: "reuse", leaseMs: 3_600_000 } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    app = res.body.id as string;
    for (let f = 0; f < FILES; f++) {
      const lines = Array.from({ length: LINES }, (_, i) => `k${(f * 7 + i * i) % KEYS}`);
      allLines.push(...lines);
      writeFile(c.dataDir, `reuse/part-${f}.txt`, `${lines.join("\n")}\n`);
    }
  });
  after(() => c?.stop());

  const nodes = (dir = "reuse", fn = "line => [line, 1]") => [
    { id: "lines", op: "textFile", path: `${dir}/part-*.txt` },
    { id: "pairs", op: "map", input: "lines", fn },
    { id: "counts", op: "reduceByKey", input: "pairs", fn: "(a, b) => a + b", numPartitions: 3 },
  ];
  const run = async (spec: unknown) => {
    const { job, value } = await c.cluster.client.run(spec);
    return { job, value, statuses: job.stages.map((s) => s.status) };
  };
  /** The job's shuffle directories on live workers (a killed one's stay behind until a worker starts there again). */
  const shuffleDirs = (job: string) =>
    fs
      .readdirSync(join(c.dataDir, ".minispark"))
      .filter((w) => c.cluster.workerProcesses.some((p) => p.pid === Number(w.split(".").at(-2)) && p.exitCode === null && p.signalCode === null))
      .map((w) => join(c.dataDir, ".minispark", w, "shuffle", job))
      .filter((d) => fs.existsSync(d));

  it("the second job skips the map stage and reads the first job's files; results exact", async () => {
    const first = await run({ application: app, nodes: nodes(), action: { op: "count", input: "counts" } });
    assert.equal(first.value, counts(allLines).length);
    assert.deepEqual(first.statuses, ["COMPLETED", "COMPLETED"]);
    const second = await run({
      application: app,
      nodes: [...nodes(), { id: "doubled", op: "mapValues", input: "counts", fn: "v => v * 2" }],
      action: { op: "collect", input: "doubled" },
    });
    assert.deepEqual(
      sorted(second.value),
      counts(allLines).map(([k, n]) => [k, n * 2]),
    );
    assert.deepEqual(second.statuses, ["SKIPPED", "COMPLETED"], "the map stage is skipped");
    assert.equal(second.job.stages[0]!.attempts, 0, "no map task ran");
    assert.equal(second.job.stages[0]!.metrics.recordsIn, 0, "no input line was read");
    assert.ok(shuffleDirs(first.job.id).length > 0, "the first job's shuffle files stay while the application may reuse them");
  });

  it("a job outside any application reuses nothing, and its files go when it ends", async () => {
    const a = await run({ nodes: nodes(), action: { op: "count", input: "counts" } });
    const b = await run({ nodes: nodes(), action: { op: "count", input: "counts" } });
    assert.deepEqual(
      [a.statuses, b.statuses],
      [
        ["COMPLETED", "COMPLETED"],
        ["COMPLETED", "COMPLETED"],
      ],
    );
    for (let i = 0; i < 100 && shuffleDirs(b.job.id).length > 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(shuffleDirs(b.job.id), []);
  });

  it("an input file that changed between the jobs is a different lineage: nothing stale is read", async () => {
    for (let f = 0; f < FILES; f++) writeFile(c.dataDir, `grows/part-${f}.txt`, "a\nb\n");
    const spec = { application: app, nodes: nodes("grows"), action: { op: "collect", input: "counts" } };
    assert.deepEqual(sorted((await run(spec)).value), [
      ["a", FILES],
      ["b", FILES],
    ]);
    fs.appendFileSync(join(c.dataDir, "grows/part-0.txt"), "a\nc\n");
    const changed = await run(spec);
    assert.deepEqual(changed.statuses, ["COMPLETED", "COMPLETED"], "the map stage runs again");
    assert.deepEqual(sorted(changed.value), [
      ["a", FILES + 1],
      ["b", FILES],
      ["c", 1],
    ]);
    const same = await run(spec);
    assert.deepEqual(same.statuses, ["SKIPPED", "COMPLETED"], "unchanged since, it is reused");
    assert.deepEqual(sorted(same.value), sorted(changed.value));
  });

  it("an accumulator added to in the skipped stage counts each record once, in the job that ran it", async () => {
    const fn = "(line, env) => { env.seen.add(1); return [line, 1]; }";
    const withAcc = () => nodes("reuse", fn).map((n) => (n.id === "pairs" ? { ...n, env: { seen: { $accumulator: { id: "seen", merge: "sum" } } } } : n));
    const seen = (job: JobInfo) => job.accumulators?.find((a) => a.id === "seen")?.value;
    const first = await run({ application: app, nodes: withAcc(), action: { op: "count", input: "counts" } });
    assert.equal(seen(first.job), FILES * LINES);
    const second = await run({ application: app, nodes: withAcc(), action: { op: "collect", input: "counts" } });
    assert.deepEqual(second.statuses, ["SKIPPED", "COMPLETED"]);
    assert.equal(seen(second.job), 0, "the skipped stage added nothing again");
    assert.equal(second.job.accumulators?.[0]?.unknownPartitions, undefined, "nothing is unknown: the adds counted in the first job");
    assert.deepEqual(sorted(second.value), counts(allLines));
  });

  it("a worker killed between the jobs: only its map outputs are written again, and the result is exact", async () => {
    const fn = "line => [line, 10]";
    const first = await run({ application: app, nodes: nodes("reuse", fn), action: { op: "count", input: "counts" } });
    const tasks = (await c.http(`/api/v1/jobs/${first.job.id}/stages/0/tasks`)).body.tasks as { partition: number; attempts: { state: string; worker: string }[] }[];
    const ranOn = tasks.map((t) => t.attempts.find((a) => a.state === "FINISHED")!.worker);
    const victim = ranOn[0]!;
    const lost = ranOn.filter((w) => w === victim).length;
    assert.ok(lost < FILES, `the map tasks ran on both workers (${ranOn})`);
    const dir = fs.readdirSync(join(c.dataDir, ".minispark")).find((d) => d.endsWith(`.${victim}`))!;
    c.cluster.workerProcesses.find((p) => p.pid === Number(dir.split(".").at(-2)))!.kill("SIGKILL");
    for (let i = 0; i < 200; i++) {
      const w = (await c.http("/api/v1/workers")).body.workers.find((x: { id: string }) => x.id === victim);
      if (w?.state !== "ALIVE") break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const second = await run({ application: app, nodes: nodes("reuse", fn), action: { op: "collect", input: "counts" } });
    assert.deepEqual(
      sorted(second.value),
      counts(allLines).map(([k, n]) => [k, n * 10]),
    );
    assert.equal(second.statuses[0], "COMPLETED", "the map stage ran to replace the lost part");
    assert.equal(second.job.stages[0]!.attempts, lost, `only the ${lost} map outputs the killed worker held were written again`);
  });

  it("kept files deleted behind the master's back: the fetches fail, the map stage writes them again, the result is exact", async () => {
    const fn = "line => [line, 3]";
    const first = await run({ application: app, nodes: nodes("reuse", fn), action: { op: "count", input: "counts" } });
    const gone = shuffleDirs(first.job.id);
    assert.ok(gone.length > 0);
    for (const d of gone) fs.rmSync(d, { recursive: true, force: true });
    const second = await run({ application: app, nodes: nodes("reuse", fn), action: { op: "collect", input: "counts" } });
    assert.deepEqual(
      sorted(second.value),
      counts(allLines).map(([k, n]) => [k, n * 3]),
    );
    assert.equal(second.statuses[0], "COMPLETED", "the map stage ran again");
    // And what it wrote is kept in turn: a third job reads it.
    const third = await run({ application: app, nodes: nodes("reuse", fn), action: { op: "count", input: "counts" } });
    assert.deepEqual(third.statuses, ["SKIPPED", "COMPLETED"]);
  });

  it("when the application ends, the workers drop the files kept for it", async () => {
    const kept = (await c.cluster.client.jobs()).filter((j) => shuffleDirs(j.id).length > 0).map((j) => j.id);
    assert.ok(kept.length > 0, "some job's files are kept");
    const end = await c.http(`/api/v1/apps/${app}`, { method: "DELETE" });
    assert.equal(end.status, 200, JSON.stringify(end.body));
    for (let i = 0; i < 100 && kept.some((j) => shuffleDirs(j).length > 0); i++) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(kept.flatMap(shuffleDirs), []);
  });
});
