// Outbound JSON requests with a bearer token, the protocol header and a timeout
// on every call, turning error replies back into MinisparkErrors where the code
// is known. Used by the client library, the worker's heartbeat and the master's
// calls to workers.
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

export async function requestJson<T>(url: string, opts: RequestOptions = {}): Promise<T> {
  const headers = authHeaders(opts.token);
  if (opts.body !== undefined) headers["content-type"] = "application/json";
  // Outside the try: a body too big to serialise is the caller's problem, not an unreachable peer.
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  let res: Response;
  try {
    res = await fetch(url, {
      method: opts.method ?? (opts.body === undefined ? "GET" : "POST"),
      headers,
      body: payload,
      signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000),
    });
  } catch (e) {
    const cause = (e as { cause?: unknown }).cause;
    throw new HttpError(0, "UNREACHABLE", `cannot reach ${url}: ${errorMessage(cause ?? e)}`);
  }
  const text = await res.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!res.ok) {
    const err = (body as { error?: { code?: string; message?: string } } | null)?.error;
    const code = err?.code ?? "HTTP_" + res.status;
    const message = err?.message ?? `${res.status} ${res.statusText} from ${url}`;
    if (code in ErrorCodes) throw new MinisparkError(code as ErrorCode, message);
    throw new HttpError(res.status, code, message);
  }
  return body as T;
}
