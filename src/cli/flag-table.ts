// One table of flags per command, the single source of node:util parseArgs's
// options, of `minispark <command> --help`, of the defaults that apply when a
// flag is not given, and of each flag's environment variable (every flag of a
// server command has one, MINISPARK_<FLAG>, so containers configure by env).
// A value is taken from, in order: the command line, layers the command adds
// above the environment (--conf), the environment, layers below it (the
// defaults file), the table's default. Pure; called by the command modules.
import { parseArgs } from "node:util";
import { envName } from "../common/env-names.js";
import { UsageError } from "./usage-error.js";
import { ambiguousValueMessage, type ValueRule } from "./flag-values.js";

export interface Flag {
  readonly type: "string" | "boolean";
  readonly multiple?: boolean;
  readonly short?: string;
  /** The value's placeholder in the help, e.g. "<n>". */
  readonly arg?: string;
  /** One line. */
  readonly help: string;
  /** Used when no source gives a value, and printed as is. */
  readonly default?: string;
  /** Printed as the default when it is computed elsewhere (from another flag, the terminal). */
  readonly defaultNote?: string;
  readonly env?: string;
  /** The bounds its value must keep, whichever source gives it (flag-values.ts); printed in the help. */
  readonly rule?: ValueRule;
}

export type FlagTable = Readonly<Record<string, Flag>>;

export interface CommandSpec<T extends FlagTable = FlagTable> {
  readonly name: string;
  /** After "usage: minispark ". */
  readonly synopsis: string;
  /** The command's line in `minispark --help`. */
  readonly summary: string;
  /** Paragraphs printed before the flags. */
  readonly about?: string;
  /** Paragraphs printed after the flags. */
  readonly notes?: string;
  readonly flags: T;
  /** How many operands (words that are not flags) it takes at most; more are a usage error. Unset: the command checks. */
  readonly operands?: number;
}

type Value<F extends Flag> = F["type"] extends "boolean" ? boolean | undefined : F["multiple"] extends true ? string[] | undefined : F extends { default: string } ? string : string | undefined;

export type FlagValues<T extends FlagTable> = { -readonly [K in keyof T]: Value<T[K]> };

/** Values for some flags from one source, named in errors by `from`. */
export interface Layer {
  readonly values: Readonly<Record<string, string>>;
  readonly from: (flag: string) => string;
}

export interface Parsed<T extends FlagTable> {
  readonly values: FlagValues<T>;
  readonly positionals: string[];
  /** Where a flag's value came from, as error messages name it: "--port", "MINISPARK_PORT", a file's key. */
  readonly from: (flag: keyof T & string) => string;
  /** Whether its value is the table's default, given by no source. */
  readonly defaulted: (flag: keyof T & string) => boolean;
  /**
   * Which source gave its value, as a rank: 0 the command line, then the
   * layers over the environment, the environment, the layers under it, the
   * table's default; lower wins. Settings that are one setting under two names
   * (--token and --token-file) compare ranks.
   */
  readonly rank: (flag: keyof T & string) => number;
  /** The layer (of ParseOptions.layers) that gave its value, if one did. */
  readonly layer: (flag: keyof T & string) => Layer | undefined;
  /** The value of a flag that has a rule, as its rule reads it (ms, bytes, a count); undefined if no source gave one. */
  readonly number: (flag: keyof T & string) => number | undefined;
}

type WithEnv<T extends FlagTable> = { readonly [K in keyof T]: T[K] & { readonly env: string } };

/** Gives every flag but --help its MINISPARK_<FLAG> variable: a server's whole configuration can come from its environment. */
export function withEnv<T extends FlagTable>(flags: T): WithEnv<T> {
  return Object.fromEntries(Object.entries(flags).map(([name, f]) => [name, name === "help" ? f : { ...f, env: envName(name) }])) as WithEnv<T>;
}

export const HELP_FLAG = { help: { type: "boolean", short: "h", help: "show this help" } } as const satisfies FlagTable;

/** What node:util parseArgs is given: the table without its documentation. */
export function parseArgsOptions(flags: FlagTable): Record<string, { type: "string" | "boolean"; multiple?: boolean; short?: string }> {
  return Object.fromEntries(Object.entries(flags).map(([name, f]) => [name, { type: f.type, ...(f.multiple ? { multiple: true } : {}), ...(f.short ? { short: f.short } : {}) }]));
}

/** A flag's value written as text (a variable, a file's line); `from` names it in the error. */
function textValue(flag: Flag, from: string, raw: string): string | boolean | string[] {
  if (flag.type === "boolean") {
    if (/^(1|true|yes)$/i.test(raw)) return true;
    if (/^(0|false|no)$/i.test(raw)) return false;
    throw new UsageError(`${from} must be 1, true, 0 or false, got "${raw}"`);
  }
  return flag.multiple ? [raw] : raw;
}

export interface ParseOptions<T extends FlagTable> {
  env?: NodeJS.ProcessEnv;
  /** Layers computed from what the command line gave (e.g. its --properties-file). */
  layers?: (given: FlagValues<T>) => { overEnv: Layer[]; underEnv: Layer[] };
}

