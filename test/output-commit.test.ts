// Coordinated output commit on real processes: saves to one path that overlap
// (error + overwrite, overwrite + overwrite, several at once), an attempt
// declared lost that wakes up after its job committed, the master killed during
// a commit and restarted on the same database, and symlinks under outputs/.
// The oracle each time: the directory holds exactly one job's whole output
// (part files = that job's partitions, contents right, _SUCCESS naming that
// job) and nothing outside the data directory was touched.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { after, before, describe, it, type TestContext } from "node:test";
import type { JobInfo, StageTasks } from "../src/common/api-types.js";
import { LocalCluster } from "../src/client/local-cluster.js";
import { requestRaw } from "../src/common/http-client.js";
import { partFileName } from "../src/storage/output-files.js";
import { startTestCluster, type TestCluster } from "./helpers/cluster.js";
import { PROTOCOL_VERSION } from "../src/common/version.js";

const LEASE_MS = 1500;
const TERMINAL = ["COMPLETED", "FAILED", "CANCELLED"];

/** A save of `partitions` partitions of `perPartition` records "<tag>:<i>", each record taking `msPerRecord` of work. */
function saveSpec(tag: string, path: string, partitions: number, opts: { perPartition?: number; msPerRecord?: number; mode?: "error" | "overwrite" } = {}) {
  const per = opts.perPartition ?? 5;
  const ms = opts.msPerRecord ?? 0;
  return {
    name: `save-${tag}`,
    nodes: [
      { id: "n", op: "parallelize", data: Array.from({ length: partitions * per }, (_, i) => i), numSlices: partitions },
      { id: "t", op: "map", input: "n", fn: `x => { const end = Date.now() + ${ms}; while (Date.now() < end); return "${tag}:" + x; }` },
    ],
    action: { op: "save", input: "t", path, ...(opts.mode ? { mode: opts.mode } : {}) },
  };
}

function expectedLines(tag: string, partitions: number, per = 5): string[] {
  return Array.from({ length: partitions * per }, (_, i) => `${tag}:${i}`).sort();
}

/** The oracle: `path` holds exactly job `id`'s whole output and nothing else. */
function assertOutputOf(dataDir: string, path: string, id: string, tag: string, partitions: number): void {
  const dir = join(dataDir, "outputs", path);
  const names = fs.readdirSync(dir).sort();
  const parts = Array.from({ length: partitions }, (_, p) => partFileName(p));
  assert.deepEqual(names, ["_SUCCESS", ...parts], `exactly job ${id}'s part files and _SUCCESS`);
  const success = JSON.parse(fs.readFileSync(join(dir, "_SUCCESS"), "utf8")) as { job: string; files: string[] };
  assert.equal(success.job, id, "_SUCCESS names the job whose output is there");
  assert.deepEqual([...success.files].sort(), parts);
  const lines = parts.flatMap((f) => fs.readFileSync(join(dir, f), "utf8").split("\n").filter(Boolean)).sort();
  assert.deepEqual(lines, expectedLines(tag, partitions));
}

