// The Docker image's HEALTHCHECK (deploy/Dockerfile): reads the command line and
// environment of the container's minispark process (pid 1, or the pid given as
// argument) to learn where its master or worker listens (a flag, else its
// MINISPARK_<FLAG> variable, as the CLI reads them), and asks that /healthz, which needs
// no token. Exits 0 when it answers 200, 1 otherwise. One image serves both
// roles on any port, so the port comes from the process rather than the image.
// Kubernetes ignores HEALTHCHECK and probes /healthz itself (deploy/kubernetes).
import fs from "node:fs";
import http from "node:http";
import https from "node:https";
import { fileURLToPath } from "node:url";
import { envName } from "./env-names.js";

/** Where to ask, or why there is nothing to ask. */
export type HealthTarget = { url: URL } | { skip: string };

const DEFAULT_PORT = { master: 7077, worker: 0 } as const;

/**
 * The value of `--name v` or `--name=v` in argv, the last one given winning (as parseArgs does),
 * else of MINISPARK_NAME in env (an empty variable counts as unset).
 */
function setting(argv: readonly string[], env: Readonly<Record<string, string>>, name: string): string | undefined {
  let value: string | undefined;
  argv.forEach((a, i) => {
    if (a === `--${name}`) value = argv[i + 1];
    else if (a.startsWith(`--${name}=`)) value = a.slice(name.length + 3);
  });
  return value ?? (env[envName(name)] || undefined);
}

/** The /healthz URL of the server `node …/minispark.js master|worker …` (its argv and environment) listens on. */
export function healthTarget(argv: readonly string[], env: Readonly<Record<string, string>> = {}): HealthTarget {
  const flag = (name: string) => setting(argv, env, name);
  const command = argv.find((a): a is keyof typeof DEFAULT_PORT => a === "master" || a === "worker");
  if (!command) return { skip: `not a minispark master or worker: ${argv.join(" ")}` };
  const port = Number(flag("port") ?? DEFAULT_PORT[command]);
  if (!port) return { skip: `the ${command} listens on a random port (no --port): nothing to check` };
  const host = flag("host") ?? "127.0.0.1";
  // A wildcard bind answers on loopback; any other address only on itself.
  const address = host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "[::1]" : host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  const scheme = flag("tls-cert") ? "https" : "http";
  return { url: new URL(`${scheme}://${address}:${port}/healthz`) };
}

/** The command line of a Linux process. */
export function processArgv(pid: number): string[] {
  return fs
    .readFileSync(`/proc/${pid}/cmdline`, "utf8")
    .split("\0")
    .filter((a) => a !== "");
}

/** The environment a Linux process started with. */
export function processEnv(pid: number): Record<string, string> {
  const entries = fs
    .readFileSync(`/proc/${pid}/environ`, "utf8")
    .split("\0")
    .filter((e) => e.includes("="));
  return Object.fromEntries(entries.map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
}

function check(url: URL, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    // No token is sent, so the certificate is not checked: this asks only whether the process answers.
    const req = (url.protocol === "https:" ? https : http).get(url, { timeout: timeoutMs, rejectUnauthorized: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
  });
}

async function main(): Promise<void> {
  const pid = Number(process.argv[2] ?? 1);
  const target = healthTarget(processArgv(pid), processEnv(pid));
  if ("skip" in target) {
    console.log(target.skip);
    return;
  }
  const status = await check(target.url, 3000).catch((e: Error) => {
    console.log(`${target.url}: ${e.message}`);
    return 0;
  });
  if (status !== 200) {
    if (status) console.log(`${target.url}: HTTP ${status}`);
    process.exitCode = 1;
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
