// The last line of defence of a long-running process (master or worker): an
// exception no handler caught, or a promise rejection nobody awaited, is logged
// with the process's component and the process keeps serving. Every request
// path catches its own errors (http-server.ts); this guard is for whatever a
// timer, an I/O callback or a forgotten promise lets through, so that one bad
// input can cost at most the request or job it concerned, never the process.
// Installed once by the `minispark master` and `minispark worker` entry points.
// stdout and stderr get an 'error' listener first (stream-sink.ts): a write to
// a closed pipe must not become an uncaught error, which this guard would log
// to the same closed pipe, and again, forever.
import { errorMessage } from "./errors.js";
import type { Logger } from "./log.js";
import { guardStream } from "./stream-sink.js";

let installed = false;

export function installProcessGuard(log: Logger): void {
  if (installed) return;
  installed = true;
  guardStream(process.stdout);
  guardStream(process.stderr);
  process.on("uncaughtException", (e, origin) => {
    log.error("uncaught error; the process keeps serving", { origin, error: errorMessage(e), stack: stackOf(e) });
  });
  process.on("unhandledRejection", (reason) => {
    log.error("unhandled promise rejection; the process keeps serving", { error: errorMessage(reason), stack: stackOf(reason) });
  });
}

function stackOf(e: unknown): string | undefined {
  return e instanceof Error ? e.stack?.split("\n").slice(0, 6).join("\n") : undefined;
}
