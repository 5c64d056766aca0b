// A grammar-based JobSpec fuzzer (issue 14). Where fuzz.test.ts mutates three
// fixed specs at random, this one builds valid specs from the op grammar
// (src/ops/registry.ts: each op's kind, arity and parameter types) and turns them
// into resource bombs: deep and wide DAGs, unions that double, cartesian
// products, huge and odd numbers, pathological paths and globs, prototype keys,
// long strings, deep JSON, duplicate ids and cycles. Each is sent as raw JSON
// text to a real master with two workers. The oracle: every submission is
// answered 201 or 4xx within 2 s; every process stays up and answers /healthz;
// every accepted job reaches a terminal state (on its own, or when cancelled if
// it is still doing real work); a normal job afterwards gives the right answer;
// and a master killed and restarted on the same database starts and serves.
// Seeded (MINISPARK_SPEC_FUZZ_SEED) and time-bounded (MINISPARK_SPEC_FUZZ_MS,
// default 20 s of submissions).
import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import type { Json } from "../src/common/api-types.js";
import { requestRaw } from "../src/common/http-client.js";
import { mulberry32 } from "../src/common/random.js";
import { BUILTINS } from "../src/functions/builtin-names.js";
import type { ParamType } from "../src/ops/registry.js";
import { OPS, type OpDef } from "./helpers/op-defs.js";
import { startTestCluster, writeFile, type TestCluster } from "./helpers/cluster.js";

const SEED = Number(process.env.MINISPARK_SPEC_FUZZ_SEED ?? 20261201);
const BUDGET_MS = Number(process.env.MINISPARK_SPEC_FUZZ_MS ?? 20_000);
const ANSWER_MS = 2000;

type Node = { [k: string]: Json };
interface Spec {
  [k: string]: Json;
  nodes: Node[];
  action: Node;
}

/** Numbers JSON.stringify cannot write; placed as strings and unquoted in the text sent. */
const RAW = ["-0", "1e999", "-1e999", "NaN", "9007199254740993", "1e-400", "0.0000000000000000000001"];
const rawToken = (t: string) => `@@raw:${t}@@`;
const HUGE: Json[] = [1e9, 1e308, -1, 0, 2 ** 53 + 1, 1e15, -1e15, 1.5, Number.MAX_SAFE_INTEGER, "NaN", "1e9", ...RAW.map(rawToken)];
const PROTO_KEYS = ["__proto__", "constructor", "hasOwnProperty", "toString", "valueOf", "__defineGetter__", "prototype"];
/**
 * Globs at sizes the listing worker can take today (the worst ones are the glob
 * matcher's own tests). Left out: a path component longer than a file name may
 * be, which fails on the worker as an error of ours and is retried for a minute.
 */
const PATHS = [
  "fuzz/in.txt",
  "fuzz/*.txt",
  "fuzz/**/*.txt",
  "fuzz/{a,b,in}.txt",
  "{a,b}".repeat(10),
  "*".repeat(20) + "x",
  "**/".repeat(6) + "*",
  "../../etc/passwd",
  "/etc/passwd",
  "a/".repeat(2000) + "x",
  "fuzz/\u0000",
  "%2e%2e/x",
  "",
];
const SOURCES = ["range", "parallelize", "textFile", "csv", "jsonl"];
const NON_SOURCES = Object.keys(OPS).filter((op) => OPS[op]!.kind === "narrow" || OPS[op]!.kind === "wide");
const ACTIONS = Object.keys(OPS).filter((op) => OPS[op]!.kind === "action");
const FNS = [...Object.keys(BUILTINS), "x => x", "(a, b) => a + b", "x => [x % 3, x]", "x => String(x)", "(x, env) => x"];

/** An own property even for "__proto__", as JSON.parse makes it, so the key reaches the wire. */
function setOwn(o: object, k: string, v: Json): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

