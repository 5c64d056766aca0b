// The thin HTTP shell shared by master and worker: a small router over node:http
// (node:https when given a certificate), bearer-token checks in constant time,
// JSON bodies with a size limit, and errors as {"error":{"code","message"}}. Handlers return a JSON value (200), a
// Reply (another status) or take over the response themselves (streams).
import { createHash, timingSafeEqual } from "node:crypto";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { MinisparkError, errorMessage } from "./errors.js";
import type { Logger } from "./log.js";
import { PROTOCOL_VERSION } from "./protocol.js";

export interface Request {
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  raw: IncomingMessage;
  res: ServerResponse;
  /** Parses the JSON body (once), enforcing the route's size limit. */
  json(): Promise<unknown>;
}

export class Reply {
  constructor(readonly status: number, readonly body: unknown) {}
}

/** Returned by a handler that wrote the response itself. */
export const HANDLED = Symbol("handled");

export type Handler = (req: Request) => Promise<unknown> | unknown;

interface Route {
  method: string;
  parts: string[];
  handler: Handler;
  public: boolean;
  maxBodyBytes: number;
}

export interface RouteOptions {
  /** Answer without the token (only /healthz). */
  public?: boolean;
  maxBodyBytes?: number;
}

const DEFAULT_MAX_BODY = 1024 * 1024;

export class Router {
  private readonly routes: Route[] = [];

  add(method: string, pattern: string, handler: Handler, opts: RouteOptions = {}): this {
    this.routes.push({
      method,
      parts: pattern.split("/").filter(Boolean),
      handler,
      public: opts.public ?? false,
      maxBodyBytes: opts.maxBodyBytes ?? DEFAULT_MAX_BODY,
    });
    return this;
  }

  /** The route for method and path; else the methods the path allows (empty: no such path). */
  match(method: string, path: string): { route: Route; params: Record<string, string> } | { allowed: string[] } {
    const parts = path.split("/").filter(Boolean);
    const allowed: string[] = [];
    for (const route of this.routes) {
      const params = matchParts(route.parts, parts);
      if (!params) continue;
      if (route.method === method) return { route, params };
      allowed.push(route.method);
    }
    return { allowed };
  }
}

function matchParts(pattern: string[], parts: string[]): Record<string, string> | null {
  if (pattern.length !== parts.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    if (p.startsWith(":")) params[p.slice(1)] = decodeSegment(parts[i]!);
    else if (p !== parts[i]) return null;
  }
  return params;
}

function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new MinisparkError("BAD_REQUEST", `bad percent-encoding in the path: ${s}`);
  }
}

/**
 * Open connections a listener accepts at once; beyond it new ones are closed.
 * Peers keep at most 64 each (the clients' agents), so this leaves room for
 * a hundred-odd workers and their clients while bounding descriptors.
 */
const MAX_CONNECTIONS = 8192;

export interface ServerOptions {
  token: string | null;
  log: Logger;
  /** PEM certificate chain and key: serve https. */
  tls: { cert: Buffer; key: Buffer } | null;
}

export function createHttpServer(router: Router, opts: ServerOptions): http.Server {
  const tokenDigest = opts.token ? digest(opts.token) : null;
  const onRequest = (raw: IncomingMessage, res: ServerResponse) => void handle(router, raw, res, tokenDigest, opts.log);
  const server: http.Server = opts.tls ? https.createServer({ cert: opts.tls.cert, key: opts.tls.key }, onRequest) : http.createServer(onRequest);
  // A client that opens connections without end cannot exhaust the process's descriptors.
  server.maxConnections = MAX_CONNECTIONS;
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 30_000;
  server.requestTimeout = 120_000;
  return server;
}

