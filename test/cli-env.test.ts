// The CLI against a real cluster configured as a container would configure it:
// a master and a worker started with no flags, only MINISPARK_* variables,
// checked by what they do; --conf and the defaults file reaching a job file's
// job and a program's jobs; a program's arguments after its script.
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, before, describe, it } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { JobInfo } from "../src/common/api-types.js";
import { MinisparkClient } from "../src/client/rest-client.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(ROOT, "bin", "minispark.js");
const tmp = fs.mkdtempSync(join(os.tmpdir(), "minispark-cli-env-"));
const home = join(tmp, "home");
const dataDir = join(tmp, "data");
const TOKEN = "cli-env-test-token";

/** This process's environment without any MINISPARK_* variable, so that only the test's own reach the CLI. */
function cleanEnv(vars: Record<string, string>): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("MINISPARK_")));
  return { ...env, MINISPARK_HOME: home, ...vars };
}

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((res) => srv.listen(0, "127.0.0.1", res));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((res) => srv.close(res));
  return port;
}

const procs: ChildProcess[] = [];
let masterUrl = "";

function server(vars: Record<string, string>, ready: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [BIN, vars.MINISPARK_MASTER ? "worker" : "master"], { env: cleanEnv(vars), stdio: ["ignore", "ignore", "pipe"] });
  procs.push(child);
  const log: string[] = [];
  return new Promise((res, rej) => {
    createInterface({ input: child.stderr! }).on("line", (line) => {
      log.push(line);
      if (line.includes(ready)) res(child);
    });
    child.once("exit", (code) => rej(new Error(`exited with ${code}:\n${log.join("\n")}`)));
  });
}

function minispark(args: string[], vars: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: tmp, encoding: "utf8", timeout: 60_000, env: cleanEnv({ MINISPARK_MASTER: masterUrl, MINISPARK_TOKEN: TOKEN, ...vars }) });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function writeJob(name: string, spec: unknown): string {
  const file = join(tmp, name);
  fs.writeFileSync(file, JSON.stringify(spec));
  return file;
}

const ALWAYS_FAILS = {
  nodes: [
    { id: "n", op: "range", start: 0, end: 10, numSlices: 1 },
    { id: "m", op: "map", input: "n", fn: "x => { throw new Error('always broken'); }" },
  ],
  action: { op: "count", input: "m" },
};

/** Submits with --wait --json and returns the failed job, asserting it failed. */
function failedJob(args: string[]): JobInfo {
  const r = minispark(["submit", ...args, "--wait", "--json"]);
  assert.equal(r.code, 1, r.stderr);
  const job = JSON.parse(r.stdout) as JobInfo;
  assert.equal(job.status, "FAILED");
  assert.equal(job.failedTasks[0]!.attempts.length, job.metrics.attempts, "the attempt history has every attempt");
  return job;
}

before(async () => {
  fs.mkdirSync(dataDir, { recursive: true });
  const port = await freePort();
  masterUrl = `http://127.0.0.1:${port}`;
  await server({ MINISPARK_PORT: String(port), MINISPARK_MAX_PARTITIONS: "4", MINISPARK_DB: join(tmp, "jobs.db"), MINISPARK_TOKEN: TOKEN, MINISPARK_WORKER_TIMEOUT: "5s" }, '"master listening"');
  await server({ MINISPARK_MASTER: masterUrl, MINISPARK_TOKEN: TOKEN, MINISPARK_DATA_DIR: dataDir, MINISPARK_SLOTS: "1", MINISPARK_MEMORY: "256mb", MINISPARK_HEARTBEAT: "500ms" }, '"worker started"');
  // A second worker given nothing but where the master is: the help's printed defaults are checked against it.
  await server({ MINISPARK_MASTER: masterUrl, MINISPARK_TOKEN: TOKEN, MINISPARK_DATA_DIR: dataDir }, '"worker started"');
  const client = new MinisparkClient(masterUrl, TOKEN);
  const deadline = Date.now() + 20_000;
  while ((await client.workers()).filter((w) => w.status === "ALIVE").length < 2) {
    if (Date.now() > deadline) throw new Error("the worker did not register");
    await new Promise((res) => setTimeout(res, 100));
  }
});

