// The client commands: submit, status, results, plan, jobs, workers, cancel, apps. Each
// talks to the master's REST API only, prints for people by default and JSON
// with --json; each takes the defaults file, and submit --conf (conf.ts).
import fs from "node:fs";
import { hasEnded, type JobInfo } from "../common/api-types.js";
import { MinisparkClient } from "../client/rest-client.js";
import { JOB_SETTINGS_ENV, type JobSettings } from "../common/job-settings.js";
import { localWorkers } from "../common/local-master.js";
import { CLIENT_FLAGS, clientTls, masterUrl, token } from "./args.js";
import { UsageError } from "./usage-error.js";
import { clientLayer, jobSettings, parseConfFlag, readDefaults, withJobSettings } from "./conf.js";
import { parseAppId, parseJobId } from "./flag-values.js";
import { HELP_FLAG, helpText, parseCommand, splitAtProgram, type CommandSpec, type FlagTable, type FlagValues, type Parsed } from "./flag-table.js";
import { ProgressPrinter, duration, showValue, table } from "./format.js";
import { SCRIPT_EXTENSIONS, runScript } from "./submit-script.js";
import { minisparkHome } from "./token-file.js";

type ClientFlags = typeof CLIENT_FLAGS & typeof HELP_FLAG;

function clientCommand<T extends FlagTable>(name: string, synopsis: string, summary: string, own: T, operands: number | undefined, notes?: string): CommandSpec<T & ClientFlags> {
  // A command's own entry for a client flag replaces the shared one in the shared one's place in the help.
  const ownOnly = Object.entries(own).filter(([k]) => !Object.hasOwn(CLIENT_FLAGS, k));
  const shared = Object.entries(CLIENT_FLAGS).map(([k, f]) => [k, own[k] ?? f] as const);
  const flags = Object.fromEntries([...ownOnly, ...shared, ...Object.entries(HELP_FLAG)]) as T & ClientFlags;
  return { name, synopsis, summary, flags, ...(operands === undefined ? {} : { operands }), ...(notes ? { notes } : {}) };
}

export const SUBMIT_COMMAND = clientCommand(
  "submit",
  "submit <job.json> [--wait] [options]\n       minispark submit [options] <app.ts> [program arguments]",
  "submit a job file, or run a program (app.ts, .mts, .js, .mjs)",
  {
    wait: { type: "boolean", help: "follow a job file's job and print its result" },
    conf: { type: "string", multiple: true, arg: "<key=value>", help: "a job setting or client default (repeatable; keys below)" },
    // Here, not "see minispark submit --help": this is that help.
    "properties-file": { ...CLIENT_FLAGS["properties-file"], help: "defaults for these flags and for jobs (keys below)" },
  } as const satisfies FlagTable,
  undefined,
  `A program gets the words after it as process.argv.slice(2) (\`submit app.ts a b\`,
or \`submit app.ts -- a b\`); flags before it are minispark's. A job file takes no
arguments. A program given no master connects where its connect() says
(local[2] by default); --master also takes local[N] for a program.

--conf keys, also the defaults file's ($MINISPARK_HOME/defaults.conf or
--properties-file; one "key value" or "key=value" a line, # comments):
  name, parallelism, maxTaskRetries, taskTimeoutMs
      the job's settings, for a job file's job and a program's jobs; a job file's
      own field wins, then --conf, then the defaults file
  master, token-file, tls-ca
      client defaults: the flag wins, then --conf, then the environment, then
      the defaults file`,
);
export const STATUS_COMMAND = clientCommand(
  "status",
  "status <job-id> [--follow] [options]",
  "a job's status and stages",
  {
    follow: { type: "boolean", help: "keep showing progress until the job ends" },
  } as const satisfies FlagTable,
  1,
);
export const RESULTS_COMMAND = clientCommand(
  "results",
  "results <job-id> [--out <file>] [options]",
  "a completed job's value",
  {
    out: { type: "string", arg: "<file>", help: "write the value as JSON to a file" },
  } as const satisfies FlagTable,
  1,
);
export const PLAN_COMMAND = clientCommand("plan", "plan <job-id> [options]", "a job's plan: its stages and their RDD trees", {}, 1);
export const JOBS_COMMAND = clientCommand("jobs", "jobs [options]", "list jobs, newest first", {}, 0);
export const WORKERS_COMMAND = clientCommand("workers", "workers [options]", "list workers", {}, 0);
export const CANCEL_COMMAND = clientCommand("cancel", "cancel <job-id> [options]", "cancel a job", {}, 1);
export const APPS_COMMAND = clientCommand(
  "apps",
  "apps [options]\n       minispark apps end <app-id> [options]",
  "list applications, or end one",
  {},
  2,
  `An application is a client session (the library's connect()) that jobs belong
to, held while its client renews its lease. "apps end" ends one: its jobs that
have not ended are cancelled, and what it holds on the workers is released.`,
);

