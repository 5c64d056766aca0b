// Owns where an S3 client's credentials, region and endpoint come from, on the
// process that runs it: per-call overrides first, then the standard AWS
// environment variables, then the shared files (~/.aws/credentials and
// ~/.aws/config, or AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE) under
// AWS_PROFILE or "default" — the order the AWS CLI and SDKs use. Only static
// keys (with an optional session token) are resolved: no instance metadata,
// SSO or web-identity providers. The secret key and session token are held in
// private fields, so neither JSON.stringify, util.inspect nor toString of a
// config can show them; errors name the variable or file, never a value.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { inspect } from "node:util";

/** The region used when none is configured anywhere (the AWS CLI's choice for S3). */
export const DEFAULT_REGION = "us-east-1";

/** A configuration that cannot be resolved; the message names the setting and where it was looked for. */
export class S3ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "S3ConfigError";
  }
}

/** Settings given for one call (e.g. a job's own keys); each wins over the environment and the files. */
export interface S3ConfigOverrides {
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  region?: string;
  /** An S3-compatible endpoint such as `http://127.0.0.1:17480`; implies path-style addressing. */
  endpoint?: string;
  /** The profile to read from the shared files instead of AWS_PROFILE. */
  profile?: string;
}

/** Where the resolution reads from: the process's environment and files unless a test gives others. */
export interface S3ConfigSources {
  env: Readonly<Record<string, string | undefined>>;
  /** Returns a file's text, or null when it does not exist. */
  readFile(file: string): string | null;
  homeDir: string;
}

/** An access key pair (and session token); the secret parts never show when printed or serialized. */
export class S3Credentials {
  readonly #secretAccessKey: string;
  readonly #sessionToken: string | null;

  constructor(
    /** The access key id (not secret: it appears in every request's Authorization header). */
    readonly accessKeyId: string,
    secretAccessKey: string,
    sessionToken: string | null,
    /** Where they came from, e.g. `environment` or `profile "dev" in /home/u/.aws/credentials`. */
    readonly source: string,
  ) {
    this.#secretAccessKey = secretAccessKey;
    this.#sessionToken = sessionToken;
  }

  /** The secret key, for the signer only. */
  get secretAccessKey(): string {
    return this.#secretAccessKey;
  }

  /** The session token of temporary credentials, or null. */
  get sessionToken(): string | null {
    return this.#sessionToken;
  }

  /** The strings that must never leave the process: for scrubbing text that might echo them. */
  secrets(): string[] {
    return this.#sessionToken === null ? [this.#secretAccessKey] : [this.#secretAccessKey, this.#sessionToken];
  }

