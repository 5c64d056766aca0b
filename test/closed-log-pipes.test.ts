// A master and a worker whose stdout and stderr pipes close under them (their
// output piped into `head`, a terminal that went away) keep working quietly:
// no CPU spent re-logging the EPIPE of their own log writes, jobs still run,
// and SIGTERM still ends them cleanly (stream-sink.ts, process-guard.ts).
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { MinisparkClient } from "../src/client/rest-client.js";

const BIN = fileURLToPath(new URL("../../bin/minispark.js", import.meta.url));
const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** user + system CPU seconds of `pid`, from /proc/<pid>/stat. */
function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** Starts a server command with piped output; resolves with the child and the first log line containing `ready`. */
function startServer(args: string[], env: NodeJS.ProcessEnv, ready: string): Promise<{ child: ChildProcess; line: Record<string, unknown> }> {
  const child = spawn(process.execPath, [BIN, ...args, "--log-format", "json", "--log-level", "debug"], { env, stdio: ["ignore", "pipe", "pipe"] });
  return new Promise((res, rej) => {
    createInterface({ input: child.stderr! }).on("line", (l) => {
      if (l.includes(`"${ready}"`)) res({ child, line: JSON.parse(l) as Record<string, unknown> });
    });
    child.once("exit", (code) => rej(new Error(`${args[0]} exited with ${code} before "${ready}"`)));
  });
}

const exitCode = (c: ChildProcess) => new Promise<number | null>((res) => (c.exitCode !== null ? res(c.exitCode) : c.once("exit", (code) => res(code))));

describe("servers whose log pipes close", () => {
  let dir: string;
  let master: ChildProcess;
  let worker: ChildProcess;
  let client: MinisparkClient;
  let workerAddress: string;
  before(async () => {
    dir = fs.mkdtempSync(join(os.tmpdir(), "minispark-pipes-"));
    fs.mkdirSync(join(dir, "data"));
    const token = randomBytes(16).toString("hex");
    const env = { ...process.env, MINISPARK_HOME: join(dir, "home"), MINISPARK_TOKEN: token };
    const m = await startServer(["master", "--host", "127.0.0.1", "--port", "0", "--db", join(dir, "db", "m.db")], env, "master listening");
    master = m.child;
    const url = String(m.line.url);
    const w = await startServer(["worker", "--master", url, "--host", "127.0.0.1", "--port", "0", "--slots", "1", "--data-dir", join(dir, "data")], env, "worker started");
    worker = w.child;
    workerAddress = String(w.line.address);
    client = new MinisparkClient(url, token);
    // What `| head` does: the reading end goes away, every later write is EPIPE.
    for (const c of [master, worker]) {
      c.stdout!.destroy();
      c.stderr!.destroy();
    }
  });
  after(() => {
    for (const c of [master, worker]) if (c && c.exitCode === null) c.kill("SIGKILL");
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("still run jobs and serve /healthz, without spinning, and exit 0 on SIGTERM", async () => {
    const spec = { nodes: [{ id: "p", op: "parallelize", data: [1, 2, 3, 4], partitions: 2 }], action: { op: "count", input: "p" } };
    // Jobs make both log (debug: every task), so both now write into closed pipes.
    for (let i = 0; i < 3; i++) assert.equal((await client.run(spec)).value, 4);
    const health = await fetch(`${workerAddress.startsWith("http") ? workerAddress : `http://${workerAddress}`}/healthz`);
    assert.equal(health.status, 200);
    const before = [master, worker].map((c) => cpuSeconds(c.pid!));
    await new Promise((r) => setTimeout(r, 2000));
    const used = [master, worker].map((c, i) => cpuSeconds(c.pid!) - before[i]!);
    for (const [i, s] of used.entries()) assert.ok(s < 0.3, `${i ? "worker" : "master"} used ${s.toFixed(2)} s of CPU in 2 s while idle`);
    assert.equal((await client.run(spec)).value, 4);
    worker.kill("SIGTERM");
    assert.equal(await exitCode(worker), 0, "the worker obeys SIGTERM");
    master.kill("SIGTERM");
    assert.equal(await exitCode(master), 0, "the master obeys SIGTERM");
  });
});
