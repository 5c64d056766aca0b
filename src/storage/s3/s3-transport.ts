// Owns one HTTP exchange with an S3 endpoint over node:http/https: the request
// path sent byte for byte as it was signed (no URL normalization),
// sent with its whole body, the answer read whole (up to a cap) and checked
// against its Content-Length, an idle-socket timeout. Failures without a
// complete answer become TransportError with a socket-style code the retry
// policy understands. Connections are kept alive per client.
import http from "node:http";
import https from "node:https";

/** An error answer's XML is a few hundred bytes; this bounds a hostile or broken server's. */
const MAX_ERROR_BODY_BYTES = 1024 * 1024;

/** An answer read in full. */
export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** No complete answer: the socket's error code (ECONNRESET, …), S3_TIMEOUT or S3_TRUNCATED. */
export class TransportError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "TransportError";
  }
}

/** Keep-alive agents for one client; close() ends their idle sockets. */
export class Transport {
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 32 });
  private readonly httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 32 });

  constructor(
    /** A socket idle this long fails the attempt. */
    private readonly idleTimeoutMs: number,
  ) {}

  /** Sends one request; resolves with any HTTP answer (errors included), rejects with TransportError. */
  exchange(origin: URL, path: string, method: string, headers: Record<string, string>, body: Uint8Array | null, maxBodyBytes: number): Promise<HttpAnswer> {
    const secure = origin.protocol === "https:";
    const send = secure ? https.request : http.request;
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (code: string, message: string) => {
        if (!settled) reject(new TransportError(code, message));
        settled = true;
      };
      const options = {
        hostname: origin.hostname.replace(/^\[(.*)\]$/, "$1"),
        port: origin.port === "" ? undefined : Number(origin.port),
        path,
        method,
        headers,
        agent: secure ? this.httpsAgent : this.httpAgent,
        timeout: this.idleTimeoutMs,
      };
      const request = send(options, (response) => {
        const status = response.statusCode ?? 0;
        // The cap is for what was asked (e.g. a range's length); an error's XML has its own.
        const cap = status >= 200 && status < 300 ? maxBodyBytes : MAX_ERROR_BODY_BYTES;
        const chunks: Buffer[] = [];
        let size = 0;
        response.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > cap) {
            fail("S3_TOO_LARGE", `the answer's body exceeds ${cap} bytes`);
            response.destroy();
            return;
          }
          chunks.push(chunk);
        });
        response.on("error", (e: NodeJS.ErrnoException) => fail(e.code ?? "ECONNRESET", `the answer broke off: ${e.message}`));
        response.on("aborted", () => fail("ECONNRESET", "the answer broke off"));
        response.on("end", () => {
          const body = Buffer.concat(chunks, size);
          const declared = response.headers["content-length"];
          if (method !== "HEAD" && declared !== undefined && Number(declared) !== body.length) {
            fail("S3_TRUNCATED", `the answer had ${body.length} of its ${declared} bytes`);
            return;
          }
          if (!settled) resolve({ status, headers: response.headers, body });
          settled = true;
        });
      });
      request.on("timeout", () => request.destroy(new TransportError("S3_TIMEOUT", `no data for ${this.idleTimeoutMs} ms`)));
      request.on("error", (e: NodeJS.ErrnoException) => (e instanceof TransportError ? fail(e.code, e.message) : fail(e.code ?? "ECONNRESET", e.message)));
      request.end(body ?? undefined);
    });
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}
