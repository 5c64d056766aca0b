// Fuzzing the master (issue 8): thousands of random and mutated job specs,
// heartbeats, task reports and raw bodies, seeded so a failure repeats. Every
// one must get a 2xx or 4xx answer (never a 5xx, a dropped connection or a
// crash), and afterwards the cluster must still run a real job correctly.
// MINISPARK_FUZZ_CASES sets the number of cases (default 3000).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Json } from "../src/common/api-types.js";
import { requestRaw } from "../src/common/http-client.js";
import { mulberry32 } from "../src/common/random.js";
import { startTestCluster, type TestCluster } from "./helpers/cluster.js";
import { PROTOCOL_VERSION } from "../src/common/version.js";

const CASES = Number(process.env.MINISPARK_FUZZ_CASES ?? 3000);
const SEED = 20261127;

const SPECS: Json[] = [
  {
    name: "words",
    nodes: [
      { id: "lines", op: "parallelize", data: ["a b", "b c"], numSlices: 2 },
      { id: "words", op: "flatMap", input: "lines", fn: "l => l.split(' ')" },
      { id: "ones", op: "map", input: "words", fn: "pair_with_one" },
      { id: "counts", op: "reduceByKey", input: "ones", fn: "sum", numPartitions: 2 },
    ],
    action: { op: "collect", input: "counts" },
  },
  {
    nodes: [
      {
        id: "a",
        op: "parallelize",
        data: [
          [1, "x"],
          [2, "y"],
        ],
      },
      { id: "b", op: "parallelize", data: [[1, true]] },
      { id: "j", op: "join", inputs: ["a", "b"] },
      { id: "s", op: "sortBy", input: "j", fn: "p => p[0]", ascending: false },
    ],
    action: { op: "take", input: "s", n: 1 },
  },
  {
    nodes: [{ id: "t", op: "textFile", path: "fuzz/input.txt", minPartitions: 2 }],
    action: { op: "save", input: "t", path: "fuzz-out", mode: "overwrite" },
  },
];

const HEARTBEAT: Json = {
  protocol: PROTOCOL_VERSION,
  worker_id: "fuzz-worker",
  address: "127.0.0.1:1",
  status: "IDLE",
  active_tasks: 0,
  mem_usage_mb: 10,
  last_heartbeat: 0,
  slots: 1,
  cpu_percent: 0,
  avg_task_ms: 0,
  tasks_completed: 0,
  tasks_failed: 0,
  heap_used_mb: 1,
  shuffle_bytes_served: 0,
  memory_budget_mb: 64,
  execution_memory_mb: 0,
  spill_count: 0,
  spill_bytes: 0,
  running_attempts: [],
};

const REPORTS: Json = {
  protocol: PROTOCOL_VERSION,
  worker_id: "fuzz-worker",
  reports: [
    { protocol: PROTOCOL_VERSION, worker_id: "fuzz-worker", attemptId: "job-x.0.0.0", metrics: null, state: "FINISHED", result: { type: "count", count: 3 } },
    {
      protocol: PROTOCOL_VERSION,
      worker_id: "fuzz-worker",
      attemptId: "job-x.0.1.0",
      metrics: null,
      state: "FETCH_FAILED",
      error: "e",
      fetchFailure: { shuffleId: 0, mapId: 0, workerId: "w", address: "127.0.0.1:1", message: "m" },
    },
  ],
};

/** An own property even for "__proto__", as JSON.parse makes it, so the key reaches the wire. */
function setOwn(o: object, k: string | number, v: Json): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

class Fuzzer {
  private readonly rand = mulberry32(SEED);

  int(n: number): number {
    return Math.floor(this.rand() * n);
  }

  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }

  value(depth = 0): Json {
    const simple: Json[] = [
      null,
      true,
      false,
      0,
      -1,
      1,
      2 ** 31,
      -(2 ** 53),
      1e308,
      0.5,
      "",
      "x".repeat(5000),
      "../../etc/passwd",
      "/etc/passwd",
      "%2e%2e%2f",
      "nums",
      "lines",
      "map",
      "reduceByKey",
      "sum",
      "tokenize",
      "x => x",
      "(a, b) => a +",
      "while(true){}",
      "İ̇\u0000\ud800",
      "__proto__",
      "constructor",
    ];
    if (depth > 2 || this.rand() < 0.7) return this.pick(simple);
    if (this.rand() < 0.5) return Array.from({ length: this.int(4) }, () => this.value(depth + 1));
    const o: { [k: string]: Json } = {};
    for (let i = this.int(4); i > 0; i--) setOwn(o, this.pick(["id", "op", "input", "fn", "data", "nodes", "action", "__proto__", "constructor", "numSlices", "path"]), this.value(depth + 1));
    return o;
  }

  /** A copy of `x` with one to four random edits deep inside. */
  mutate(x: Json): Json {
    let out = structuredClone(x);
    for (let n = 1 + this.int(4); n > 0; n--) out = this.edit(out);
    return out;
  }

  private edit(x: Json): Json {
    if (x === null || typeof x !== "object" || this.rand() < 0.15) return this.value();
    const keys = Array.isArray(x) ? x.map((_, i) => i) : Object.keys(x);
    if (keys.length === 0 || this.rand() < 0.1) {
      if (Array.isArray(x)) x.push(this.value());
      else setOwn(x, this.pick(["extra", "id", "__proto__"]), this.value());
      return x;
    }
    const k = this.pick(keys as (string | number)[]);
    const r = this.rand();
    const rec = x as Record<string | number, Json>;
    if (r < 0.15) {
      if (Array.isArray(x)) x.splice(k as number, 1);
      else delete rec[k];
    } else if (r < 0.25 && Array.isArray(x)) x.push(structuredClone(x[k as number]!));
    else setOwn(rec, k, this.edit(rec[k]!));
    return x;
  }

  /** JSON text broken in a random way: cut short, a byte flipped, or junk. */
  brokenText(x: Json): string {
    const text = JSON.stringify(x);
    switch (this.int(3)) {
      case 0:
        return text.slice(0, this.int(text.length));
      case 1: {
        const i = this.int(text.length);
        return text.slice(0, i) + this.pick(["{", "]", '"', "\\", "\u0000", "\ud800", ",,", "1e99999"]) + text.slice(i + 1);
      }
      default:
        return this.pick(["", "null", "[]", "{}", '"x"', "1", "{".repeat(5000), "[".repeat(100_000)]);
    }
  }
}

