// The `minispark` command: dispatches to the subcommands of DESIGN.md section 4
// and turns errors into a message and an exit code (2 for usage, 1 otherwise).
import { errorMessage } from "../common/errors.js";
import { PROTOCOL_VERSION, packageVersion } from "../common/version.js";
import { UsageError } from "./usage-error.js";
import { COMMANDS, usage } from "./commands.js";

/** The installed package's version and the wire protocol it speaks. */
function version(): string {
  return `minispark ${packageVersion()} (protocol ${PROTOCOL_VERSION})`;
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (!command || command === "--help" || command === "-h" || command === "help") {
    console.log(usage());
    return;
  }
  if (command === "--version" || command === "-V" || command === "version") {
    console.log(version());
    return;
  }
  const run = COMMANDS.get(command)?.run;
  if (!run) {
    console.error(`unknown command "${command}"\n\n${usage()}`);
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