async function waitEnd(t: TestCluster | LocalCluster, id: string, timeoutMs = 30_000): Promise<JobInfo> {
  const c = t instanceof LocalCluster ? t : t.cluster;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await c.client.job(id).catch(() => null);
    if (job && TERMINAL.includes(job.status)) return job;
    if (Date.now() > deadline) throw new Error(`job ${id} did not end in ${timeoutMs} ms (${job?.status})`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function waitRunning(t: TestCluster, id: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const job = await t.cluster.client.job(id);
    if (job.status === "RUNNING") return;
    assert.ok(!TERMINAL.includes(job.status), `job ${id} ended early: ${job.status} ${job.error ?? ""}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`job ${id} never ran`);
}

/** Every file and directory under `dir` (relative), to show nothing outside the data directory was touched. */
function tree(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[]).sort();
}

/** A part file's identity: a late rename over it would change it. */
function stamps(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .sort()
    .map((f) => {
      const st = fs.statSync(join(dir, f));
      return `${f}:${st.ino}:${st.mtimeMs}`;
    });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The index of the worker process (in cluster.workerProcesses) that runs as
 * `workerId`, by its address: a worker declared dead takes a new id, not a new address.
 */
async function workerIndex(t: TestCluster, workerId: string): Promise<number> {
  const address = (await t.cluster.client.workers()).find((w) => w.id === workerId)?.address;
  for (const line of fs.readFileSync(t.cluster.logFile, "utf8").split("\n")) {
    const m = /^worker-(\d+) (\{.*\})$/.exec(line);
    if (m && m[2]!.includes('"worker started"') && (JSON.parse(m[2]!) as { address: string }).address === address) return Number(m[1]);
  }
  return -1;
}

async function attemptsOf(t: TestCluster, id: string): Promise<StageTasks["tasks"]> {
  const r = await t.http(`/api/v1/jobs/${id}/stages/0/tasks`);
  return r.status === 200 ? (r.body as StageTasks).tasks : [];
}

async function events(t: TestCluster, id: string): Promise<string[]> {
  const r = await t.http(`/api/v1/jobs/${id}`);
  return r.status === 200 ? (r.body.events as { kind: string }[]).map((e) => e.kind) : [];
}

describe("coordinated output commit on one shared data directory", () => {
  let t: TestCluster;
  const outside = fs.mkdtempSync(join(os.tmpdir(), "minispark-outside-"));

  before(async () => {
    t = await startTestCluster({ workers: 2, slots: 2, workerTimeoutMs: LEASE_MS, workerArgs: ["--heartbeat", "300ms"] });
  });
  after(async () => {
    await t?.stop();
    fs.rmSync(outside, { recursive: true, force: true });
  });

  it("an overwrite while another job writes the path waits for it: the later job's whole output, nothing of the earlier", async () => {
    const a = await t.cluster.client.submit(saveSpec("A", "race", 40, { msPerRecord: 8 }));
    await waitRunning(t, a);
    const b = await t.cluster.client.submit(saveSpec("B", "race", 10, { mode: "overwrite" }));
    const [ja, jb] = [await waitEnd(t, a), await waitEnd(t, b)];
    assert.equal(jb.status, "COMPLETED", jb.error ?? "");
    assert.equal(ja.status, "COMPLETED", ja.error ?? "");
    assert.ok(ja.finishedAt! <= jb.finishedAt!, "the overwrite ended after the job it replaced");
    assert.ok((await events(t, b)).includes("waiting for output path"));
    assertOutputOf(t.dataDir, "race", b, "B", 10);
  });

  it('mode "error" on a path a running job writes fails at once, naming the writer; the writer\'s output stands', async () => {
    const a = await t.cluster.client.submit(saveSpec("A", "busy", 12, { msPerRecord: 20 }));
    await waitRunning(t, a);
    const b = await t.cluster.client.submit(saveSpec("B", "busy", 3));
    const jb = await waitEnd(t, b);
    assert.equal(jb.status, "FAILED");
    assert.match(jb.error ?? "", new RegExp(`being written by job ${a}`));
    const ja = await waitEnd(t, a);
    assert.equal(ja.status, "COMPLETED", ja.error ?? "");
    assertOutputOf(t.dataDir, "busy", a, "A", 12);
  });

  it("a save into a directory inside one being written waits too (paths that overlap are one path)", async () => {
    const a = await t.cluster.client.submit(saveSpec("A", "outer", 8, { msPerRecord: 20 }));
    await waitRunning(t, a);
    const b = await t.cluster.client.submit(saveSpec("B", "outer/inner", 2, { mode: "overwrite" }));
    const jb = await waitEnd(t, b);
    assert.ok((await events(t, b)).includes("waiting for output path"), "the inner save waited for the outer one");
    assert.equal(jb.status, "FAILED", "then it is refused: its directory would sit inside the outer job's output");
    assert.match(jb.error ?? "", /inside the output "outer" of another job/);
    assertOutputOf(t.dataDir, "outer", a, "A", 8);
  });

  it("several overwrites starting together: every one completes, the last to finish is the output, whole", async () => {
    const tags = ["P", "Q", "R", "S"];
    const ids = await Promise.all(tags.map((tag, i) => t.cluster.client.submit(saveSpec(tag, "many", 3 + i, { mode: "overwrite", msPerRecord: 5 }))));
    const jobs = await Promise.all(ids.map((id) => waitEnd(t, id)));
    for (const j of jobs) assert.equal(j.status, "COMPLETED", j.error ?? "");
    const last = jobs.reduce((a, b) => (a.finishedAt! >= b.finishedAt! ? a : b));
    const i = jobs.indexOf(last);
    assertOutputOf(t.dataDir, "many", last.id, tags[i]!, 3 + i);
  });

  it("symlinks under outputs/ never redirect a write or an overwrite's delete", async () => {
    const target = fs.mkdtempSync(join(outside, "target-"));
    fs.writeFileSync(join(target, "keep"), "precious");
    const before = tree(outside);
    fs.mkdirSync(join(t.dataDir, "outputs"), { recursive: true });
    fs.symlinkSync(target, join(t.dataDir, "outputs", "linked"));
    const cases = [saveSpec("L", "linked/below", 2), saveSpec("L", "linked", 2, { mode: "overwrite" }), saveSpec("L", "linked", 2)];
    for (const spec of cases) {
      const j = await waitEnd(t, await t.cluster.client.submit(spec));
      assert.equal(j.status, "FAILED", `${spec.action.path}: ${j.error}`);
      assert.match(j.error ?? "", /symbolic link|already exists/);
    }
    // outputs/ itself a link
    fs.renameSync(join(t.dataDir, "outputs"), join(t.dataDir, "outputs-real"));
    fs.symlinkSync(target, join(t.dataDir, "outputs"));
    try {
      const j = await waitEnd(t, await t.cluster.client.submit(saveSpec("L", "fresh", 2)));
      assert.equal(j.status, "FAILED");
      assert.match(j.error ?? "", /"outputs" is a symbolic link/);
    } finally {
      fs.unlinkSync(join(t.dataDir, "outputs"));
      fs.renameSync(join(t.dataDir, "outputs-real"), join(t.dataDir, "outputs"));
      fs.unlinkSync(join(t.dataDir, "outputs", "linked"));
    }
    assert.deepEqual(tree(outside), before, "nothing outside the data directory was written or removed");
    assert.equal(fs.readFileSync(join(target, "keep"), "utf8"), "precious");
  });

  it("the worker's /outputs endpoints refuse ids and paths that are not the master's", async () => {
    const [w] = await t.cluster.client.workers();
    const post = (what: string, body: unknown) => requestRaw(`http://${w!.address}/outputs/${what}`, { body: JSON.stringify(body), token: t.cluster.token });
    const job = "job-000000000-abcdef";
    const bad: [string, unknown][] = [
      ["prepare", { protocol: PROTOCOL_VERSION, jobId: "../../../x", path: "p", mode: "overwrite" }],
      ["prepare", { protocol: PROTOCOL_VERSION, jobId: job, path: "../escape", mode: "overwrite" }],
      ["prepare", { protocol: PROTOCOL_VERSION, jobId: job, path: "p", mode: "append" }],
      ["publish", { protocol: PROTOCOL_VERSION, jobId: job, path: "p", parts: [{ partition: 0, attemptId: `${job}/../../x` }] }],
      ["publish", { protocol: PROTOCOL_VERSION, jobId: job, path: "p", parts: [{ partition: 1, attemptId: `${job}.0.0.0` }] }],
      ["publish", { protocol: PROTOCOL_VERSION, jobId: job, path: "p", parts: [{ partition: -1, attemptId: `${job}.0.-1.0` }] }],
      ["finalize", { protocol: PROTOCOL_VERSION, jobId: job, path: "p", partitions: 1e12 }],
      ["abort", { protocol: PROTOCOL_VERSION, jobId: "job-000000000-abcdef/..", path: "p", committed: false }],
      ["abort", { protocol: PROTOCOL_VERSION, jobId: job, path: "/etc", committed: false }],
    ];
    for (const [what, body] of bad) {
      const r = await post(what, body);
      assert.equal(r.status, 400, `${what} ${JSON.stringify(body)}: ${r.body.toString()}`);
    }
    assert.deepEqual(
      fs.readdirSync(join(t.dataDir, "outputs")).filter((f) => f === "p" || f.startsWith(".")),
      [],
    );
  });

  it("an attempt declared lost that wakes up after its job committed publishes nothing", async () => {
    const id = await t.cluster.client.submit(saveSpec("W", "late", 8, { msPerRecord: 150 }));
    let victim = -1;
    for (let i = 0; i < 300 && victim < 0; i++) {
      for (const task of await attemptsOf(t, id)) {
        const running = task.attempts.find((a) => a.state === "RUNNING");
        if (running && victim < 0) victim = await workerIndex(t, running.worker);
      }
      await sleep(10);
    }
    assert.ok(victim >= 0, "found a worker running one of the job's attempts");
    const proc = t.cluster.workerProcesses[victim]!;
    proc.kill("SIGSTOP");
    let job: JobInfo;
    try {
      job = await waitEnd(t, id);
    } finally {
      proc.kill("SIGCONT");
    }
    assert.equal(job.status, "COMPLETED", job.error ?? "");
    const dir = join(t.dataDir, "outputs", "late");
    const stamped = stamps(dir);
    await t.cluster.waitForWorkers(2);
    await sleep(1500);
    assertOutputOf(t.dataDir, "late", id, "W", 8);
    assert.deepEqual(stamps(dir), stamped, "no part file was replaced by the late attempt");
  });

  it("the master killed before and during a commit, restarted on the same database: the job's whole output or none", async (c: TestContext) => {
    // Before the decision: the job resumes, reruns its result stage and commits once.
    const early = await t.cluster.client.submit(saveSpec("E", "killed-early", 10, { msPerRecord: 40 }));
    for (let i = 0; i < 300 && (await attemptsOf(t, early)).filter((x) => x.attempts.some((a) => a.state === "FINISHED")).length < 3; i++) await sleep(10);
    await t.cluster.killMaster();
    await t.cluster.restartMaster();
    const je = await waitEnd(t, early);
    assert.equal(je.status, "COMPLETED", je.error ?? "");
    assertOutputOf(t.dataDir, "killed-early", early, "E", 10);

    // During: one worker frozen holds the commit up after the decision is stored; the kill lands there.
    await t.cluster.waitForWorkers(2);
    const spec = saveSpec("M", "killed-mid", 6);
    spec.nodes[1]!.fn = 'x => { const end = Date.now() + (x >= 25 ? 300 : 0); while (Date.now() < end); return "M:" + x; }';
    const mid = await t.cluster.client.submit(spec);
    let other = -1;
    for (let i = 0; i < 500 && other < 0; i++) {
      const tasks = await attemptsOf(t, mid);
      const slow = tasks.find((x) => x.partition === 5)?.attempts.find((a) => a.state === "RUNNING");
      const done = tasks.filter((x) => x.partition !== 5 && x.attempts.some((a) => a.state === "FINISHED"));
      if (slow && done.length === 5) {
        const holders = new Set(done.flatMap((x) => x.attempts.filter((a) => a.state === "FINISHED").map((a) => a.worker)));
        const elsewhere = [...holders].find((w) => w !== slow.worker);
        if (elsewhere) other = await workerIndex(t, elsewhere);
        break;
      }
      await sleep(10);
    }
    const frozen = other >= 0 ? t.cluster.workerProcesses[other]! : null;
    frozen?.kill("SIGSTOP");
    try {
      for (let i = 0; i < 300 && !(await events(t, mid)).includes("output commit decided"); i++) await sleep(5);
      await t.cluster.killMaster();
    } finally {
      frozen?.kill("SIGCONT");
    }
    await t.cluster.restartMaster();
    const jm = await waitEnd(t, mid);
    if (jm.status === "COMPLETED") assertOutputOf(t.dataDir, "killed-mid", mid, "M", 6);
    else assert.ok(!fs.existsSync(join(t.dataDir, "outputs", "killed-mid", "_SUCCESS")), "a failed commit leaves no _SUCCESS");
    assert.equal(jm.status, "COMPLETED", jm.error ?? "");
    c.diagnostic(frozen ? "the kill landed mid-commit (a worker frozen before publishing)" : "no worker to freeze: the kill landed wherever the job was");
    if (frozen) assert.ok((await events(t, mid)).includes("output commit resumed"), "the restarted master finished the stored commit");

    // Right when the decision is stored, with nothing held up: wherever in the commit the kill lands.
    await t.cluster.waitForWorkers(2);
    const now = await t.cluster.client.submit(saveSpec("N", "killed-at-decision", 8, { msPerRecord: 10 }));
    for (let i = 0; i < 600 && !(await events(t, now)).includes("output commit decided"); i++) await sleep(2);
    await t.cluster.killMaster();
    await t.cluster.restartMaster();
    const jn = await waitEnd(t, now);
    assert.equal(jn.status, "COMPLETED", jn.error ?? "");
    assertOutputOf(t.dataDir, "killed-at-decision", now, "N", 8);
  });
});

