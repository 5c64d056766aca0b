// A local cluster whose master or worker exits while starting says why, in
// the error itself: the process's last lines (its temporary log is removed
// with the cluster), and for better-sqlite3 built for another Node.js, the
// command that fixes it (start-failure.ts, local-cluster.ts).
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { LocalCluster } from "../src/client/local-cluster.js";
import { startFailureMessage } from "../src/client/start-failure.js";

const LOCAL_CLUSTER = fileURLToPath(new URL("../src/client/local-cluster.js", import.meta.url));
const ABI_ERROR = [
  "Error: The module '/app/node_modules/better-sqlite3/build/Release/better_sqlite3.node'",
  "was compiled against a different Node.js version using",
  "NODE_MODULE_VERSION 115. This version of Node.js requires",
  "NODE_MODULE_VERSION 127. Please try re-compiling or re-installing",
];

describe("the start failure message", () => {
  it("names the process, how it ended and its last lines, and the rebuild for an ABI mismatch", () => {
    const m = startFailureMessage({ name: "master", code: 1, signal: null, lines: ABI_ERROR, nodeVersion: "v22.12.0" });
    assert.match(m, /^master exited with code 1 while starting: better-sqlite3 was built for another Node\.js; run `npm rebuild better-sqlite3` with this Node \(v22\.12\.0\)/);
    assert.match(m, /NODE_MODULE_VERSION 115/);
    assert.doesNotMatch(m, /full log/);
  });

  it("names a log file only when it outlives the cluster", () => {
    const m = startFailureMessage({ name: "worker-0", code: null, signal: "SIGKILL", lines: [], keptLog: "/var/log/c.log", nodeVersion: "v20.20.2" });
    assert.equal(m, "worker-0 was killed by SIGKILL while starting; it wrote nothing\n(full log: /var/log/c.log)");
  });
});

describe("a local cluster whose processes fail to start", () => {
  let data: string;
  before(() => {
    data = fs.mkdtempSync(join(os.tmpdir(), "minispark-startfail-"));
  });
  after(() => fs.rmSync(data, { recursive: true, force: true }));

  it("puts the master's own error in the message, not a path to a removed log", async () => {
    await assert.rejects(LocalCluster.start({ workers: 1, dataDir: data, masterArgs: ["--max-partitions", "0"] }), (e: Error) => {
      assert.match(e.message, /^master exited with code \d+ while starting; its last output:/);
      assert.match(e.message, /--max-partitions/);
      assert.doesNotMatch(e.message, /minispark-local-/);
      return true;
    });
  });

  it("reports a worker that exits at once instead of waiting for it to register", async () => {
    const began = Date.now();
    await assert.rejects(LocalCluster.start({ workers: 1, dataDir: data, workerArgs: ["--memory", "1mb"] }), /^Error: worker-0 exited with code \d+ while starting; its last output:\n.*--memory/s);
    assert.ok(Date.now() - began < 20_000);
  });

  it("tells the user to rebuild better-sqlite3 when it was built for another Node.js", async (t) => {
    // A Node whose ABI differs from the one better-sqlite3 was built for (under CI that build may be 22's, not 20's).
    const script = `import { LocalCluster } from ${JSON.stringify(LOCAL_CLUSTER)};
try { await LocalCluster.start({ workers: 1, dataDir: ${JSON.stringify(data)} }); console.log("STARTED"); process.exit(3); }
catch (e) { console.log(e.message); }`;
    let fetched = 0;
    for (const major of [20, 22, 24].filter((m) => m !== Number(process.versions.node.split(".")[0]))) {
      let node: string;
      try {
        node = execFileSync("npx", ["-y", "--prefer-offline", "-p", `node@${major}`, "node", "-p", "process.execPath"], { encoding: "utf8", timeout: 180_000, cwd: os.tmpdir() })
          .trim()
          .split("\n")
          .pop()!;
      } catch {
        continue;
      }
      fetched++;
      const r = spawnSync(node, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 60_000 });
      if (r.stdout.includes("STARTED")) continue; // better-sqlite3 was built for this one
      assert.match(r.stdout, /better-sqlite3 was built for another Node\.js; run `npm rebuild better-sqlite3` with this Node/, r.stdout + r.stderr);
      return;
    }
    if (fetched === 0 && process.env.CI === "true") assert.fail("no other node@<major> could be fetched from the npm registry under CI");
    t.skip(fetched === 0 ? "no other node@<major> could be fetched (npx -p node@22)" : "better-sqlite3 loads on every fetched Node");
  });
});
