// Outbound requests with a bearer token, the protocol header and a timeout on
// every call, over kept-open connections, with TLS when the cluster uses it;
// JSON replies turn back into MinisparkErrors where the code is known. Used by
// the client library, the worker's heartbeat, reports and shuffle fetches, and
// the master's calls to workers.
import http from "node:http";
import https from "node:https";
import { ErrorCodes, MinisparkError, errorMessage, type ErrorCode } from "./errors.js";
import type { ApiError } from "./api-types.js";
import { PROTOCOL_VERSION } from "./version.js";

export interface RequestOptions {
  method?: string;
  body?: unknown;
  token?: string | null;
  timeoutMs?: number;
  /** A reply body past this many bytes fails the exchange (default: no limit). */
  maxReplyBytes?: number;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "HttpError";
  }
}

export function authHeaders(token: string | null | undefined): Record<string, string> {
  const h: Record<string, string> = { "x-minispark-protocol": String(PROTOCOL_VERSION) };
  if (token) h.authorization = `Bearer ${token}`;
  return h;
}

/**
 * Connections are kept open and reused: the master and workers exchange many
 * small messages, and a new connection (or fetch's heavier machinery) would
 * cost more than the message. Idle ones close well before a server's 65 s.
 */
const IDLE_MS = 30_000;
/** Connections to one peer at most: far above a worker's slots, far below a listener's cap. */
const MAX_SOCKETS_PER_PEER = 64;
const agentOptions = { keepAlive: true, timeout: IDLE_MS, maxSockets: MAX_SOCKETS_PER_PEER };
const agents = {
  "http:": new http.Agent(agentOptions),
  "https:": new https.Agent(agentOptions),
};
let peerScheme: "http" | "https" = "http";

/**
 * How this process reaches TLS peers: `ca` (PEM), the only authority trusted
 * for their certificates instead of the system's; `peers`, whether the
 * master and workers, known by host:port, are reached over https (a cluster
 * uses TLS on every listener or on none).
 */
export function configureTls(opts: { ca: Buffer | null; peers: boolean }): void {
  agents["https:"].destroy();
  agents["https:"] = new https.Agent({ ...agentOptions, ...(opts.ca ? { ca: opts.ca } : {}) });
  peerScheme = opts.peers ? "https" : "http";
}

/** The URL of `path` on a master or worker known by its host:port. */
export function peerUrl(address: string, path: string): string {
  return `${peerScheme}://${address}${path}`;
}

export interface RawReply {
  status: number;
  statusText: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/**
 * One exchange whose reply is read whole, whatever its status; the body goes
 * as given (JSON callers use requestJson). Throws only if the peer cannot be
 * reached or does not answer in time.
 */
export function requestRaw(url: string, opts: { method?: string; body?: string; token?: string | null; timeoutMs?: number; maxReplyBytes?: number } = {}): Promise<RawReply> {
  const headers = authHeaders(opts.token);
  if (opts.body !== undefined) {
    headers["content-type"] = "application/json";
    headers["content-length"] = String(Buffer.byteLength(opts.body));
  }
  return send(new URL(url), opts.method ?? (opts.body === undefined ? "GET" : "POST"), headers, opts.body, opts.timeoutMs ?? 30_000, false, opts.maxReplyBytes ?? Infinity);
}

export async function requestJson<T>(url: string, opts: RequestOptions = {}): Promise<T> {
  // Outside the try: a body too big to serialise is the caller's problem, not an unreachable peer.
  const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  let res: RawReply;
  try {
    res = await requestRaw(url, { method: opts.method, body, token: opts.token, timeoutMs: opts.timeoutMs, maxReplyBytes: opts.maxReplyBytes });
  } catch (e) {
    throw new HttpError(0, "UNREACHABLE", `cannot reach ${url}: ${errorMessage(e)}`);
  }
  const ok = res.status >= 200 && res.status < 300;
  const text = res.body.toString("utf8");
  let reply: unknown = null;
  try {
    reply = text ? JSON.parse(text) : null;
  } catch {
    reply = null;
  }
  if (!ok) {
    // Partial: a reply that is not the master's JSON (a proxy's page) has no error to read.
    const err = (reply as Partial<ApiError> | null)?.error;
    const code = err?.code ?? "HTTP_" + res.status;
    const message = err?.message ?? `${res.status} ${res.statusText} from ${url}`;
    if (Object.hasOwn(ErrorCodes, code)) throw new MinisparkError(code as ErrorCode, message);
    throw new HttpError(res.status, code, message);
  }
  return reply as T;
}

/** Methods that may safely run twice, so a request of theirs may be sent again. */
const IDEMPOTENT = new Set(["GET", "HEAD", "DELETE"]);

/**
 * One exchange. A kept-open connection the server closed just as we reused it
 * usually fails before the server saw the request, so that case is tried once
 * more on a fresh connection, as Node's documentation advises, but only for
 * idempotent methods: a POST's caller decides (launches go back in line,
 * reports are retried and deduplicated by attempt id).
 */
/** `maxReplyBytes`: a reply body past it fails the exchange (a peer's answer must not grow without bound). */
function send(url: URL, method: string, headers: Record<string, string>, payload: string | undefined, timeoutMs: number, retried = false, maxReplyBytes = Infinity): Promise<RawReply> {
  const protocol = url.protocol === "https:" ? "https:" : "http:";
  return new Promise((resolve, reject) => {
    const req = (protocol === "https:" ? https : http).request(url, { method, headers, agent: agents[protocol] }, (res) => {
      const chunks: Buffer[] = [];
      let received = 0;
      res.on("data", (c: Buffer) => {
        received += c.length;
        if (received > maxReplyBytes) {
          // Rejected here, then destroyed without an error: req.destroy(error) once the reply has begun raised it as an uncaught exception and left this promise pending.
          res.removeAllListeners("data");
          fail(new Error(`the reply is larger than the ${maxReplyBytes} bytes expected`));
          req.destroy();
        } else chunks.push(c);
      });
      res.on("error", fail);
      res.on("end", () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? "", headers: res.headers, body: Buffer.concat(chunks) });
      });
    });
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    function fail(e: Error): void {
      clearTimeout(timer);
      if (!retried && IDEMPOTENT.has(method) && req.reusedSocket && (e as NodeJS.ErrnoException).code === "ECONNRESET") {
        resolve(send(url, method, headers, payload, timeoutMs, true, maxReplyBytes));
      } else reject(e);
    }
    req.on("error", fail);
    req.end(payload);
  });
}
