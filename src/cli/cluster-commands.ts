// `minispark master` and `minispark worker`: start a long-running process with
// the DESIGN.md section 4 flags (each also an environment variable), guard it against errors nothing caught, and
// stop it cleanly on SIGTERM/SIGINT. A master given no token makes one and
// leaves it where local workers and clients look (token-file.ts).
import os from "node:os";
import { join } from "node:path";
import { logger } from "../common/log.js";
import { installProcessGuard } from "../common/process-guard.js";
import { watchLifeline } from "../common/lifeline.js";
import { MAX_RESULT_CEILING } from "../plan/result-budget.js";
import { DEFAULT_PLAN_LIMITS } from "../plan/plan-limits.js";
import { MAX_PARTITIONS } from "../plan/spec-limits.js";
import { MAX_BROADCAST_CEILING } from "../plan/broadcasts.js";
import { DEFAULT_MASTER, HOST_FLAGS, LOG_FLAGS, TLS_FLAGS, allowHosts, masterUrl, requireTokenOffLoopback, serverTls, serverToken, setupLogging } from "./args.js";
import { UsageError } from "./usage-error.js";
import { MAX_WORKER_SLOTS, countRule, durationRule, parseHostPort, requireDataDir, showSize, sizeRule } from "./flag-values.js";
import { machineMemoryBytes } from "./machine-memory.js";
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

const MACHINE_MEMORY = machineMemoryBytes();

/** The scheduler keeps every task of a running job in memory (about a KiB each): ten times the default is the most one master is trusted with. */
const MAX_TASKS_PER_JOB = 10 * DEFAULT_PLAN_LIMITS.maxTasksPerJob;

const MASTER_FLAGS = withEnv({
  host: { type: "string", arg: "<addr>", help: "address to listen on", default: "127.0.0.1" },
  port: { type: "string", arg: "<n>", help: "port to listen on; 0 = any free port", default: "7077" },
  db: { type: "string", arg: "<file>", help: "SQLite job database; keep it out of every worker's --data-dir", defaultNote: "$MINISPARK_HOME/minispark.db, ~/.minispark/minispark.db" },
  token: { type: "string", arg: "<secret>", help: "require this bearer token" },
  "token-file": { type: "string", arg: "<file>", help: "read the token from this file's first line instead" },
  ...HOST_FLAGS,
  // At least 1s: a worker heartbeats every --heartbeat (at least 100ms, ±1/3), and a lease shorter than a few of those flaps.
  "worker-timeout": { type: "string", arg: "<dur>", help: "a worker unheard this long is DEAD", default: "10s", rule: durationRule(1000) },
  "no-user-code": { type: "boolean", help: "accept only jobs whose functions are built-ins" },
  "max-result-size": {
    type: "string",
    arg: "<size>",
    help: "the most a job's collected results may total",
    default: "256mb",
    rule: sizeRule(1, MAX_RESULT_CEILING, `${showSize(MAX_RESULT_CEILING)} is the most one stored value can hold`),
  },
  "task-timeout": { type: "string", arg: "<dur>", help: 'stop a task attempt running longer (a job may set "taskTimeoutMs")', default: "1h", rule: durationRule(1000, "never") },
  "max-partitions": {
    type: "string",
    arg: "<n>",
    help: "refuse a job with a stage of more tasks (left at its default: at most --max-tasks-per-job)",
    default: String(DEFAULT_PLAN_LIMITS.maxPartitions),
    rule: countRule(1, MAX_PARTITIONS),
  },
  "max-tasks-per-job": { type: "string", arg: "<n>", help: "refuse a job of more tasks in all its stages", default: String(DEFAULT_PLAN_LIMITS.maxTasksPerJob), rule: countRule(1, MAX_TASKS_PER_JOB) },
  "locality-wait": {
    type: "string",
    arg: "<dur>",
    help: "how long a task whose partition is cached waits for a worker holding it before it runs elsewhere",
    default: "3s",
    rule: durationRule(1, "run anywhere at once"),
  },
  "max-broadcast-size": {
    type: "string",
    arg: "<size>",
    help: "the largest broadcast variable (its JSON)",
    default: "64mb",
    rule: sizeRule(1, MAX_BROADCAST_CEILING, `${showSize(MAX_BROADCAST_CEILING)} is the most a worker keeps of one value`),
  },
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
  operands: 0,
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
  slots: { type: "string", arg: "<n>", help: "tasks run in parallel", defaultNote: `this machine's cores (here ${os.availableParallelism()})`, rule: countRule(1, MAX_WORKER_SLOTS) },
  memory: {
    type: "string",
    arg: "<size>",
    help: "memory budget, split evenly into the task threads' heap limits",
    defaultNote: `a quarter of this machine's memory, 256mb-4gb (here ${fmtMb(defaultMemoryBytes())})`,
    rule: sizeRule(4 * MB, MACHINE_MEMORY.bytes, MACHINE_MEMORY.what),
  },
  "memory-fraction": { type: "string", arg: "<f>", help: "share of --memory aggregation, sort and shuffle buffers may hold before spilling", default: "0.5" },
  "data-dir": { type: "string", arg: "<dir>", help: "inputs are read from here, outputs go to <dir>/outputs", default: "./data" },
  "spill-dir": { type: "string", arg: "<dir>", help: "where spill files go, in <dir>/.minispark/<worker>", defaultNote: "<data-dir>/.minispark/<worker>/spill" },
  token: { type: "string", arg: "<secret>", help: "the cluster's token", defaultNote: "the one a master on this machine wrote to $MINISPARK_HOME/tokens/localhost-<port>" },
  "token-file": { type: "string", arg: "<file>", help: "read the token from this file's first line instead" },
  ...HOST_FLAGS,
  heartbeat: { type: "string", arg: "<dur>", help: "heartbeat interval, jittered by ±1/3", default: "3s", rule: durationRule(100) },
  "shutdown-grace": {
    type: "string",
    arg: "<dur>",
    help: "on SIGTERM/SIGINT, how long running tasks may finish and shuffle output be served",
    default: "30s",
    rule: durationRule(1, "hand back at once"),
  },
  "no-user-code": { type: "boolean", help: "run built-in functions only, never submitted code" },
  "max-broadcast-size": {
    type: "string",
    arg: "<size>",
    help: "the largest broadcast variable this worker keeps (as the master's)",
    default: "64mb",
    rule: sizeRule(1, MAX_BROADCAST_CEILING, `${showSize(MAX_BROADCAST_CEILING)} is the most a worker keeps of one value`),
  },
  ...TLS_FLAGS,
  ...LOG_FLAGS,
  ...HELP_FLAG,
} as const satisfies FlagTable);

