// The client commands: submit, status, results, jobs, workers, cancel. Each
// talks to the master's REST API only, prints for people by default and JSON
// with --json.
import fs from "node:fs";
import { MinisparkClient, TERMINAL, type JobInfo } from "../client/rest-client.js";
import { CLIENT_OPTIONS, UsageError, clientTls, givenMaster, masterUrl, parse, token } from "./args.js";
import { ProgressPrinter, duration, showValue, table } from "./format.js";
import { SCRIPT_EXTENSIONS, runScript } from "./submit-script.js";

const COMMON = `  --master <url>   the master (or MINISPARK_MASTER; default http://127.0.0.1:7077)
  --token <secret> cluster token (or MINISPARK_TOKEN; for a master on this
                   machine started without one: the token it wrote to
                   ~/.minispark/tokens/localhost-<port>, or under MINISPARK_HOME)
  --tls-ca <file>  trust this PEM authority for an https master (or MINISPARK_TLS_CA)
  --json           machine-readable output`;

const USAGE = {
  submit: `usage: minispark submit <job.json> [--wait] [options]\n\n  --wait           follow the job and print its result\n${COMMON}`,
  status: `usage: minispark status <job-id> [--follow] [options]\n\n  --follow         keep showing progress until the job ends\n${COMMON}`,
  results: `usage: minispark results <job-id> [--out <file>] [options]\n\n  --out <file>     write the value as JSON to a file\n${COMMON}`,
  jobs: `usage: minispark jobs [options]\n\n${COMMON}`,
  workers: `usage: minispark workers [options]\n\n${COMMON}`,
  cancel: `usage: minispark cancel <job-id> [options]\n\n${COMMON}`,
};

function help(usage: string): number {
  console.log(usage);
  return 0;
}

function client(values: { master?: string; token?: string; "tls-ca"?: string }): MinisparkClient {
  clientTls(values);
  const url = masterUrl(values.master);
  return new MinisparkClient(url, token(values.token, url));
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

function one(positionals: string[], usage: string): string {
  if (positionals.length !== 1) throw new UsageError(usage);
  return positionals[0]!;
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
  const { values, positionals } = parse(argv, { ...CLIENT_OPTIONS, wait: { type: "boolean" } }, USAGE.submit);
  if (values.help) return help(USAGE.submit);
  const file = one(positionals, USAGE.submit);
  if (SCRIPT_EXTENSIONS.test(file)) return runScript(file, { master: values.master, token: token(values.token, givenMaster(values.master)) ?? undefined });
  const spec = readJobFile(file);
  const c = client(values);
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
  const { values, positionals } = parse(argv, { ...CLIENT_OPTIONS, follow: { type: "boolean" } }, USAGE.status);
  if (values.help) return help(USAGE.status);
  const c = client(values);
  const id = one(positionals, USAGE.status);
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
  return TERMINAL.has(job.status) && job.status !== "COMPLETED" ? 1 : 0;
}

export async function resultsCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { ...CLIENT_OPTIONS, out: { type: "string" } }, USAGE.results);
  if (values.help) return help(USAGE.results);
  const results = await client(values).results(one(positionals, USAGE.results));
  if (values.out) {
    fs.writeFileSync(values.out, JSON.stringify(results.value));
    console.error(`wrote the ${results.action} value to ${values.out}`);
  } else console.log(values.json ? JSON.stringify(results) : showValue(results.value));
  return 0;
}

export async function jobsCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, CLIENT_OPTIONS, USAGE.jobs);
  if (values.help) return help(USAGE.jobs);
  const jobs = await client(values).jobs();
  if (values.json) console.log(JSON.stringify(jobs));
  else {
    console.log(
      table(
        ["ID", "NAME", "STATUS", "PROGRESS", "SUBMITTED", "DURATION"],
        jobs.map((j) => [j.id, j.name, j.status, `${j.progress.toFixed(1)}%`, j.submittedAt, duration(j.metrics.durationMs)]),
      ),
    );
  }
  return 0;
}

export async function workersCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, CLIENT_OPTIONS, USAGE.workers);
  if (values.help) return help(USAGE.workers);
  const workers = await client(values).workers();
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
  const { values, positionals } = parse(argv, CLIENT_OPTIONS, USAGE.cancel);
  if (values.help) return help(USAGE.cancel);
  const job = await client(values).cancel(one(positionals, USAGE.cancel));
  console.log(values.json ? JSON.stringify(job) : `${job.id} ${job.status}`);
  return 0;
}
