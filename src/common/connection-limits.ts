// How many connections a master or worker holds, derived from its descriptor
// limit (the numbers are pure; reading /proc is the only I/O). Every socket is
// a file descriptor, and the process needs descriptors of its own (job
// database, input and shuffle files, spill files, task threads, connections to
// peers); a listener that takes every connection offered lets one client with
// ~1,000 idle sockets starve it. Used by http-server.ts and preauth-sockets.ts.
import fs from "node:fs";

/** When the limit cannot be read: the usual Linux default soft limit. */
const DEFAULT_FD_LIMIT = 1024;

/** The soft "Max open files" of /proc/self/limits text; null if absent or unlimited. */
export function parseFdSoftLimit(limitsText: string): number | null {
  const m = /^Max open files\s+(\d+|unlimited)\s/m.exec(limitsText);
  if (!m || m[1] === "unlimited") return null;
  return Number(m[1]);
}

export function fdSoftLimit(): number {
  try {
    return parseFdSoftLimit(fs.readFileSync("/proc/self/limits", "utf8")) ?? DEFAULT_FD_LIMIT;
  } catch {
    return DEFAULT_FD_LIMIT;
  }
}

export interface ConnectionLimits {
  /** Open connections in all (server.maxConnections): half the descriptors, the rest stays the process's own. */
  maxConnections: number;
  /** Connections of one client (address, or IPv6 /64) that have not yet made an authenticated request. */
  preAuthPerClient: number;
  /** Such connections of all clients together: a quarter, so authenticated peers always find room. */
  preAuthTotal: number;
  /** How long a connection may stay without an authenticated request. */
  preAuthMs: number;
}

/** Never above the former fixed cap, nor so low that a small cluster cannot connect. */
const MAX_CONNECTIONS_CEILING = 8192;

export function connectionLimits(fdLimit: number): ConnectionLimits {
  const maxConnections = Math.max(32, Math.min(MAX_CONNECTIONS_CEILING, Math.floor(fdLimit / 2)));
  const preAuthTotal = Math.max(8, Math.floor(maxConnections / 4));
  return { maxConnections, preAuthTotal, preAuthPerClient: Math.max(4, Math.min(64, Math.floor(preAuthTotal / 2))), preAuthMs: 10_000 };
}

/**
 * The client a remote address belongs to: an IPv6 host usually holds a whole
 * /64, and 127.0.0.0/8 is all one machine, so each counts as one client.
 */
export function clientKey(address: string | undefined): string {
  if (!address) return "?";
  const v4 = /^(?:::ffff:)?(\d+)\.\d+\.\d+\.\d+$/i.exec(address);
  if (v4) return v4[1] === "127" ? "127/8" : address.replace(/^::ffff:/i, "");
  if (address.includes(":")) return expandV6(address).slice(0, 4).join(":") + "::/64";
  return address;
}

function expandV6(a: string): string[] {
  const [head, tail] = a.split("::") as [string, string | undefined];
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const zeros = tail === undefined ? [] : Array<string>(Math.max(0, 8 - h.length - t.length)).fill("0");
  return [...h, ...zeros, ...t].map((g) => g.toLowerCase().replace(/^0+(?=.)/, ""));
}
