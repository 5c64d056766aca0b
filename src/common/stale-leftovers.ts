// Temporary files and directories named for the process that owns them, so
// that what a process killed with -9 left behind is swept by the next run: a
// leftover whose owner's pid is gone and that is older than a few seconds (a
// pid just recycled by a new owner still has a young file) is removed. Used
// for `minispark submit`'s hidden transpiled program (cli/submit-script.ts)
// and a local cluster's temporary directory (client/local-cluster.ts).
import fs from "node:fs";
import { join } from "node:path";

/** How old a dead owner's leftover must be before it is swept. */
const MIN_AGE_MS = 5000;

export interface LeftoverKind {
  /** The leftover's owner pid, from its name; undefined if the name is not this kind's. */
  owner(name: string): number | undefined;
}

/** A kind whose names are `${prefix}${pid}-<anything>${suffix}`. */
export function leftoverKind(prefix: string, suffix = ""): LeftoverKind {
  return {
    owner(name) {
      if (!name.startsWith(prefix) || !name.endsWith(suffix)) return undefined;
      const m = /^(\d+)-/.exec(name.slice(prefix.length, name.length - suffix.length));
      return m ? Number(m[1]) : undefined;
    },
  };
}

/** The name a new leftover of `prefix…suffix` owned by this process gets (`random` keeps two apart). */
export function leftoverName(prefix: string, random: string, suffix = ""): string {
  return `${prefix}${process.pid}-${random}${suffix}`;
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: alive, another user's.
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Removes `kind`'s leftovers in `dir` whose owner has died; never fails the caller. */
export function sweepLeftovers(dir: string, kind: LeftoverKind, now = Date.now()): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    const pid = kind.owner(name);
    if (pid === undefined || pid === process.pid || processAlive(pid)) continue;
    const path = join(dir, name);
    try {
      if (now - fs.lstatSync(path).mtimeMs < MIN_AGE_MS) continue;
      fs.rmSync(path, { recursive: true, force: true });
      removed.push(path);
    } catch {
      // Another sweeper got there first, or it is not ours to remove: leave it.
    }
  }
  return removed;
}
