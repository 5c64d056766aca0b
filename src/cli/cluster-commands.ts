// `minispark master` and `minispark worker`: start a long-running process with
// the DESIGN.md section 4 flags, guard it against errors nothing caught, and
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
import { HOST_OPTIONS, LOG_OPTIONS, TLS_OPTIONS, UsageError, allowHosts, masterUrl, parse, parseDuration, positiveInt, requireTokenOffLoopback, serverTls, serverToken, setupLogging, token } from "./args.js";
import { generateToken, minisparkHome, readLocalToken, tokenFilePath, writeLocalToken } from "./token-file.js";

const MB = 1024 * 1024;

/** A quarter of the machine, leaving room for the master, other workers and the page cache; within sane bounds. */
function defaultMemoryBytes(): number {
  return Math.min(4096 * MB, Math.max(256 * MB, Math.floor(os.totalmem() / 4 / MB) * MB));
}

function fmtMb(bytes: number): string {
  return `${Math.round(bytes / MB)}mb`;
}

const MASTER_USAGE = `usage: minispark master [options]

  --host <addr>            address to listen on (default 127.0.0.1)
  --port <n>               port (default 7077; 0 = any free port)
  --db <file>              SQLite job database (default ~/.minispark/minispark.db,
                           or $MINISPARK_HOME/minispark.db; keep it out of every
                           worker's --data-dir: jobs can read what is there)
  --token <secret>         require this bearer token (or MINISPARK_TOKEN)
  --token-file <file>      read the token from a file instead
                           (a token is required to listen beyond loopback; on
                           loopback without one the master generates one and
                           writes it, mode 0600, to ~/.minispark/tokens/localhost-<port>,
                           where local workers and client commands find it)
  --allow-host <names>     also answer requests for these Host names (comma-separated,
                           repeatable; '*': any). Served anyway: the --host address,
                           loopback names on a loopback or wildcard --host, this
                           machine's name and IP addresses on a wildcard --host
  --worker-timeout <dur>   a worker unheard this long is DEAD (default 10s)
  --no-user-code           accept only jobs whose functions are built-ins
  --max-result-size <size> the most a job's collected results may total (default 256mb)
  --task-timeout <dur>     stop a task attempt running longer (default 1h; 0 = never);
                           a job may set its own "taskTimeoutMs"
  --max-partitions <n>     refuse a job with a stage of more tasks (default 100000)
  --max-tasks-per-job <n>  refuse a job of more tasks in all its stages (default 1000000)
  --tls-cert <file>        serve https with this PEM certificate (chain); peers are
                           then reached over https too (all of a cluster or none)
  --tls-key <file>         its PEM private key
  --tls-ca <file>          trust only this PEM authority for peers' certificates
                           (or MINISPARK_TLS_CA; default: the system's)
  --log-level <level>      debug | info | warn | error (default info)
  --log-format <fmt>       json | pretty (default: pretty on a terminal)`;

const WORKER_USAGE = `usage: minispark worker --master <url> [options]

  --master <url>           the master (or MINISPARK_MASTER; default http://127.0.0.1:7077)
  --host <addr>            address to listen on (default 127.0.0.1)
  --port <n>               port (default 0 = any free port)
  --advertise <host:port>  address others use to reach this worker
  --slots <n>              tasks run in parallel (default: the number of cores, ${os.availableParallelism()})
  --memory <size>          memory budget of this worker, e.g. 512mb (default: a
                           quarter of this machine's memory, 256mb..4gb: ${fmtMb(defaultMemoryBytes())});
                           split evenly into the task threads' heap limits
  --memory-fraction <f>    share of --memory that aggregation, sort and shuffle
                           buffers may hold before they spill to disk (default 0.5)
  --data-dir <dir>         inputs are read from here, outputs go to <dir>/outputs
                           (or MINISPARK_DATA_DIR; default ./data)
  --spill-dir <dir>        where spill files go, in <dir>/.minispark/<worker>
                           (default <data-dir>/.minispark/<worker>/spill)
  --token <secret>         cluster token (or MINISPARK_TOKEN; with neither, the token
                           a master on this machine generated, from
                           ~/.minispark/tokens/localhost-<port>)
  --token-file <file>      read the token from a file instead
                           (a token is required to listen beyond loopback)
  --allow-host <names>     as for master; --advertise's host is served too
  --heartbeat <dur>        heartbeat interval (default 3s, jittered ±1/3)
  --shutdown-grace <dur>   on SIGTERM/SIGINT, how long running tasks may finish and
                           shuffle output be served before the worker hands back
                           what remains and leaves (default 30s; a second signal
                           stops at once)
  --no-user-code           run built-in functions only, never submitted code
  --tls-cert, --tls-key, --tls-ca as for master (give --master as https://…)
  --log-level, --log-format as for master`;

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
  const { values } = parse(
    argv,
    { host: { type: "string" }, port: { type: "string" }, db: { type: "string" }, token: { type: "string" }, "token-file": { type: "string" }, "worker-timeout": { type: "string" }, "no-user-code": { type: "boolean" }, "task-timeout": { type: "string" }, "max-result-size": { type: "string" }, "max-partitions": { type: "string" }, "max-tasks-per-job": { type: "string" }, help: { type: "boolean", short: "h" }, ...TLS_OPTIONS, ...LOG_OPTIONS, ...HOST_OPTIONS },
    MASTER_USAGE,
  );
  if (values.help) return void console.log(MASTER_USAGE);
  setupLogging(values);
  const port = Number(values.port ?? 7077);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be 0..65535, got "${values.port}"`);
  const host = values.host ?? "127.0.0.1";
  const given = serverToken(values);
  requireTokenOffLoopback(host, given);
  installProcessGuard(logger("master"));
  // Never a master without a token: any web page could reach one on loopback. A restart on the same port keeps the token.
  const secret = given || (port !== 0 ? readLocalToken(`http://127.0.0.1:${port}`) : null) || generateToken();
  const master = new MasterProcess({
    host,
    port,
    dbPath: values.db ?? join(minisparkHome(), "minispark.db"),
    token: secret,
    allowHosts: allowHosts(values),
    workerTimeoutMs: values["worker-timeout"] ? parseDuration(values["worker-timeout"], "--worker-timeout") : 10_000,
    userCode: !values["no-user-code"],
    taskTimeoutMs: values["task-timeout"] ? parseDuration(values["task-timeout"], "--task-timeout") : 3_600_000,
    maxResultBytes: sizeFlag(values["max-result-size"] ?? "256mb", "--max-result-size"),
    tls: serverTls(values),
    planLimits: {
      maxPartitions: positiveInt(values["max-partitions"], "--max-partitions", DEFAULT_PLAN_LIMITS.maxPartitions),
      maxTasksPerJob: positiveInt(values["max-tasks-per-job"], "--max-tasks-per-job", DEFAULT_PLAN_LIMITS.maxTasksPerJob),
    },
  });
  await master.start();
  if (!given) {
    const boundPort = Number(new URL(master.url).port);
    if (readLocalToken(`http://127.0.0.1:${boundPort}`) !== secret) writeLocalToken(boundPort, secret);
    logger("master").info("no token was given: generated one for this master", { token_file: tokenFilePath(boundPort) });
  }
  runUntilSignal(() => master.stop());
}

