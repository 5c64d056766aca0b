// `minispark shell`: a Node REPL with `sc` connected (Spark's spark-shell): to a
// local cluster started for the session by default, or to a running master. One
// application holds the session, so what one command caches the next one reads.
// Top-level await works as in Node's own REPL; the session's application ends,
// and a local cluster stops, when the REPL does (.exit, Ctrl-D, end of input).
import { resolve } from "node:path";
import repl from "node:repl";
import { PassThrough } from "node:stream";
import { localWorkers } from "../common/local-master.js";
import { PROTOCOL_VERSION, packageVersion } from "../common/version.js";
import { CLIENT_FLAGS, clientTls, masterUrl, token } from "./args.js";
import { HELP_FLAG, helpText, parseCommand, type CommandSpec, type FlagTable } from "./flag-table.js";
import { requireDataDir } from "./flag-values.js";
import { UsageError } from "./usage-error.js";

const SHELL_FLAGS = {
  master: { type: "string", arg: "<url>", help: "a running master, or local[N] for a cluster of N workers started for the session", default: "local[2]", env: "MINISPARK_MASTER" },
  token: CLIENT_FLAGS.token,
  "token-file": CLIENT_FLAGS["token-file"],
  "tls-ca": CLIENT_FLAGS["tls-ca"],
  "data-dir": { type: "string", arg: "<dir>", help: "a local cluster's inputs are read from here, outputs go to <dir>/outputs", default: "./data", env: "MINISPARK_DATA_DIR" },
  "app-name": { type: "string", arg: "<name>", help: "the session's application name, also its jobs'", default: "shell" },
  ...HELP_FLAG,
} as const satisfies FlagTable;

export const SHELL_COMMAND: CommandSpec<typeof SHELL_FLAGS> = {
  name: "shell",
  synopsis: "shell [options]",
  summary: "a Node REPL with `sc` connected (local[2] by default)",
  about: `Opens a Node REPL with \`sc\` connected, as connect() in a program would:
to a local cluster started for the session, or to a running master. The session
is one application: what one command caches, the next one reads. Top-level
await works: \`await sc.textFile("logs/*.txt").count()\`.`,
  flags: SHELL_FLAGS,
  operands: 0,
  notes: "The session's application ends, and a local cluster stops, with the REPL (.exit or Ctrl-D).",
};

export async function shellCommand(argv: string[]): Promise<number> {
  const parsed = parseCommand(SHELL_COMMAND, argv);
  const { values } = parsed;
  if (values.help) {
    console.log(helpText(SHELL_COMMAND));
    return 0;
  }
  const local = isLocal(values.master, parsed.from("master"));
  const master = local ? values.master : masterUrl(values.master, parsed.from("master"));
  if (!local) clientTls(values, parsed.from("tls-ca"));
  if (local && !parsed.defaulted("data-dir")) requireDataDir(values["data-dir"], parsed.from("data-dir"));
  // Loaded here, so that the CLI's other commands start without the library.
  const { connect } = await import("../client/context.js");
  const sc = await connect(master, {
    appName: values["app-name"],
    dataDir: resolve(values["data-dir"]),
    ...(local ? {} : { token: token(values, parsed, master) ?? undefined }),
  });
  console.log(`minispark ${packageVersion()} (protocol ${PROTOCOL_VERSION}) shell: sc is connected to ${master}, application ${sc.applicationId}`);
  console.log("Type .exit or press Ctrl-D to end the session.");
  const server = startRepl();
  server.context.sc = sc;
  await new Promise<void>((done) => server.once("exit", done));
  // Ctrl-D under a running command ends the application, which cancels its job.
  await sc.close();
  return 0;
}

/**
 * A REPL that runs its commands one after another and ends only after the
 * last one, on a terminal and on piped input alike. Node's REPL reads the next
 * line while a command awaits, so piped commands would otherwise run at once,
 * and its end (or a piped `.exit`) would close the session under them: input
 * that is not a terminal is therefore handed on only as the REPL asks for it,
 * and ended when every command has.
 */
function startRepl(): repl.REPLServer {
  const piped = !process.stdin.isTTY;
  const input = piped ? new PassThrough() : process.stdin;
  const server = repl.start({ prompt: "minispark> ", useGlobal: false, input, output: process.stdout, terminal: !piped && process.stdout.isTTY });
  const evaluated = serialize(server);
  server.defineCommand("exit", {
    help: "End the session (after the commands before it)",
    action() {
      void evaluated().then(() => server.close());
    },
  });
  if (piped) {
    process.stdin.pipe(input as PassThrough, { end: false });
    process.stdin.once("end", () => void evaluated().then(() => (input as PassThrough).end()));
  }
  return server;
}

/**
 * Evaluates one command after another. A command has ended when the open REPL
 * shows its prompt again: it does so after a value and after an error alike (a
 * rejected await is reported without calling back). Returns what waits for the
 * last command queued so far.
 */
function serialize(server: repl.REPLServer): () => Promise<void> {
  const evaluate = server.eval;
  const display = server.displayPrompt.bind(server);
  let ended: (() => void) | null = null;
  let last = Promise.resolve();
  server.displayPrompt = (preserveCursor?: boolean) => {
    ended?.();
    ended = null;
    display(preserveCursor);
  };
  const queued: repl.REPLEval = function (this: repl.REPLServer, cmd, context, file, cb) {
    last = last.then(
      () =>
        new Promise<void>((done) => {
          ended = done;
          evaluate.call(this, cmd, context, file, cb);
        }),
    );
  };
  (server as { eval: repl.REPLEval }).eval = queued;
  return () => last;
}

function isLocal(master: string, from: string): boolean {
  try {
    return localWorkers(master) !== null;
  } catch (e) {
    throw new UsageError(`${from}: ${(e as Error).message}`);
  }
}
