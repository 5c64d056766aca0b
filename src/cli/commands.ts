// Every `minispark` command: its flag table (for the parser and the help) and
// what runs it. main.ts dispatches from here; the tests walk it to check that
// each command's help and parser agree.
import {
  APPS_COMMAND,
  CANCEL_COMMAND,
  JOBS_COMMAND,
  PLAN_COMMAND,
  RESULTS_COMMAND,
  STATUS_COMMAND,
  SUBMIT_COMMAND,
  WORKERS_COMMAND,
  appsCommand,
  cancelCommand,
  jobsCommand,
  planCommand,
  resultsCommand,
  statusCommand,
  submitCommand,
  workersCommand,
} from "./client-commands.js";
import { MASTER_COMMAND, WORKER_COMMAND, masterCommand, workerCommand } from "./cluster-commands.js";
import type { CommandSpec, FlagTable } from "./flag-table.js";
import { DEMO_COMMAND, LOCAL_COMMAND, demoCommand, localCommand } from "./local-commands.js";
import { SHELL_COMMAND, shellCommand } from "./shell-command.js";

export interface Command {
  readonly spec: CommandSpec<FlagTable>;
  // biome-ignore lint/suspicious/noConfusingVoidType: a command without an exit code of its own ends with no return, and exits 0
  readonly run: (argv: string[]) => Promise<number | void>;
}

/** In the order, and the groups, `minispark --help` shows them. */
export const COMMAND_GROUPS: readonly { readonly title: string; readonly commands: readonly Command[] }[] = [
  {
    title: "Cluster",
    commands: [
      { spec: MASTER_COMMAND, run: masterCommand },
      { spec: WORKER_COMMAND, run: workerCommand },
    ],
  },
  {
    title: "Jobs",
    commands: [
      { spec: SUBMIT_COMMAND, run: submitCommand },
      { spec: STATUS_COMMAND, run: statusCommand },
      { spec: RESULTS_COMMAND, run: resultsCommand },
      { spec: PLAN_COMMAND, run: planCommand },
      { spec: JOBS_COMMAND, run: jobsCommand },
      { spec: WORKERS_COMMAND, run: workersCommand },
      { spec: CANCEL_COMMAND, run: cancelCommand },
      { spec: APPS_COMMAND, run: appsCommand },
    ],
  },
  {
    title: "Local",
    commands: [
      { spec: LOCAL_COMMAND, run: localCommand },
      { spec: DEMO_COMMAND, run: demoCommand },
      { spec: SHELL_COMMAND, run: shellCommand },
    ],
  },
];

export const COMMANDS: ReadonlyMap<string, Command> = new Map(COMMAND_GROUPS.flatMap((g) => g.commands.map((c) => [c.spec.name, c] as const)));

/** `minispark --help`. */
export function usage(): string {
  const groups = COMMAND_GROUPS.map((g) => `${g.title}:\n${g.commands.map((c) => `  ${c.spec.name.padEnd(10)} ${c.spec.summary}`).join("\n")}`);
  return `usage: minispark <command> [options]\n\n${groups.join("\n")}\n\nRun "minispark <command> --help" for a command's options; "minispark --version" for the version.`;
}