export async function workerCommand(argv: string[]): Promise<void> {
  const { values } = parse(
    argv,
    {
      master: { type: "string" },
      host: { type: "string" },
      port: { type: "string" },
      advertise: { type: "string" },
      slots: { type: "string" },
      memory: { type: "string" },
      "memory-fraction": { type: "string" },
      "data-dir": { type: "string" },
      "spill-dir": { type: "string" },
      token: { type: "string" },
      "token-file": { type: "string" },
      heartbeat: { type: "string" },
      "shutdown-grace": { type: "string" },
      "no-user-code": { type: "boolean" },
      help: { type: "boolean", short: "h" },
      ...TLS_OPTIONS,
      ...LOG_OPTIONS,
      ...HOST_OPTIONS,
    },
    WORKER_USAGE,
  );
  if (values.help) return void console.log(WORKER_USAGE);
  setupLogging(values);
  const port = Number(values.port ?? 0);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be 0..65535, got "${values.port}"`);
  const memoryBytes = values.memory === undefined ? defaultMemoryBytes() : sizeFlag(values.memory, "--memory");
  if (memoryBytes < 4 * 1024 * 1024) throw new UsageError(`--memory must be at least 4mb, got "${values.memory}"`);
  const memoryFraction = Number(values["memory-fraction"] ?? 0.5);
  if (!(memoryFraction > 0 && memoryFraction <= 0.9)) {
    throw new UsageError(`--memory-fraction must be a number above 0 and at most 0.9, got "${values["memory-fraction"]}"`);
  }
  const host = values.host ?? "127.0.0.1";
  const master = masterUrl(values.master);
  const given = serverToken(values);
  requireTokenOffLoopback(host, given);
  const secret = given || token(undefined, master);
  const config = {
    masterUrl: master,
    host,
    port,
    advertise: values.advertise ?? null,
    slots: positiveInt(values.slots, "--slots", os.availableParallelism()),
    memoryBytes,
    memoryFraction,
    dataDir: values["data-dir"] ?? process.env.MINISPARK_DATA_DIR ?? "./data",
    spillDir: values["spill-dir"] ?? null,
    token: secret,
    allowHosts: allowHosts(values),
    heartbeatMs: values.heartbeat ? parseDuration(values.heartbeat, "--heartbeat") : 3000,
    userCode: !values["no-user-code"],
    tls: serverTls(values),
  };
  // Every master has a token, so a worker without one could never register.
  if (!secret) throw new UsageError(`no token for the master ${master}: give --token, --token-file or MINISPARK_TOKEN (a master on this machine started without one writes its token to ${join(minisparkHome(), "tokens")}/localhost-<port>)`);
  installProcessGuard(logger("worker"));
  const worker = new WorkerProcess(config);
  const graceMs = values["shutdown-grace"] ? parseDuration(values["shutdown-grace"], "--shutdown-grace") : 30_000;
  await worker.start();
  runUntilSignal(
    () => worker.shutdown(graceMs),
    () => worker.stop(),
  );
}
