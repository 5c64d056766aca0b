// What a master leaves on disk is this user's only: $MINISPARK_HOME and its
// tokens directory 0700 when minispark creates them, the job database and its
// -wal/-shm files 0600 (private-files.ts); and a --port 0 master takes its
// generated token file away when it stops cleanly (token-file.ts).
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { SqliteJobStore } from "../src/master/sqlite-job-store.js";

const BIN = fileURLToPath(new URL("../../bin/minispark.js", import.meta.url));
const mode = (p: string) => fs.statSync(p).mode & 0o777;

/** A master without a token over $MINISPARK_HOME `home`; resolves once it has written its token file, with its port. */
function startMaster(home: string, port: number): Promise<{ child: ChildProcess; port: number }> {
  const env: NodeJS.ProcessEnv = { ...process.env, MINISPARK_HOME: home };
  delete env.MINISPARK_TOKEN;
  const child = spawn(process.execPath, [BIN, "master", "--host", "127.0.0.1", "--port", String(port), "--log-format", "json"], { env, stdio: ["ignore", "ignore", "pipe"] });
  let bound = 0;
  return new Promise((res, rej) => {
    createInterface({ input: child.stderr! }).on("line", (l) => {
      if (l.includes('"master listening"')) bound = (JSON.parse(l) as { port: number }).port;
      if (l.includes('"no token was given')) res({ child, port: bound });
    });
    child.once("exit", (code) => rej(new Error(`master exited with ${code}`)));
  });
}

async function terminate(child: ChildProcess): Promise<number | null> {
  // The master installs its signal handlers just after that log line; on a busy machine it may not have run yet.
  await new Promise((r) => setTimeout(r, 300));
  const exited = new Promise<number | null>((res) => child.once("exit", (code) => res(code)));
  child.kill("SIGTERM");
  return exited;
}

function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => res(port));
    });
  });
}

describe("a master's files on disk", () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(join(os.tmpdir(), "minispark-private-"));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("creates its home and tokens 0700, its database files 0600, and removes a --port 0 token file on SIGTERM", async () => {
    const home = join(dir, "fresh-home");
    const { child, port } = await startMaster(home, 0);
    const tokenFile = join(home, "tokens", `localhost-${port}`);
    assert.equal(mode(home), 0o700);
    assert.equal(mode(join(home, "tokens")), 0o700);
    assert.equal(mode(tokenFile), 0o600);
    for (const f of ["minispark.db", "minispark.db-wal", "minispark.db-shm"]) assert.equal(mode(join(home, f)), 0o600, f);
    assert.equal(await terminate(child), 0);
    assert.equal(fs.existsSync(tokenFile), false, "the generated token file is gone");
    assert.equal(mode(join(home, "minispark.db")), 0o600);
  });

  it("keeps a token file another master has rewritten since, and a fixed port's for its restart", async () => {
    const home = join(dir, "shared-home");
    const first = await startMaster(home, 0);
    const taken = join(home, "tokens", `localhost-${first.port}`);
    fs.writeFileSync(taken, "another-masters-token\n", { mode: 0o600 });
    assert.equal(await terminate(first.child), 0);
    assert.equal(fs.readFileSync(taken, "utf8"), "another-masters-token\n");

    const fixed = await freePort();
    const second = await startMaster(home, fixed);
    assert.equal(await terminate(second.child), 0);
    assert.ok(fs.existsSync(join(home, "tokens", `localhost-${fixed}`)), "a master restarted on the port finds the token its workers have");
  });

  it("leaves a user's existing --db directory alone but makes the database files 0600", () => {
    const chosen = join(dir, "chosen");
    fs.mkdirSync(chosen, { mode: 0o755 });
    fs.chmodSync(chosen, 0o755);
    const db = join(chosen, "jobs.db");
    // As an older minispark left them: readable by all.
    for (const f of [db, `${db}-wal`]) {
      fs.writeFileSync(f, "");
      fs.chmodSync(f, 0o644);
    }
    const store = new SqliteJobStore(db);
    try {
      assert.equal(mode(chosen), 0o755);
      for (const f of [db, `${db}-wal`, `${db}-shm`]) assert.equal(mode(f), 0o600, f);
    } finally {
      store.close();
    }
    const created = join(dir, "made", "jobs.db");
    new SqliteJobStore(created).close();
    assert.equal(mode(join(dir, "made")), 0o700, "a --db directory minispark creates is private");
  });
});
