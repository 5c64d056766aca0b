// How benchmarks report: an aligned table on stdout, and the raw numbers in
// bench/results/<name>.json with the machine they were measured on.
import fs from "node:fs";
import os from "node:os";
import { join } from "node:path";

export interface BenchOptions {
  /** Where inputs are generated and kept between runs. */
  dataDir: string;
  /** --name value flags given after the benchmark's name. */
  flags: Record<string, string>;
}

const RESULTS_DIR = join(import.meta.dirname, "..", "..", "bench", "results");

export function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  console.log(line(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const r of rows) console.log(line(r));
}

export function writeResults(name: string, results: unknown): void {
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const machine = { cores: os.availableParallelism(), memoryBytes: os.totalmem(), node: process.version, cpu: os.cpus()[0]?.model ?? "unknown" };
  const file = join(RESULTS_DIR, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify({ name, date: new Date().toISOString(), machine, results }, null, 2) + "\n");
  console.error(`results written to ${file}`);
}

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export function fmtBytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(2)} GiB`;
  if (n >= 1024 ** 2) return `${Math.round(n / 1024 ** 2)} MiB`;
  return `${Math.round(n / 1024)} KiB`;
}

export function fmtMs(ms: number): string {
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

/** A program's runs: wall times and peak resident sizes (one per process). */
export interface Timed {
  name: string;
  wallMs: number[];
  peakRss: number[];
}

export const timingHeader = (unit: string): string[] => ["program", "wall (median)", "runs", `${unit}/s`, "MB/s", "peak RSS", "ratio"];

/** One program's row under timingHeader: its median, every run, throughput in `units` and bytes, peak RSS, and `ratio`. */
export function timingRow(r: Timed, units: number, bytes: number, ratio: string): string[] {
  const ms = median(r.wallMs);
  return [
    r.name,
    fmtMs(ms),
    r.wallMs.map((x) => (x / 1000).toFixed(1)).join(" "),
    `${(((units / ms) * 1000) / 1e6).toFixed(2)} M`,
    ((bytes / 1e6 / ms) * 1000).toFixed(1),
    r.peakRss.map(fmtBytes).join(", "),
    ratio,
  ];
}
