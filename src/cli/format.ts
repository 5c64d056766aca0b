// How the CLI shows things to a person: aligned tables, durations, a one-line
// job progress with per-stage bars on a terminal, fitted to its width (plain
// lines otherwise), and action values.
import type { JobInfo } from "../common/api-types.js";
import { redraw } from "./terminal-lines.js";

export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ")).join("\n");
}

export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "-";
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

function bar(fraction: number, width: number): string {
  const full = Math.round(fraction * width);
  return "█".repeat(full) + "░".repeat(width - full);
}

/**
 * The job's lines, names last so that a narrow terminal cuts them rather than
 * the numbers; bars of 20 columns on 80 and wider, shorter below.
 */
export function progressLines(job: JobInfo, columns = 80): string[] {
  const barWidth = columns >= 80 ? 20 : Math.max(5, Math.floor(columns / 4));
  const head = `${job.id} ${job.status} ${job.progress.toFixed(1)}% ${job.name}`;
  const stages = job.stages.map((s) => {
    const done = s.tasks.succeeded / Math.max(1, s.numTasks);
    return `  stage ${s.id} ${bar(done, barWidth)} ${s.tasks.succeeded}/${s.numTasks} ${s.status.padEnd(9)} ${s.name}`;
  });
  return [head, ...stages];
}

/** Follows a job: on a terminal, bars redrawn in place, fitted to its width; a line per change otherwise. */
export class ProgressPrinter {
  private drawn = 0;
  private last = "";

  constructor(private readonly out: NodeJS.WriteStream = process.stderr) {}

  update(job: JobInfo): void {
    if (this.out.isTTY) {
      const columns = this.out.columns || 80;
      const { text, screenLines } = redraw(this.drawn, progressLines(job, columns), columns);
      this.out.write(text);
      this.drawn = screenLines;
      return;
    }
    const summary = `${job.status} ${job.progress.toFixed(1)}%`;
    if (summary !== this.last) this.out.write(`${job.id} ${summary}\n`);
    this.last = summary;
  }
}

/** Arrays one compact record per line (the usual collect output); other values indented. */
export function showValue(value: unknown): string {
  if (Array.isArray(value)) return value.length === 0 ? "[]" : `[\n  ${value.map((v) => JSON.stringify(v)).join(",\n  ")}\n]`;
  return JSON.stringify(value, null, 2);
}
