// A real S3 server on loopback for tests (issue 18): a throw-away Ceph cluster
// of one mon, one memstore OSD and radosgw from Debian's packages
// (`npm run test:setup`), every file under one short temporary directory.
// ../../../shared/S3-TEST-SERVER.md has the measurements behind each setting.
//
// The daemons run in the foreground (`-f`) as this process's children rather
// than self-daemonizing: Node reaps them, so an 'exit' event means the process
// is gone, not a zombie, and the pid to kill is the one spawned. Each runs
// under `setpriv --pdeathsig KILL`, so the kernel kills it if the test process
// dies by any means, SIGKILL included; the 'exit' hook below covers a normal
// exit before stop() was called.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { S3TestClient } from "./s3-client.js";

/** What a test may choose about its server. */
export interface S3ServerOptions {
  /** The OSD's memstore capacity: objects live in its RAM, so this bounds the server's memory. Default 256 MiB. */
  deviceBytes?: number;
  /** How long each startup step may take before startup fails. Default 30 s. */
  stepTimeoutMs?: number;
  /** The first port radosgw tries; another, chosen free, if it cannot listen there. Default: one chosen free. */
  port?: number;
}

/** A running S3 server and the credentials of its one user. */
export interface S3Server {
  /** `http://127.0.0.1:PORT`; address it path-style. */
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  /** The directory holding the cluster's configuration, data and logs (removed by stop()). */
  dir: string;
  /** Stops radosgw, the OSD and the mon, in that order, and removes `dir`. Idempotent. */
  stop(): Promise<void>;
}

const REGION = "us-east-1";
const RGW_NAME = "client.rgw.s3";
/** The OSD binds its own ports from this range; no port of ours may fall in it. */
const OSD_PORTS = { low: 6800, high: 7300 };
const FRONTEND_ATTEMPTS = 4;
/** radosgw's exit status when its frontend's port is taken (errno EADDRINUSE). */
const EADDRINUSE_EXIT = 98;
const STOP_GRACE_MS = 3000;
const LOG_TAIL_LINES = 25;

