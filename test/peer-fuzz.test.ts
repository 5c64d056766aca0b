// The heartbeat and report fuzzer (issue 14): seeded, bounded in count and
// time. Raw HTTP to a real master with a real worker and two fake workers of
// the test's: mutated heartbeats, task reports and deregistrations (prototype
// keys, wrong types, huge numbers, other workers' ids and attempt ids,
// replays, reports for the wrong stage, missing or foreign credentials) while
// jobs run; and a fake shuffle peer serving malformed frames to the real
// worker's reduce tasks. Oracle: every answer is 2xx or 4xx, every process
// answers /healthz after each input, every job ends (a failed one with its
// reason), and a normal job afterwards is right.
// MINISPARK_PEER_FUZZ_CASES sets the number of message cases (default 2000).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { requestRaw } from "../src/common/http-client.js";
import { mulberry32 } from "../src/common/random.js";
import { FakeWorker, realWorker } from "./helpers/fake-worker.js";
import { startTestCluster, type TestCluster } from "./helpers/cluster.js";
import { PROTOCOL_VERSION } from "../src/common/version.js";

const CASES = Number(process.env.MINISPARK_PEER_FUZZ_CASES ?? 2000);
const SEED = 20261201;
/** The message phase stops here even if cases remain (this machine is shared). */
const MESSAGE_BUDGET_MS = 25_000;

let t: TestCluster;
before(async () => {
  t = await startTestCluster({ workers: 1, slots: 2, workerTimeoutMs: 4000, masterArgs: ["--max-result-size", "256kb"] });
});
after(async () => {
  await t?.stop();
});

const liveRealWorker = () => realWorker(t, "fuzz-");

async function assertAlive(what: string): Promise<void> {
  const m = await requestRaw(`${t.cluster.masterUrl}/healthz`, { timeoutMs: 5000 });
  assert.equal(m.status, 200, `master answers after ${what}`);
  const w = await liveRealWorker();
  const r = await requestRaw(`http://${w.address}/healthz`, { timeoutMs: 5000 });
  assert.equal(r.status, 200, `worker answers after ${what}`);
}

async function waitEnded(ids: string[], timeoutMs: number): Promise<any[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const jobs = await Promise.all(ids.map(async (id) => (await t.http(`/api/v1/jobs/${id}`)).body));
    if (jobs.every((j) => ["COMPLETED", "FAILED", "CANCELLED"].includes(j.status)) || Date.now() > deadline) return jobs;
    await new Promise((r) => setTimeout(r, 200));
  }
}

const range = (n: number, slices: number) => ({ id: "n", op: "range", start: 0, end: n, numSlices: slices });
const JOBS = [
  { nodes: [range(200, 4)], action: { op: "count", input: "n" } },
  { nodes: [range(200, 4)], action: { op: "collect", input: "n" } },
  {
    nodes: [range(200, 4), { id: "k", op: "map", input: "n", fn: "x => [x % 5, 1]" }, { id: "r", op: "reduceByKey", input: "k", fn: "(a, b) => a + b", numPartitions: 3 }],
    action: { op: "collect", input: "r" },
  },
  {
    nodes: [
      {
        id: "p",
        op: "parallelize",
        data: [
          [3, "c"],
          [1, "a"],
          [2, "b"],
        ],
        numSlices: 3,
      },
      { id: "s", op: "sortByKey", input: "p", numPartitions: 2 },
    ],
    action: { op: "collect", input: "s" },
  },
  { nodes: [range(50, 3)], action: { op: "histogram", input: "n", buckets: 4 } },
  { nodes: [range(50, 3)], action: { op: "takeOrdered", input: "n", num: 3 } },
];

const WEIRD: unknown[] = [
  null,
  true,
  -1,
  0,
  1.5,
  1e308,
  -1e308,
  2 ** 53 + 2,
  "",
  "x".repeat(5000),
  "constructor",
  "__proto__",
  [],
  [1, "a"],
  {},
  { type: "constructor" },
  { __proto__: { polluted: 1 } },
];
const RESULT_TYPES = ["mapStatus", "sample", "collect", "count", "saved", "keyed", "stats", "histogram", "constructor", "__proto__", "toString", "valueOf", "hasOwnProperty"];

