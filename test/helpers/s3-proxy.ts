// An HTTP proxy in front of a test S3 server that misbehaves on cue (503
// SlowDown, 500, a reset, a hang, a truncated body) before letting requests
// through: how the S3 client's retries and the cluster's reads over S3 are
// tested against faults a real server gives only by chance.
import http from "node:http";
import type { AddressInfo } from "node:net";

/** What the proxy does with one request. */
export type Behaviour = "slowdown" | "internal-error" | "reset" | "bad-request" | "hang" | "truncate" | "pass";

/**
 * An HTTP proxy to `target` that treats the nth request as `script[n]` ("pass"
 * once the script runs out), or as `script(n, request)`, and notes when each came.
 */
export async function scriptedProxy(target: string, script: Behaviour[] | ((n: number, req: http.IncomingMessage) => Behaviour)) {
  const arrivals: number[] = [];
  const requests: http.IncomingHttpHeaders[] = [];
  const upstream = new URL(target);
  const server = http.createServer((req, res) => {
    const behaviour = typeof script === "function" ? script(arrivals.length, req) : (script[arrivals.length] ?? "pass");
    arrivals.push(performance.now());
    requests.push(req.headers);
    const answer = (status: number, code: string) => {
      req.resume();
      res.writeHead(status, { "content-type": "application/xml" }).end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>scripted ${code}</Message></Error>`);
    };
    if (behaviour === "slowdown") return answer(503, "SlowDown");
    if (behaviour === "internal-error") return answer(500, "InternalError");
    if (behaviour === "bad-request") return answer(400, "InvalidArgument");
    if (behaviour === "reset") return req.socket.destroy();
    if (behaviour === "hang") return req.resume();
    if (behaviour === "truncate") {
      req.resume();
      // Half of the ten bytes asked for, then the connection ends.
      res.writeHead(206, { "content-length": "10", "content-range": "bytes 0-9/1048576" });
      res.write(Buffer.alloc(5));
      return setTimeout(() => req.socket.destroy(), 20);
    }
    // The Host header stays the proxy's: it is what the client signed.
    const forward = http.request({ hostname: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    forward.on("error", () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    arrivals,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
