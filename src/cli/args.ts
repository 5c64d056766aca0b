// What the CLI commands share about their flags: the flag tables (flag-table.ts)
// every client command and every server takes, and turning values into
// settings with errors that name where a wrong value came from (a flag, an
// environment variable, a defaults file's key); a client with no token falls
// back to a local master's token file.
import fs from "node:fs";
import { isLoopbackHost } from "../common/host-policy.js";
import { localWorkers } from "../common/local-master.js";
import { configureTls } from "../common/http-client.js";
import { configureLogging, parseLogLevel } from "../common/log.js";
import type { FlagTable } from "./flag-table.js";
import { readLocalToken } from "./token-file.js";
import { UsageError } from "./usage-error.js";

export const DEFAULT_MASTER = "http://127.0.0.1:7077";

/** The flags of every client command; their environment variables are the ones clients always read. */
export const CLIENT_FLAGS = {
  master: { type: "string", arg: "<url>", help: "the master", default: DEFAULT_MASTER, env: "MINISPARK_MASTER" },
  token: { type: "string", arg: "<secret>", help: "the cluster's token", defaultNote: "the one a master on this machine wrote to $MINISPARK_HOME/tokens/localhost-<port>", env: "MINISPARK_TOKEN" },
  "token-file": { type: "string", arg: "<file>", help: "read the token from this file's first line instead", env: "MINISPARK_TOKEN_FILE" },
  "tls-ca": { type: "string", arg: "<file>", help: "trust this PEM authority for an https master", env: "MINISPARK_TLS_CA" },
  "properties-file": { type: "string", arg: "<file>", help: "defaults for these flags and for jobs (see `minispark submit --help`)", defaultNote: "$MINISPARK_HOME/defaults.conf, if there" },
  json: { type: "boolean", help: "machine-readable output" },
} as const satisfies FlagTable;

/** A server's TLS; give all of a cluster https or none of it. */
export const TLS_FLAGS = {
  "tls-cert": { type: "string", arg: "<file>", help: "serve https with this PEM certificate (chain); peers are then reached over https too" },
  "tls-key": { type: "string", arg: "<file>", help: "the certificate's PEM private key" },
  "tls-ca": { type: "string", arg: "<file>", help: "trust only this PEM authority for peers' certificates", defaultNote: "the system's" },
} as const satisfies FlagTable;

/** Host names a server answers besides its own addresses (repeatable, or comma-separated). */
export const HOST_FLAGS = {
  "allow-host": { type: "string", multiple: true, arg: "<names>", help: "also answer requests for these Host names (comma-separated, repeatable; '*': any)" },
} as const satisfies FlagTable;

export function allowHosts(values: { "allow-host"?: string[] }, from = "--allow-host"): string[] {
  const given = values["allow-host"] ?? [];
  // An empty name is a mistake, not a choice: `--allow-host ${UNSET_VARIABLE}` in a unit file would otherwise pass silently.
  if (given.some((v) => v.trim() === "")) throw new UsageError(`${from} was given an empty value; give host names, IP addresses or '*', or leave the flag out`);
  const names = given
    .flatMap((v) => v.split(","))
    .map((v) => v.trim())
    .filter(Boolean);
  for (const n of names) if (n !== "*" && !/^[A-Za-z0-9._:[\]-]+$/.test(n)) throw new UsageError(`--allow-host takes host names, IP addresses or '*', got "${n}"`);
  return names;
}

export const LOG_FLAGS = {
  "log-level": { type: "string", arg: "<level>", help: "debug | info | warn | error", default: "info" },
  "log-format": { type: "string", arg: "<fmt>", help: "json | pretty", defaultNote: "pretty on a terminal, else json" },
} as const satisfies FlagTable;

