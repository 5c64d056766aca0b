// Outbound JSON requests with a bearer token, the protocol header and a timeout
// on every call, turning error replies back into MinisparkErrors where the code
// is known. Used by the client library, the worker's heartbeat and the master's
// calls to workers.
import http from "node:http";
import https from "node:https";
import { ErrorCodes, MinisparkError, errorMessage, type ErrorCode } from "./errors.js";
import { PROTOCOL_VERSION } from "./protocol.js";

export interface RequestOptions {
  method?: string;
  body?: unknown;
  token?: string | null;
  timeoutMs?: number;
}

export class HttpError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
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
const agents = {
  "http:": new http.Agent({ keepAlive: true, timeout: 30_000 }),
  "https:": new https.Agent({ keepAlive: true, timeout: 30_000 }),
};

interface RawReply {
  status: number;
  statusText: string;
  text: string;
}

export async function requestJson<T>(url: string, opts: RequestOptions = {}): Promise<T> {
  const headers = authHeaders(opts.token);
  // Outside the try: a body too big to serialise is the caller's problem, not an unreachable peer.
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  if (payload !== undefined) {
    headers["content-type"] = "application/json";
    headers["content-length"] = String(Buffer.byteLength(payload));
  }
  const method = opts.method ?? (payload === undefined ? "GET" : "POST");
  let res: RawReply;
  try {
    res = await send(new URL(url), method, headers, payload, opts.timeoutMs ?? 30_000);
  } catch (e) {
    throw new HttpError(0, "UNREACHABLE", `cannot reach ${url}: ${errorMessage(e)}`);
  }
  const ok = res.status >= 200 && res.status < 300;
  const text = res.text;
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!ok) {
    const err = (body as { error?: { code?: string; message?: string } } | null)?.error;
    const code = err?.code ?? "HTTP_" + res.status;
    const message = err?.message ?? `${res.status} ${res.statusText} from ${url}`;
    if (code in ErrorCodes) throw new MinisparkError(code as ErrorCode, message);
    throw new HttpError(res.status, code, message);
  }
  return body as T;
}

/**
 * One exchange. A kept-open connection the server closed just as we reused it
 * fails before the server saw the request, so that case is tried once more on
 * a fresh connection, as Node's documentation advises.
 */
function send(url: URL, method: string, headers: Record<string, string>, payload: string | undefined, timeoutMs: number, retried = false): Promise<RawReply> {
  const protocol = url.protocol === "https:" ? "https:" : "http:";
  return new Promise((resolve, reject) => {
    const req = (protocol === "https:" ? https : http).request(url, { method, headers, agent: agents[protocol] }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", fail);
      res.on("end", () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? "", text: Buffer.concat(chunks).toString("utf8") });
      });
    });
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    function fail(e: Error): void {
      clearTimeout(timer);
      if (!retried && req.reusedSocket && (e as NodeJS.ErrnoException).code === "ECONNRESET") {
        resolve(send(url, method, headers, payload, timeoutMs, true));
      } else reject(e);
    }
    req.on("error", fail);
    req.end(payload);
  });
}
