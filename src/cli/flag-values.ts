// The rules a flag's value must follow, each with the bounds printed in its
// --help: durations (a unit is required, and every one backs a timer, so none
// may pass setTimeout's 2^31-1 ms), counts, sizes, host:port addresses, job
// ids. A flag table names its rule (flag-table.ts), and parseCommand applies
// it to the value whatever layer gave it, so an environment variable or a
// defaults file is held to the same bounds as the command line and named in
// the error. "Every number a client controls: what happens at 10^9?" has an
// answer here. Pure but for requireDataDir's stat.
import fs from "node:fs";
import { APP_ID_PATTERN } from "../common/ids.js";
import { parseSize } from "../common/size.js";
import { UsageError } from "./usage-error.js";

/** The longest delay setTimeout honours; past it Node warns and fires after 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The most task slots one worker offers. Each slot is a worker thread with its
 * own heap; beyond a few hundred a machine has neither the cores nor the memory
 * (--memory is split among them, and 4 MiB is the least a thread may get).
 */
export const MAX_WORKER_SLOTS = 256;

export interface ValueRule {
  /** The bounds, as --help prints them: "1s..24d". */
  readonly describe: string;
  /** The value as a number (milliseconds, bytes, a count); throws a UsageError naming `from`. */
  readonly parse: (raw: string, from: string) => number;
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "500ms", "10s", "5m", "1h", "1d": the unit is required, a bare number being ambiguous (README writes durations with one). */
export function parseDuration(s: string, from: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(s.trim());
  if (!m) {
    const hint = /^\d+(\.\d+)?$/.test(s.trim()) ? ` (a unit is required: ${s.trim()}ms or ${s.trim()}s?)` : "";
    throw new UsageError(`${from} must be a duration such as 500ms, 10s, 5m, 1h or 1d, got "${s}"${hint}`);
  }
  return Math.round(Number(m[1]) * DURATION_UNITS[m[2]!]!);
}

/** Milliseconds as a flag's help writes them: the largest unit that divides them. */
export function showDuration(ms: number): string {
  for (const [unit, n] of Object.entries(DURATION_UNITS).reverse()) if (ms % n === 0 && ms >= n) return `${ms / n}${unit}`;
  return `${ms}ms`;
}

/** A timer's delay of at least `minMs`; with `zero`, a bare 0 is allowed and means what `zero` says ("never"). */
export function durationRule(minMs: number, zero?: string): ValueRule {
  const max = "24d";
  return {
    describe: `${showDuration(minMs)}..${max}${zero ? `, or 0 = ${zero}` : ""}`,
    parse: (raw, from) => {
      if (zero && raw.trim() === "0") return 0;
      const ms = parseDuration(raw, from);
      if (ms < minMs) throw new UsageError(`${from} must be at least ${showDuration(minMs)}${zero ? ` (or 0 = ${zero})` : ""}, got "${raw}"`);
      if (ms > MAX_TIMER_MS) throw new UsageError(`${from} must be at most ${MAX_TIMER_MS} ms (about ${max}, the longest timer Node.js keeps), got "${raw}"`);
      return ms;
    },
  };
}

/** An integer in min..max. */
export function countRule(min: number, max: number): ValueRule {
  return {
    describe: `${min}..${max}`,
    parse: (raw, from) => {
      const n = /^\s*\d+\s*$/.test(raw) ? Number(raw) : NaN;
      if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`${from} must be an integer from ${min} to ${max}, got "${raw}"`);
      if (n > max) throw new UsageError(`${from} must be at most ${max}, got "${raw}"`);
      return n;
    },
  };
}

/** Bytes as a flag's help writes them: "384mb", "4gb". */
export function showSize(bytes: number): string {
  for (const [unit, n] of [
    ["gb", 1024 ** 3],
    ["mb", 1024 ** 2],
  ] as const)
    if (bytes >= n && bytes % n === 0) return `${bytes / n}${unit}`;
  // A machine's memory is rarely whole megabytes: rounded down, as a bound should be.
  if (bytes >= 1024 ** 2) return `${Math.floor(bytes / 1024 ** 2)}mb`;
  return bytes >= 1024 && bytes % 1024 === 0 ? `${bytes / 1024}kb` : `${bytes}b`;
}

/** A size such as 256mb or 2gb in min..max bytes; `maxNote` says what the ceiling is. */
export function sizeRule(min: number, max: number, maxNote: string): ValueRule {
  return {
    describe: `${showSize(min)}..${showSize(max)}, ${maxNote}`,
    parse: (raw, from) => {
      let bytes: number;
      try {
        bytes = parseSize(raw);
      } catch (e) {
        throw new UsageError(`${from}: ${(e as Error).message}`);
      }
      if (bytes < min) throw new UsageError(`${from} must be at least ${showSize(min)}, got "${raw}"`);
      if (bytes > max) throw new UsageError(`${from} must be at most ${showSize(max)} (${maxNote}), got "${raw}"`);
      return bytes;
    },
  };
}

/** "host:port" with a port of 1..65535; an IPv6 host in brackets ("[::1]:7078"). */
export function parseHostPort(raw: string, from: string): string {
  const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})$/.exec(raw.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || !(port >= 1 && port <= 65535)) {
    throw new UsageError(`${from} must be host:port with a port from 1 to 65535 (an IPv6 address in brackets, [::1]:7078), got "${raw}"`);
  }
  return `${m[1]}:${port}`;
}

/** What `newJobId` makes (src/common/ids.ts): job-<time in base 36>-<hex>. */
const JOB_ID = /^job-[0-9a-z]+-[0-9a-f]+$/;

export function parseJobId(raw: string): string {
  if (!JOB_ID.test(raw)) throw new UsageError(`"${raw}" is not a job id; ids look like job-0m4x1k2qz-3f9a1c (see \`minispark jobs\`)`);
  return raw;
}

export function parseAppId(raw: string): string {
  if (!APP_ID_PATTERN.test(raw)) throw new UsageError(`"${raw}" is not an application id; ids look like app-0m4x1k2qz-3f9a1c (see \`minispark apps\`)`);
  return raw;
}

/** A flag value starting with "-" that parseArgs would not take as a value: say how to give it. */
export function ambiguousValueMessage(nodeMessage: string, argv: readonly string[]): string | null {
  const m = /^Option '(-[^' ]+)[^']*' argument is ambiguous/.exec(nodeMessage);
  if (!m) return null;
  const flag = m[1]!;
  const i = argv.indexOf(flag);
  const value = i >= 0 ? argv[i + 1] : undefined;
  return value === undefined ? `${flag} needs a value` : `${flag} was followed by "${value}", which starts with "-": write ${flag}=${value} if that is its value, or give ${flag} a value`;
}

/**
 * A data directory someone named (a flag, a variable) must exist: inputs are
 * read from it, and creating a mistyped one would only fail later with "matched
 * no files". The one I/O check here, a stat.
 */
export function requireDataDir(dir: string, from: string): void {
  if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`${from}: data directory ${dir} does not exist (or is not a directory)`);
}