describe("heartbeat and report fuzzer", () => {
  it(`survives ${CASES} mutated heartbeats, reports and deregistrations while jobs run`, async () => {
    const rand = mulberry32(SEED);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const me = new FakeWorker(t.cluster.masterUrl, t.cluster.token, "fuzz-a", 4);
    const other = new FakeWorker(t.cluster.masterUrl, t.cluster.token, "fuzz-b", 1);
    await me.start();
    await other.start();
    const real = await liveRealWorker();
    const jobs: string[] = [];
    /** Bodies sent before, by path, for replays (to the same endpoint: a heartbeat replayed as a deregistration would make the fuzzer leave). */
    const sent = new Map<string, string[]>();
    const statuses = new Map<string, number>();
    const started = Date.now();
    let cases = 0;
    try {
      for (; cases < CASES && Date.now() - started < MESSAGE_BUDGET_MS; cases++) {
        if (cases % 40 === 0) jobs.push((await t.http("/api/v1/jobs", { body: pick(JOBS) })).body.id);
        const attempts = [...me.launched.map((x) => x.attemptId), ...other.launched.map((x) => x.attemptId), `${jobs[0]}.0.0.0@ffffff`, "a/../b", ""];
        const ids = [me.id, other.id, real.id, "fuzz-new-" + cases, "../x", ""];
        const credentials = [me.credential, other.credential, undefined, "", "x".repeat(300), 7];
        let path: string;
        let body: Record<string, unknown>;
        switch (Math.floor(rand() * 3)) {
          case 0: {
            path = "/heartbeat";
            body = me.heartbeatBody();
            if (rand() < 0.5) body[pick(Object.keys(body))] = pick(WEIRD);
            if (rand() < 0.3) body.worker_id = pick(ids);
            if (rand() < 0.3) body.credential = pick(credentials);
            if (rand() < 0.2) body.running_attempts = [pick(attempts), pick(attempts)];
            break;
          }
          case 1: {
            path = "/task-reports";
            const attemptId = pick(attempts);
            const task = [...me.launched, ...other.launched].find((x) => x.attemptId === attemptId);
            const report: Record<string, unknown> = {
              protocol: PROTOCOL_VERSION,
              worker_id: me.id,
              attemptId,
              metrics: null,
              state: pick(["FINISHED", "FINISHED", "FAILED", "FETCH_FAILED", "KILLED", "RUNNING"]),
            };
            const type = rand() < 0.5 && task ? expectedType(task.stage.output.type) : pick(RESULT_TYPES);
            report.result = {
              type,
              sizes: [1, 2, 3],
              records: pick([[], [1], 3, -1]),
              count: pick([0, 3, -1, 1e308]),
              sample: { keys: [1], total: pick([1, -5]) },
              file: pick(["part-00000", "part-00001", "../../x", "a"]),
              entries: [[1, 1]],
              edges: [0, 1],
              counts: [1],
              sum: 1,
              min: 0,
              max: 1,
              m2: 0,
            };
            report.error = pick(["boom", 5]);
            report.fetchFailure = { shuffleId: pick([0, 9, -1]), mapId: pick([0, 1, 1e9]), workerId: pick(ids), address: "127.0.0.1:1" };
            if (rand() < 0.3) report[pick(Object.keys(report))] = pick(WEIRD);
            body = { protocol: PROTOCOL_VERSION, worker_id: rand() < 0.8 ? me.id : pick(ids), reports: [report], credential: rand() < 0.8 ? me.credential : pick(credentials) };
            if (task) me.running.delete(attemptId);
            break;
          }
          default: {
            path = "/deregister";
            // Never with its own credential: the fuzzing worker stays registered.
            body = {
              protocol: PROTOCOL_VERSION,
              worker_id: pick([other.id, real.id, "fuzz-none", me.id]),
              credential: pick([other.credential === undefined ? undefined : "wrong", undefined, me.credential, 3]),
            };
            if (body.worker_id === me.id && body.credential === me.credential) body.credential = "wrong";
            if (body.worker_id === other.id && body.credential === me.credential) body.worker_id = real.id;
            break;
          }
        }
        let text = JSON.stringify(body);
        if (rand() < 0.15) text = text.replace("{", `{"__proto__":{"polluted":true,"worker_id":"${real.id}"},`);
        const before = sent.get(path) ?? [];
        if (rand() < 0.1 && before.length > 0) text = pick(before);
        else before.push(text);
        if (before.length > 50) before.shift();
        sent.set(path, before);
        const res = await requestRaw(t.cluster.masterUrl + path, { method: "POST", body: text, token: t.cluster.token, timeoutMs: 10_000 });
        const key = `${path} ${res.status}`;
        statuses.set(key, (statuses.get(key) ?? 0) + 1);
        assert.ok(res.status < 500, `case ${cases}: ${path} ${text.slice(0, 300)} → ${res.status} ${res.body.toString().slice(0, 300)}`);
        assert.equal(({} as Record<string, unknown>).polluted, undefined, "no prototype pollution in the test either");
        if (cases % 10 === 0) await assertAlive(`case ${cases}`);
      }
      await assertAlive(`${cases} cases`);
      const stillReal = await liveRealWorker();
      assert.equal(stillReal.id, real.id, "no input deregistered the real worker");
      assert.equal(stillReal.address, real.address, "no input moved the real worker");
    } finally {
      // The fakes leave; what they held runs again on the real worker.
      for (const f of [me, other]) {
        await f.post("/deregister", { protocol: PROTOCOL_VERSION, worker_id: f.id, credential: f.credential });
        await f.stop();
      }
    }
    const ended = await waitEnded(jobs, 40_000);
    for (const j of ended) {
      assert.ok(["COMPLETED", "FAILED", "CANCELLED"].includes(j.status), `job ${j.id} ended (is ${j.status})`);
      if (j.status === "FAILED") assert.ok(typeof j.error === "string" && j.error.length > 0, `job ${j.id} failed with a reason`);
    }
    const value = await t.run<[number, number][]>(JOBS[2]);
    assert.deepEqual(
      value.sort((a, b) => a[0] - b[0]),
      [
        [0, 40],
        [1, 40],
        [2, 40],
        [3, 40],
        [4, 40],
      ],
    );
    await assertAlive("the fuzz");
    console.log(`peer fuzz: ${cases} message cases, statuses ${JSON.stringify(Object.fromEntries(statuses))}, jobs ${ended.map((j) => j.status).join(" ")}`);
  });

  it("a fake shuffle peer's malformed frames fail the fetch; the reduce task runs again and the job is right", async () => {
    const entry = (mapId: number, length: number, bytes: number) => {
      const b = Buffer.alloc(12 + bytes);
      b.writeUInt32LE(mapId, 0);
      b.writeDoubleLE(length, 4);
      return b;
    };
    // Each serves what the fake claims is map `m`'s block.
    const FRAMES: [string, (m: number) => { status: number; body: Buffer }][] = [
      ["negative length", (m) => ({ status: 200, body: entry(m, -12, 0) })],
      ["length past the body", (m) => ({ status: 200, body: entry(m, 1e6, 10) })],
      ["truncated body", (m) => ({ status: 200, body: entry(m, 40, 40).subarray(0, 30) })],
      ["huge count of entries", (m) => ({ status: 200, body: Buffer.concat(Array.from({ length: 5000 }, () => entry(m, 0, 0))) })],
      ["another map's id", (m) => ({ status: 200, body: entry(m + 1, 0, 0) })],
      ["NaN length", (m) => ({ status: 200, body: entry(m, Number.NaN, 0) })],
      [
        "frame inside with a huge length",
        (m) => {
          const inner = Buffer.alloc(8);
          inner.writeUInt32LE(0xffffffff, 0);
          return { status: 200, body: Buffer.concat([entry(m, 8, 0), inner]) };
        },
      ],
      [
        "frame inside that is not JSON",
        (m) => {
          const inner = Buffer.from("\u0004\u0000\u0000\u0000{{{{");
          return { status: 200, body: Buffer.concat([entry(m, inner.length, 0), inner]) };
        },
      ],
      ["a body far past the announced sizes", () => ({ status: 200, body: Buffer.alloc(8 * 1024 * 1024) })],
      ["404 naming another map", () => ({ status: 404, body: Buffer.from("not json") })],
      ["500 with a huge error", () => ({ status: 500, body: Buffer.from(JSON.stringify({ error: { message: "y".repeat(100_000) } })) })],
    ];
    const spec = JOBS[2];
    for (const [what, serve] of FRAMES) {
      const fake = new FakeWorker(t.cluster.masterUrl, t.cluster.token, `fuzz-peer-${what.replace(/\W+/g, "-")}`, 4);
      await fake.start();
      try {
        const id = (await t.http("/api/v1/jobs", { body: spec })).body.id as string;
        const map = await fake.waitForTask((x) => x.stage.output.type === "shuffle");
        fake.shuffleReply = () => serve(map.partition);
        fake.draining = true;
        await fake.beat();
        await fake.report(map.attemptId, { state: "FINISHED", result: { type: "mapStatus", sizes: [30, 30, 30], records: 50 } });
        for (const a of [...fake.running]) await fake.report(a, { state: "FAILED", error: "the fake gives up" });
        const [job] = await waitEnded([id], 40_000);
        assert.equal(job.status, "COMPLETED", `${what}: ${job.status} ${job.error}`);
        const value = (await t.http(`/api/v1/jobs/${id}/results`)).body.value as [number, number][];
        assert.deepEqual(
          value.sort((a, b) => a[0] - b[0]),
          [
            [0, 40],
            [1, 40],
            [2, 40],
            [3, 40],
            [4, 40],
          ],
          what,
        );
        assert.ok(fake.shuffleRequests > 0, `${what}: the real worker fetched from the fake`);
        await assertAlive(what);
      } finally {
        await fake.post("/deregister", { protocol: PROTOCOL_VERSION, worker_id: fake.id, credential: fake.credential });
        await fake.stop();
      }
    }
  });
});

