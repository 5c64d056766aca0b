// The CLI as a user runs it: the examples on `minispark local`, the demo, and
// usage errors, each as a real `minispark` process.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(ROOT, "bin", "minispark.js");
const tmp = fs.mkdtempSync(join(os.tmpdir(), "minispark-cli-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function minispark(args: string[], cwd = tmp, env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: "utf8", timeout: 120_000, env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function exampleData(): string {
  const dir = join(tmp, `data-${Math.random().toString(36).slice(2)}`);
  fs.cpSync(join(ROOT, "examples", "data"), dir, { recursive: true, filter: (src) => !/outputs|\.minispark/.test(src) });
  return dir;
}

describe("minispark local runs the examples", () => {
  it("revenue by country equals a plain computation", () => {
    const data = exampleData();
    const r = minispark(["local", join(ROOT, "examples/revenue-by-country.json"), "--data-dir", data, "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const { results } = JSON.parse(r.stdout) as { results: { value: [string, number][] } };
    const parse = (f: string) =>
      fs
        .readFileSync(join(data, "shop", f), "utf8")
        .trim()
        .split("\n")
        .slice(1)
        .map((l) => l.split(","));
    const country = new Map(parse("customers.csv").map(([id, , c]) => [id!, c!]));
    const totals = new Map<string, number>();
    for (const [, cust, , q, p] of parse("orders.csv")) totals.set(country.get(cust!)!, (totals.get(country.get(cust!)!) ?? 0) + Number(q) * Number(p));
    const expected = [...totals].map(([c, v]) => [c, Math.round(v * 100) / 100]).sort((a, b) => (b[1] as number) - (a[1] as number));
    assert.deepEqual(results.value, expected);
  });

  it("word count and sort save complete, globally ordered outputs", () => {
    const data = exampleData();
    assert.equal(minispark(["local", join(ROOT, "examples/wordcount.json"), "--data-dir", data]).code, 0);
    const dir = join(data, "outputs", "wordcount");
    const lines = fs
      .readdirSync(dir)
      .sort()
      .filter((f) => f.startsWith("part-"))
      .flatMap((f) => fs.readFileSync(join(dir, f), "utf8").trim().split("\n"));
    assert.ok(fs.existsSync(join(dir, "_SUCCESS")));
    const counts = lines.map((l) => Number(l.split(",")[1]));
    assert.deepEqual(
      counts,
      [...counts].sort((a, b) => b - a),
      "sorted by count across part files",
    );
    assert.equal(lines[0], "that,13");
    const text = fs
      .readFileSync(join(data, "text", "gettysburg.txt"), "utf8")
      .toLowerCase()
      .split(/[^a-z']+/)
      .filter(Boolean);
    assert.equal(
      counts.reduce((a, b) => a + b, 0),
      text.length,
    );

    assert.equal(minispark(["local", join(ROOT, "examples/sort-orders.json"), "--data-dir", data]).code, 0);
    const sortedDir = join(data, "outputs", "orders-sorted");
    const parts = fs
      .readdirSync(sortedDir)
      .filter((f) => f.startsWith("part-"))
      .sort();
    const rows = parts.flatMap((f) => fs.readFileSync(join(sortedDir, f), "utf8").trim().split("\n").slice(1));
    assert.equal(rows.length, 40);
    const keys = rows.map((r) => r.split(",")).map(([id, , product, q]) => [product!, -Number(q), Number(id)] as const);
    const sorted = [...keys].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1] || a[2] - b[2]));
    assert.deepEqual(keys, sorted);
  });

  it("--conf sets a job's settings: maxTaskRetries=1 fails a throwing function after one attempt", () => {
    const job = join(tmp, "fails.json");
    fs.writeFileSync(
      job,
      JSON.stringify({
        nodes: [
          { id: "n", op: "range", start: 0, end: 4, numSlices: 1 },
          { id: "m", op: "map", input: "n", fn: "x => { throw new Error('broken'); }" },
        ],
        action: { op: "count", input: "m" },
      }),
    );
    const r = minispark(["local", job, "--workers", "1", "--conf", "maxTaskRetries=1", "--conf", "name=local-conf", "--json"], tmp, { MINISPARK_HOME: join(tmp, "home") });
    assert.equal(r.code, 1, r.stderr);
    const failed = JSON.parse(r.stdout) as { name: string; metrics: { attempts: number }; failedTasks: { attempts: unknown[] }[] };
    assert.equal(failed.name, "local-conf");
    assert.equal(failed.metrics.attempts, 1);
    assert.equal(failed.failedTasks[0]!.attempts.length, 1);
  });

  it("a local cluster ignores the server variables of the environment it is started from", () => {
    const job = join(tmp, "user-code.json");
    fs.writeFileSync(
      job,
      JSON.stringify({
        nodes: [
          { id: "n", op: "range", start: 0, end: 4, numSlices: 2 },
          { id: "m", op: "map", input: "n", fn: "x => x * 10" },
        ],
        action: { op: "sum", input: "m" },
      }),
    );
    const env = {
      MINISPARK_NO_USER_CODE: "1",
      MINISPARK_ADVERTISE: "192.0.2.1:9",
      MINISPARK_TLS_CERT: "/nonexistent.pem",
      MINISPARK_TLS_KEY: "/nonexistent.key",
      MINISPARK_TOKEN_FILE: "/nonexistent",
      MINISPARK_MAX_PARTITIONS: "1",
    };
    const r = minispark(["local", job, "--workers", "1", "--json"], tmp, env);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal((JSON.parse(r.stdout) as { results: { value: number } }).results.value, 60);
  });

  it("the older JobSpec style runs", () => {
    const r = minispark(["local", join(ROOT, "examples/older-style.json"), "--data-dir", exampleData(), "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const value = new Map(JSON.parse(r.stdout).results.value as [string, number][]);
    assert.equal(value.get("that"), 13);
    assert.equal(value.get("nation"), 5);
  });
});

describe("minispark demo and usage", () => {
  it("demo counts a generated corpus and checks itself", () => {
    const r = minispark(["demo", "--size-mb", "2"]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /Top 10 words of \d+ distinct:\n\s+1\. the\s+\d+/);
    assert.match(r.stdout, /check: matches a plain single-process count/);
    assert.ok(fs.existsSync(join(tmp, "data", "outputs", "demo-wordcount", "_SUCCESS")));
  });

  it("explains usage errors with exit code 2", () => {
    const unknown = minispark(["frobnicate"]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command "frobnicate"/);
    const badFlag = minispark(["worker", "--slots", "zero"]);
    assert.equal(badFlag.code, 2);
    assert.match(badFlag.stderr, /--slots must be an integer from 1 to 256, got "zero"/);
    assert.match(minispark(["submit", "--help"]).stdout, /usage: minispark submit <job.json>/);
    const open = minispark(["master", "--host", "0.0.0.0", "--port", "0", "--db", join(tmp, "open.db")], tmp, { MINISPARK_TOKEN: "" });
    assert.equal(open.code, 2);
    assert.match(open.stderr, /refusing to listen on 0\.0\.0\.0 without a token/);
    const openWorker = minispark(["worker", "--host", "0.0.0.0"], tmp, { MINISPARK_TOKEN: "" });
    assert.equal(openWorker.code, 2);
    assert.match(openWorker.stderr, /refusing to listen on 0\.0\.0\.0 without a token/);
    fs.writeFileSync(join(tmp, "empty-token"), "\n");
    assert.match(minispark(["master", "--token-file", join(tmp, "empty-token")]).stderr, /--token-file .* is empty/);
    const noMaster = minispark(["jobs", "--master", "http://127.0.0.1:1"]);
    assert.equal(noMaster.code, 1);
    assert.match(noMaster.stderr, /cannot reach http:\/\/127\.0\.0\.1:1/);
  });
});

describe("first-hour papercuts", () => {
  it("--version prints the package's version and the protocol", () => {
    const pkg = JSON.parse(fs.readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
    const r = minispark(["--version"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout.trim(), new RegExp(`^minispark ${pkg.version.replace(/\./g, "\\.")} \\(protocol \\d+\\)$`));
  });

  it("the master answers GET /api/v1/version with the same version and protocol", async () => {
    const { startTestCluster } = await import("./helpers/cluster.js");
    const { PROTOCOL_VERSION } = await import("../src/common/version.js");
    const pkg = JSON.parse(fs.readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
    const t = await startTestCluster({ workers: 0 });
    try {
      assert.deepEqual((await t.http("/api/v1/version")).body, { version: pkg.version, protocol: PROTOCOL_VERSION });
    } finally {
      await t.stop();
    }
  });

  it("durations take hours and days, as the help's defaults are written", async () => {
    const { parseDuration } = await import("../src/cli/flag-values.js");
    assert.equal(parseDuration("1h", "--task-timeout"), 3_600_000);
    assert.equal(parseDuration("1.5m", "--x"), 90_000);
    assert.throws(() => parseDuration("250", "--x"), /--x must be a duration such as 500ms, 10s, 5m, 1h or 1d, got "250" \(a unit is required: 250ms or 250s\?\)/);
    assert.equal(parseDuration("2d", "--x"), 172_800_000);
    assert.throws(() => parseDuration("1w", "--task-timeout"), /--task-timeout must be a duration such as 500ms, 10s, 5m, 1h or 1d, got "1w"/);
  });

  it("a client command given local[N] or a non-URL as the master says what it needs", () => {
    const local = minispark(["jobs"], tmp, { MINISPARK_MASTER: "local[2]" });
    assert.equal(local.code, 2);
    // The advice puts --master before the program (flags after it are the program's) and names `local` for a job file.
    assert.match(
      local.stderr,
      /"local\[2\]" starts a cluster inside one program: `minispark submit --master local\[2\] app\.ts` runs a program on one, `minispark local job\.json --workers 2` a job file; this command needs the URL of a running master/,
    );
    const bad = minispark(["workers", "--master", "master:7077"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /the master must be an http:\/\/ or https:\/\/ URL, got "master:7077"/);
  });
});
