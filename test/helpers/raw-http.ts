// Test helpers for the HTTP edge (issue 14): a master and one worker started as
// `minispark master` / `minispark worker` processes under a chosen descriptor
// limit (`ulimit -n`), and one HTTP exchange over a raw socket, written byte
// for byte as an attacker would, with no client library to normalise it.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { MinisparkClient } from "../../src/client/rest-client.js";

export const CLI = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));

export interface RawCluster {
  masterUrl: string;
  /** host:port of the master and of the worker. */
  master: string;
  worker: string;
  token: string;
  client: MinisparkClient;
  masterProc: ChildProcess;
  workerProc: ChildProcess;
  dataDir: string;
  home: string;
  /** The processes' log lines (for failure messages). */
  log: string[];
  stop(): Promise<void>;
}

export interface RawClusterOptions {
  /** The cluster's token; null: give none, and let the master generate one (found through MINISPARK_HOME). */
  token: string | null;
  /** ulimit -n for both processes. */
  nofile?: number;
  masterArgs?: string[];
  workerArgs?: string[];
}

function start(args: string[], env: NodeJS.ProcessEnv, nofile: number | undefined, log: string[], name: string): ChildProcess {
  // `exec` keeps the pid: the process the test watches is the node process itself.
  const child = nofile
    ? spawn("bash", ["-c", `ulimit -n ${nofile} && exec "$0" "$@"`, process.execPath, CLI, ...args], { env, stdio: ["ignore", "pipe", "pipe"] })
    : spawn(process.execPath, [CLI, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  for (const s of [child.stdout!, child.stderr!]) createInterface({ input: s }).on("line", (l) => log.push(`${name} ${l}`));
  return child;
}

function lineMatching(log: string[], re: RegExp, child: ChildProcess, ms: number): Promise<string> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const poll = () => {
      const hit = log.find((l) => re.test(l));
      if (hit) return resolve(hit);
      if (child.exitCode !== null || Date.now() > deadline) return reject(new Error(`no log line ${re} (exit ${child.exitCode}):\n${log.join("\n")}`));
      setTimeout(poll, 50);
    };
    poll();
  });
}

export async function startRawCluster(opts: RawClusterOptions): Promise<RawCluster> {
  const home = fs.mkdtempSync(join(os.tmpdir(), "minispark-raw-home-"));
  const dataDir = fs.mkdtempSync(join(os.tmpdir(), "minispark-raw-data-"));
  const log: string[] = [];
  const env: NodeJS.ProcessEnv = { ...process.env, MINISPARK_HOME: home, MINISPARK_TOKEN: opts.token ?? "" };
  const masterProc = start(["master", "--port", "0", "--log-format", "json", "--worker-timeout", "3s", ...(opts.masterArgs ?? [])], env, opts.nofile, log, "master");
  const listening = await lineMatching(log, /"master listening"/, masterProc, 30_000);
  const masterUrl = (JSON.parse(listening.slice("master ".length)) as { url: string }).url;
  if (opts.token === null) await lineMatching(log, /no token was given/, masterProc, 10_000);
  const token = opts.token ?? fs.readFileSync(join(home, "tokens", `localhost-${new URL(masterUrl).port}`), "utf8").trim();
  const workerProc = start(
    ["worker", "--master", masterUrl, "--slots", "1", "--memory", "256mb", "--heartbeat", "500ms", "--data-dir", dataDir, "--log-format", "json", ...(opts.workerArgs ?? [])],
    env,
    opts.nofile,
    log,
    "worker",
  );
  const client = new MinisparkClient(masterUrl, token);
  let worker = "";
  for (const deadline = Date.now() + 30_000; !worker; await new Promise((r) => setTimeout(r, 100))) {
    if (Date.now() > deadline || workerProc.exitCode !== null) throw new Error(`the worker did not register:\n${log.join("\n")}`);
    worker = (await client.workers()).find((w) => w.status === "ALIVE")?.address ?? "";
  }
  const stop = async () => {
    for (const p of [workerProc, masterProc]) {
      if (p.exitCode !== null || p.signalCode !== null) continue;
      p.kill("SIGKILL");
      await new Promise((r) => p.once("exit", r));
    }
    fs.rmSync(home, { recursive: true, force: true });
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  return { masterUrl, master: new URL(masterUrl).host, worker, token, client, masterProc, workerProc, dataDir, home, log, stop };
}

export interface RawOutcome {
  /** The status of the first response, or null if none came. */
  status: number | null;
  text: string;
  /** answered: a response came; closed: the server closed without one; silent: neither within the time. */
  how: "answered" | "closed" | "silent";
  /** With `keep`: the socket, still open (the caller closes it). */
  socket?: net.Socket;
}

/**
 * Writes `parts` to host:port (pausing `gapMs` between them), then waits up to
 * `waitMs` for the server's answer or close. `reset`: destroy the socket after
 * the last part instead of waiting (a client that vanishes mid-request);
 * `keep`: leave it open afterwards (a client that goes silent).
 */
export function rawExchange(address: string, parts: (string | Buffer)[], opts: { gapMs?: number; waitMs?: number; reset?: boolean; keep?: boolean } = {}): Promise<RawOutcome> {
  const i = address.lastIndexOf(":");
  const host = address.slice(0, i).replace(/^\[|\]$/g, "");
  const port = Number(address.slice(i + 1));
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let done = false;
    const socket = net.connect(port, host);
    const finish = (how: RawOutcome["how"]) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (!opts.keep) socket.destroy();
      const text = Buffer.concat(chunks).toString("latin1");
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({ status: status ? Number(status[1]) : null, text, how: status ? "answered" : how, ...(opts.keep ? { socket } : {}) });
    };
    const timer = setTimeout(() => finish("silent"), opts.waitMs ?? 5000);
    socket.on("data", (d: Buffer) => {
      chunks.push(d);
      // One response is enough; a server that keeps the connection open is not waited on.
      if (/\r\n\r\n/.test(Buffer.concat(chunks).toString("latin1"))) setTimeout(() => finish("answered"), 20);
    });
    socket.on("error", () => finish("closed"));
    socket.on("close", () => finish("closed"));
    socket.once("connect", async () => {
      for (const [k, p] of parts.entries()) {
        if (done) return;
        if (k > 0 && opts.gapMs) await new Promise((r) => setTimeout(r, opts.gapMs));
        socket.write(p);
      }
      if (opts.reset) {
        socket.resetAndDestroy();
        finish("closed");
      }
    });
  });
}

/** Whether every process of the cluster answers /healthz right now. */
export async function healthy(addresses: string[]): Promise<string[]> {
  const bad: string[] = [];
  for (const a of addresses) {
    const r = await rawExchange(a, [`GET /healthz HTTP/1.1\r\nHost: ${a}\r\nConnection: close\r\n\r\n`], { waitMs: 5000 });
    if (r.status !== 200) bad.push(`${a}: ${r.how} ${r.status ?? ""}`);
  }
  return bad;
}
