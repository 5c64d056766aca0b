// `minispark master` and `minispark worker`: start a long-running process with
// the DESIGN.md section 4 flags (each also an environment variable), guard it against errors nothing caught, and
// stop it cleanly on SIGTERM/SIGINT. A master given no token makes one and
// leaves it where local workers and clients look (token-file.ts).
import os from "node:os";
import { join } from "node:path";
import { logger } from "../common/log.js";
import { installProcessGuard } from "../common/process-guard.js";
import { watchLifeline } from "../common/lifeline.js";
import { MasterProcess } from "../master/master-process.js";
import { parseSize } from "../common/size.js";
import { DEFAULT_PLAN_LIMITS } from "../plan/plan-limits.js";
import { WorkerProcess } from "../worker/worker-process.js";
import { DEFAULT_MASTER, HOST_FLAGS, LOG_FLAGS, TLS_FLAGS, UsageError, allowHosts, masterUrl, parseDuration, positiveInt, requireTokenOffLoopback, serverTls, serverToken, setupLogging } from "./args.js";
import { HELP_FLAG, helpText, parseCommand, withEnv, type CommandSpec, type FlagTable } from "./flag-table.js";
import { generateToken, minisparkHome, readLocalToken, removeLocalToken, tokenFilePath, writeLocalToken } from "./token-file.js";

const MB = 1024 * 1024;

/** A quarter of the machine, leaving room for the master, other workers and the page cache; within sane bounds. */
function defaultMemoryBytes(): number {
  return Math.min(4096 * MB, Math.max(256 * MB, Math.floor(os.totalmem() / 4 / MB) * MB));
}

function fmtMb(bytes: number): string {
  return `${Math.round(bytes / MB)}mb`;
}

const MASTER_FLAGS = withEnv({
  host: { type: "string", arg: "<addr>", help: "address to listen on", default: "127.0.0.1" },
  port: { type: "string", arg: "<n>", help: "port to listen on; 0 = any free port", default: "7077" },
  db: { type: "string", arg: "<file>", help: "SQLite job database; keep it out of every worker's --data-dir", defaultNote: "$MINISPARK_HOME/minispark.db, ~/.minispark/minispark.db" },
  token: { type: "string", arg: "<secret>", help: "require this bearer token" },
  "token-file": { type: "string", arg: "<file>", help: "read the token from this file's first line instead" },
  ...HOST_FLAGS,
  "worker-timeout": { type: "string", arg: "<dur>", help: "a worker unheard this long is DEAD", default: "10s" },
  "no-user-code": { type: "boolean", help: "accept only jobs whose functions are built-ins" },
  "max-result-size": { type: "string", arg: "<size>", help: "the most a job's collected results may total", default: "256mb" },
  "task-timeout": { type: "string", arg: "<dur>", help: 'stop a task attempt running longer; 0 = never (a job may set "taskTimeoutMs")', default: "1h" },
  "max-partitions": { type: "string", arg: "<n>", help: "refuse a job with a stage of more tasks", default: String(DEFAULT_PLAN_LIMITS.maxPartitions) },
  "max-tasks-per-job": { type: "string", arg: "<n>", help: "refuse a job of more tasks in all its stages", default: String(DEFAULT_PLAN_LIMITS.maxTasksPerJob) },
  ...TLS_FLAGS,
  ...LOG_FLAGS,
  ...HELP_FLAG,
} as const satisfies FlagTable);

const ENV_NOTE = `Every flag can come from its environment variable instead (for containers);
a boolean's is 1/true or 0/false. The command line wins over the environment.`;

export const MASTER_COMMAND: CommandSpec<typeof MASTER_FLAGS> = {
  name: "master",
  synopsis: "master [options]",
  summary: "start the master",
  flags: MASTER_FLAGS,
  notes: `A token is required to listen beyond loopback. On loopback without one the
master generates one and writes it, mode 0600, to
$MINISPARK_HOME/tokens/localhost-<port> (~/.minispark/...), where local workers
and client commands find it.

Served whatever --allow-host says: the --host address, loopback names on a
loopback or wildcard --host, this machine's name and IP addresses on a wildcard
--host.

${ENV_NOTE}`,
};

