// Issue 17's shell check, as a new user would do it: a `minispark shell` process connected to a running master
// (--master URL --token), commands typed one at a time on its stdin: build a dataset over a few hundred thousand
// lines with a map that costs something, cache() it, count it twice. Both counts are right, the second is much
// faster, and while the session is open GET /api/v1/storage lists the dataset with every partition cached; `.exit`
// ends the application and the listing is empty of it afterwards.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { after, before, it } from "node:test";
import { fileURLToPath } from "node:url";
import { startTestCluster, writeFile, type TestCluster } from "./helpers/cluster.js";

const BIN = join(fileURLToPath(new URL("../../", import.meta.url)), "bin", "minispark.js");
const FILES = 4;
const PER_FILE = 75_000;
let t: TestCluster;

before(async () => {
  t = await startTestCluster({ workers: 2, slots: 1, workerArgs: ["--heartbeat", "300ms"] });
  for (let f = 0; f < FILES; f++) writeFile(t.dataDir, `big/part-${f}.txt`, Array.from({ length: PER_FILE }, (_, i) => `${f} ${i} some words on the line ${i % 97}`).join("\n") + "\n");
});
after(() => t?.stop());

it("the shell caches a dataset, counts it twice (the second fast) and fills the storage listing until .exit", async () => {
  const child = spawn(process.execPath, [BIN, "shell", "--master", t.cluster.masterUrl, "--token", t.cluster.token!], { env: { ...process.env, MINISPARK_MASTER: "" } });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d));
  child.stderr.on("data", (d: Buffer) => (stderr += d));
  const exited = new Promise<number | null>((done) => child.on("exit", done));
  const waitFor = async (re: RegExp, ms = 40_000): Promise<RegExpExecArray> => {
    for (const deadline = Date.now() + ms; ; await new Promise((r) => setTimeout(r, 50))) {
      const m = re.exec(stdout);
      if (m) return m;
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no ${re} in the shell's output:\n${stdout}\nstderr:\n${stderr}`);
    }
  };
  try {
    const app = (await waitFor(/application (app-[0-9a-z-]+)/))[1]!;
    for (const line of [
      // A map that costs: a small hash of each line's words.
      'const ds = sc.textFile("big/part-*.txt").map((l) => { let h = 0; for (let k = 0; k < 20; k++) for (const c of l) h = (h * 31 + c.charCodeAt(0) + k) | 0; return [l.split(" ")[0], h]; }).cache()',
      "let t0 = Date.now()",
      "const first = await ds.count()",
      "const firstMs = Date.now() - t0",
      "t0 = Date.now()",
      "const second = await ds.count()",
      "const secondMs = Date.now() - t0",
      '"RESULT " + JSON.stringify({ first, second, firstMs, secondMs, cached: ds.isCached })',
    ])
      child.stdin.write(line + "\n");
    const result = JSON.parse((await waitFor(/'RESULT (\{[^']*\})'/))[1]!) as { first: number; second: number; firstMs: number; secondMs: number; cached: boolean };
    assert.deepEqual([result.first, result.second, result.cached], [FILES * PER_FILE, FILES * PER_FILE, true]);
    assert.ok(result.secondMs * 3 < result.firstMs, `the second count (${result.secondMs} ms) is at least 3× faster than the first (${result.firstMs} ms)`);

    const open = await t.http("/api/v1/storage");
    const listed = open.body.datasets.filter((d: { application: string }) => d.application === app);
    assert.equal(listed.length, 1, JSON.stringify(open.body));
    assert.equal(listed[0].level, "MEMORY_ONLY");
    assert.equal(listed[0].numPartitions, listed[0].cachedPartitions, "every partition is cached");
    assert.ok(listed[0].cachedPartitions >= FILES);
    assert.equal(
      listed[0].workers.reduce((n: number, w: { partitions: number }) => n + w.partitions, 0),
      listed[0].cachedPartitions,
      "each partition is held once",
    );
    assert.ok(listed[0].memoryBytes > 0);

    child.stdin.end(".exit\n");
    assert.equal(await exited, 0, stderr);
    assert.equal((await t.http(`/api/v1/apps/${app}`)).body.status, "ENDED");
    const closed = await t.http("/api/v1/storage");
    assert.deepEqual(
      closed.body.datasets.filter((d: { application: string }) => d.application === app),
      [],
      "the ended application holds nothing",
    );
  } finally {
    if (child.exitCode === null) child.kill("SIGKILL");
  }
});
