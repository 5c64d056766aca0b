// `--conf key=value` and the defaults file, as spark-submit's --conf and
// spark-defaults.conf. The keys are of two kinds:
// - a job's settings, the JobSpec's own top-level field names (name,
//   parallelism, maxTaskRetries, taskTimeoutMs) so that what a job file says and
//   what --conf says are spelt the same; a job's own field wins over both,
//   as a SparkConf set in the application wins over spark-submit's;
// - a client's defaults, the client flags' names (master, token-file,
//   tls-ca): the command line's flag wins, then --conf, then the environment,
//   then the defaults file.
// --conf wins over the defaults file. The file is $MINISPARK_HOME/defaults.conf
// (ignored if absent) or --properties-file (which must exist): one `key value`
// or `key=value` a line, `#` comments. Parsing is pure; readDefaults reads the
// file. Called by client-commands.ts.
import fs from "node:fs";
import { join } from "node:path";
import type { JobSettings } from "../common/job-settings.js";
import { MAX_NAME_LENGTH, MAX_PARTITIONS, MAX_TASK_RETRIES } from "../plan/spec-limits.js";
import { UsageError } from "./usage-error.js";
import { MAX_TIMER_MS, parseDuration } from "./flag-values.js";
import type { Layer } from "./flag-table.js";

export const CLIENT_KEYS = ["master", "token-file", "tls-ca"] as const;
export const JOB_KEYS = ["name", "parallelism", "maxTaskRetries", "taskTimeoutMs"] as const;

type ClientKey = (typeof CLIENT_KEYS)[number];
type JobKey = (typeof JOB_KEYS)[number];
export type ConfKey = ClientKey | JobKey;

export interface ConfEntry {
  readonly key: ConfKey;
  readonly value: string;
  /** Where it was written, for errors: "--conf" or "<file>:<line>". */
  readonly from: string;
}

const KNOWN: readonly string[] = [...JOB_KEYS, ...CLIENT_KEYS];

function entry(key: string, value: string, from: string): ConfEntry {
  if (!KNOWN.includes(key)) throw new UsageError(`${from}: unknown key "${key}" (known: ${KNOWN.join(", ")})`);
  if (value === "") throw new UsageError(`${from}: "${key}" has no value`);
  return { key: key as ConfKey, value, from };
}

/** One --conf value, `key=value`. */
export function parseConfFlag(text: string): ConfEntry {
  const eq = text.indexOf("=");
  if (eq <= 0) throw new UsageError(`--conf takes key=value, got "${text}"`);
  return entry(text.slice(0, eq).trim(), text.slice(eq + 1).trim(), "--conf");
}

/** A defaults file's text; `file` names it in errors. */
export function parseDefaultsText(text: string, file: string): ConfEntry[] {
  const out: ConfEntry[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const from = `${file}:${i + 1}`;
    // The key ends at the first '=' or blank, whichever comes first; the rest, trimmed, is the value.
    const m = /^([^\s=]+)\s*[=\s]\s*(.*)$/.exec(line);
    if (!m) throw new UsageError(`${from}: expected "key value" or "key=value", got "${line}"`);
    out.push(entry(m[1]!, m[2]!.trim(), from));
  });
  return out;
}

/** The defaults file's entries: `explicit` (--properties-file) must exist, the default one may not. */
export function readDefaults(explicit: string | undefined, home: string): ConfEntry[] {
  const file = explicit ?? join(home, "defaults.conf");
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    if (explicit === undefined && (e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw new UsageError(`cannot read ${explicit === undefined ? "the defaults file" : "--properties-file"} ${file}: ${(e as Error).message}`);
  }
  return parseDefaultsText(text, file);
}

/** The client keys of `entries` as a flag layer; the last entry of a key wins. */
export function clientLayer(entries: readonly ConfEntry[]): Layer {
  const last = new Map<string, ConfEntry>();
  for (const e of entries) if ((CLIENT_KEYS as readonly string[]).includes(e.key)) last.set(e.key, e);
  return {
    values: Object.fromEntries([...last].map(([k, e]) => [k, e.value])),
    from: (flag) => {
      const e = last.get(flag);
      return e ? `${e.from} (${flag})` : `--${flag}`;
    },
  };
}

/** The master's validator's bounds (src/planner/validate.ts), checked here so that the error names --conf or the file's line. */
function bounded(e: ConfEntry, max: number): number {
  const n = /^\d+$/.test(e.value) ? Number(e.value) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`${e.from}: ${e.key} must be a positive integer, got "${e.value}"`);
  if (n > max) throw new UsageError(`${e.from}: ${e.key} must be at most ${max}, got "${e.value}"`);
  return n;
}

/** The job settings of `entries`, the last of a key winning: give the defaults file's first, then --conf's. */
export function jobSettings(entries: readonly ConfEntry[]): JobSettings {
  const out: JobSettings = {};
  for (const e of entries) {
    if (e.key === "name") {
      if (e.value.length > MAX_NAME_LENGTH) throw new UsageError(`${e.from}: name must be at most ${MAX_NAME_LENGTH} characters, got ${e.value.length}`);
      out.name = e.value;
    } else if (e.key === "parallelism") out.parallelism = bounded(e, MAX_PARTITIONS);
    else if (e.key === "maxTaskRetries") out.maxTaskRetries = bounded(e, MAX_TASK_RETRIES);
    // A duration, as the master's --task-timeout takes ("10m"), or bare milliseconds as the key's name says.
    else if (e.key === "taskTimeoutMs") {
      const ms = /^\d+$/.test(e.value) ? Number(e.value) : parseDuration(e.value, `${e.from}: taskTimeoutMs`);
      if (ms < 1) throw new UsageError(`${e.from}: taskTimeoutMs must be at least 1ms, got "${e.value}"`);
      // The task's timer: past setTimeout's longest delay it would fire at once.
      if (ms > MAX_TIMER_MS) throw new UsageError(`${e.from}: taskTimeoutMs must be at most ${MAX_TIMER_MS} (about 24d), got "${e.value}"`);
      out.taskTimeoutMs = ms;
    }
  }
  return out;
}

/** A JSON job with the settings it does not give itself; anything but an object is left for the master to refuse. */
export function withJobSettings(spec: unknown, settings: JobSettings): unknown {
  if (typeof spec !== "object" || spec === null || Array.isArray(spec)) return spec;
  const own = spec as Record<string, unknown>;
  const added = Object.fromEntries(Object.entries(settings).filter(([k]) => own[k] === undefined));
  return { ...own, ...added };
}