describe("coordinated output commit on per-worker disks", () => {
  const root = fs.mkdtempSync(join(os.tmpdir(), "minispark-commit-disks-"));
  const dirs = ["a", "b"].map((d) => join(root, d));
  let cluster: LocalCluster | null = null;
  after(async () => {
    await cluster?.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it("two overwrites at once: the disks together hold exactly the last job's parts, each _SUCCESS naming it", async () => {
    for (const d of dirs) fs.mkdirSync(d, { recursive: true });
    cluster = await LocalCluster.start({ workers: 0, slots: 1, dataDir: dirs[0]!, logFile: join(root, "cluster.log") });
    for (const d of dirs) cluster.startWorker(["--data-dir", d]);
    await cluster.waitForWorkers(2);
    const specs = [saveSpec("X", "disks", 6, { mode: "overwrite", msPerRecord: 10 }), saveSpec("Y", "disks", 4, { mode: "overwrite", msPerRecord: 10 })];
    const ids = await Promise.all(specs.map((s) => cluster!.client.submit(s)));
    const jobs = await Promise.all(ids.map((id) => waitEnd(cluster!, id)));
    for (const j of jobs) assert.equal(j.status, "COMPLETED", j.error ?? "");
    const last = jobs[0]!.finishedAt! >= jobs[1]!.finishedAt! ? 0 : 1;
    const [tag, n] = last === 0 ? ["X", 6] : ["Y", 4];
    const here = dirs.map((d) => join(d, "outputs", "disks")).filter((d) => fs.existsSync(d));
    const parts: string[] = [];
    const lines: string[] = [];
    for (const d of here) {
      const names = fs.readdirSync(d).sort();
      assert.equal(names[0], "_SUCCESS", `${d}: ${names}`);
      const success = JSON.parse(fs.readFileSync(join(d, "_SUCCESS"), "utf8")) as { job: string; files: string[] };
      assert.equal(success.job, ids[last]);
      assert.deepEqual(success.files, names.slice(1));
      parts.push(...names.slice(1));
      for (const f of names.slice(1)) lines.push(...fs.readFileSync(join(d, f), "utf8").split("\n").filter(Boolean));
    }
    assert.deepEqual(
      parts.sort(),
      Array.from({ length: n }, (_, p) => partFileName(p)),
    );
    assert.deepEqual(lines.sort(), expectedLines(tag, n));
  });
});
