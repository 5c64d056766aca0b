// The thin HTTP shell shared by master and worker: a small router over node:http
// (node:https when given a certificate), bearer-token checks in constant time,
// JSON bodies with a size limit, and errors as {"error":{"code","message"}}. Handlers return a JSON value (200), a
// Reply (another status) or take over the response themselves (streams).
// No request can end the process: every step of a request runs inside one
// try, the handler's promise is always caught, and requests the parser
// rejects get a 400. Before any route: the Host must be one this process
// serves and the Origin (if any) its own (host-policy.ts); connections are
// capped by the descriptor limit and, until they authenticate, per client
// (preauth-sockets.ts); bodies in flight share one budget (body-budget.ts).
import { createHash, timingSafeEqual } from "node:crypto";
import { constants as bufferConstants } from "node:buffer";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import https from "node:https";
import os from "node:os";
import type { AddressInfo, Socket } from "node:net";
import type { ApiError } from "./api-types.js";
import { BodyBudget, defaultBodyBudget } from "./body-budget.js";
import { connectionLimits, fdSoftLimit } from "./connection-limits.js";
import { MinisparkError, errorMessage } from "./errors.js";
import { countJsonValues } from "./json-values.js";
import { hostPolicy, hostProblem, originProblem, type HostPolicy } from "./host-policy.js";
import type { Logger } from "./log.js";
import { PreAuthSockets } from "./preauth-sockets.js";
import { PROTOCOL_VERSION } from "./version.js";

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
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {}
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
  maxJsonValues: number;
}

export interface RouteOptions {
  /** Answer without the token (only /healthz). */
  public?: boolean;
  maxBodyBytes?: number;
  /** Values a JSON body may hold, counted before it is parsed (json-values.ts); default: no limit. */
  maxJsonValues?: number;
}

const DEFAULT_MAX_BODY = 1024 * 1024;
/**
 * A body is decoded into one string, and V8 cannot make a string longer than
 * this (~512 MiB; one UTF-8 byte decodes to at most one UTF-16 unit): a larger
 * limit would let a body pass it and then fail to decode.
 */
const MAX_DECODABLE_BODY = bufferConstants.MAX_STRING_LENGTH;

export class Router {
  private readonly routes: Route[] = [];