const WORKER_FLAGS = withEnv({
  master: { type: "string", arg: "<url>", help: "the master", default: DEFAULT_MASTER },
  host: { type: "string", arg: "<addr>", help: "address to listen on", default: "127.0.0.1" },
  port: { type: "string", arg: "<n>", help: "port to listen on; 0 = any free port", default: "0" },
  advertise: { type: "string", arg: "<host:port>", help: "address others use to reach this worker", defaultNote: "the address it listens on" },
  slots: { type: "string", arg: "<n>", help: "tasks run in parallel (this machine's cores)", default: String(os.availableParallelism()) },
  memory: { type: "string", arg: "<size>", help: "memory budget, split evenly into the task threads' heap limits", default: fmtMb(defaultMemoryBytes()) },
  "memory-fraction": { type: "string", arg: "<f>", help: "share of --memory aggregation, sort and shuffle buffers may hold before spilling", default: "0.5" },
  "data-dir": { type: "string", arg: "<dir>", help: "inputs are read from here, outputs go to <dir>/outputs", default: "./data" },
  "spill-dir": { type: "string", arg: "<dir>", help: "where spill files go, in <dir>/.minispark/<worker>", defaultNote: "<data-dir>/.minispark/<worker>/spill" },
  token: { type: "string", arg: "<secret>", help: "the cluster's token", defaultNote: "the one a master on this machine wrote to $MINISPARK_HOME/tokens/localhost-<port>" },
  "token-file": { type: "string", arg: "<file>", help: "read the token from this file's first line instead" },
  ...HOST_FLAGS,
  heartbeat: { type: "string", arg: "<dur>", help: "heartbeat interval, jittered by ±1/3", default: "3s" },
  "shutdown-grace": { type: "string", arg: "<dur>", help: "on SIGTERM/SIGINT, how long running tasks may finish and shuffle output be served", default: "30s" },
  "no-user-code": { type: "boolean", help: "run built-in functions only, never submitted code" },
  ...TLS_FLAGS,
  ...LOG_FLAGS,
  ...HELP_FLAG,
} as const satisfies FlagTable);

export const WORKER_COMMAND: CommandSpec<typeof WORKER_FLAGS> = {
  name: "worker",
  synopsis: "worker --master <url> [options]",
  summary: "start a worker",
  flags: WORKER_FLAGS,
  notes: `A token is required to listen beyond loopback. The --advertise host is
served too, besides what --allow-host names. Give --master as https://... with
the --tls-* flags. After --shutdown-grace the worker hands back what remains and
leaves; a second signal stops it at once.

${ENV_NOTE}`,
};

function sizeFlag(value: string, flag: string): number {
  try {
    return parseSize(value);
  } catch (e) {
    throw new UsageError(`${flag}: ${(e as Error).message}`);
  }
}

/**
 * Runs until SIGTERM or SIGINT, then `stop()`s; given `now`, a second signal
 * while that is under way stops at once (e.g. a worker's drain takes too long).
 */
