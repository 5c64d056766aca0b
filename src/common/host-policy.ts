// Which Host and Origin headers a master or worker answers (pure). A browser
// page can reach a server on loopback in two ways its owner never meant: a
// cross-site request (its Origin is the other site) and DNS rebinding (the
// other site's name, re-pointed at 127.0.0.1, so its Host is that name). A
// server therefore answers only Hosts naming it — its bind address, its
// advertised name, loopback names when it listens on loopback, names given
// with --allow-host — and refuses any Origin that is not its own. Used by
// http-server.ts on every request; built by the CLI from the process's flags.
import { isIP } from "node:net";

export interface HostPolicy {
  /** --allow-host '*': any Host (behind a proxy that checks it). */
  readonly anyHost: boolean;
  /** Host names and IP literals served, lower case, IPv6 without brackets. */
  readonly names: ReadonlySet<string>;
  /**
   * A wildcard bind (0.0.0.0, ::) serves every address of the machine, so any
   * IP literal is this server: a rebound page always sends a name.
   */
  readonly anyIpLiteral: boolean;
}

const LOOPBACK_NAMES = ["localhost", "127.0.0.1", "::1"];

export function isLoopbackHost(host: string): boolean {
  const h = unbracket(host.toLowerCase());
  return h === "localhost" || h === "::1" || (isIP(h) === 4 && h.startsWith("127."));
}

export function isWildcardHost(host: string): boolean {
  const h = unbracket(host);
  return h === "0.0.0.0" || h === "::" || h === "";
}

/**
 * The names a process listening on `bind` serves: `advertise` is its
 * host:port as peers know it, `allowHosts` the operator's extra names ('*': any),
 * `machineNames` this machine's host name(s), served on a wildcard bind.
 */
export function hostPolicy(opts: { bind: string; advertise: string | null; allowHosts: readonly string[]; machineNames: readonly string[] }): HostPolicy {
  const names = new Set<string>();
  const add = (n: string) => names.add(normalName(n));
  const wildcard = isWildcardHost(opts.bind);
  if (wildcard || isLoopbackHost(opts.bind)) LOOPBACK_NAMES.forEach(add);
  if (wildcard) opts.machineNames.forEach(add);
  else add(opts.bind);
  if (opts.advertise) add(splitHost(opts.advertise)?.name ?? opts.advertise);
  for (const h of opts.allowHosts) if (h !== "*") add(h);
  return { anyHost: opts.allowHosts.includes("*"), names, anyIpLiteral: wildcard };
}

/** Why this Host header is not one the policy serves, or null when it is. */
export function hostProblem(header: string | undefined, policy: HostPolicy): string | null {
  if (policy.anyHost) return null;
  if (header === undefined || header === "") return "the request has no Host header";
  const parsed = splitHost(header);
  if (!parsed) return `the Host header ${JSON.stringify(header.slice(0, 100))} is not a host[:port]`;
  if (policy.names.has(parsed.name)) return null;
  if (policy.anyIpLiteral && isIP(parsed.name) !== 0) return null;
  return `this server does not serve the host ${JSON.stringify(parsed.name.slice(0, 100))} (it serves ${[...policy.names].join(", ")}${policy.anyIpLiteral ? " and its IP addresses" : ""}; add names with --allow-host)`;
}

/**
 * Why this Origin is not the server's own (scheme and the Host it was reached
 * by), or null when it is or when there is none: browsers send Origin on every
 * cross-site request that could change state, and on same-origin POSTs too.
 */
export function originProblem(origin: string | undefined, host: string, scheme: "http" | "https"): string | null {
  if (origin === undefined) return null;
  let own: string;
  let theirs: string;
  try {
    own = new URL(`${scheme}://${host}`).origin;
    theirs = new URL(origin).origin;
  } catch {
    return `the Origin header ${JSON.stringify(origin.slice(0, 100))} is not an origin`;
  }
  if (theirs === own) return null;
  return `cross-origin requests are refused: the request comes from ${JSON.stringify(origin.slice(0, 100))}, this server is ${own}`;
}

/** name and port of a Host header (name lower case, IPv6 without brackets); null if malformed. */
export function splitHost(header: string): { name: string; port: number | null } | null {
  const m = /^(\[[0-9A-Fa-f:.]+\]|[^\s:[\]/@?#]+)(?::(\d{1,5}))?$/.exec(header);
  if (!m) return null;
  const port = m[2] === undefined ? null : Number(m[2]);
  if (port !== null && port > 65535) return null;
  const name = normalName(m[1]!);
  if (m[1]!.startsWith("[") && isIP(name) !== 6) return null;
  return { name, port };
}

function normalName(n: string): string {
  return unbracket(n.toLowerCase()).replace(/\.$/, "");
}

function unbracket(h: string): string {
  return h.startsWith("[") && h.endsWith("]") ? h.slice(1, -1) : h;
}
