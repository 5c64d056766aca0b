// An embedded cluster on loopback: one master and N worker processes started as
// real child processes of this one (the same processes `minispark master` and
// `minispark worker` start), with a fresh random token and a temporary job
// database, torn down by stop(). Used by `minispark local`, `minispark demo`,
// the library's connect("local[N]") and the integration tests.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import { join, resolve } from "node:path";
import type { Socket } from "node:net";
import { createInterface } from "node:readline";
import { LIFELINE_ENV } from "../common/lifeline.js";
import { fileURLToPath } from "node:url";
import { MinisparkClient } from "./rest-client.js";

const CLI = fileURLToPath(new URL("../cli/main.js", import.meta.url));

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
}

export class LocalCluster {
  readonly token = randomBytes(24).toString("hex");
  readonly tmpDir: string;
  readonly logFile: string;
  masterUrl = "";
  client!: MinisparkClient;
  private master: Proc | null = null;
  private readonly workers: Proc[] = [];
  private readonly log: fs.WriteStream;

  constructor(private readonly opts: LocalClusterOptions) {
    this.tmpDir = fs.mkdtempSync(join(os.tmpdir(), "minispark-local-"));
    this.logFile = opts.logFile ?? join(this.tmpDir, "cluster.log");
    this.log = fs.createWriteStream(this.logFile, { flags: "a" });
  }

  static async start(opts: LocalClusterOptions): Promise<LocalCluster> {
    // The embedded cluster's data directory is its own (connect()'s ./data by default): made here, since a worker refuses a --data-dir that does not exist.
    fs.mkdirSync(resolve(opts.dataDir), { recursive: true });
    const c = new LocalCluster(opts);
    try {
      await c.startMaster();
      for (let i = 0; i < opts.workers; i++) c.startWorker();
      await c.waitForWorkers(opts.workers);
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
    const prefix = (line: string) => this.log.write(`${name} ${line}\n`);
    createInterface({ input: child.stdout! }).on("line", prefix);
    createInterface({ input: child.stderr! }).on("line", prefix);
    const exited = new Promise<void>((res) => child.once("exit", () => res()));
    return { child, exited };
  }

  /** Starts the master on `port` (0: any free one) over the cluster's job database. */
  private async startMaster(port = 0): Promise<void> {
    const args = ["master", "--host", "127.0.0.1", "--port", String(port), "--db", join(this.tmpDir, "minispark.db")];
    if (this.opts.workerTimeoutMs) args.push("--worker-timeout", `${this.opts.workerTimeoutMs}ms`);
    args.push(...(this.opts.masterArgs ?? []));
    this.master = this.spawn(args, "master");
    const child = this.master.child;
    this.masterUrl = await new Promise<string>((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`master did not start; see ${this.logFile}`)), 30_000);
      createInterface({ input: child.stderr! }).on("line", (line) => {
        if (!line.includes('"master listening"')) return;
        clearTimeout(timer);
        res((JSON.parse(line) as { url: string }).url);
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        rej(new Error(`master exited with code ${code}; see ${this.logFile}`));
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
      "--master", this.masterUrl,
      "--host", "127.0.0.1",
      "--port", "0",
      "--slots", String(slots),
      "--data-dir", resolve(this.opts.dataDir),
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
      if (Date.now() > deadline) throw new Error(`only ${alive} of ${n} workers registered; see ${this.logFile}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Stops the workers first, so that they drain and deregister while the master still runs, then the master. */
  async stop(): Promise<void> {
    await terminate(this.workers, 2000);
    await terminate(this.master ? [this.master] : [], 5000);
    await new Promise<void>((res) => this.log.end(() => res()));
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