async function handle(router: Router, raw: IncomingMessage, res: ServerResponse, tokenDigest: Buffer | null, log: Logger) {
  const url = new URL(raw.url ?? "/", "http://x");
  try {
    const m = router.match(raw.method ?? "GET", url.pathname);
    const isPublic = "route" in m && m.route.public;
    // Authenticate before saying whether a path exists, so that the API cannot be probed without the token.
    if (!isPublic && tokenDigest && !authorized(raw, tokenDigest)) {
      res.setHeader("www-authenticate", 'Bearer realm="minispark"');
      throw new MinisparkError("UNAUTHORIZED", "missing or wrong bearer token (Authorization: Bearer <token>)");
    }
    if (!("route" in m)) {
      if (m.allowed.length === 0) throw new MinisparkError("NOT_FOUND", `no such endpoint: ${raw.method} ${url.pathname}`);
      res.setHeader("allow", m.allowed.join(", "));
      throw new MinisparkError("METHOD_NOT_ALLOWED", `${raw.method} is not supported on ${url.pathname}; use ${m.allowed.join(" or ")}`);
    }
    checkProtocolHeader(raw);
    let body: Promise<unknown> | null = null;
    const req: Request = {
      method: raw.method ?? "GET",
      path: url.pathname,
      params: m.params,
      query: url.searchParams,
      raw,
      res,
      json: () => (body ??= readJson(raw, res, m.route.maxBodyBytes)),
    };
    const out = await m.route.handler(req);
    if (out === HANDLED) return;
    if (out instanceof Reply) sendJson(res, out.status, out.body);
    else sendJson(res, 200, out);
  } catch (e) {
    const err = e instanceof MinisparkError ? e : null;
    if (!err) log.error("request failed", { method: raw.method, path: url.pathname, error: errorMessage(e) });
    if (res.headersSent) {
      res.destroy();
      return;
    }
    sendJson(res, err?.status ?? 500, { error: { code: err?.code ?? "INTERNAL", message: errorMessage(e) } });
  }
}

function checkProtocolHeader(raw: IncomingMessage): void {
  const v = raw.headers["x-minispark-protocol"];
  if (v !== undefined && Number(v) !== PROTOCOL_VERSION) {
    throw new MinisparkError("PROTOCOL_MISMATCH", `this server speaks minispark protocol ${PROTOCOL_VERSION}, the request was made with ${v}`);
  }
}

/** Refuses a control message from a peer of another protocol version. */
export function checkProtocol(body: unknown): void {
  const v = (body as { protocol?: unknown } | null)?.protocol;
  if (v !== PROTOCOL_VERSION) {
    throw new MinisparkError(
      "PROTOCOL_MISMATCH",
      `this process speaks minispark protocol ${PROTOCOL_VERSION}, the message says ${JSON.stringify(v ?? null)}; run the same minispark version everywhere`,
    );
  }
}

function digest(s: string): Buffer {
  return createHash("sha256").update(s).digest();
}

function authorized(raw: IncomingMessage, tokenDigest: Buffer): boolean {
  const m = /^bearer\s+(.+)$/i.exec(raw.headers.authorization ?? "");
  return m !== null && timingSafeEqual(digest(m[1]!.trim()), tokenDigest);
}

/**
 * Reads a JSON body of at most `limit` bytes. Past the limit the rest is read
 * and dropped rather than left unread, so that the 413 reaches a client still
 * sending (an unread body would make the close look like a reset), and the
 * connection closes after it.
 */
function readJson(raw: IncomingMessage, res: ServerResponse, limit: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    raw.on("data", (chunk: Buffer) => {
      const wasWithin = size <= limit;
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
      else if (wasWithin) {
        chunks.length = 0;
        res.setHeader("connection", "close");
        reject(new MinisparkError("PAYLOAD_TOO_LARGE", `request body is larger than ${limit} bytes`));
      }
    });
    raw.on("error", reject);
    raw.on("end", () => {
      if (size > limit) return;
      const text = Buffer.concat(chunks).toString("utf8");
      if (text.trim() === "") return reject(new MinisparkError("BAD_REQUEST", "the request needs a JSON body"));
      try {
        resolve(JSON.parse(text));
      } catch (e) {
        reject(new MinisparkError("BAD_REQUEST", `the body is not valid JSON: ${errorMessage(e)}`));
      }
    });
  });
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

export function listen(server: http.Server, host: string, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

export function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