export const WORKER_COMMAND: CommandSpec<typeof WORKER_FLAGS> = {
  name: "worker",
  synopsis: "worker --master <url> [options]",
  summary: "start a worker",
  flags: WORKER_FLAGS,
  operands: 0,
  notes: `A token is required to listen beyond loopback. The --advertise host is
served too, besides what --allow-host names. Give --master as https://... with
the --tls-* flags. After --shutdown-grace the worker hands back what remains and
leaves; a second signal stops it at once.

${ENV_NOTE}`,
};

/**
 * Catches SIGTERM and SIGINT from now on, so that one arriving while the
 * server starts is kept rather than killing it half-started (the default
 * action). Once started, `runUntilSignal` says what they do: `stop()`, and
 * given `now`, a second signal while that is under way stops at once (e.g. a
 * worker's drain takes too long). A signal kept from start-up runs `stop()`
 * as soon as it is given.
 */
function catchStopSignals(): { runUntilSignal(stop: () => Promise<void>, now?: () => Promise<void>): void } {
  const early: string[] = [];
  let onSignal = (sig: string) => void early.push(sig);
  process.on("SIGTERM", () => onSignal("SIGTERM"));
  process.on("SIGINT", () => onSignal("SIGINT"));
  return {
    runUntilSignal(stop, now) {
      let signals = 0;
      onSignal = (sig) => {
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
      for (const sig of early) onSignal(sig);
      watchLifeline(() => {
        // The cluster's program is gone, and with it the cluster: no one waits for a drain.
        setTimeout(() => process.exit(0), LIFELINE_GRACE_MS).unref();
        void (now ?? stop)().finally(() => process.exit(0));
      });
    },
  };
}

/** How long a process whose parent died may take to stop before it exits regardless. */
const LIFELINE_GRACE_MS = 5000;

export async function masterCommand(argv: string[]): Promise<void> {
  const parsed = parseCommand(MASTER_COMMAND, argv);
  const { values, from } = parsed;
  const number = (flag: keyof typeof MASTER_FLAGS & string) => parsed.number(flag)!;
  if (values.help) return void console.log(helpText(MASTER_COMMAND));
  setupLogging(values, from);
  const port = portNumber(values.port, from("port"));
  const host = values.host;
  const given = serverToken(values, parsed);
  requireTokenOffLoopback(host, given);
  const config = {
    host,
    port,
    dbPath: values.db ?? join(minisparkHome(), "minispark.db"),
    allowHosts: allowHosts(values, from("allow-host")),
    workerTimeoutMs: number("worker-timeout"),
    userCode: !values["no-user-code"],
    taskTimeoutMs: number("task-timeout"),
    maxResultBytes: number("max-result-size"),
    localityWaitMs: number("locality-wait"),
    maxBroadcastBytes: number("max-broadcast-size"),
    tls: serverTls(values, from),
    planLimits: {
      // A stage is part of a job: left at its default, the stage limit follows a lower job limit.
      maxPartitions: parsed.defaulted("max-partitions") ? Math.min(number("max-partitions"), number("max-tasks-per-job")) : number("max-partitions"),
      maxTasksPerJob: number("max-tasks-per-job"),
    },
  };
  // One given more tasks than a whole job may have could never run.
  if (config.planLimits.maxPartitions > config.planLimits.maxTasksPerJob) {
    throw new UsageError(
      `${from("max-partitions")} (${values["max-partitions"]}) must not exceed ${from("max-tasks-per-job")} (${values["max-tasks-per-job"]}): a stage of that many tasks could never run`,
    );
  }
  installProcessGuard(logger("master"));
  // Never a master without a token: any web page could reach one on loopback. A restart on the same port keeps the token.
  const secret = given || (port !== 0 ? readLocalToken(`http://127.0.0.1:${port}`) : null) || generateToken();
  // Loaded here, so that every other command (and a worker) starts without the master's code.
  const { MasterProcess } = await import("../master/master-process.js");
  const master = new MasterProcess({ ...config, token: secret });
  const signals = catchStopSignals();
  await master.start();
  const boundPort = Number(new URL(master.url).port);
  if (!given) {
    if (readLocalToken(`http://127.0.0.1:${boundPort}`) !== secret) writeLocalToken(boundPort, secret);
    logger("master").info("no token was given: generated one for this master", { token_file: tokenFilePath(boundPort) });
  }
  // A fixed port's file stays for the master restarted there (its workers keep the token); a --port 0 one would only pile up.
  const forgetToken = !given && port === 0 ? () => removeLocalToken(boundPort, secret) : () => {};
  signals.runUntilSignal(() => master.stop().finally(forgetToken));
}

function portNumber(value: string, from: string): number {
  const port = Number(value);
  if (value.trim() === "" || !Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`${from} must be 0..65535, got "${value}"`);
  return port;
}

export async function workerCommand(argv: string[]): Promise<void> {
  const parsed = parseCommand(WORKER_COMMAND, argv);
  const { values, from } = parsed;
  if (values.help) return void console.log(helpText(WORKER_COMMAND));
  setupLogging(values, from);
  const port = portNumber(values.port, from("port"));
  const memoryBytes = parsed.number("memory") ?? defaultMemoryBytes();
  const memoryFraction = Number(values["memory-fraction"]);
  if (!(memoryFraction > 0 && memoryFraction <= 0.9)) {
    throw new UsageError(`${from("memory-fraction")} must be a number above 0 and at most 0.9, got "${values["memory-fraction"]}"`);
  }
  const host = values.host;
  const master = masterUrl(values.master, from("master"));
  const given = serverToken(values, parsed);
  requireTokenOffLoopback(host, given);
  const secret = given || readLocalToken(master);
  const dataDir = values["data-dir"];
  if (!parsed.defaulted("data-dir")) requireDataDir(dataDir, from("data-dir"));
  const config = {
    masterUrl: master,
    host,
    port,
    advertise: values.advertise === undefined ? null : parseHostPort(values.advertise, from("advertise")),
    slots: parsed.number("slots") ?? Math.min(os.availableParallelism(), MAX_WORKER_SLOTS),
    memoryBytes,
    memoryFraction,
    dataDir,
    spillDir: values["spill-dir"] ?? null,
    token: secret,
    allowHosts: allowHosts(values, from("allow-host")),
    heartbeatMs: parsed.number("heartbeat")!,
    maxBroadcastBytes: parsed.number("max-broadcast-size")!,
    userCode: !values["no-user-code"],
    tls: serverTls(values, from),
  };
  // Every master has a token, so a worker without one could never register.
  if (!secret)
    throw new UsageError(
      `no token for the master ${master}: give --token, --token-file or MINISPARK_TOKEN (a master on this machine started without one writes its token to ${join(minisparkHome(), "tokens")}/localhost-<port>)`,
    );
  installProcessGuard(logger("worker"));
  const { WorkerProcess } = await import("../worker/worker-process.js");
  const worker = new WorkerProcess(config);
  const graceMs = parsed.number("shutdown-grace")!;
  const signals = catchStopSignals();
  await worker.start();
  signals.runUntilSignal(
    () => worker.shutdown(graceMs),
    () => worker.stop(),
  );
}
