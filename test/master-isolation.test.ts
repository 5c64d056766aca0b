// The master never opens input or output data: it runs under strace while a
// word count reads and saves files through two workers, and no file under the
// data directory shows up among the files the master opened.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, it } from "node:test";
import { fileURLToPath } from "node:url";
import { MinisparkClient } from "../src/client/rest-client.js";
import { PREREQUISITES, prerequisiteSkip } from "./helpers/prereq.js";
import { wordCountSave } from "./helpers/pipe.js";

const CLI = fileURLToPath(new URL("../src/cli/main.js", import.meta.url));
const procs: ChildProcess[] = [];
/** The master runs under strace, so its pid comes from its own log. */
let masterPid = 0;
const tmp = fs.mkdtempSync(join(os.tmpdir(), "minispark-isolation-"));

after(() => {
  for (const p of procs) p.kill("SIGKILL");
  if (masterPid) process.kill(masterPid, "SIGKILL");
  fs.rmSync(tmp, { recursive: true, force: true });
});

function start(cmd: string, args: string[]): ChildProcess {
  const p = spawn(cmd, args, { env: { ...process.env, MINISPARK_TOKEN: "isolation-secret" }, stdio: ["ignore", "ignore", "pipe"] });
  procs.push(p);
  return p;
}

it("the master opens no data file while a job reads and writes them", { skip: prerequisiteSkip(PREREQUISITES.strace) }, async () => {
  const dataDir = join(tmp, "data");
  fs.mkdirSync(join(dataDir, "in"), { recursive: true });
  fs.writeFileSync(join(dataDir, "in", "a.txt"), "to be or not to be\nthat is the question\n".repeat(2000));
  const trace = join(tmp, "master.strace");
  const master = start("strace", ["-f", "-qq", "-e", "trace=open,openat,openat2", "-o", trace, process.execPath, CLI, "master", "--port", "0", "--db", join(tmp, "master.db"), "--log-format", "json"]);
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: master.stderr! }).on("line", (l) => {
      if (!l.includes('"master listening"')) return;
      const entry = JSON.parse(l) as { url: string; pid: number };
      masterPid = entry.pid;
      resolve(entry.url);
    });
    master.once("exit", (code) => reject(new Error(`master exited ${code}`)));
  });
  for (let i = 0; i < 2; i++) start(process.execPath, [CLI, "worker", "--master", url, "--slots", "1", "--data-dir", dataDir, "--log-format", "json"]);
  const client = new MinisparkClient(url, "isolation-secret");
  while ((await client.workers()).length < 2) await new Promise((r) => setTimeout(r, 100));
  const { value } = await client.run<{ records: number }>(wordCountSave("in/*.txt", "counts"));
  assert.equal(value.records, 8);
  assert.ok(fs.existsSync(join(dataDir, "outputs", "counts", "_SUCCESS")));
  const opened = fs
    .readFileSync(trace, "utf8")
    .split("\n")
    .filter((l) => /open/.test(l));
  assert.ok(
    opened.some((l) => l.includes("master.db")),
    "the trace sees the master's own files",
  );
  const dataOpens = opened.filter((l) => l.includes(dataDir));
  assert.deepEqual(dataOpens, [], "the master opened data files");
});
