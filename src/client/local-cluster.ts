// An embedded cluster on loopback: one master and N worker processes started as
// real child processes of this one (the same processes `minispark master` and
// `minispark worker` start), with a fresh random token and a temporary job
// database, torn down by stop(). Used by `minispark local`, `minispark demo`,
// the library's connect("local[N]") and the integration tests. A process that
// exits while starting fails start() with its last lines of output
// (start-failure.ts). The temporary directory carries this process's pid, so
// one left by a program killed with -9 is swept by the next local cluster
// (common/stale-leftovers.ts).
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import { join, resolve } from "node:path";
import type { Socket } from "node:net";
import { createInterface } from "node:readline";
import { LIFELINE_ENV } from "../common/lifeline.js";
import { leftoverKind, sweepLeftovers } from "../common/stale-leftovers.js";
import { guardStream, type GuardedStream } from "../common/stream-sink.js";
import { fileURLToPath } from "node:url";
import { MinisparkClient } from "./rest-client.js";
import { START_FAILURE_LINES, startFailureMessage } from "./start-failure.js";

const CLI = fileURLToPath(new URL("../cli/main.js", import.meta.url));
const TMP_PREFIX = "minispark-local-";

export interface LocalClusterOptions {
  workers: number;
  /** Slots per worker (default: the cores shared out among the workers). */
  slots?: number;
  dataDir: string;
  /** Extra flags for every worker, e.g. ["--memory", "256mb"]. */
  workerArgs?: string[];
  /** Extra flags for the master, e.g. ["--no-user-code"]. */
  masterArgs?: string[];
  /** Where the processes' logs go (default: a file in the cluster's temp dir, removed with it). */
  logFile?: string;
  workerTimeoutMs?: number;
}

interface Proc {
  child: ChildProcess;
  exited: Promise<void>;
  /** Once its output has been read to the end (after exit). */
  closed: Promise<void>;
  /** Its last START_FAILURE_LINES lines of output, for the error if it fails to start. */
  lastLines: string[];
  name: string;
}

export class LocalCluster {
  readonly token = randomBytes(24).toString("hex");
  readonly tmpDir: string;
  readonly logFile: string;
  masterUrl = "";
  client!: MinisparkClient;
  private master: Proc | null = null;
  private readonly workers: Proc[] = [];
  /** The workers start() waits for: one that exits fails the start at once (later, a test may stop workers on purpose). */
  private starting: Proc[] = [];
  private readonly logStream: fs.WriteStream;
  private readonly log: GuardedStream;

  constructor(private readonly opts: LocalClusterOptions) {
    sweepLeftovers(os.tmpdir(), leftoverKind(TMP_PREFIX));
    this.tmpDir = fs.mkdtempSync(join(os.tmpdir(), `${TMP_PREFIX}${process.pid}-`));
    this.logFile = opts.logFile ?? join(this.tmpDir, "cluster.log");
    this.logStream = fs.createWriteStream(this.logFile, { flags: "a" });
    // A --log-file on a full disk loses the cluster's logs, not the cluster.
    this.log = guardStream(this.logStream);
  }

  static async start(opts: LocalClusterOptions): Promise<LocalCluster> {
    // The embedded cluster's data directory is its own (connect()'s ./data by default): made here, since a worker refuses a --data-dir that does not exist.
    fs.mkdirSync(resolve(opts.dataDir), { recursive: true });
    const c = new LocalCluster(opts);
    try {
      await c.startMaster();
      for (let i = 0; i < opts.workers; i++) c.startWorker();
      c.starting = c.workers.slice();
      await c.waitForWorkers(opts.workers);
      c.starting = [];
    } catch (e) {
      await c.stop();
      throw e;
    }
    return c;
  }

  get workerProcesses(): ChildProcess[] {
    return this.workers.map((w) => w.child);
  }

  get masterProcess(): ChildProcess | null {
    return this.master?.child ?? null;
  }

  private spawn(args: string[], name: string): Proc {
    const child = spawn(process.execPath, [CLI, ...args], {
      // glibc gives every thread its own malloc arena, and freed Buffer memory
      // lingers in them; two arenas keep a worker's resident size near its
      // --memory (the setting Hadoop and Spark on YARN recommend for the JVM).
      env: { MALLOC_ARENA_MAX: "2", ...withoutServerVariables(process.env), MINISPARK_TOKEN: this.token, [LIFELINE_ENV]: "3" },
      // fd 3 is the child's lifeline (cli/lifeline.ts): it closes when this process ends, however it ends.
      stdio: ["ignore", "pipe", "pipe", "pipe"],
    });
    (child.stdio[3] as Socket).unref();
    const lastLines: string[] = [];
    const prefix = (line: string) => {
      this.log.write(`${name} ${line}\n`);
      lastLines.push(line);
      if (lastLines.length > START_FAILURE_LINES) lastLines.shift();
    };
    createInterface({ input: child.stdout! }).on("line", prefix);
    createInterface({ input: child.stderr! }).on("line", prefix);
    // After its output is read to the end, so that a start failure's message has its last lines.
    const closed = new Promise<void>((res) => child.once("close", () => res()));
    const exited = new Promise<void>((res) => child.once("exit", () => res()));
    return { child, exited, closed, lastLines, name };
  }