/** Every daemon still running, by server dir, so the exit hook can kill them. */
const live = new Map<string, Daemon[]>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const [dir, daemons] of live) {
      for (const daemon of daemons) killQuietly(daemon.child, "SIGKILL");
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

function killQuietly(child: ChildProcess, signal: NodeJS.Signals): void {
  if (exited(child)) return;
  try {
    child.kill(signal);
  } catch {
    // Already gone.
  }
}

/** The lower bound of the kernel's ephemeral port range: a daemon's outgoing socket can take any port above it. */
function ephemeralLow(): number {
  try {
    const low = Number(fs.readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]);
    if (Number.isInteger(low) && low > 2048) return Math.min(low, 32768);
  } catch {
    // Not Linux's /proc: keep below the usual range.
  }
  return 32768;
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen({ host: "127.0.0.1", port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * A port free now, below the ephemeral range and outside the OSD's: chosen at
 * random so that servers started at once by concurrent test files rarely try
 * the same one (a collision is caught later and retried).
 */
async function freePort(avoid: ReadonlySet<number>): Promise<number> {
  const low = 10000;
  const high = ephemeralLow() - 1;
  for (let tries = 0; tries < 200; tries++) {
    const port = low + Math.floor(Math.random() * (high - low + 1));
    if (avoid.has(port) || (port >= OSD_PORTS.low && port <= OSD_PORTS.high)) continue;
    if (await canListen(port)) return port;
  }
  throw new Error(`no free loopback port between ${low} and ${high}`);
}

/** The cluster's configuration: no auth, crc framing, one replica, fast paxos, everything under `dir`. */
function cephConf(dir: string, fsid: string, monPort: number, deviceBytes: number): string {
  const crcModes = ["mon client", "client", "mon cluster", "mon service", "cluster", "service"].map((m) => `ms ${m} mode = crc`);
  return [
    "[global]",
    `fsid = ${fsid}`,
    `mon host = v2:127.0.0.1:${monPort}`,
    "public addr = 127.0.0.1",
    "cluster addr = 127.0.0.1",
    "ms bind msgr1 = false",
    // Without auth the daemons still insist on msgr2 secure mode, and radosgw hangs 300 s fetching its config.
    ...crcModes,
    "auth cluster required = none",
    "auth service required = none",
    "auth client required = none",
    "auth supported = none",
    "osd pool default size = 1",
    "osd pool default min size = 1",
    "osd pool default pg num = 8",
    "osd pool default pgp num = 8",
    "osd pool default pg autoscale mode = off",
    "osd crush chooseleaf type = 0",
    "mon allow pool size one = true",
    "mon warn on pool no redundancy = false",
    "mon data avail warn = 2",
    "mon data avail crit = 1",
    // Each pool radosgw creates otherwise waits about a second for the next paxos round.
    "paxos propose interval = 0.05",
    "paxos min wait = 0.01",
    `run dir = ${dir}`,
    `log file = ${dir}/$name.log`,
    `pid file = ${dir}/$name.pid`,
    `mon data = ${dir}/mon`,
    `osd data = ${dir}/osd`,
    `rgw data = ${dir}/rgw`,
    "",
    "[osd]",
    "osd objectstore = memstore",
    `memstore device bytes = ${deviceBytes}`,
    "",
  ].join("\n");
}

/** The last lines of `path` (from byte `from`), for an error message. */
function logTail(path: string, from = 0, lines = LOG_TAIL_LINES): string {
  let text: string;
  try {
    const whole = fs.readFileSync(path);
    text = whole.subarray(Math.min(from, whole.length)).toString("utf8");
  } catch {
    return `(no log at ${path})`;
  }
  return lastLines(text, lines) || `(${path} is empty)`;
}

const lastLines = (text: string, lines = LOG_TAIL_LINES): string => text.trimEnd().split("\n").slice(-lines).join("\n");

function fileSize(path: string): number {
  try {
    return fs.statSync(path).size;
  } catch {
    return 0;
  }
}

/** A daemon this process started, with what it said on stderr (its log file has the rest). */
interface Daemon {
  child: ChildProcess;
  logName: string;
  stderr: string;
}

const exited = (child: ChildProcess): boolean => child.exitCode !== null || child.signalCode !== null;

class Cluster {
  readonly conf: string;
  private readonly daemons: Daemon[] = [];
  private readonly setpriv = fs.existsSync("/usr/bin/setpriv");

  constructor(
    readonly dir: string,
    private readonly stepTimeoutMs: number,
  ) {
    this.conf = join(dir, "ceph.conf");
    live.set(dir, this.daemons);
  }

  log(name: string): string {
    return join(this.dir, `${name}.log`);
  }

  private logQuote(name: string, lines = LOG_TAIL_LINES): string {
    return `\n--- ${this.log(name)}:\n${logTail(this.log(name), 0, lines)}`;
  }

  /** Runs a short-lived ceph tool to completion; a failure quotes its output and `logName`'s log. */
  run(program: string, args: string[], logName: string): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(program, ["-c", this.conf, ...args], { timeout: this.stepTimeoutMs, killSignal: "SIGKILL" }, (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        const why = error.killed ? `timed out after ${this.stepTimeoutMs} ms` : `failed (${error.code ?? error.signal})`;
        reject(new Error(`${program} ${args.join(" ")} ${why}: ${lastLines(stderr.trim() || stdout.trim())}${this.logQuote(logName)}`));
      });
    });
  }

  /** Starts a daemon in the foreground, as a child that dies with this process. */
  start(program: string, args: string[], logName: string): Daemon {
    const command = this.setpriv ? ["/usr/bin/setpriv", "--pdeathsig", "KILL", "--", program] : [program];
    const child = spawn(command[0]!, [...command.slice(1), "-f", "-c", this.conf, ...args], { stdio: ["ignore", "ignore", "pipe"] });
    const daemon: Daemon = { child, logName, stderr: "" };
    child.stderr!.on("data", (chunk: Buffer) => {
      daemon.stderr = (daemon.stderr + chunk.toString("utf8")).slice(-4000);
    });
    // A spawn error also ends in 'exit' or leaves exitCode set; waitFor reports it.
    child.on("error", (error) => {
      daemon.stderr += `\n${error.message}`;
    });
    this.daemons.push(daemon);
    return daemon;
  }

  /**
   * Polls `ready` until it holds. Fails early, quoting the daemon's log, if any
   * daemon of the cluster exits, or if `failure` finds an error in the log.
   */
  async waitFor(what: string, daemon: Daemon, ready: () => Promise<boolean>, failure: () => string | null = () => null): Promise<void> {
    const deadline = Date.now() + this.stepTimeoutMs;
    for (;;) {
      const failed = failure();
      if (failed !== null) throw new FrontendError(`${what}: ${failed}`);
      const dead = this.daemons.find((d) => exited(d.child));
      if (dead) {
        const code = dead.child.exitCode ?? dead.child.signalCode;
        throw new Error(`${what}: ${dead.logName} exited (${code})${dead.stderr.trim() ? `: ${lastLines(dead.stderr)}` : ""}${this.logQuote(dead.logName)}`);
      }
      if (await ready()) return;
      if (Date.now() > deadline) {
        // radosgw waiting is often the OSD's fault (full, or not up): quote every daemon's log, the one waited for first.
        const others = this.daemons.filter((d) => d !== daemon).map((d) => this.logQuote(d.logName, LOG_TAIL_LINES / 5));
        throw new Error(`${what}: not ready after ${this.stepTimeoutMs} ms${this.logQuote(daemon.logName)}${others.join("")}`);
      }
      await sleep(25);
    }
  }

  /** Stops `daemon`: SIGTERM, then SIGKILL after a bounded wait; resolves once it has been reaped. */
  async stopDaemon(daemon: Daemon): Promise<void> {
    const { child } = daemon;
    if (!exited(child)) {
      const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      killQuietly(child, "SIGTERM");
      const timer = setTimeout(() => killQuietly(child, "SIGKILL"), STOP_GRACE_MS);
      await gone;
      clearTimeout(timer);
    }
    this.daemons.splice(this.daemons.indexOf(daemon), 1);
  }

  /** Stops every daemon, newest first (radosgw, then the OSD, then the mon), and removes the directory. */
  async stopAll(): Promise<void> {
    for (const daemon of [...this.daemons].reverse()) await this.stopDaemon(daemon);
    live.delete(this.dir);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** radosgw could not listen on its port: another is tried. */
class FrontendError extends Error {}

/** A short plain directory: the daemons' socket paths must stay under about 100 bytes. */
function makeDir(): string {
  const base = os.tmpdir().length <= 40 && /^[\w/.-]+$/.test(os.tmpdir()) ? os.tmpdir() : "/tmp";
  return fs.mkdtempSync(join(base, "s3-"));
}

const randomKey = (length: number, alphabet: string): string => Array.from(randomBytes(length), (b) => alphabet[b % alphabet.length]).join("");

async function httpStatus(url: string): Promise<number | null> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return null;
  }
}