export function parseCommand<T extends FlagTable>(cmd: CommandSpec<T>, argv: string[], opts: ParseOptions<T> = {}): Parsed<T> {
  let parsed: { values: Record<string, string | boolean | (string | boolean)[] | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({ args: argv, options: parseArgsOptions(cmd.flags), allowPositionals: true, strict: true });
  } catch (e) {
    const message = ambiguousValueMessage((e as Error).message, argv) ?? (e as Error).message;
    throw new UsageError(`${message}\n\n${helpText(cmd)}`);
  }
  const values: Record<string, unknown> = { ...parsed.values };
  const from = new Map<string, string>();
  const defaulted = new Set<string>();
  const rank = new Map<string, number>();
  const numbers = new Map<string, number>();
  const layerOf = new Map<string, Layer>();
  const result = (): Parsed<T> => ({
    values: values as FlagValues<T>,
    positionals: parsed.positionals,
    from: (f) => from.get(f) ?? `--${f}`,
    defaulted: (f) => defaulted.has(f),
    rank: (f) => rank.get(f) ?? 0,
    layer: (f) => layerOf.get(f),
    number: (f) => numbers.get(f),
  });
  // Asked for help, the user gets it, whatever the environment or a defaults file holds.
  if (values.help) return result();
  if (cmd.operands !== undefined && parsed.positionals.length > cmd.operands) {
    const extra = parsed.positionals
      .slice(cmd.operands)
      .map((p) => `"${p}"`)
      .join(" ");
    const takes = cmd.operands === 0 ? "takes no arguments" : `takes ${cmd.operands} argument${cmd.operands === 1 ? "" : "s"}`;
    throw new UsageError(`minispark ${cmd.name} ${takes}, got also ${extra}\n\n${helpText(cmd)}`);
  }
  const env = opts.env ?? process.env;
  const { overEnv, underEnv } = opts.layers?.(values as FlagValues<T>) ?? { overEnv: [], underEnv: [] };
  const envRank = 1 + overEnv.length;
  for (const [name, flag] of Object.entries(cmd.flags)) {
    if (values[name] !== undefined) continue;
    const layered = (layers: Layer[], first: number) => {
      for (const [i, l] of layers.entries()) {
        const v = l.values[name];
        if (v === undefined) continue;
        values[name] = textValue(flag, l.from(name), v);
        from.set(name, l.from(name));
        rank.set(name, first + i);
        layerOf.set(name, l);
        return true;
      }
      return false;
    };
    if (layered(overEnv, 1)) continue;
    const raw = flag.env ? env[flag.env] : undefined;
    // An empty variable is an unset one: `MINISPARK_TOKEN= minispark master` means no token.
    if (flag.env && raw !== undefined && raw !== "") {
      values[name] = textValue(flag, flag.env, raw);
      from.set(name, flag.env);
      rank.set(name, envRank);
      continue;
    }
    if (layered(underEnv, envRank + 1)) continue;
    if (flag.default !== undefined) {
      values[name] = flag.default;
      defaulted.add(name);
      rank.set(name, envRank + 1 + underEnv.length);
    }
  }
  // Every source is held to the flag's bounds, and the error names the one that broke them.
  for (const [name, flag] of Object.entries(cmd.flags)) {
    const v = values[name];
    if (flag.rule && typeof v === "string") numbers.set(name, flag.rule.parse(v, from.get(name) ?? `--${name}`));
  }
  return result();
}

function flagColumn(name: string, f: Flag): string {
  return `${f.short ? `-${f.short}, ` : ""}--${name}${f.arg ? ` ${f.arg}` : ""}`;
}

/** `minispark <command> --help`. */
export function helpText(cmd: CommandSpec): string {
  const entries = Object.entries(cmd.flags);
  const width = Math.max(...entries.map(([n, f]) => flagColumn(n, f).length)) + 2;
  const lines = entries.flatMap(([name, f]) => {
    const out = [`  ${flagColumn(name, f).padEnd(width)}${f.help}`];
    const def = f.default !== undefined ? `default ${f.default === "" ? '""' : f.default}` : f.defaultNote ? `default ${f.defaultNote}` : null;
    const extra = [def, f.rule ? f.rule.describe : null, f.env ? `env ${f.env}` : null].filter(Boolean).join("; ");
    if (extra) out.push(`  ${" ".repeat(width)}(${extra})`);
    return out;
  });
  return [`usage: minispark ${cmd.synopsis}`, cmd.about, lines.join("\n"), cmd.notes].filter((s) => s !== undefined).join("\n\n");
}

/**
 * Splits a command line at its first operand that `isProgram` accepts: what
 * comes before it and the operand are the command's, what follows (a leading
 * `--` dropped) belongs to the program, as spark-submit passes everything after
 * the application through. Without such an operand all of it is the command's.
 */
export function splitAtProgram(argv: string[], flags: FlagTable, isProgram: (operand: string) => boolean): { own: string[]; program: string[] } {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") break;
    if (a.startsWith("--") && a.length > 2) {
      const name = a.slice(2);
      // `--flag value` takes the next word; `--flag=value`, booleans and unknown flags (refused later) do not.
      if (flags[name]?.type === "string") i++;
      continue;
    }
    if (a.startsWith("-") && a.length > 1) continue;
    if (!isProgram(a)) break;
    const rest = argv.slice(i + 1);
    return { own: argv.slice(0, i + 1), program: rest[0] === "--" ? rest.slice(1) : rest };
  }
  return { own: argv, program: [] };
}
