// What a local cluster says when one of its processes exits before it is up:
// the last lines that process wrote (its log file may be a temporary one that
// is removed with the cluster), and for the failures a user can fix in one
// step, that step. Pure; called by local-cluster.ts.

/** How many of a failed process's last lines the error carries. */
export const START_FAILURE_LINES = 12;

export interface StartFailure {
  /** "master", "worker-0", … */
  name: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Its last lines of output, oldest first. */
  lines: readonly string[];
  /** A log file that outlives the cluster, named in the message; undefined when the log is temporary. */
  keptLog?: string;
  /** The Node.js the cluster runs on (process.version). */
  nodeVersion: string;
}

export function startFailureMessage(f: StartFailure): string {
  const how = f.signal ? `was killed by ${f.signal}` : `exited with code ${f.code}`;
  const hint = startFailureHint(f.lines, f.nodeVersion);
  const tail = f.lines.length > 0 ? `; its last output:\n${f.lines.map((l) => `  ${l}`).join("\n")}` : "; it wrote nothing";
  const log = f.keptLog ? `\n(full log: ${f.keptLog})` : "";
  return `${f.name} ${how} while starting${hint ? `: ${hint}` : ""}${tail}${log}`;
}

/** The one-step fix for a failure recognised in `lines`, if any. */
export function startFailureHint(lines: readonly string[], nodeVersion: string): string | undefined {
  // A native addon compiled for one Node ABI cannot load in another: "was compiled against a
  // different Node.js version using NODE_MODULE_VERSION 115. This version of Node.js requires …".
  // better-sqlite3 is minispark's only native addon.
  if (lines.some((l) => l.includes("NODE_MODULE_VERSION"))) {
    return `better-sqlite3 was built for another Node.js; run \`npm rebuild better-sqlite3\` with this Node (${nodeVersion})`;
  }
  return undefined;
}
