// A process started by a local cluster (connect("local[N]"), `minispark
// local`, `demo`) ends with the program that started it, however that program
// ends: crash, signal or kill -9. The parent hands each child one end of a
// pipe as a file descriptor (named by MINISPARK_LIFELINE_FD) and never writes
// to it; when the parent dies the kernel closes its end, the child reads
// end-of-file and stops. A pid watch would miss a recycled pid; a pipe cannot.
// Watched by cluster-commands.ts for master and worker; the pipe is made by
// client/local-cluster.ts.
import net from "node:net";

export const LIFELINE_ENV = "MINISPARK_LIFELINE_FD";

/** Calls `onLost` once when the parent's end of the lifeline closes; nothing when there is no lifeline. */
export function watchLifeline(onLost: () => void): void {
  const fd = Number(process.env[LIFELINE_ENV]);
  if (!Number.isInteger(fd) || fd < 3) return;
  let lost = false;
  const lose = () => {
    if (lost) return;
    lost = true;
    onLost();
  };
  const line = new net.Socket({ fd, readable: true, writable: false });
  line.on("data", () => {});
  line.on("end", lose);
  line.on("close", lose);
  line.on("error", lose);
  // The lifeline alone must not keep a process alive that has nothing else to do.
  line.unref();
}