  /** Starts the master on `port` (0: any free one) over the cluster's job database. */
  private async startMaster(port = 0): Promise<void> {
    const args = ["master", "--host", "127.0.0.1", "--port", String(port), "--db", join(this.tmpDir, "minispark.db")];
    if (this.opts.workerTimeoutMs) args.push("--worker-timeout", `${this.opts.workerTimeoutMs}ms`);
    args.push(...(this.opts.masterArgs ?? []));
    const proc = (this.master = this.spawn(args, "master"));
    const child = proc.child;
    this.masterUrl = await new Promise<string>((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`master did not start within 30 s${this.logHint()}`)), 30_000);
      createInterface({ input: child.stderr! }).on("line", (line) => {
        if (!line.includes('"master listening"')) return;
        clearTimeout(timer);
        res((JSON.parse(line) as { url: string }).url);
      });
      child.once("exit", () => {
        clearTimeout(timer);
        void this.startFailure(proc).then(rej);
      });
    });
    this.client = new MinisparkClient(this.masterUrl, this.token);
  }

  /** Kills the master (SIGKILL unless told otherwise) and waits for it to be gone. */
  async killMaster(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    const m = this.master;
    if (!m) return;
    m.child.kill(signal);
    await m.exited;
    this.master = null;
  }

  /** Starts a master again on the same address and database, as an operator restarting it would. */
  async restartMaster(): Promise<void> {
    await this.startMaster(Number(new URL(this.masterUrl).port));
  }

  /** Starts one more worker process; returns it. */
  startWorker(extraArgs: string[] = []): ChildProcess {
    const slots = this.opts.slots ?? Math.max(1, Math.floor(os.availableParallelism() / this.opts.workers));
    const args = [
      "worker",
      "--master",
      this.masterUrl,
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--slots",
      String(slots),
      "--data-dir",
      resolve(this.opts.dataDir),
      ...(this.opts.workerArgs ?? []),
      ...extraArgs,
    ];
    const proc = this.spawn(args, `worker-${this.workers.length}`);
    this.workers.push(proc);
    return proc.child;
  }

  async waitForWorkers(n: number, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const alive = (await this.client.workers()).filter((w) => w.status === "ALIVE").length;
      if (alive >= n) return;
      const dead = this.starting.find((w) => !running(w));
      if (dead) throw await this.startFailure(dead);
      if (Date.now() > deadline) throw new Error(`only ${alive} of ${n} workers registered${this.logHint()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** The error for `p`, which exited before it was up, once its last output has been read. */
  private async startFailure(p: Proc): Promise<Error> {
    await p.closed;
    const { exitCode: code, signalCode: signal } = p.child;
    return new Error(startFailureMessage({ name: p.name, code, signal, lines: p.lastLines, keptLog: this.opts.logFile, nodeVersion: process.version }));
  }

  /** Where to read more: the log file if it outlives the cluster (the temporary one is removed with it). */
  private logHint(): string {
    return this.opts.logFile ? `; see ${this.logFile}` : `; the master's last output:\n${(this.master?.lastLines ?? []).map((l) => `  ${l}`).join("\n")}`;
  }

  /** Stops the workers first, so that they drain and deregister while the master still runs, then the master. */
  async stop(): Promise<void> {
    await terminate(this.workers, 2000);
    await terminate(this.master ? [this.master] : [], 5000);
    await new Promise<void>((res) => this.logStream.end(() => res()));
    fs.rmSync(this.tmpDir, { recursive: true, force: true });
  }
}

const running = (p: Proc) => p.child.exitCode === null && p.child.signalCode === null;

function exitedWithin(procs: Proc[], ms: number): Promise<boolean> {
  const timeout = new Promise<boolean>((res) => setTimeout(() => res(false), ms).unref());
  return Promise.race([Promise.all(procs.map((p) => p.exited)).then(() => true), timeout]);
}

/** SIGTERM; past `graceMs` a second SIGTERM (stop now); past 3 s more, SIGKILL. */
async function terminate(procs: Proc[], graceMs: number): Promise<void> {
  const live = procs.filter(running);
  for (const p of live) p.child.kill("SIGTERM");
  if (await exitedWithin(live, graceMs)) return;
  for (const p of live.filter(running)) p.child.kill("SIGTERM");
  if (await exitedWithin(live, 3000)) return;
  for (const p of live.filter(running)) p.child.kill("SIGKILL");
  await Promise.all(live.map((p) => p.exited));
}

/**
 * The environment without the MINISPARK_* variables every master and worker
 * flag falls back to (cli/flag-table.ts): they configure the servers of a real
 * cluster, e.g. a container's --advertise or --tls-cert, and would turn this
 * loopback cluster into something its options do not say. MINISPARK_HOME stays.
 */
function withoutServerVariables(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith("MINISPARK_") || k === "MINISPARK_HOME"));
}