/** Keeps fuzzed heartbeats from registering anything the master would connect to beyond loopback. */
function loopbackOnly(hb: Json): Json {
  if (hb && typeof hb === "object" && !Array.isArray(hb) && typeof hb.address === "string" && /:\d+$/.test(hb.address)) {
    hb.address = "127.0.0.1:1";
  }
  return hb;
}

describe("fuzzing the master", () => {
  let t: TestCluster;

  before(async () => {
    t = await startTestCluster({ workers: 2, slots: 1, workerTimeoutMs: 3000, workerArgs: ["--heartbeat", "500ms"] });
  });

  after(async () => {
    await t?.stop();
  });

  it(`answers ${CASES} random and mutated requests with 2xx or 4xx, and still runs jobs correctly`, async () => {
    const f = new Fuzzer();
    const statuses = new Map<number, number>();
    let accepted = 0;
    for (let i = 0; i < CASES; i++) {
      const kind = f.int(10);
      let path: string;
      let body: string | undefined;
      let method = "POST";
      if (kind < 4) {
        path = "/api/v1/jobs";
        body = JSON.stringify(f.mutate(f.pick(SPECS)));
      } else if (kind < 6) {
        path = "/heartbeat";
        body = JSON.stringify(loopbackOnly(f.mutate(HEARTBEAT)));
      } else if (kind < 7) {
        path = "/task-reports";
        body = JSON.stringify(f.mutate(REPORTS));
      } else if (kind < 9) {
        path = f.pick(["/api/v1/jobs", "/heartbeat", "/task-reports", "/deregister"]);
        body = f.brokenText(f.pick([...SPECS, HEARTBEAT, REPORTS]));
      } else {
        method = f.pick(["GET", "DELETE", "PUT"]);
        path =
          f.pick(["/api/v1/jobs/", "/api/v1/jobs/job-1/stages/", "/api/v1/workers?limit=", "/api/v1/jobs?limit=", "/../../", "/metrics/"]) +
          encodeURIComponent(JSON.stringify(f.value()).replace(/[\ud800-\udfff]/g, "?"));
      }
      const res = await requestRaw(t.cluster.masterUrl + path, { method, body, token: t.cluster.token }).catch((e: Error) => e);
      assert.ok(!(res instanceof Error), `case ${i} (${method} ${path}): ${res instanceof Error ? res.message : ""}\n${body?.slice(0, 500)}`);
      assert.ok(res.status < 500, `case ${i} (${method} ${path}) answered ${res.status}: ${res.body.toString().slice(0, 300)}\n${body?.slice(0, 500)}`);
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      if (path === "/api/v1/jobs" && method === "POST" && res.status < 300) {
        accepted++;
        const { id } = JSON.parse(res.body.toString()) as { id: string };
        await t.http(`/api/v1/jobs/${id}/cancel`, { method: "POST" });
      }
    }
    console.log(`# fuzz: ${CASES} cases, answers ${JSON.stringify(Object.fromEntries([...statuses].sort()))}, ${accepted} specs accepted`);
    assert.equal(t.cluster.masterProcess?.exitCode, null, "the master is still running");
    // Phantom workers registered by fuzzed heartbeats run out of lease; the real ones stay.
    await new Promise((r) => setTimeout(r, 4000));
    const alive = ((await t.http("/api/v1/workers")).body.workers as { status: string }[]).filter((w) => w.status === "ALIVE");
    assert.equal(alive.length, 2);
    const counts = await t.run<[string, number][]>(SPECS[0]);
    assert.deepEqual(
      new Map(counts),
      new Map([
        ["a", 1],
        ["b", 2],
        ["c", 1],
      ]),
    );
  });
});