function expectedType(output: string): string {
  return output === "shuffle" ? "mapStatus" : output === "sample" ? "sample" : output === "countProbe" ? "count" : output === "rangeProbe" ? "stats" : "collect";
}

describe("results past --max-result-size (256kb here)", () => {
  it("fail the job with the message, never a process, including a job resumed after a master restart", async () => {
    const big = { nodes: [range(100_000, 4)], action: { op: "collect", input: "n" } };
    const limit = /collect\(\) are larger than the master's limit \(--max-result-size 262144 bytes\)/;
    const first = await waitEnded([(await t.http("/api/v1/jobs", { body: big })).body.id], 40_000);
    assert.equal(first[0].status, "FAILED");
    assert.match(first[0].error, limit);

    // One report past the budget by itself, from a fake worker.
    const fake = new FakeWorker(t.cluster.masterUrl, t.cluster.token, "fuzz-big", 4);
    await fake.start();
    let oneReport: string;
    try {
      oneReport = (await t.http("/api/v1/jobs", { body: { nodes: [range(100, 4)], action: { op: "collect", input: "n" } } })).body.id;
      const task = await fake.waitForTask((x) => x.jobId === oneReport);
      const res = await fake.report(task.attemptId, { state: "FINISHED", result: { type: "collect", records: ["z".repeat(300 * 1024)] } });
      assert.ok(res.status < 500, String(res.status));
    } finally {
      await fake.post("/deregister", { protocol: PROTOCOL_VERSION, worker_id: fake.id, credential: fake.credential });
      await fake.stop();
    }
    const [second] = await waitEnded([oneReport], 30_000);
    assert.equal(second.status, "FAILED");
    assert.match(second.error, limit);

    // Killed while a too-large job runs: the restarted master resumes it, and it fails the same way.
    const resumed = (await t.http("/api/v1/jobs", { body: big })).body.id as string;
    await t.cluster.killMaster();
    await t.cluster.restartMaster();
    await t.cluster.waitForWorkers(1);
    const [third] = await waitEnded([resumed], 60_000);
    assert.equal(third.status, "FAILED", third.error);
    assert.match(third.error, limit);
    assert.equal(((await t.run({ nodes: [range(1000, 4)], action: { op: "collect", input: "n" } })) as number[]).length, 1000);
    await assertAlive("the restart");
  });
});