after(async () => {
  for (const p of procs) p.kill("SIGKILL");
  await Promise.all(procs.map((p) => (p.exitCode === null && p.signalCode === null ? new Promise((res) => p.once("exit", res)) : null)));
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe("a master and a worker configured only by their environment", () => {
  it("the worker's --slots and --memory come from MINISPARK_SLOTS and MINISPARK_MEMORY; without them, the help's printed defaults apply", () => {
    const r = minispark(["workers", "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const workers = JSON.parse(r.stdout) as { slots: number; memory_budget_mb: number; status: string }[];
    assert.deepEqual(
      workers.map((w) => w.status),
      ["ALIVE", "ALIVE"],
    );
    const fromEnv = workers.find((w) => w.memory_budget_mb === 256 && w.slots === 1);
    assert.ok(fromEnv, JSON.stringify(workers));
    const help = minispark(["worker", "--help"]).stdout;
    // The help prints the rule and this machine's value: "(default this machine's cores (here 4); ...".
    const printed = (flag: string) => new RegExp(`--${flag} <[^>]+> .*\\n\\s+\\(default [^;]*\\(here ([^)]+)\\);`).exec(help)![1]!;
    const other = workers.find((w) => w !== fromEnv)!;
    assert.equal(String(other.slots), printed("slots"));
    assert.equal(`${other.memory_budget_mb}mb`, printed("memory"));
  });

  it("the master's --port and --max-partitions come from MINISPARK_PORT and MINISPARK_MAX_PARTITIONS", () => {
    const job = (n: number) => writeJob(`slices-${n}.json`, { nodes: [{ id: "p", op: "parallelize", data: [1, 2, 3, 4, 5], numSlices: n }], action: { op: "count", input: "p" } });
    const ok = minispark(["submit", job(4), "--wait", "--json"]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal((JSON.parse(ok.stdout) as { results: { value: number } }).results.value, 5);
    const refused = minispark(["submit", job(5), "--wait"]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /5 partitions, more than the limit of 4/);
  });

  it("a bad value in a variable is a usage error naming the variable, not the flag", () => {
    const r = spawnSync(process.execPath, [BIN, "worker"], { encoding: "utf8", env: cleanEnv({ MINISPARK_HEARTBEAT: "soon", MINISPARK_TOKEN: TOKEN }) });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^MINISPARK_HEARTBEAT must be a duration such as 500ms, 10s, 5m, 1h or 1d, got "soon"/);
    const flag = spawnSync(process.execPath, [BIN, "master", "--port", "x"], { encoding: "utf8", env: cleanEnv({ MINISPARK_PORT: "7" }) });
    assert.equal(flag.status, 2);
    assert.match(flag.stderr, /^--port must be 0\.\.65535, got "x"/);
  });
});

describe("--conf and the defaults file", () => {
  after(() => fs.rmSync(join(home, "defaults.conf"), { force: true }));

  it("a job file's job: --conf maxTaskRetries=1 fails after one attempt; the defaults file's value applies without it", () => {
    const file = writeJob("fails.json", ALWAYS_FAILS);
    fs.mkdirSync(home, { recursive: true });
    fs.writeFileSync(join(home, "defaults.conf"), "# as spark-defaults.conf\nmaxTaskRetries 2\nname from-defaults\n");
    const conf = failedJob([file, "--conf", "maxTaskRetries=1"]);
    assert.equal(conf.metrics.attempts, 1);
    assert.equal(conf.name, "from-defaults");
    assert.equal(failedJob([file]).metrics.attempts, 2);
    // A job's own field wins, as a SparkConf set in the application wins over spark-submit's --conf.
    const own = failedJob([writeJob("fails-own.json", { ...ALWAYS_FAILS, name: "own", maxTaskRetries: 3 }), "--conf", "maxTaskRetries=1", "--conf", "name=conf"]);
    assert.equal(own.metrics.attempts, 3);
    assert.equal(own.name, "own");
  });

  it("--properties-file replaces the default file; an unknown key is refused with its line", () => {
    const props = join(tmp, "team.conf");
    fs.writeFileSync(props, "maxTaskRetries=1\n\nretries 4\n");
    const r = minispark(["submit", writeJob("fails-props.json", ALWAYS_FAILS), "--properties-file", props]);
    assert.equal(r.code, 2);
    assert.equal(r.stderr.trim(), `${props}:3: unknown key "retries" (known: name, parallelism, maxTaskRetries, taskTimeoutMs, master, token-file, tls-ca)`);
  });

  it("master and token-file as client defaults; the environment wins over the file", () => {
    fs.writeFileSync(join(tmp, "token"), `${TOKEN}\n`);
    fs.writeFileSync(join(home, "defaults.conf"), `master ${masterUrl}\ntoken-file ${join(tmp, "token")}\n`);
    const fromFile = minispark(["workers", "--json"], { MINISPARK_MASTER: "", MINISPARK_TOKEN: "" });
    assert.equal(fromFile.code, 0, fromFile.stderr);
    assert.equal((JSON.parse(fromFile.stdout) as unknown[]).length, 2);
    const env = minispark(["workers"], { MINISPARK_MASTER: "http://127.0.0.1:1", MINISPARK_TOKEN: "" });
    assert.equal(env.code, 1);
    assert.match(env.stderr, /cannot reach http:\/\/127\.0\.0\.1:1/);
  });
});

describe("a program's arguments and settings", () => {
  it("submit app.mjs -- a b: the program gets [a, b] and its jobs get --conf's settings through connect()", () => {
    const app = join(tmp, "app.mjs");
    fs.writeFileSync(
      app,
      `import { connect } from ${JSON.stringify(pathToFileURL(join(ROOT, "dist", "src", "index.js")).href)};
console.log(JSON.stringify({ argv: process.argv.slice(2) }));
const sc = await connect();
try {
  await sc.range(0, 3, 1, 1).map((x) => { throw new Error("no " + x); }).count();
} catch (e) {
  console.log(JSON.stringify({ error: e.message }));
}
await sc.close();
`,
    );
    const r = minispark(["submit", "--master", masterUrl, "--conf", "maxTaskRetries=1", "--conf", "name=argv-app", app, "--", "a", "--json", "b c"]);
    assert.equal(r.code, 0, r.stderr);
    const [args, failure] = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { argv?: string[]; error?: string });
    assert.deepEqual(args!.argv, ["a", "--json", "b c"]);
    assert.match(failure!.error!, /failed 1 times \(attempts: #0 on worker-\w+: FAILED\)/);
    const jobs = JSON.parse(minispark(["jobs", "--json"]).stdout) as { name: string }[];
    assert.ok(
      jobs.some((j) => j.name === "argv-app: count"),
      "the conf's name is the program's appName",
    );
  });

  it("submit app.ts a b: everything after the script reaches a TypeScript program", () => {
    const app = join(tmp, "args.ts");
    fs.writeFileSync(app, "const args: string[] = process.argv.slice(2);\nconsole.log(JSON.stringify(args));\n");
    const r = minispark(["submit", app, "one", "--wait", "-h"]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), ["one", "--wait", "-h"]);
  });

  it("a job file takes no program arguments", () => {
    const r = minispark(["submit", writeJob("plain.json", ALWAYS_FAILS), "a", "b"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /a job file takes no program arguments, got "a" "b" \(a program does: submit app\.ts a b\)/);
  });
});
