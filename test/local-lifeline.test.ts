// A local cluster ends with the program that started it: the children of
// connect("local[N]") exit when their parent is killed with SIGKILL, or dies
// of an uncaught error, without anyone calling close(); and the temporary
// directory such a program leaves is swept by the next local cluster.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { LocalCluster } from "../src/client/local-cluster.js";

const INDEX = fileURLToPath(new URL("../src/index.js", import.meta.url));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The pids whose parent is `ppid` (Linux's /proc). */
function childrenOf(ppid: number): number[] {
  const out: number[] = [];
  for (const e of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      // The command may hold spaces and parentheses: the fields after its closing one are fixed.
      const stat = fs.readFileSync(`/proc/${e}/stat`, "utf8");
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === ppid) out.push(Number(e));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Runs a program that connects to local[2] and runs a job, then does `then`; returns its children still alive at the end. */
async function orphanedBy(then: "wait" | "throw", kill: boolean, afterExit?: (parentPid: number) => Promise<void>): Promise<number[]> {
  const dir = fs.mkdtempSync(join(os.tmpdir(), "minispark-lifeline-"));
  const program = join(dir, "program.mjs");
  fs.writeFileSync(
    program,
    `import { connect } from ${JSON.stringify(INDEX)};
const sc = await connect("local[2]", { dataDir: ${JSON.stringify(dir)} });
console.log("ready", await sc.parallelize([1, 2, 3]).count());
${then === "throw" ? 'setTimeout(() => { throw new Error("the program crashed"); }, 200);' : "setInterval(() => {}, 1000);"}
`,
  );
  const parent = spawn(process.execPath, [program], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, MINISPARK_HOME: dir } });
  let out = "";
  let err = "";
  parent.stdout.on("data", (d) => (out += d));
  parent.stderr.on("data", (d) => (err += d));
  const deadline = Date.now() + 60_000;
  while (!out.includes("ready 3") && Date.now() < deadline && parent.exitCode === null) await new Promise((r) => setTimeout(r, 50));
  const pids = childrenOf(parent.pid!);
  assert.equal(pids.length, 3, `a master and two workers: ${out} ${err}`);
  assert.ok(pids.every(alive));
  if (kill) parent.kill("SIGKILL");
  await new Promise((r) => (parent.exitCode !== null || parent.signalCode !== null ? r(null) : parent.once("exit", r)));
  for (const until = Date.now() + 15_000; pids.some(alive) && Date.now() < until; ) await new Promise((r) => setTimeout(r, 100));
  const left = pids.filter(alive);
  for (const pid of left) process.kill(pid, "SIGKILL");
  try {
    await afterExit?.(parent.pid!);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return left;
}

describe("a local cluster ends with its program", () => {
  it("when the program is killed with SIGKILL", async () => {
    assert.deepEqual(await orphanedBy("wait", true), [], "children still running after their parent was killed");
  });

  it("when the program dies of an uncaught error", async () => {
    assert.deepEqual(await orphanedBy("throw", false), [], "children still running after their parent crashed");
  });

  it("and the next local cluster removes the temporary directory a killed program left", async () => {
    const left = await orphanedBy("wait", true, async (pid) => {
      const leftovers = fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith(`minispark-local-${pid}-`));
      assert.equal(leftovers.length, 1, "kill -9 leaves the cluster's directory, named for its owner");
      const leftover = join(os.tmpdir(), leftovers[0]!);
      // Older than the few seconds a just-recycled pid's new owner could have had.
      const past = new Date(Date.now() - 60_000);
      fs.utimesSync(leftover, past, past);
      const data = fs.mkdtempSync(join(os.tmpdir(), "minispark-lifeline-data-"));
      const next = await LocalCluster.start({ workers: 1, slots: 1, dataDir: data });
      await next.stop();
      fs.rmSync(data, { recursive: true, force: true });
      assert.equal(fs.existsSync(leftover), false, "swept by the next local cluster");
    });
    assert.deepEqual(left, []);
  });
});