function runUntilSignal(stop: () => Promise<void>, now?: () => Promise<void>): void {
  let signals = 0;
  const onSignal = (sig: string) => {
    signals++;
    const step = signals === 1 ? stop : signals === 2 ? now : undefined;
    if (!step) return;
    void step().then(
      () => process.exit(0),
      (e) => {
        process.stderr.write(`error while stopping on ${sig}: ${(e as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => onSignal("SIGTERM"));
  process.on("SIGINT", () => onSignal("SIGINT"));
  watchLifeline(() => {
    // The cluster's program is gone, and with it the cluster: no one waits for a drain.
    setTimeout(() => process.exit(0), LIFELINE_GRACE_MS).unref();
    void (now ?? stop)().finally(() => process.exit(0));
  });
}

/** How long a process whose parent died may take to stop before it exits regardless. */
const LIFELINE_GRACE_MS = 5000;

export async function masterCommand(argv: string[]): Promise<void> {
  const { values, from } = parseCommand(MASTER_COMMAND, argv);
  if (values.help) return void console.log(helpText(MASTER_COMMAND));
  setupLogging(values, from);
  const port = portNumber(values.port, from("port"));
  const host = values.host;
  const given = serverToken(values, from);
  requireTokenOffLoopback(host, given);
  const config = {
    host,
    port,
    dbPath: values.db ?? join(minisparkHome(), "minispark.db"),
    allowHosts: allowHosts(values),
    workerTimeoutMs: parseDuration(values["worker-timeout"], from("worker-timeout")),
    userCode: !values["no-user-code"],
    taskTimeoutMs: parseDuration(values["task-timeout"], from("task-timeout")),
    maxResultBytes: sizeFlag(values["max-result-size"], from("max-result-size")),
    tls: serverTls(values, from),
    planLimits: {
      maxPartitions: positiveInt(values["max-partitions"], from("max-partitions")),
      maxTasksPerJob: positiveInt(values["max-tasks-per-job"], from("max-tasks-per-job")),
    },
  };
  installProcessGuard(logger("master"));
  // Never a master without a token: any web page could reach one on loopback. A restart on the same port keeps the token.
  const secret = given || (port !== 0 ? readLocalToken(`http://127.0.0.1:${port}`) : null) || generateToken();
  const master = new MasterProcess({ ...config, token: secret });
  await master.start();
  const boundPort = Number(new URL(master.url).port);
  if (!given) {
    if (readLocalToken(`http://127.0.0.1:${boundPort}`) !== secret) writeLocalToken(boundPort, secret);
    logger("master").info("no token was given: generated one for this master", { token_file: tokenFilePath(boundPort) });
  }
  // A fixed port's file stays for the master restarted there (its workers keep the token); a --port 0 one would only pile up.
  const forgetToken = !given && port === 0 ? () => removeLocalToken(boundPort, secret) : () => {};
  runUntilSignal(() => master.stop().finally(forgetToken));
}

function portNumber(value: string, from: string): number {
  const port = Number(value);
  if (value.trim() === "" || !Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`${from} must be 0..65535, got "${value}"`);
  return port;
}

export async function workerCommand(argv: string[]): Promise<void> {
  const { values, from } = parseCommand(WORKER_COMMAND, argv);
  if (values.help) return void console.log(helpText(WORKER_COMMAND));
  setupLogging(values, from);
  const port = portNumber(values.port, from("port"));
  const memoryBytes = sizeFlag(values.memory, from("memory"));
  if (memoryBytes < 4 * 1024 * 1024) throw new UsageError(`${from("memory")} must be at least 4mb, got "${values.memory}"`);
  const memoryFraction = Number(values["memory-fraction"]);
  if (!(memoryFraction > 0 && memoryFraction <= 0.9)) {
    throw new UsageError(`${from("memory-fraction")} must be a number above 0 and at most 0.9, got "${values["memory-fraction"]}"`);
  }
  const host = values.host;
  const master = masterUrl(values.master, from("master"));
  const given = serverToken(values, from);
  requireTokenOffLoopback(host, given);
  const secret = given || readLocalToken(master);
  const config = {
    masterUrl: master,
    host,
    port,
    advertise: values.advertise ?? null,
    slots: positiveInt(values.slots, from("slots")),
    memoryBytes,
    memoryFraction,
    dataDir: values["data-dir"],
    spillDir: values["spill-dir"] ?? null,
    token: secret,
    allowHosts: allowHosts(values),
    heartbeatMs: parseDuration(values.heartbeat, from("heartbeat")),
    userCode: !values["no-user-code"],
    tls: serverTls(values, from),
  };
  // Every master has a token, so a worker without one could never register.
  if (!secret) throw new UsageError(`no token for the master ${master}: give --token, --token-file or MINISPARK_TOKEN (a master on this machine started without one writes its token to ${join(minisparkHome(), "tokens")}/localhost-<port>)`);
  installProcessGuard(logger("worker"));
  const worker = new WorkerProcess(config);
  const graceMs = parseDuration(values["shutdown-grace"], from("shutdown-grace"));
  await worker.start();
  runUntilSignal(
    () => worker.shutdown(graceMs),
    () => worker.stop(),
  );
}
