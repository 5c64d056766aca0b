// `minispark shell` as a user types into it: commands on stdin of a real
// `minispark` process, on the local cluster it starts and on a running master,
// and the session's application ended when the REPL ends.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { startTestCluster } from "./helpers/cluster.js";

const BIN = join(fileURLToPath(new URL("../../", import.meta.url)), "bin", "minispark.js");
const tmp = fs.mkdtempSync(join(os.tmpdir(), "minispark-shell-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Runs a shell session with `lines` as its input; resolves when the process exits. */
function session(args: string[], lines: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, "shell", ...args], { cwd: tmp, env: { ...process.env, MINISPARK_MASTER: "", ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d));
    child.stderr.on("data", (d: Buffer) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      fail(new Error(`the shell did not end; stdout:\n${stdout}\nstderr:\n${stderr}`));
    }, 60_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
    child.stdin.end(lines.map((l) => l + "\n").join(""));
  });
}

describe("minispark shell", () => {
  it("runs commands on a local cluster of its own, with top-level await and values kept between commands", async () => {
    const data = join(tmp, "data");
    fs.mkdirSync(data);
    fs.writeFileSync(join(data, "words.txt"), "a b\nb c\nc\n");
    const r = await session(
      ["--master", "local[1]", "--data-dir", data],
      [
        'const words = sc.textFile("words.txt").flatMap((l) => l.split(" "))',
        "await words.count()",
        "const counts = await words.map((w) => [w, 1]).reduceByKey((a, b) => a + b).collect()",
        "JSON.stringify(counts.sort())",
        ".exit",
      ],
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /shell: sc is connected to local\[1\], application app-/);
    assert.match(r.stdout, /minispark> 5\n/);
    assert.match(r.stdout, /'\[\["a",1\],\["b",2\],\["c",2\]\]'/);
  });

  it("connects to a running master as one application, ended when the input ends", async () => {
    const t = await startTestCluster({ workers: 1 });
    try {
      const r = await session(["--master", t.cluster.masterUrl, "--token", t.cluster.token!], ["await sc.parallelize([1, 2, 3], 3).sum()", "sc.applicationId"]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /minispark> 6\n/);
      const id = /application (app-[0-9a-z-]+)/.exec(r.stdout)![1]!;
      const app = await t.http(`/api/v1/apps/${id}`);
      assert.equal(app.status, 200);
      assert.equal(app.body.status, "ENDED");
      assert.equal(app.body.name, "shell");
      assert.equal(app.body.jobs, 1);
    } finally {
      await t.stop();
    }
  });

  it("shows a failed command's error and keeps the session", async () => {
    const r = await session(
      ["--master", "local[1]", "--data-dir", tmp],
      ["await sc.parallelize([1, 0], 2).map((x) => { if (x === 0) throw new Error('zero!'); return x; }).count()", "1 + 1", ".exit"],
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout + r.stderr, /zero!/);
    assert.match(r.stdout, /minispark> 2\n/);
  });

  it("a dataset cached in one command is read from the cache by the next: the second count computes no record", async () => {
    const data = join(tmp, "cache-data");
    fs.mkdirSync(data);
    fs.writeFileSync(join(data, "lines.txt"), "a\nb\nc\n");
    const r = await session(
      ["--master", "local[1]", "--data-dir", data],
      [
        // The accumulator counts the records the map computes: a count read from the cache adds nothing.
        "const computed = sc.accumulator(0)",
        'const lines = sc.textFile("lines.txt").map((l, env) => { env.computed.add(1); return l; }, { env: { computed } }).cache()',
        "const first = await lines.count()",
        "const afterFirst = computed.value",
        "const second = await lines.count()",
        '["counts", first, second, "computed", afterFirst, "then", computed.value, lines.storageLevel].join(" ")',
        ".exit",
      ],
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /'counts 3 3 computed 3 then 3 MEMORY_ONLY'/);
  });

  it("refuses a master that is neither local[N] nor a URL, naming the flag", async () => {
    const r = await session(["--master", "ftp://x"], []);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--master: the master must be an http:\/\/ or https:\/\/ URL, got "ftp:\/\/x"/);
    const n = await session(["--master", "local[0]"], []);
    assert.equal(n.code, 2);
    assert.match(n.stderr, /--master: /);
  });
});
