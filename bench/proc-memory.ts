// A process's resident memory from /proc: now (VmRSS) and its peak since it
// started (VmHWM), in bytes. Linux only, which is where benchmarks run.
import fs from "node:fs";

export function residentBytes(pid: number): { rss: number; peak: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kb("VmRSS"), peak: kb("VmHWM") };
}