function help(cmd: CommandSpec): number {
  console.log(helpText(cmd));
  return 0;
}

/** Parses a client command's line with --conf and the defaults file layered in; returns the job settings too. */
function parseClient<T extends ClientFlags>(cmd: CommandSpec<T>, argv: string[]): Parsed<T> & { job: JobSettings } {
  let job: JobSettings = {};
  const parsed = parseCommand(cmd, argv, {
    layers: (given) => {
      const own = given as FlagValues<ClientFlags> & { conf?: string[] };
      const file = readDefaults(own["properties-file"], minisparkHome());
      const conf = (own.conf ?? []).map(parseConfFlag);
      job = jobSettings([...file, ...conf]);
      return { overEnv: [clientLayer(conf)], underEnv: [clientLayer(file)] };
    },
  });
  dropTokenFileMeantForAnotherMaster(parsed);
  return { ...parsed, job };
}

/**
 * A token-file from --conf or the defaults file that also names a master is
 * that master's token: when the master in use came from a higher source (the
 * command line, MINISPARK_MASTER), sending it there would hand one cluster's
 * secret to another. It is dropped, and the token is looked up as if it had
 * not been given (the master's own local token file, if it is on this
 * machine). A source that names no master is taken to speak for any.
 */
export function dropTokenFileMeantForAnotherMaster(parsed: Parsed<ClientFlags>): void {
  const layer = parsed.layer("token-file");
  if (layer?.values.master !== undefined && parsed.layer("master") !== layer) parsed.values["token-file"] = undefined;
}

function client(parsed: Parsed<ClientFlags>): MinisparkClient {
  const { values, from } = parsed;
  clientTls(values, from("tls-ca"));
  const url = masterUrl(values.master, from("master"));
  return new MinisparkClient(url, token(values, parsed, url));
}

export function readJobFile(path: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(path, "utf8");
  } catch (e) {
    throw new UsageError(`cannot read job file ${path}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${path} is not valid JSON: ${(e as Error).message}`);
  }
}

/** The job id a command takes (parseCommand refused more than one). */
function jobIdOperand(positionals: string[], cmd: CommandSpec): string {
  if (positionals.length !== 1) throw new UsageError(`minispark ${cmd.name} takes a job id\n\n${helpText(cmd)}`);
  return parseJobId(positionals[0]!);
}

/** Prints how a finished job went and its value; exit code 1 if it did not complete. */
export async function finish(c: MinisparkClient, job: JobInfo, json: boolean): Promise<number> {
  if (job.status !== "COMPLETED") {
    if (json) console.log(JSON.stringify(job));
    else console.error(`job ${job.id} ${job.status}${job.error ? `: ${job.error}` : ""}`);
    return 1;
  }
  const results = await c.results(job.id);
  if (json) console.log(JSON.stringify({ job, results }));
  else {
    console.error(`job ${job.id} COMPLETED in ${duration(job.metrics.durationMs)}`);
    console.log(showValue(results.value));
  }
  return 0;
}