/**
 * Starts a throw-away S3 server on loopback: one mon, one memstore OSD and
 * radosgw under a fresh temporary directory, with ports of its own, a user
 * made for the caller, and the first (slow) bucket creation already done.
 * Concurrent calls, in one process or many, get separate servers.
 */
export async function startS3Server(opts: S3ServerOptions = {}): Promise<S3Server> {
  installExitHook();
  const cluster = new Cluster(makeDir(), opts.stepTimeoutMs ?? 30_000);
  try {
    return await bringUp(cluster, opts.deviceBytes ?? 256 * 1024 * 1024, opts.port);
  } catch (error) {
    await cluster.stopAll();
    throw error;
  }
}

async function bringUp(cluster: Cluster, deviceBytes: number, firstPort: number | undefined): Promise<S3Server> {
  const { dir } = cluster;
  const monPort = await freePort(new Set());
  const fsid = randomUUID();
  fs.writeFileSync(cluster.conf, cephConf(dir, fsid, monPort, deviceBytes));
  for (const data of ["osd", "rgw"]) fs.mkdirSync(join(dir, data));

  const monmap = join(dir, "monmap");
  await cluster.run("monmaptool", ["--create", "--fsid", fsid, "--addv", "a", `[v2:127.0.0.1:${monPort}]`, monmap], "mon.a");
  await cluster.run("ceph-mon", ["-i", "a", "--mkfs", "--monmap", monmap], "mon.a");
  cluster.start("ceph-mon", ["-i", "a"], "mon.a");

  const osdUuid = randomUUID();
  const osdId = (await cluster.run("ceph", ["--connect-timeout", "10", "osd", "new", osdUuid, "0"], "mon.a")).trim();
  if (osdId !== "0") throw new Error(`ceph osd new gave OSD id ${JSON.stringify(osdId)}, expected 0`);
  await cluster.run("ceph-osd", ["-i", "0", "--mkfs", "--osd-uuid", osdUuid], "osd.0");
  // Not waited for here: radosgw's start waits for the OSD (its pools need it), and an OSD that dies fails that wait.
  cluster.start("ceph-osd", ["-i", "0"], "osd.0");

  const taken = new Set([monPort]);
  let port = 0;
  for (let attempt = 1; ; attempt++) {
    port = attempt === 1 && firstPort !== undefined ? firstPort : await freePort(taken);
    taken.add(port);
    const log = cluster.log(RGW_NAME);
    const from = fileSize(log);
    // radosgw's metadata cache watches RADOS objects, and one stopped after a failed bind leaves its watches until the
    // OSD's 30 s watch timeout: with a cache, the next one's every metadata write would notify them and wait that long.
    const noCache = attempt > 1 ? ["--rgw-cache-enabled=false"] : [];
    const rgw = cluster.start("radosgw", ["-n", RGW_NAME, "--rgw-frontends", `beast endpoint=127.0.0.1:${port}`, ...noCache], RGW_NAME);
    // A port another listener holds makes radosgw exit with EADDRINUSE; one a mere outgoing socket holds leaves it
    // alive with no listener, which only its log says.
    const frontendFailed = () =>
      rgw.child.exitCode === EADDRINUSE_EXIT || /failed initializing frontend|failed to bind/.test(logTail(log, from)) ? `radosgw could not listen on 127.0.0.1:${port}` : null;
    try {
      await cluster.waitFor(`radosgw on port ${port}`, rgw, async () => (await httpStatus(`http://127.0.0.1:${port}/`)) === 200, frontendFailed);
      break;
    } catch (error) {
      if (!(error instanceof FrontendError) || attempt === FRONTEND_ATTEMPTS) {
        throw error instanceof FrontendError ? new Error(`${error.message} after ${attempt} ports\n--- ${log}:\n${logTail(log, from)}`) : error;
      }
      await cluster.stopDaemon(rgw);
    }
  }

  const accessKeyId = randomKey(20, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
  const secretAccessKey = randomKey(40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789");
  // Without a cache radosgw-admin notifies no watcher, so a radosgw stopped after a failed bind cannot hold it up
  // (see noCache above); the running radosgw has not looked this user up, so it has nothing stale.
  await cluster.run(
    "radosgw-admin",
    ["--rgw-cache-enabled=false", "user", "create", "--uid=test", "--display-name=test", `--access-key=${accessKeyId}`, `--secret-key=${secretAccessKey}`],
    "client.admin",
  );

  const server: S3Server = {
    endpoint: `http://127.0.0.1:${port}`,
    accessKeyId,
    secretAccessKey,
    region: REGION,
    dir,
    stop: once(() => cluster.stopAll()),
  };
  // The first bucket creation makes radosgw's data pools, which is slow; tests should not pay for it in their own timeouts.
  const client = new S3TestClient(server);
  const warmUp = `warm-up-${randomUUID()}`;
  await client.createBucket(warmUp);
  await client.deleteBucket(warmUp);
  return server;
}

function once(f: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | null = null;
  return () => {
    running ??= f();
    return running;
  };
}
