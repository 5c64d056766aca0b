// Flag parsing shared by the CLI commands: node's parseArgs with the flags every
// client command takes (--master, --token, --tls-ca, --json), the servers' TLS
// flags, environment fallbacks (MINISPARK_MASTER, MINISPARK_TOKEN,
// MINISPARK_TLS_CA, MINISPARK_DATA_DIR, then a local master's token file), and
// errors that say which flag is wrong.
import fs from "node:fs";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { isLoopbackHost } from "../common/host-policy.js";
import { configureTls } from "../common/http-client.js";
import { configureLogging, parseLogLevel } from "../common/log.js";
import { readLocalToken } from "./token-file.js";

export class UsageError extends Error {}

export type Options = NonNullable<ParseArgsConfig["options"]>;

export const CLIENT_OPTIONS = {
  master: { type: "string" },
  token: { type: "string" },
  "tls-ca": { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const satisfies Options;

export const TLS_OPTIONS = {
  "tls-cert": { type: "string" },
  "tls-key": { type: "string" },
  "tls-ca": { type: "string" },
} as const satisfies Options;

/** Host names a server answers besides its own addresses (repeatable, or comma-separated). */
export const HOST_OPTIONS = {
  "allow-host": { type: "string", multiple: true },
} as const satisfies Options;

export function allowHosts(values: { "allow-host"?: string[] }): string[] {
  const names = (values["allow-host"] ?? []).flatMap((v) => v.split(",")).map((v) => v.trim()).filter(Boolean);
  for (const n of names) if (n !== "*" && !/^[A-Za-z0-9._:[\]-]+$/.test(n)) throw new UsageError(`--allow-host takes host names, IP addresses or '*', got "${n}"`);
  return names;
}

export const LOG_OPTIONS = {
  "log-level": { type: "string" },
  "log-format": { type: "string" },
} as const satisfies Options;

export function parse<O extends Options>(argv: string[], options: O, usage: string): ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>> {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n\n${usage}`);
  }
}

/** The master as given (--master, MINISPARK_MASTER, the default), unchecked: programs also take local[N]. */
export function givenMaster(flag: string | undefined): string {
  return (flag ?? process.env.MINISPARK_MASTER ?? "http://127.0.0.1:7077").replace(/\/+$/, "");
}

/** The URL of a running master, for commands that talk to one. */
export function masterUrl(flag: string | undefined): string {
  const url = givenMaster(flag);
  if (/^local(\[\d+\])?$/.test(url)) {
    throw new UsageError(
      `"${url}" starts a cluster inside one program (connect("${url}") or \`minispark submit app.ts --master ${url}\`); this command needs the URL of a running master, such as http://127.0.0.1:7077`,
    );
  }
  let parsed: URL | null = null;
  try {
    parsed = new URL(url);
  } catch {
    // refused below
  }
  if (parsed?.protocol !== "http:" && parsed?.protocol !== "https:") throw new UsageError(`the master must be an http:// or https:// URL, got "${url}"`);
  return url;
}

/** A client's token: --token, MINISPARK_TOKEN, else the one a master on this machine at `master` generated. */
export function token(flag: string | undefined, master: string): string | null {
  return flag ?? (process.env.MINISPARK_TOKEN || null) ?? readLocalToken(master);
}

/** A server's token: --token, --token-file (first line), or MINISPARK_TOKEN. */
export function serverToken(values: { token?: string; "token-file"?: string }): string | null {
  if (values.token && values["token-file"]) throw new UsageError("give --token or --token-file, not both");
  if (values["token-file"]) {
    let text: string;
    try {
      text = fs.readFileSync(values["token-file"], "utf8");
    } catch (e) {
      throw new UsageError(`cannot read --token-file: ${(e as Error).message}`);
    }
    const t = text.split(/\r?\n/)[0]!.trim();
    if (!t) throw new UsageError(`--token-file ${values["token-file"]} is empty`);
    return t;
  }
  return values.token ?? (process.env.MINISPARK_TOKEN || null);
}

function readPem(path: string, flag: string): Buffer {
  try {
    return fs.readFileSync(path);
  } catch (e) {
    throw new UsageError(`cannot read ${flag}: ${(e as Error).message}`);
  }
}

/** A client's trust: --tls-ca or MINISPARK_TLS_CA, the authority that signed the cluster's certificates. */
export function clientTls(values: { "tls-ca"?: string }): void {
  const ca = values["tls-ca"] ?? process.env.MINISPARK_TLS_CA;
  if (ca) configureTls({ ca: readPem(ca, "--tls-ca"), peers: false });
}

/**
 * A server's TLS: with --tls-cert and --tls-key it serves https and reaches its
 * peers (master and workers) over https too; --tls-ca (or MINISPARK_TLS_CA)
 * is then the authority their certificates must be signed by.
 */
export function serverTls(values: { "tls-cert"?: string; "tls-key"?: string; "tls-ca"?: string }): { cert: Buffer; key: Buffer } | null {
  const certPath = values["tls-cert"];
  const keyPath = values["tls-key"];
  if (!certPath !== !keyPath) throw new UsageError("give --tls-cert and --tls-key together");
  if (!certPath || !keyPath) {
    clientTls(values);
    return null;
  }
  const caPath = values["tls-ca"] ?? process.env.MINISPARK_TLS_CA;
  configureTls({ ca: caPath ? readPem(caPath, "--tls-ca") : null, peers: true });
  return { cert: readPem(certPath, "--tls-cert"), key: readPem(keyPath, "--tls-key") };
}

/**
 * Whoever reaches a minispark server can run code on the workers, so one that
 * listens beyond loopback must have a token.
 */
export function requireTokenOffLoopback(host: string, tok: string | null): void {
  if (!isLoopbackHost(host) && !tok) {
    throw new UsageError(`refusing to listen on ${host} without a token: anyone who can reach it could run code on the cluster; give --token, --token-file or MINISPARK_TOKEN`);
  }
}

export function setupLogging(values: { "log-level"?: string; "log-format"?: string }): void {
  const format = values["log-format"] ?? (process.stderr.isTTY ? "pretty" : "json");
  if (format !== "json" && format !== "pretty") throw new UsageError(`--log-format must be json or pretty, got "${format}"`);
  configureLogging({ level: parseLogLevel(values["log-level"] ?? "info"), pretty: format === "pretty" });
}

/** "10s", "500ms", "2m" or plain milliseconds. */
const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseDuration(s: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(s.trim());
  if (!m) throw new UsageError(`${flag} must be a duration such as 500ms, 10s, 5m, 1h or 1d, got "${s}"`);
  return Math.round(Number(m[1]) * DURATION_UNITS[m[2] ?? "ms"]!);
}

export function positiveInt(s: string | undefined, flag: string, fallback: number): number {
  if (s === undefined) return fallback;
  const n = Number(s);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} must be a positive integer, got "${s}"`);
  return n;
}