  toJSON(): { accessKeyId: string; source: string; secretAccessKey: string; sessionToken?: string } {
    return { accessKeyId: this.accessKeyId, source: this.source, secretAccessKey: "[redacted]", ...(this.#sessionToken === null ? {} : { sessionToken: "[redacted]" }) };
  }

  toString(): string {
    return `S3Credentials(${this.accessKeyId} from ${this.source})`;
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

/** A resolved configuration: who signs, for which region, and which endpoint requests go to. */
export interface S3Config {
  readonly credentials: S3Credentials;
  readonly region: string;
  /** The endpoint's origin and base path, e.g. `http://127.0.0.1:17480`; null means AWS's regional endpoint. */
  readonly endpoint: URL | null;
  /** Buckets go in the path (`/bucket/key`), not the host name; always so with a custom endpoint. */
  readonly pathStyle: boolean;
}

/** The process's own environment and files. */
export function processSources(): S3ConfigSources {
  return {
    env: process.env,
    homeDir: os.homedir(),
    readFile: (file) => {
      try {
        return fs.readFileSync(file, "utf8");
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
        throw new S3ConfigError(`cannot read AWS file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
    },
  };
}

/** The process's files, with `env` for its environment: a thread started with an empty environment is handed the AWS variables it needs. */
export function sourcesWithEnv(env: Readonly<Record<string, string | undefined>>): S3ConfigSources {
  return { ...processSources(), env };
}

/** The variables the resolution reads (AWS_*, and HOME for the shared files' place), to hand to a thread. */
export function awsEnvironment(env: Readonly<Record<string, string | undefined>> = process.env): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined && (e[0].startsWith("AWS_") || e[0] === "HOME")));
}

/** Resolves a configuration from `overrides`, then the environment, then the shared files. */
export function resolveS3Config(overrides: S3ConfigOverrides = {}, sources: S3ConfigSources = processSources()): S3Config {
  const { env } = sources;
  const nonEmpty = (v: string | undefined): string | undefined => (v === undefined || v.trim() === "" ? undefined : v.trim());
  const profile = nonEmpty(overrides.profile) ?? nonEmpty(env.AWS_PROFILE) ?? "default";
  const profileNamed = nonEmpty(overrides.profile) !== undefined || nonEmpty(env.AWS_PROFILE) !== undefined;
  const files = sharedFiles(sources, profile);

  const credentials =
    pairFrom(overrides.accessKeyId, overrides.secretAccessKey, overrides.sessionToken, "per-call overrides", "accessKeyId", "secretAccessKey") ??
    pairFrom(env.AWS_ACCESS_KEY_ID, env.AWS_SECRET_ACCESS_KEY, env.AWS_SESSION_TOKEN, "environment", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY") ??
    files.credentials();
  if (credentials === null) {
    const where = profileNamed ? `profile "${profile}" has no aws_access_key_id in ${files.credentialsFile} or ${files.configFile}` : `none in ${files.credentialsFile} or ${files.configFile}`;
    throw new S3ConfigError(`no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE to a profile in the shared files (${where})`);
  }

  const region = nonEmpty(overrides.region) ?? nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION) ?? files.setting("region") ?? DEFAULT_REGION;
  if (!/^[a-z0-9-]{1,64}$/.test(region)) throw new S3ConfigError(`S3 region "${region.slice(0, 80)}" is not a region name (lower-case letters, digits and "-")`);

  const endpointText = nonEmpty(overrides.endpoint) ?? nonEmpty(env.AWS_ENDPOINT_URL_S3) ?? nonEmpty(env.AWS_ENDPOINT_URL) ?? files.setting("endpoint_url");
  const endpoint = endpointText === undefined ? null : parseEndpoint(endpointText, credentials);
  return { credentials, region, endpoint, pathStyle: endpoint !== null };
}

/** Credentials from a pair of settings: both or neither; one without the other is an error naming the missing one. */
function pairFrom(id: string | undefined, secret: string | undefined, token: string | undefined, source: string, idName: string, secretName: string): S3Credentials | null {
  const hasId = id !== undefined && id !== "";
  const hasSecret = secret !== undefined && secret !== "";
  if (!hasId && !hasSecret) return null;
  if (!hasSecret) throw new S3ConfigError(`S3 credentials from ${source}: ${idName} is set but ${secretName} is not`);
  if (!hasId) throw new S3ConfigError(`S3 credentials from ${source}: ${secretName} is set but ${idName} is not`);
  return new S3Credentials(id, secret, token === undefined || token === "" ? null : token, source);
}

/** The endpoint as errors may quote it: without anything that looks like user:password@, and without the secrets. */
function shownEndpoint(text: string, credentials: S3Credentials): string {
  let shown = text.replace(/\/\/.*@/, "//…@").slice(0, 200);
  for (const s of credentials.secrets()) shown = shown.split(s).join("[redacted]");
  return shown;
}

function parseEndpoint(text: string, credentials: S3Credentials): URL {
  const shown = () => shownEndpoint(text, credentials);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new S3ConfigError(`S3 endpoint "${shown()}" is not a URL (expected e.g. https://s3.example.com or http://127.0.0.1:9000)`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new S3ConfigError(`S3 endpoint "${shown()}" is not http or https`);
  if (url.username !== "" || url.password !== "") throw new S3ConfigError("S3 endpoint has credentials in its URL; give them as AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY instead");
  if (url.search !== "" || url.hash !== "") throw new S3ConfigError(`S3 endpoint "${shown()}" has a query or fragment`);
  return url;
}

/** One profile's settings in the two shared files, read lazily (a process with keys in its environment never reads them). */
function sharedFiles(sources: S3ConfigSources, profile: string) {
  const home = sources.env.HOME ?? sources.homeDir;
  const credentialsFile = sources.env.AWS_SHARED_CREDENTIALS_FILE || path.join(home, ".aws", "credentials");
  const configFile = sources.env.AWS_CONFIG_FILE || path.join(home, ".aws", "config");
  const load = (file: string, explicit: boolean, section: string): Map<string, string> | null => {
    const text = sources.readFile(file);
    if (text === null) {
      if (explicit) throw new S3ConfigError(`AWS file ${file} (named by ${file === credentialsFile ? "AWS_SHARED_CREDENTIALS_FILE" : "AWS_CONFIG_FILE"}) does not exist`);
      return null;
    }
    return parseIni(text, file).get(section) ?? null;
  };
  let credentialsSection: Map<string, string> | null | undefined;
  let configSection: Map<string, string> | null | undefined;
  // The credentials file names sections `[name]`; the config file `[profile name]`, except `[default]`.
  const fromCredentials = () => (credentialsSection ??= load(credentialsFile, Boolean(sources.env.AWS_SHARED_CREDENTIALS_FILE), profile));
  const fromConfig = () => (configSection ??= load(configFile, Boolean(sources.env.AWS_CONFIG_FILE), profile === "default" ? "default" : `profile ${profile}`));
  return {
    credentialsFile,
    configFile,
    credentials(): S3Credentials | null {
      for (const [section, file] of [
        [fromCredentials(), credentialsFile],
        [fromConfig(), configFile],
      ] as const) {
        if (section === null) continue;
        const found = pairFrom(
          section.get("aws_access_key_id"),
          section.get("aws_secret_access_key"),
          section.get("aws_session_token"),
          `profile "${profile}" in ${file}`,
          "aws_access_key_id",
          "aws_secret_access_key",
        );
        if (found !== null) return found;
      }
      return null;
    },
    setting(name: string): string | undefined {
      return fromConfig()?.get(name) ?? undefined;
    },
  };
}

/**
 * The sections of an AWS INI file: `[section]` headers and `key = value`
 * lines; `#`/`;` comment lines. An indented line continues a nested block
 * (`s3 =` followed by indented settings), which applies to one service only
 * and is skipped here rather than mistaken for a top-level setting.
 */
export function parseIni(text: string, file: string): Map<string, Map<string, string>> {
  const sections = new Map<string, Map<string, string>>();
  let current: Map<string, string> | null = null;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#") || trimmed.startsWith(";")) continue;
    if (trimmed.startsWith("[")) {
      const close = trimmed.indexOf("]");
      if (close === -1) throw new S3ConfigError(`AWS file ${file}, line ${i + 1}: a section header without "]"`);
      const name = trimmed.slice(1, close).trim().replace(/\s+/g, " ");
      current = sections.get(name) ?? new Map();
      sections.set(name, current);
      continue;
    }
    if (/^\s/.test(line)) continue;
    const eq = trimmed.indexOf("=");
    if (eq === -1) throw new S3ConfigError(`AWS file ${file}, line ${i + 1}: expected "name = value" or "[section]"`);
    if (current === null) throw new S3ConfigError(`AWS file ${file}, line ${i + 1}: a setting before any [section]`);
    current.set(trimmed.slice(0, eq).trim().toLowerCase(), trimmed.slice(eq + 1).trim());
  }
  return sections;
}
