// Every number and name a user gives the CLI has bounds, refused with a message
// naming the flag (or variable, or --conf, or the file's line), the value and
// the bound before anything is forked or bound: the value rules as pure
// functions, then as real `minispark` processes. Also: the token and
// token-file are one setting across layers, and a lower layer's token-file is
// not sent to a master a higher layer chose.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { MAX_LOCAL_WORKERS, localWorkers } from "../src/common/local-master.js";
import { MAX_RESULT_CEILING } from "../src/plan/result-budget.js";
import { MAX_PARTITIONS, MAX_TASK_RETRIES } from "../src/plan/spec-limits.js";
import { jobSettings, parseConfFlag } from "../src/cli/conf.js";
import { MAX_TIMER_MS, MAX_WORKER_SLOTS, ambiguousValueMessage, countRule, durationRule, parseHostPort, parseJobId, sizeRule } from "../src/cli/flag-values.js";
import { cgroupLimit } from "../src/cli/machine-memory.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(ROOT, "bin", "minispark.js");
const tmp = fs.mkdtempSync(join(os.tmpdir(), "minispark-bounds-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
fs.writeFileSync(join(tmp, "job.json"), JSON.stringify({ nodes: [{ id: "n", op: "range", start: 0, end: 4 }], action: { op: "count", input: "n" } }));

/** A clean environment: no MINISPARK_* from the one running the tests. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("MINISPARK_")));
  return { ...env, MINISPARK_HOME: join(tmp, "home"), ...extra };
}

function minispark(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: tmp, encoding: "utf8", timeout: 30_000, env: cleanEnv(env) });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A usage error (exit 2) whose first line matches `message`. */
function refused(args: string[], message: RegExp, env: Record<string, string> = {}): void {
  const r = minispark(args, env);
  assert.equal(r.code, 2, `${args.join(" ")}: ${r.stdout}${r.stderr}`);
  assert.match(r.stderr.split("\n")[0]!, message, args.join(" "));
}

describe("value rules", () => {
  it("a duration needs a unit (0 only where the flag gives 0 a meaning) and fits setTimeout", () => {
    const d = durationRule(100);
    assert.equal(d.parse("250ms", "--heartbeat"), 250);
    assert.equal(d.parse("24d", "--heartbeat"), 24 * 86_400_000);
    assert.throws(() => d.parse("30", "--heartbeat"), /^Error: --heartbeat must be a duration such as 500ms, 10s, 5m, 1h or 1d, got "30" \(a unit is required: 30ms or 30s\?\)$/);
    assert.throws(() => d.parse("0", "--heartbeat"), /must be a duration/);
    assert.throws(() => d.parse("99ms", "--heartbeat"), /^Error: --heartbeat must be at least 100ms, got "99ms"$/);
    assert.throws(
      () => d.parse("1000000000d", "MINISPARK_HEARTBEAT"),
      new RegExp(`^Error: MINISPARK_HEARTBEAT must be at most ${MAX_TIMER_MS} ms \\(about 24d, the longest timer Node.js keeps\\), got "1000000000d"$`),
    );
    assert.equal(d.parse(`${MAX_TIMER_MS}ms`, "--x"), MAX_TIMER_MS);
    assert.throws(() => d.parse(`${MAX_TIMER_MS + 1}ms`, "--x"), /at most/);
    const never = durationRule(1000, "never");
    assert.equal(never.parse("0", "--task-timeout"), 0);
    assert.throws(() => never.parse("500ms", "--task-timeout"), /^Error: --task-timeout must be at least 1s \(or 0 = never\), got "500ms"$/);
    assert.equal(never.describe, "1s..24d, or 0 = never");
  });

  it("a count is an integer within its bounds", () => {
    const slots = countRule(1, MAX_WORKER_SLOTS);
    assert.equal(slots.parse("256", "--slots"), 256);
    assert.throws(() => slots.parse("1000000000", "--slots"), /^Error: --slots must be at most 256, got "1000000000"$/);
    for (const bad of ["0", "-1", "1.5", "", "1e3", "0x10"]) assert.throws(() => slots.parse(bad, "--slots"), /--slots must be an integer from 1 to 256/, bad);
  });

  it("a size is within its bounds, the ceiling and what it is named in the message", () => {
    const r = sizeRule(1, MAX_RESULT_CEILING, "384mb is the most one stored value can hold");
    assert.equal(r.parse("384mb", "--max-result-size"), MAX_RESULT_CEILING);
    assert.throws(() => r.parse("1gb", "--max-result-size"), /^Error: --max-result-size must be at most 384mb \(384mb is the most one stored value can hold\), got "1gb"$/);
    assert.throws(() => r.parse("0", "--max-result-size"), /^Error: --max-result-size must be at least 1b, got "0"$/);
    assert.throws(() => r.parse("lots", "--max-result-size"), /cannot read "lots" as a size/);
  });

  it("local[N] takes 1..MAX_LOCAL_WORKERS, one rule for connect() and the CLI", () => {
    assert.equal(localWorkers("local"), 2);
    assert.equal(localWorkers(`local[${MAX_LOCAL_WORKERS}]`), MAX_LOCAL_WORKERS);
    assert.equal(localWorkers("http://m:7077"), null);
    for (const bad of ["local[0]", "local[1000000000]", "local[]", "local[x]"]) assert.throws(() => localWorkers(bad), /a local cluster takes 1 to 64 workers/, bad);
  });

  it("an address is host:port with a port of 1..65535, IPv6 in brackets", () => {
    assert.equal(parseHostPort("w1.example:7078", "--advertise"), "w1.example:7078");
    assert.equal(parseHostPort("[::1]:7078", "--advertise"), "[::1]:7078");
    for (const bad of ["garbage", "example.com:99999", "example.com:0", "::1:7078", ":7078", "a b:1"]) {
      assert.throws(() => parseHostPort(bad, "--advertise"), /^Error: --advertise must be host:port with a port from 1 to 65535/, bad);
    }
  });

  it("a job id looks like one", () => {
    assert.equal(parseJobId("job-0m4x1k2qz-3f9a1c"), "job-0m4x1k2qz-3f9a1c");
    for (const bad of ["", "job-", "../x", "job-1-2/results"]) assert.throws(() => parseJobId(bad), /is not a job id/, bad);
  });

  it("a flag followed by a value starting with '-' is explained", () => {
    assert.equal(
      ambiguousValueMessage("Option '--port' argument is ambiguous.\nDid you forget", ["--port", "-1"]),
      '--port was followed by "-1", which starts with "-": write --port=-1 if that is its value, or give --port a value',
    );
    assert.equal(ambiguousValueMessage("Unknown option '--x'", ["--x"]), null);
  });

  it("a cgroup's memory.max is a limit unless it says max", () => {
    assert.equal(cgroupLimit("2147483648\n"), 2147483648);
    assert.equal(cgroupLimit("max\n"), null);
  });

  it("--conf job settings keep the validator's bounds and name where they were written", () => {
    assert.throws(() => jobSettings([parseConfFlag("parallelism=1000000000")]), new RegExp(`^Error: --conf: parallelism must be at most ${MAX_PARTITIONS}, got "1000000000"$`));
    assert.throws(() => jobSettings([parseConfFlag(`maxTaskRetries=${MAX_TASK_RETRIES + 1}`)]), /^Error: --conf: maxTaskRetries must be at most 100/);
    assert.throws(() => jobSettings([parseConfFlag("taskTimeoutMs=1000000000d")]), /^Error: --conf: taskTimeoutMs must be at most 2147483647/);
    assert.throws(() => jobSettings([parseConfFlag(`name=${"n".repeat(201)}`)]), /^Error: --conf: name must be at most 200 characters/);
    assert.deepEqual(jobSettings([parseConfFlag(`parallelism=${MAX_PARTITIONS}`)]), { parallelism: MAX_PARTITIONS });
  });
});

describe("a minispark process refuses out-of-bounds values before it starts anything", () => {
  it("worker and slot counts", () => {
    refused(["local", "job.json", "--workers", "1000000000"], /^--workers must be at most 64, got "1000000000"$/);
    refused(["local", "job.json", "--slots", "1000000000"], /^--slots must be at most 256/);
    refused(["demo", "--slots", "1000000000"], /^--slots must be at most 256/);
    refused(["worker", "--slots", "1000000000"], /^--slots must be at most 256/);
    refused(["worker"], /^MINISPARK_SLOTS must be at most 256/, { MINISPARK_SLOTS: "1000000000" });
    fs.writeFileSync(join(tmp, "app.mjs"), "console.log('ran')\n");
    refused(["submit", "--master", "local[1000000000]", "app.mjs"], /^--master: "local\[1000000000\]": a local cluster takes 1 to 64 workers/);
    refused(["submit", "--master", "local[0]", "app.mjs"], /^--master: "local\[0\]": a local cluster takes 1 to 64 workers/);
    refused(["submit", "--master", "local[0]", "job.json"], /^--master: "local\[0\]": a local cluster takes 1 to 64 workers/);
    // A job file on local[N]: the advice names the order that works (flags after a program are the program's) and `local`.
    refused(["submit", "--master", "local[3]", "job.json"], /`minispark submit --master local\[3\] app\.ts` runs a program on one, `minispark local job\.json --workers 3` a job file/);
    refused(["master", "--max-tasks-per-job", "1000000000"], /^--max-tasks-per-job must be at most 10000000/);
    refused(["master", "--max-partitions", "10", "--max-tasks-per-job", "5"], /^--max-partitions \(10\) must not exceed --max-tasks-per-job \(5\)/);
  });

  it("durations: minimums, the timer's maximum, and a unit", () => {
    refused(["master", "--worker-timeout", "0"], /^--worker-timeout must be a duration/);
    refused(["master", "--worker-timeout", "500ms"], /^--worker-timeout must be at least 1s, got "500ms"$/);
    refused(["worker", "--heartbeat", "0"], /^--heartbeat must be a duration/);
    refused(["worker", "--heartbeat", "1000000000d"], /^--heartbeat must be at most 2147483647 ms/);
    refused(["worker", "--shutdown-grace", "30"], /^--shutdown-grace must be a duration .* \(a unit is required: 30ms or 30s\?\)$/);
    refused(["master"], /^MINISPARK_TASK_TIMEOUT must be at most/, { MINISPARK_TASK_TIMEOUT: "100d" });
    refused(["master", "--locality-wait", "1000000000d"], /^--locality-wait must be at most 2147483647 ms/);
    refused(["master"], /^MINISPARK_LOCALITY_WAIT must be a duration/, { MINISPARK_LOCALITY_WAIT: "soon" });
  });

  it("sizes: --max-result-size within 1b..384mb, --memory within this machine", () => {
    refused(["master", "--max-result-size", "1gb"], /^--max-result-size must be at most 384mb/);
    refused(["master", "--max-result-size", "0"], /^--max-result-size must be at least 1b/);
    refused(["worker", "--memory", "1000000000gb"], /^--memory must be at most \d+\w+ \(this (machine's memory|container's memory limit)\)/);
  });

  it("addresses, host names, job ids and extra arguments", () => {
    refused(["worker", "--advertise", "garbage"], /^--advertise must be host:port/, { MINISPARK_TOKEN: "t" });
    refused(["worker", "--advertise", "example.com:99999"], /^--advertise must be host:port/, { MINISPARK_TOKEN: "t" });
    refused(["master", "--allow-host", ""], /^--allow-host was given an empty value/);
    refused(["status", ""], /^"" is not a job id/);
    refused(["cancel", "nope"], /^"nope" is not a job id/);
    refused(["results", "job-1-a", "extra"], /^minispark results takes 1 argument, got also "extra"$/);
    refused(["jobs", "extra-arg"], /^minispark jobs takes no arguments, got also "extra-arg"$/);
    refused(["master", "stray"], /^minispark master takes no arguments/);
    refused(["master", "--port", "-1"], /^--port was followed by "-1", which starts with "-": write --port=-1/);
  });

  it("a named data directory must exist; --conf client keys mean nothing to local; the demo corpus is capped", () => {
    refused(["local", "job.json", "--data-dir", "/nonexistent"], /^--data-dir: data directory \/nonexistent does not exist/);
    assert.equal(fs.existsSync("/nonexistent"), false);
    refused(["worker", "--data-dir", "/nonexistent"], /^--data-dir: data directory \/nonexistent does not exist/, { MINISPARK_TOKEN: "t" });
    refused(["local", "job.json", "--conf", "master=http://x"], /^--conf: "master" has no meaning for minispark local/);
    refused(["local", "job.json", "--conf", "parallelism=1000000000"], /^--conf: parallelism must be at most 100000/);
    refused(["demo", "--size-mb", "1000000000"], /^--size-mb must be at most 65536/);
  });

  it("the help prints each rule and this machine's defaults, and submit's --properties-file does not point at itself", () => {
    const worker = minispark(["worker", "--help"]).stdout;
    assert.match(worker, /\(default a quarter of this machine's memory, 256mb-4gb \(here \d+mb\); 4mb\.\.\S+, this/);
    assert.match(worker, new RegExp(`\\(default this machine's cores \\(here ${os.availableParallelism()}\\); 1\\.\\.256;`));
    assert.match(worker, /\(default 3s; 100ms\.\.24d; env MINISPARK_HEARTBEAT\)/);
    const submit = minispark(["submit", "--help"]).stdout;
    assert.doesNotMatch(submit, /see `minispark submit --help`/);
    assert.match(submit, /--properties-file <file> +defaults for these flags and for jobs \(keys below\)/);
  });
});

describe("the token across layers", () => {
  const home = join(tmp, "token-home");
  fs.mkdirSync(home, { recursive: true });
  fs.writeFileSync(join(home, "file-token"), "from-file\n");

  /** Runs `minispark jobs` with `defaults` as $MINISPARK_HOME/defaults.conf against a server that records the Authorization it was sent; PORT is the server's. */
  async function sentToken(env: Record<string, string>, defaults: string): Promise<string | undefined> {
    let auth: string | undefined;
    const server = http.createServer((req, res) => {
      auth = req.headers.authorization;
      res.writeHead(200, { "content-type": "application/json" }).end('{"jobs":[]}');
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = String((server.address() as { port: number }).port);
    try {
      fs.writeFileSync(join(home, "defaults.conf"), defaults.replace("PORT", port));
      const vars = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v.replace("PORT", port)]));
      const child = spawn(process.execPath, [BIN, "jobs"], { cwd: tmp, env: cleanEnv({ MINISPARK_HOME: home, ...vars }) });
      let stderr = "";
      child.stderr.on("data", (d) => (stderr += d));
      const code = await new Promise<number | null>((r) => child.on("exit", r));
      assert.equal(code, 0, stderr);
      return auth;
    } finally {
      server.close();
    }
  }

  const tokenFile = `token-file ${join(home, "file-token")}\n`;

  it("MINISPARK_TOKEN beats the defaults file's token-file instead of clashing with it", async () => {
    assert.equal(await sentToken({ MINISPARK_MASTER: "http://127.0.0.1:PORT", MINISPARK_TOKEN: "from-env" }, tokenFile), "Bearer from-env");
  });

  it("the defaults file's token-file goes to the defaults file's master, or to any if the file names none", async () => {
    assert.equal(await sentToken({}, `master http://127.0.0.1:PORT\n${tokenFile}`), "Bearer from-file");
    assert.equal(await sentToken({ MINISPARK_MASTER: "http://127.0.0.1:PORT" }, tokenFile), "Bearer from-file");
  });

  it("never to a master a higher layer chose when the file names another: that would leak the other cluster's token", async () => {
    assert.equal(await sentToken({ MINISPARK_MASTER: "http://127.0.0.1:PORT" }, `master http://127.0.0.1:7077\n${tokenFile}`), undefined);
  });
});

describe("what the docs and the demo leave behind", () => {
  it("docs/deploy.md's systemd recipe sets every variable the units pass as a flag's value (an empty one is refused)", () => {
    const doc = fs.readFileSync(join(ROOT, "docs", "deploy.md"), "utf8");
    for (const unit of ["master", "worker"]) {
      const used = [...fs.readFileSync(join(ROOT, "deploy", "systemd", `minispark-${unit}.service`), "utf8").matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]!);
      const written = new RegExp(`^printf '([^']*)' > /etc/minispark/${unit}\\.env$`, "m").exec(doc)?.[1];
      assert.ok(written, `the recipe writes ${unit}.env`);
      for (const v of used) assert.match(written, new RegExp(`(^|\\\\n)${v}=\\S`), `${unit}.env sets ${v}`);
    }
  });

  it("a corpus appears whole or not at all: one cut short is swept by the next run; it must fit the disk", async () => {
    const { writeCorpus, corpusFits } = await import("../src/cli/corpus.js");
    const dir = join(tmp, "demo", "corpus-1mb");
    // A run killed while writing leaves only its building directory, never `dir`; one of a live process stays.
    const gone = spawnSync(process.execPath, ["-e", "console.log(process.pid)"], { encoding: "utf8" }).stdout.trim();
    fs.mkdirSync(join(tmp, "demo", `corpus-8mb.partial-${gone}`), { recursive: true });
    fs.mkdirSync(join(tmp, "demo", `corpus-8mb.partial-${process.ppid}`), { recursive: true });
    const paths = writeCorpus(dir, 2, 1024);
    assert.deepEqual(fs.readdirSync(join(tmp, "demo")).sort(), ["corpus-1mb", `corpus-8mb.partial-${process.ppid}`]);
    assert.deepEqual(
      paths.map((p) => fs.statSync(p).size > 1000),
      [true, true],
    );
    assert.equal(corpusFits(tmp, 1), null);
    assert.match(corpusFits(join(tmp, "not", "yet"), 1024 ** 3) ?? "", /^a 1073741824 MiB corpus and its output need about 2147483648 MiB, and .* has \d+ MiB free$/);
  });
});
