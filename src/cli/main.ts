// The `minispark` command: dispatches to the subcommands of DESIGN.md section 4
// and turns errors into a message and an exit code (2 for usage, 1 otherwise).
import { errorMessage } from "../common/errors.js";
import { PROTOCOL_VERSION } from "../common/protocol.js";
import { packageVersion } from "../common/version.js";
import { UsageError } from "./args.js";
import { cancelCommand, jobsCommand, resultsCommand, statusCommand, submitCommand, workersCommand } from "./client-commands.js";
import { masterCommand, workerCommand } from "./cluster-commands.js";
import { demoCommand, localCommand } from "./local-commands.js";

const USAGE = `usage: minispark <command> [options]

Cluster:
  master                 start the master
  worker --master <url>  start a worker
Jobs:
  submit <job.json>      submit a job (--wait to follow it and print the result)
  status <id>            a job's status and stages (--follow)
  results <id>           a completed job's value
  jobs                   list jobs, newest first
  workers                list workers
  cancel <id>            cancel a job
Local:
  local <job.json>       run a job on an embedded cluster (--workers N)
  demo                   word count over a generated corpus on a local cluster

Run "minispark <command> --help" for a command's options; "minispark --version" for the version.`;

/** The installed package's version and the wire protocol it speaks. */
function version(): string {
  return `minispark ${packageVersion()} (protocol ${PROTOCOL_VERSION})`;
}

const COMMANDS: Record<string, (argv: string[]) => Promise<number | void>> = {
  master: masterCommand,
  worker: workerCommand,
  submit: submitCommand,
  status: statusCommand,
  results: resultsCommand,
  jobs: jobsCommand,
  workers: workersCommand,
  cancel: cancelCommand,
  local: localCommand,
  demo: demoCommand,
};

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (!command || command === "--help" || command === "-h" || command === "help") {
    console.log(USAGE);
    return;
  }
  if (command === "--version" || command === "-V" || command === "version") {
    console.log(version());
    return;
  }
  const run = COMMANDS[command];
  if (!run) {
    console.error(`unknown command "${command}"\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  try {
    const code = await run(rest);
    if (typeof code === "number") process.exitCode = code;
  } catch (e) {
    console.error(e instanceof UsageError ? e.message : `error: ${errorMessage(e)}`);
    process.exitCode = e instanceof UsageError ? 2 : 1;
  }
}

await main(process.argv.slice(2));