export async function submitCommand(argv: string[]): Promise<number> {
  const { own, program } = splitAtProgram(argv, SUBMIT_COMMAND.flags, (operand) => SCRIPT_EXTENSIONS.test(operand));
  const parsed = parseClient(SUBMIT_COMMAND, own);
  const { values, positionals, from } = parsed;
  if (values.help) return help(SUBMIT_COMMAND);
  if (positionals.length === 0) throw new UsageError(helpText(SUBMIT_COMMAND));
  const file = positionals[0]!;
  if (SCRIPT_EXTENSIONS.test(file)) {
    const env: Record<string, string> = { [JOB_SETTINGS_ENV]: JSON.stringify(parsed.job) };
    if (values["tls-ca"]) env.MINISPARK_TLS_CA = values["tls-ca"];
    // The table's default master is for job files: a program left without one connects where its connect() says.
    const master = parsed.defaulted("master") ? undefined : values.master;
    // local[N] is checked here, before the program runs, with connect()'s own rule.
    if (master !== undefined) {
      try {
        localWorkers(master);
      } catch (e) {
        throw new UsageError(`${from("master")}: ${(e as Error).message}`);
      }
    }
    const tok = token(values, parsed, values.master) ?? undefined;
    return runScript(file, { master, token: tok, env }, program);
  }
  if (positionals.length > 1)
    throw new UsageError(
      `a job file takes no program arguments, got ${positionals
        .slice(1)
        .map((p) => `"${p}"`)
        .join(" ")} (a program does: submit app.ts a b)`,
    );
  // The master first: `--master local[2] job.json` is answered with what to run instead, whether or not job.json exists.
  const c = client(parsed);
  const spec = withJobSettings(readJobFile(file), parsed.job);
  const id = await c.submit(spec);
  if (!values.wait) {
    console.log(values.json ? JSON.stringify({ id }) : id);
    return 0;
  }
  const printer = values.json ? null : new ProgressPrinter();
  const job = await c.wait(id, (j) => printer?.update(j));
  return finish(c, job, values.json ?? false);
}

export async function statusCommand(argv: string[]): Promise<number> {
  const parsed = parseClient(STATUS_COMMAND, argv);
  const { values, positionals } = parsed;
  if (values.help) return help(STATUS_COMMAND);
  const c = client(parsed);
  const id = jobIdOperand(positionals, STATUS_COMMAND);
  if (values.follow) {
    const printer = values.json ? null : new ProgressPrinter(process.stdout);
    const job = await c.wait(id, (j) => (values.json ? console.log(JSON.stringify(j)) : printer!.update(j)));
    return job.status === "COMPLETED" ? 0 : 1;
  }
  const job = await c.job(id);
  if (values.json) console.log(JSON.stringify(job));
  else {
    console.log(`${job.id}  ${job.name}  ${job.status}  ${job.progress.toFixed(1)}%  ${duration(job.metrics.durationMs)}`);
    if (job.error) console.log(`error: ${job.error}`);
    if (job.metrics.spillCount) console.log(`spilled ${job.metrics.spillCount} runs, ${Math.round(Number(job.metrics.spillBytes) / 2 ** 20)} MiB`);
    if (job.stages.length > 0) {
      console.log(
        table(
          ["STAGE", "STATUS", "TASKS", "DURATION", "NAME"],
          job.stages.map((s) => [s.id, s.status, `${s.tasks.succeeded}/${s.numTasks}`, duration(s.durationMs), s.name]),
        ),
      );
    }
  }
  return hasEnded(job.status) && job.status !== "COMPLETED" ? 1 : 0;
}

export async function resultsCommand(argv: string[]): Promise<number> {
  const parsed = parseClient(RESULTS_COMMAND, argv);
  const { values, positionals } = parsed;
  if (values.help) return help(RESULTS_COMMAND);
  const results = await client(parsed).results(jobIdOperand(positionals, RESULTS_COMMAND));
  if (values.out) {
    fs.writeFileSync(values.out, JSON.stringify(results.value));
    console.error(`wrote the ${results.action} value to ${values.out}`);
  } else console.log(values.json ? JSON.stringify(results) : showValue(results.value));
  return 0;
}

