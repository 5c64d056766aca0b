// Each worker process keeps its shuffle and spill files in a directory of its own
// under <data-dir>/.minispark (and, given --spill-dir, its spill files in one
// under <spill-dir>/.minispark), named after the host and process, so that a worker starting on
// the same host can remove what a crashed one left behind without touching the
// directories of live workers — on this host or, when the directory is a shared
// volume, on others.
import fs from "node:fs";
import os from "node:os";
import { join } from "node:path";
import type { Logger } from "../common/log.js";
import { processAlive } from "../common/stale-leftovers.js";

const ROOT = ".minispark";

export function workDirRoot(dataDir: string): string {
  return join(dataDir, ROOT);
}

export function workDirName(workerId: string): string {
  return `${safe(os.hostname())}.${process.pid}.${workerId}`;
}

/** Removes the directories under `root` of workers of this host whose process is gone. */
export function removeOrphanedWorkDirs(root: string, log: Logger): void {
  let entries: string[];
  try {
    entries = fs.readdirSync(root);
  } catch {
    return;
  }
  const ours = new RegExp(`^${safe(os.hostname())}\\.(\\d+)\\.worker-[0-9a-f]+$`);
  for (const name of entries) {
    const pid = Number(ours.exec(name)?.[1]);
    // Only names this rule made, of this host and of a process that is gone.
    if (!pid || pid === process.pid || processAlive(pid)) continue;
    fs.rmSync(join(root, name), { recursive: true, force: true });
    log.info("removed the work directory of a worker that is gone", { dir: name });
  }
}

function safe(s: string): string {
  return s.replace(/[^A-Za-z0-9-]/g, "_");
}