class Gen {
  private readonly rand = mulberry32(SEED);
  int(n: number): number {
    return Math.floor(this.rand() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  chance(p: number): boolean {
    return this.rand() < p;
  }

  /** A value of the type the grammar asks for, small enough to run quickly. */
  param(type: ParamType, name: string): Json {
    if (typeof type === "object") return this.pick(type.enum);
    switch (type) {
      case "fn":
        return this.pick(FNS);
      case "int":
        return name === "end" ? 1 + this.int(20) : this.int(5);
      case "number":
        return this.pick([0.1, 0.5, 1, 2]);
      case "count":
        return this.int(5);
      case "positive":
        return 1 + this.int(3);
      case "string":
        return this.pick([",", ";", '"']);
      case "boolean":
        return this.chance(0.5);
      case "array":
        return Array.from({ length: this.int(8) }, (_, i) => (this.chance(0.5) ? i : [i % 3, i]));
      case "json":
        return this.pick([0, null, [], "k"]);
      case "inputPath":
        return this.pick(["fuzz/in.txt", "fuzz/*.txt"]);
      case "outputPath":
        return `fuzz-out/${this.int(4)}`;
      case "command":
        // Only a command that reads its input and ends: the fuzzer tests the engine, not what a command may do.
        return this.pick(["cat", ["cat"]]);
    }
  }

  node(id: string, op: string, def: OpDef, inputs: string[]): Node {
    const n: Node = { id, op };
    if (inputs.length === 1 && this.chance(0.7)) n.input = inputs[0]!;
    else if (inputs.length > 0) n.inputs = inputs;
    for (const [name, type] of Object.entries(def.required)) n[name] = this.param(type, name);
    for (const [name, type] of Object.entries(def.optional)) if (this.chance(0.3)) n[name] = this.param(type, name);
    if (op === "range") Object.assign(n, { start: 0, end: 1 + this.int(20), numSlices: 1 + this.int(3) });
    if (op === "sample") n.fraction = 0.5;
    return n;
  }

  /** A spec that follows the grammar: sources first, then ops reading earlier nodes, then an action. */
  valid(): Spec {
    const nodes: Node[] = [];
    const count = 1 + this.int(6);
    for (let i = 0; i < count; i++) {
      const op = i === 0 || this.chance(0.2) ? this.pick(SOURCES) : this.pick(NON_SOURCES);
      const def = OPS[op]!;
      const arity = typeof def.inputs === "number" ? def.inputs : def.inputs.min + this.int(3);
      const inputs = Array.from({ length: arity }, () => nodes[this.int(nodes.length)]!.id as string);
      nodes.push(this.node(`n${i}`, op, def, inputs));
    }
    const op = this.pick(ACTIONS);
    const action = this.node("", op, OPS[op]!, [nodes[nodes.length - 1]!.id as string]);
    delete action.id;
    if (op === "save") action.mode = "overwrite";
    return { nodes, action };
  }

  /** One bomb of a random class, built on a valid spec; returns its class and the spec. */
  bomb(): [string, Spec] {
    const s = this.valid();
    const last = () => s.nodes[s.nodes.length - 1]!.id as string;
    const classes: Record<string, () => void> = {
      valid: () => {},
      deepChain: () => {
        const depth = this.pick([999, 1000, 1001, 5000, 10_000]);
        for (let i = 0; i < depth; i++) s.nodes.push({ id: `d${i}`, op: this.pick(["map", "filter", "glom", "keys"]), input: last(), fn: "x => x" });
        for (const n of s.nodes) if (n.op === "keys" || n.op === "glom") delete n.fn;
      },
      wideUnion: () => {
        const width = this.pick([2, 100, 1000, 9000]);
        for (let i = 0; i < width; i++) s.nodes.push({ id: `w${i}`, op: "range", start: 0, end: 2, numSlices: 1 });
        s.nodes.push({ id: "wide", op: this.pick(["union", "cogroup"]), inputs: Array.from({ length: width }, (_, i) => `w${i}`) });
      },
      doublingUnion: () => {
        const levels = this.pick([10, 20, 40, 60]);
        for (let i = 0; i < levels; i++) {
          const prev = last();
          s.nodes.push({ id: `u${i}`, op: "union", inputs: [prev, prev] });
          if (this.chance(0.5)) s.nodes.push({ id: `c${i}`, op: "coalesce", input: `u${i}`, numPartitions: 1 });
        }
      },
      cartesian: () => {
        for (let i = 0; i < this.pick([1, 3, 10]); i++) {
          const prev = last();
          s.nodes.push({ id: `x${i}`, op: "cartesian", inputs: [prev, prev] });
        }
      },
      hugeNumber: () => {
        for (let k = 1 + this.int(3); k > 0; k--) {
          const target = this.chance(0.3) ? s.action : this.chance(0.2) ? (s as Node) : this.pick(s.nodes);
          const name = this.pick([
            "numPartitions",
            "numSlices",
            "minPartitions",
            "maxPartitionBytes",
            "num",
            "end",
            "step",
            "start",
            "fraction",
            "seed",
            "buckets",
            "parallelism",
            "maxTaskRetries",
            "taskTimeoutMs",
          ]);
          target[name] = this.pick(HUGE);
        }
      },
      path: () => {
        const p = this.chance(0.3) ? Array.from({ length: this.pick([2, 1000]) }, () => this.pick(PATHS)) : this.pick(PATHS);
        s.nodes.unshift({ id: "p", op: this.pick(["textFile", "csv", "jsonl"]), path: p, ...(this.chance(0.3) ? { maxPartitionBytes: this.pick([1, 1000, 2 ** 40]) } : {}) });
        if (s.nodes.length > 1 && this.chance(0.5)) s.action.input = "p";
        if (this.chance(0.3)) s.action = { op: "save", input: "p", path: this.pick(["../x", "/tmp/x", "a/../../b", "fuzz-out/p", "outputs/../x", "\u0000"]), mode: "overwrite" };
      },
      protoKeys: () => {
        const key = this.pick(PROTO_KEYS);
        const n = this.pick(s.nodes);
        const where = this.int(4);
        if (where === 0) {
          // The node becomes `key`, and so do the references to it.
          const old = n.id as string;
          for (const m of s.nodes) {
            if (m.input === old) m.input = key;
            if (Array.isArray(m.inputs)) m.inputs = m.inputs.map((i) => (i === old ? key : i));
          }
          if (s.action.input === old) s.action.input = key;
          n.id = key;
        } else if (where === 1) setOwn(n, key, this.pick([1, {}, "x"]));
        else if (where === 2) n.env = Object.fromEntries([[key, { valueOf: 1 }]]) as Json;
        else setOwn(s.action, key, 1);
      },
      longString: () => {
        const long = "x".repeat(this.pick([1000, 100_000, 1_000_000]));
        const n = this.pick(s.nodes);
        const field = this.pick(["id", "op", "fn", "name"]);
        if (field === "name") s.name = long;
        else if (field === "fn") n.fn = `x => "${long}"`;
        else n[field] = long;
      },
      deepJson: () => {
        // Written as text: JSON.stringify gives up long before JSON.parse does.
        const depth = this.pick([100, 5000, 100_000]);
        const v = rawToken(`${"[".repeat(depth)}1${"]".repeat(depth)}`);
        s.nodes.unshift({ id: "deep", op: "parallelize", data: [v] });
        if (this.chance(0.5)) s.nodes[1]!.env = { v };
      },
      duplicateIds: () => {
        s.nodes.push({ ...s.nodes[0]! });
      },
      cycle: () => {
        const a = s.nodes[0]!;
        s.nodes.push({ id: "cy1", op: "map", input: "cy2", fn: "x => x" }, { id: "cy2", op: "union", inputs: ["cy1", a.id as string] });
        if (this.chance(0.5)) s.nodes.push({ id: "self", op: "map", input: "self", fn: "x => x" });
        s.action.input = "cy2";
      },
      edges: () => {
        const n = this.pick([10, 100_000, 100_001]);
        const e: Json[] = [];
        for (let i = 0; i < n; i++) e.push([s.nodes[0]!.id as string, this.pick(s.nodes).id as string]);
        s.edges = e;
      },
    };
    const name = this.pick(Object.keys(classes));
    classes[name]!();
    return [name, s];
  }
}

function text(spec: Spec): string {
  return JSON.stringify(spec).replace(/"@@raw:([^@"]*)@@"/g, "$1");
}

let t: TestCluster;
before(async () => {
  t = await startTestCluster({
    workers: 2,
    slots: 1,
    // Accepted jobs must be able to end within the test: short tasks, few of them.
    masterArgs: ["--task-timeout", "2s", "--max-tasks-per-job", "5000"],
  });
  writeFile(t.dataDir, "fuzz/in.txt", "a,1\nb,2\nc,3\n");
  writeFile(t.dataDir, "fuzz/b.txt", '{"k":1}\n');
});
after(async () => {
  await t?.stop();
});

async function healthy(): Promise<void> {
  assert.equal(t.cluster.masterProcess?.exitCode, null, "the master is running");
  for (const w of t.cluster.workerProcesses) assert.equal(w.exitCode, null, "every worker is running");
  assert.equal((await t.http("/healthz")).status, 200);
  const workers = (await t.http("/api/v1/workers")).body.workers as { address: string; status: string }[];
  for (const w of workers.filter((w) => w.status === "ALIVE")) {
    assert.equal((await requestRaw(`http://${w.address}/healthz`, { timeoutMs: ANSWER_MS })).status, 200, `worker ${w.address} answers`);
  }
}

const TERMINAL = ["COMPLETED", "FAILED", "CANCELLED"];
/** Accepted jobs in flight at most: the fuzzer waits for them, so that jobs end on their own rather than in a queue. */
const IN_FLIGHT = 4;
/** A job still not ended this long after it was accepted is doing real work: it must be running tasks, and is cancelled. */
const JOB_MS = 15_000;

interface Live {
  id: string;
  kind: string;
  since: number;
  body: string;
}

async function status(id: string): Promise<{ status: string; stages: { numTasks: number }[] }> {
  return (await t.http(`/api/v1/jobs/${id}`)).body;
}

it("answers every generated bomb within 2 s, ends every accepted job, and still serves, also after a restart", async () => {
  const g = new Gen();
  const started = Date.now();
  const tried = new Map<string, { n: number; accepted: number; refused: number }>();
  const ended: Record<string, number> = {};
  let live: Live[] = [];
  let cancelled = 0;

  /** Waits until fewer than `max` accepted jobs are in flight; a job in flight for JOB_MS is checked and cancelled. */
  const drain = async (max: number) => {
    for (;;) {
      const still: Live[] = [];
      for (const job of live) {
        const v = await status(job.id);
        if (TERMINAL.includes(v.status)) ended[v.status] = (ended[v.status] ?? 0) + 1;
        else if (Date.now() - job.since < JOB_MS) still.push(job);
        else {
          assert.ok(
            v.status === "RUNNING" && v.stages.length > 0 && v.stages.every((st) => st.numTasks >= 1),
            `job ${job.id} (${job.kind}) is ${v.status} after ${JOB_MS} ms, not running tasks: ${job.body.slice(0, 500)}`,
          );
          await t.http(`/api/v1/jobs/${job.id}/cancel`, { method: "POST" });
          let end = "";
          for (let k = 0; k < 50 && !TERMINAL.includes(end); k++) {
            end = (await status(job.id)).status;
            if (!TERMINAL.includes(end)) await new Promise((r) => setTimeout(r, 100));
          }
          assert.ok(TERMINAL.includes(end), `job ${job.id} (${job.kind}) ended when cancelled: ${end}`);
          console.log(`# cancelled a ${job.kind} job still running after ${JOB_MS} ms`);
          cancelled++;
        }
      }
      live = still;
      if (live.length < max) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  let i = 0;
  for (; Date.now() - started < BUDGET_MS; i++) {
    await drain(IN_FLIGHT);
    const [kind, spec] = g.bomb();
    const body = text(spec);
    const sent = Date.now();
    const res = await requestRaw(`${t.cluster.masterUrl}/api/v1/jobs`, { method: "POST", body, token: t.cluster.token, timeoutMs: 10_000 }).catch((e: Error) => e);
    const took = Date.now() - sent;
    const where = `case ${i} (${kind}, seed ${SEED}): ${body.slice(0, 300)}`;
    assert.ok(!(res instanceof Error), `${where}: ${res instanceof Error ? res.message : ""}`);
    assert.ok(res.status === 201 || (res.status >= 400 && res.status < 500), `${where}: answered ${res.status} ${res.body.toString().slice(0, 300)}`);
    assert.ok(took < ANSWER_MS, `${where}: answered in ${took} ms`);
    const stat = tried.get(kind) ?? { n: 0, accepted: 0, refused: 0 };
    stat.n++;
    if (res.status === 201) {
      stat.accepted++;
      live.push({ id: (JSON.parse(res.body.toString()) as { id: string }).id, kind, since: Date.now(), body });
    } else stat.refused++;
    tried.set(kind, stat);
    if (i % 20 === 0) await healthy();
  }
  await drain(1);
  console.log(
    `# spec fuzz: ${i} specs in ${Date.now() - started} ms; accepted jobs ended ${JSON.stringify(ended)} on their own, ${cancelled} cancelled; by class ${JSON.stringify(Object.fromEntries(tried))}`,
  );

  await healthy();
  const words = {
    nodes: [
      { id: "l", op: "textFile", path: "fuzz/in.txt" },
      { id: "k", op: "map", input: "l", fn: "parse_csv" },
    ],
    action: { op: "count", input: "k" },
  };
  assert.equal(await t.run(words), 3);

  await t.cluster.killMaster("SIGKILL");
  await t.cluster.restartMaster();
  await t.cluster.waitForWorkers(2);
  await healthy();
  assert.equal(await t.run(words), 3);
});