export async function planCommand(argv: string[]): Promise<number> {
  const parsed = parseClient(PLAN_COMMAND, argv);
  const { values, positionals } = parsed;
  if (values.help) return help(PLAN_COMMAND);
  const plan = await client(parsed).plan(jobIdOperand(positionals, PLAN_COMMAND));
  if (values.json) console.log(JSON.stringify(plan));
  else process.stdout.write(plan.plan);
  return 0;
}

export async function jobsCommand(argv: string[]): Promise<number> {
  const parsed = parseClient(JOBS_COMMAND, argv);
  const { values } = parsed;
  if (values.help) return help(JOBS_COMMAND);
  const jobs = await client(parsed).jobs();
  if (values.json) console.log(JSON.stringify(jobs));
  else {
    console.log(
      table(
        ["ID", "NAME", "STATUS", "PROGRESS", "SUBMITTED", "DURATION", "APPLICATION"],
        jobs.map((j) => [j.id, j.name, j.status, `${j.progress.toFixed(1)}%`, j.submittedAt, duration(j.metrics.durationMs), j.application ?? "-"]),
      ),
    );
  }
  return 0;
}

export async function workersCommand(argv: string[]): Promise<number> {
  const parsed = parseClient(WORKERS_COMMAND, argv);
  const { values } = parsed;
  if (values.help) return help(WORKERS_COMMAND);
  const workers = await client(parsed).workers();
  if (values.json) console.log(JSON.stringify(workers));
  else {
    console.log(
      table(
        ["ID", "ADDRESS", "STATUS", "SLOTS", "ACTIVE", "MEM MB", "BUDGET MB", "CPU %", "SPILLS", "LAST HEARTBEAT"],
        workers.map((w) => [
          w.id,
          w.address,
          w.status,
          w.slots,
          w.active_tasks,
          w.mem_usage_mb,
          w.memory_budget_mb,
          w.cpu_percent,
          w.spill_count ? `${w.spill_count} (${Math.round(w.spill_bytes / 2 ** 20)} MiB)` : 0,
          w.lastHeartbeatAt,
        ]),
      ),
    );
  }
  return 0;
}

export async function cancelCommand(argv: string[]): Promise<number> {
  const parsed = parseClient(CANCEL_COMMAND, argv);
  const { values, positionals } = parsed;
  if (values.help) return help(CANCEL_COMMAND);
  const job = await client(parsed).cancel(jobIdOperand(positionals, CANCEL_COMMAND));
  console.log(values.json ? JSON.stringify(job) : `${job.id} ${job.status}`);
  return 0;
}

export async function appsCommand(argv: string[]): Promise<number> {
  const parsed = parseClient(APPS_COMMAND, argv);
  const { values, positionals } = parsed;
  if (values.help) return help(APPS_COMMAND);
  if (positionals.length > 0) {
    if (positionals[0] !== "end" || positionals.length !== 2) throw new UsageError(`minispark apps takes no arguments, or "end <app-id>"\n\n${helpText(APPS_COMMAND)}`);
    const app = await client(parsed).endApp(parseAppId(positionals[1]!));
    console.log(values.json ? JSON.stringify(app) : `${app.id} ${app.status}${app.endReason ? `: ${app.endReason}` : ""}`);
    return 0;
  }
  const apps = await client(parsed).apps();
  if (values.json) console.log(JSON.stringify(apps));
  else {
    const now = Date.now();
    console.log(
      table(
        ["ID", "NAME", "STATUS", "JOBS", "AGE"],
        apps.map((a) => [a.id, a.name, a.status, a.jobs, duration(Math.max(0, now - a.createdAt))]),
      ),
    );
  }
  return 0;
}
