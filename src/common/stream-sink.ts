// A log sink over a stream that may close under the process: stderr piped into
// `head`, a terminal that went away, a --log-file on a full disk. The first
// 'error' (EPIPE, EBADF, ENOSPC…) silences that sink for good — nothing is
// written to it again and nothing is logged about it, since logging from inside
// the logger's own failure is what turned one EPIPE into an endless loop of
// uncaught errors that also starved the SIGTERM handler. The process keeps
// working without its logs. Used by log.ts (process.stderr) and
// process-guard.ts (process.stdout, process.stderr).
import type { Writable } from "node:stream";

export interface GuardedStream {
  write(line: string): void;
  /** True once the stream failed or ended; then write() does nothing. */
  readonly closed: boolean;
}

const guarded = new WeakMap<Writable, GuardedStream>();

/** The one guarded view of `stream` (its 'error' listener is added once). */
export function guardStream(stream: Writable): GuardedStream {
  let g = guarded.get(stream);
  if (g) return g;
  let failed = false;
  stream.on("error", () => {
    failed = true;
  });
  g = {
    get closed() {
      return failed || stream.destroyed || stream.writableEnded;
    },
    write(line: string) {
      if (this.closed) return;
      try {
        stream.write(line);
      } catch {
        // A synchronous throw (e.g. EBADF on a closed fd) is the same failure as an 'error' event.
        failed = true;
      }
    },
  };
  guarded.set(stream, g);
  return g;
}