  add(method: string, pattern: string, handler: Handler, opts: RouteOptions = {}): this {
    this.routes.push({
      method,
      parts: pattern.split("/").filter(Boolean),
      handler,
      public: opts.public ?? false,
      maxBodyBytes: Math.min(opts.maxBodyBytes ?? DEFAULT_MAX_BODY, MAX_DECODABLE_BODY),
      maxJsonValues: opts.maxJsonValues ?? Infinity,
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

export interface ServerOptions {
  token: string | null;
  log: Logger;
  /** PEM certificate chain and key: serve https. */
  tls: { cert: Buffer; key: Buffer } | null;
  /** The address listened on and the host:port peers use (null: that address): the Hosts served. */
  bind: string;
  advertise: string | null;
  /** More Host names to serve (--allow-host; '*': any). */
  allowHosts: readonly string[];
}

interface Context {
  router: Router;
  tokenDigest: Buffer | null;
  log: Logger;
  hosts: HostPolicy;
  scheme: "http" | "https";
  preAuth: PreAuthSockets;
  budget: BodyBudget;
}

export function createHttpServer(router: Router, opts: ServerOptions): http.Server {
  const limits = connectionLimits(fdSoftLimit());
  const ctx: Context = {
    router,
    tokenDigest: opts.token ? digest(opts.token) : null,
    log: opts.log,
    hosts: hostPolicy({ bind: opts.bind, advertise: opts.advertise, allowHosts: opts.allowHosts, machineNames: [os.hostname()] }),
    scheme: opts.tls ? "https" : "http",
    preAuth: new PreAuthSockets(limits),
    budget: new BodyBudget(defaultBodyBudget()),
  };
  const onRequest = (raw: IncomingMessage, res: ServerResponse) => {
    handle(ctx, raw, res).catch((e) => {
      // Only a failure to write the error reply itself gets here.
      opts.log.error("request failed while answering", { method: raw.method, error: errorMessage(e) });
      res.destroy();
    });
  };
  // Timeouts are checked every second rather than node's default 30 s, so a 10 s limit means about 10 s.
  const httpOpts = { connectionsCheckingInterval: 1000 };
  const server: http.Server = opts.tls ? https.createServer({ ...httpOpts, cert: opts.tls.cert, key: opts.tls.key }, onRequest) : http.createServer(httpOpts, onRequest);
  // Descriptors stay for the process's own files and its connections to peers.
  server.maxConnections = limits.maxConnections;
  server.keepAliveTimeout = 65_000;
  // Headers come in one go from every real client; a client that trickles them holds a descriptor.
  server.headersTimeout = 10_000;
  server.requestTimeout = 120_000;
  ctx.preAuth.attach(server);
  server.on("clientError", (err: NodeJS.ErrnoException, socket: Socket) => answerClientError(err, socket));
  opts.log.debug("http limits", { ...limits, body_budget: ctx.budget.limit });
  return server;
}

/** Statuses for what node's parser refuses; anything else it refuses is a 400. */
const PARSER_STATUS: Record<string, [number, string]> = {
  HPE_HEADER_OVERFLOW: [431, "Request Header Fields Too Large"],
  ERR_HTTP_REQUEST_TIMEOUT: [408, "Request Timeout"],
  ERR_HTTP_HEADERS_TIMEOUT: [408, "Request Timeout"],
};

/** A request node could not parse: a 400 naming the problem (when the socket can still take it), then the connection ends. */
function answerClientError(err: NodeJS.ErrnoException & { reason?: string }, socket: Socket): void {
  const inFlight = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
  // Only after a request's whole body: an error inside a body leaves that request unreadable, and it is ended with the socket.
  if (inFlight?.req.complete && !inFlight.writableFinished && !inFlight.destroyed) {
    // Junk after a whole request: that request is still being answered; its reply goes out, then the connection ends.
    inFlight.shouldKeepAlive = false;
    inFlight.once("close", () => socket.destroy());
    return;
  }
  if (socket.writable && !inFlight) {
    const [status, text] = PARSER_STATUS[err.code ?? ""] ?? [400, "Bad Request"];
    const body = JSON.stringify({
      error: { code: status === 400 ? "BAD_REQUEST" : `HTTP_${status}`, message: `malformed request: ${err.code ?? "parse error"}${err.reason ? ` (${err.reason})` : ""}` },
    } satisfies ApiError);
    socket.end(`HTTP/1.1 ${status} ${text}\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  }
  socket.destroy();
}

async function handle(ctx: Context, raw: IncomingMessage, res: ServerResponse) {
  const { router, tokenDigest, log } = ctx;
  let path = "?";
  try {
    const hostIssue = hostProblem(raw.headers.host, ctx.hosts);
    if (hostIssue) throw new MinisparkError("MISDIRECTED", hostIssue);
    const originIssue = originProblem(raw.headers.origin, raw.headers.host ?? "", ctx.scheme);
    if (originIssue) throw new MinisparkError("FORBIDDEN", originIssue);
    const url = parseTarget(raw.url);
    path = url.pathname;
    const m = router.match(raw.method ?? "GET", url.pathname);
    const isPublic = "route" in m && m.route.public;
    // Authenticate before saying whether a path exists, so that the API cannot be probed without the token.
    if (!isPublic && tokenDigest && !authorized(raw, tokenDigest)) {
      res.setHeader("www-authenticate", 'Bearer realm="minispark"');
      throw new MinisparkError("UNAUTHORIZED", "missing or wrong bearer token (Authorization: Bearer <token>)");
    }
    if (!isPublic) ctx.preAuth.authenticated(raw.socket);
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
      json: () => (body ??= readJson(raw, res, Math.min(m.route.maxBodyBytes, ctx.budget.limit), ctx.budget, m.route.maxJsonValues)),
    };
    const out = await m.route.handler(req);
    if (out === HANDLED) return;
    if (out instanceof Reply) sendJson(res, out.status, out.body);
    else sendJson(res, 200, out);
  } catch (e) {
    const err = e instanceof MinisparkError ? e : null;
    if (!err) log.error("request failed", { method: raw.method, path, error: errorMessage(e) });
    if (res.headersSent || res.destroyed) {
      res.destroy();
      return;
    }
    // A body left unread is not read to its end just to keep the connection open.
    if (!raw.complete) closeAfterReply(raw, res);
    sendJson(res, err?.status ?? 500, { error: { code: err?.code ?? "INTERNAL", message: errorMessage(e) } } satisfies ApiError);
  }
}

/**
 * How long a connection whose request body is refused stays open after the
 * reply, reading and dropping what the client still sends: closed at once,
 * with the client's bytes unread, the kernel would reset the connection and
 * the client could lose the reply before reading it.
 */
const LINGER_MS = 2000;

const closing = new WeakSet<ServerResponse>();

/**
 * Ends the connection after this reply: `connection: close` tells the client
 * not to send more on it, and node, which then ends the socket with
 * destroySoon() once the reply is out, half-closes it instead and destroys it
 * LINGER_MS later, reading and dropping meanwhile.
 */
function closeAfterReply(raw: IncomingMessage, res: ServerResponse): void {
  if (closing.has(res)) return;
  closing.add(res);
  res.setHeader("connection", "close");
  const socket = raw.socket as Socket & { destroySoon?: () => void };
  socket.destroySoon = () => {
    socket.end();
    socket.resume();
    setTimeout(() => socket.destroy(), LINGER_MS).unref();
  };
}

/**
 * The request target as a URL; any form node passes on (origin, absolute, asterisk) that the URL parser refuses is a 400,
 * and so is a path with a dot segment: the URL parser resolves `.`, `..` and their %2e spellings (and `\` as `/`), so
 * `DELETE /api/v1/apps/{app}/datasets/..` would otherwise reach `DELETE /api/v1/apps/{app}` and end the application.
 */
function parseTarget(target: string | undefined): URL {
  const raw = target ?? "/";
  const path = raw.split(/[?#]/, 1)[0]!;
  if (path.split(/[/\\]/).some((segment) => /^(\.|%2e){1,2}$/i.test(segment))) {
    throw new MinisparkError("BAD_REQUEST", `the request target ${JSON.stringify(raw.slice(0, 200))} has a "." or ".." segment`);
  }
  try {
    return new URL(raw, "http://x");
  } catch {
    throw new MinisparkError("BAD_REQUEST", `the request target ${JSON.stringify(raw.slice(0, 200))} is not a valid path`);
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

/** Seconds a client refused for the body budget waits before trying again. */
const BUSY_RETRY_AFTER_S = 2;

/**
 * Reads a JSON body of at most `limit` bytes. Only `application/json` bodies
 * are read, and only without a content-encoding: a browser can send a
 * cross-site text/plain or form POST without asking first, never a JSON one.
 * Past the limit (or the budget) the rest is dropped and the connection
 * closes after the reply (closeAfterReply). Every byte
 * held counts against the process's body budget until the promise settles.
 */
function readJson(raw: IncomingMessage, res: ServerResponse, limit: number, budget: BodyBudget, maxValues: number): Promise<unknown> {
  const type = (raw.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/json") {
    return Promise.reject(new MinisparkError("UNSUPPORTED_MEDIA_TYPE", `this endpoint takes a JSON body with content-type: application/json, not ${JSON.stringify(type || "none")}`));
  }
  const encoding = (raw.headers["content-encoding"] ?? "identity").trim().toLowerCase();
  if (encoding !== "identity") return Promise.reject(new MinisparkError("UNSUPPORTED_MEDIA_TYPE", `content-encoding ${JSON.stringify(encoding)} is not supported; send the JSON as it is`));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let held = 0;
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      chunks.length = 0;
      budget.give(held);
      held = 0;
      fn();
    };
    const refuse = (e: MinisparkError) => {
      closeAfterReply(raw, res);
      settle(() => reject(e));
    };
    const declared = Number(raw.headers["content-length"]);
    if (declared > limit) return refuse(tooLarge(limit));
    raw.on("data", (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size > limit) return refuse(tooLarge(limit));
      if (!budget.take(chunk.length)) {
        res.setHeader("retry-after", String(BUSY_RETRY_AFTER_S));
        return refuse(new MinisparkError("BUSY", `the server is reading too many request bodies at once (${budget.limit} bytes); try again in ${BUSY_RETRY_AFTER_S} s`));
      }
      held += chunk.length;
      chunks.push(chunk);
    });
    raw.on("error", (e) => settle(() => reject(e)));
    raw.on("close", () => settle(() => reject(new MinisparkError("BAD_REQUEST", "the client went away before the body ended"))));
    raw.on("end", () => {
      if (settled) return;
      let value: unknown;
      try {
        const bytes = Buffer.concat(chunks);
        if (countJsonValues(bytes, maxValues) > maxValues) {
          return settle(() => reject(new MinisparkError("PAYLOAD_TOO_LARGE", `the body holds more than ${maxValues} JSON values; at most ${maxValues} are allowed`)));
        }
        const text = bytes.toString("utf8");
        if (text.trim() === "") return settle(() => reject(new MinisparkError("BAD_REQUEST", "the request needs a JSON body")));
        value = JSON.parse(text);
      } catch (e) {
        return settle(() => reject(new MinisparkError("BAD_REQUEST", `the body is not valid JSON: ${errorMessage(e)}`)));
      }
      settle(() => resolve(value));
    });
  });
}

function tooLarge(limit: number): MinisparkError {
  return new MinisparkError("PAYLOAD_TOO_LARGE", `request body is larger than ${limit} bytes`);
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
