// How much memory this machine can give a worker: its physical memory, or the
// cgroup v2 limit of the container it runs in when that is lower (a worker
// told --memory 16gb in a 2 GiB container would be killed by the kernel, not
// told why). Read once by cluster-commands.ts for --memory's ceiling.
import fs from "node:fs";
import os from "node:os";

/** A cgroup v2 memory.max file's bytes; null for "max" (no limit) or anything unreadable. */
export function cgroupLimit(text: string): number | null {
  const t = text.trim();
  return /^\d+$/.test(t) ? Number(t) : null;
}

export function machineMemoryBytes(): { bytes: number; what: string } {
  const total = os.totalmem();
  let limit: number | null = null;
  try {
    limit = cgroupLimit(fs.readFileSync("/sys/fs/cgroup/memory.max", "utf8"));
  } catch {
    // no cgroup v2 here: the physical memory is the bound
  }
  return limit !== null && limit < total ? { bytes: limit, what: "this container's memory limit" } : { bytes: total, what: "this machine's memory" };
}