/** The URL of a running master, for commands that talk to one; `from` names where it came from. */
export function masterUrl(given: string, from = "--master"): string {
  const url = given.replace(/\/+$/, "");
  if (/^local(\[.*\])?$/.test(url)) {
    let n: number | null;
    try {
      n = localWorkers(url);
    } catch (e) {
      throw new UsageError(`${from}: ${(e as Error).message}`);
    }
    throw new UsageError(
      `"${url}" starts a cluster inside one program: \`minispark submit --master ${url} app.ts\` runs a program on one, \`minispark local job.json --workers ${n}\` a job file; this command needs the URL of a running master, such as ${DEFAULT_MASTER}`,
    );
  }
  let parsed: URL | null = null;
  try {
    parsed = new URL(url);
  } catch {
    // refused below
  }
  if (parsed?.protocol !== "http:" && parsed?.protocol !== "https:") throw new UsageError(`${from}: the master must be an http:// or https:// URL, got "${url}"`);
  return url;
}

type TokenSource = { from: (flag: "token" | "token-file") => string; rank: (flag: "token" | "token-file") => number };

/** A client's token: --token (or its variable), --token-file, else the one a master on this machine at `master` generated. */
export function token(values: { token?: string; "token-file"?: string }, source: TokenSource, master: string): string | null {
  return serverToken(values, source) ?? readLocalToken(master);
}

/**
 * A server's token: --token or --token-file (its first line). They are one
 * setting under two names: given from different sources (the command line,
 * the environment, a defaults file), the higher one wins, as for any flag;
 * from the same source they are refused.
 */
export function serverToken(values: { token?: string; "token-file"?: string }, source: TokenSource): string | null {
  const { from, rank } = source;
  let { token: tok, "token-file": file } = values;
  if (tok !== undefined && file !== undefined) {
    if (rank("token") === rank("token-file")) throw new UsageError(`give ${from("token")} or ${from("token-file")}, not both`);
    if (rank("token") < rank("token-file")) file = undefined;
    else tok = undefined;
  }
  if (file !== undefined) {
    let text: string;
    try {
      text = fs.readFileSync(file, "utf8");
    } catch (e) {
      throw new UsageError(`cannot read ${from("token-file")}: ${(e as Error).message}`);
    }
    const t = text.split(/\r?\n/)[0]!.trim();
    if (!t) throw new UsageError(`${from("token-file")} ${file} is empty`);
    return t;
  }
  return tok || null;
}

function readPem(path: string, flag: string): Buffer {
  try {
    return fs.readFileSync(path);
  } catch (e) {
    throw new UsageError(`cannot read ${flag}: ${(e as Error).message}`);
  }
}

/** A client's trust: --tls-ca or MINISPARK_TLS_CA, the authority that signed the cluster's certificates. */
export function clientTls(values: { "tls-ca"?: string }, from = "--tls-ca"): void {
  const ca = values["tls-ca"];
  if (ca) configureTls({ ca: readPem(ca, from), peers: false });
}

/**
 * A server's TLS: with --tls-cert and --tls-key it serves https and reaches its
 * peers (master and workers) over https too; --tls-ca (or MINISPARK_TLS_CA)
 * is then the authority their certificates must be signed by.
 */
export function serverTls(values: { "tls-cert"?: string; "tls-key"?: string; "tls-ca"?: string }, from: (flag: "tls-cert" | "tls-key" | "tls-ca") => string): { cert: Buffer; key: Buffer } | null {
  const certPath = values["tls-cert"];
  const keyPath = values["tls-key"];
  if (!certPath !== !keyPath) throw new UsageError(`give ${from("tls-cert")} and ${from("tls-key")} together`);
  if (!certPath || !keyPath) {
    clientTls(values, from("tls-ca"));
    return null;
  }
  const caPath = values["tls-ca"];
  configureTls({ ca: caPath ? readPem(caPath, from("tls-ca")) : null, peers: true });
  return { cert: readPem(certPath, from("tls-cert")), key: readPem(keyPath, from("tls-key")) };
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

export function setupLogging(values: { "log-level": string; "log-format"?: string }, from: (flag: "log-level" | "log-format") => string): void {
  const format = values["log-format"] ?? (process.stderr.isTTY ? "pretty" : "json");
  if (format !== "json" && format !== "pretty") throw new UsageError(`${from("log-format")} must be json or pretty, got "${format}"`);
  let level: ReturnType<typeof parseLogLevel>;
  try {
    level = parseLogLevel(values["log-level"]);
  } catch (e) {
    throw new UsageError((e as Error).message.replace("--log-level", from("log-level")));
  }
  configureLogging({ level, pretty: format === "pretty" });
}
