// A fake worker for tests of what the master and real workers accept from a
// peer: a tiny HTTP server of the test's that registers with a real master by
// heartbeat (raw HTTP, the cluster's token), records the tasks the master
// launches on it, and answers shuffle fetches with whatever frames the test
// sets. The test decides what it reports and serves; nothing here is trusted.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { requestRaw } from "../../src/common/http-client.js";
import { PROTOCOL_VERSION } from "../../src/common/version.js";

export interface LaunchedTask {
  jobId: string;
  stageId: number;
  partition: number;
  attemptId: string;
  stage: { output: { type: string } };
}

export class FakeWorker {
  readonly launched: LaunchedTask[] = [];
  /** Attempts the heartbeats list as running. */
  readonly running = new Set<string>();
  /** What GET /data/shuffle/... answers (status and body); default 404. */
  shuffleReply: (url: string) => { status: number; body: Buffer } = () => ({ status: 404, body: Buffer.from("{}") });
  shuffleRequests = 0;
  /** What POST /splits answers (status and body), given the request; default: no listing at all. */
  splitsReply: ((request: unknown) => Promise<{ status: number; body: Buffer }>) | null = null;
  /** The per-worker credential the master issued at registration, if any. */
  credential: string | undefined;
  draining = false;
  address = "";
  private server: http.Server | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly masterUrl: string,
    private readonly token: string,
    readonly id: string,
    private readonly slots = 2,
  ) {}

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const url = req.url ?? "/";
        if (req.method === "POST" && url === "/tasks") {
          const batch = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { tasks: LaunchedTask[] };
          for (const t of batch.tasks) {
            this.launched.push(t);
            this.running.add(t.attemptId);
          }
          res.writeHead(202, { "content-type": "application/json" }).end(JSON.stringify({ protocol: PROTOCOL_VERSION, refused: [] }));
        } else if (req.method === "POST" && url === "/splits" && this.splitsReply) {
          void this.splitsReply(JSON.parse(Buffer.concat(chunks).toString("utf8"))).then((r) => res.writeHead(r.status, { "content-type": "application/json" }).end(r.body));
        } else if (url.startsWith("/data/shuffle/") && req.method === "GET") {
          this.shuffleRequests++;
          const r = this.shuffleReply(url);
          res.writeHead(r.status, { "content-type": "application/octet-stream" }).end(r.body);
        } else {
          res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ ok: true, killed: true }));
        }
      });
    });
    await new Promise<void>((res) => this.server!.listen(0, "127.0.0.1", res));
    this.address = `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    const first = await this.beat();
    if (first.status !== 200) throw new Error(`fake worker could not register: ${first.status} ${JSON.stringify(first.body)}`);
    this.timer = setInterval(() => void this.beat().catch(() => {}), 500);
  }

  heartbeatBody(extra: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      protocol: PROTOCOL_VERSION,
      worker_id: this.id,
      address: this.address,
      status: "IDLE",
      active_tasks: 0,
      mem_usage_mb: 10,
      last_heartbeat: Math.floor(Date.now() / 1000),
      slots: this.slots,
      running_attempts: [...this.running],
      draining: this.draining,
      ...(this.credential === undefined ? {} : { credential: this.credential }),
      ...extra,
    };
  }

  async beat(): Promise<{ status: number; body: any }> {
    const res = await this.post("/heartbeat", this.heartbeatBody());
    if (res.status === 200 && typeof res.body?.credential === "string") this.credential = res.body.credential;
    return res;
  }

  /** Reports one attempt (it stops being listed as running). */
  report(attemptId: string, fields: Record<string, unknown>, batchExtra: Record<string, unknown> = {}): Promise<{ status: number; body: any }> {
    this.running.delete(attemptId);
    const report = { protocol: PROTOCOL_VERSION, worker_id: this.id, attemptId, metrics: null, ...fields };
    return this.post("/task-reports", { protocol: PROTOCOL_VERSION, worker_id: this.id, reports: [report], ...this.cred(), ...batchExtra });
  }

  cred(): Record<string, unknown> {
    return this.credential === undefined ? {} : { credential: this.credential };
  }

  async post(path: string, body: unknown): Promise<{ status: number; body: any }> {
    const res = await requestRaw(this.masterUrl + path, { method: "POST", body: typeof body === "string" ? body : JSON.stringify(body), token: this.token, timeoutMs: 10_000 });
    const text = res.body.toString("utf8");
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = text;
    }
    return { status: res.status, body: parsed };
  }

  /** Waits until the master has launched a task matching `f` here. */
  async waitForTask(f: (t: LaunchedTask) => boolean, timeoutMs = 15_000): Promise<LaunchedTask> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const t = this.launched.find((x) => this.running.has(x.attemptId) && f(x));
      if (t) return t;
      if (Date.now() > deadline) throw new Error(`no matching task launched on ${this.id} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await new Promise<void>((res) => (this.server ? this.server.close(() => res()) : res()));
  }
}

/** The cluster's one live real worker, told apart from the test's fakes by their id prefix. */
export async function realWorker(t: { http(path: string): Promise<{ body: any }> }, fakePrefix: string): Promise<{ id: string; address: string }> {
  const ws = (await t.http("/api/v1/workers")).body.workers as { id: string; address: string; status: string }[];
  const w = ws.find((x) => x.status === "ALIVE" && !x.id.startsWith(fakePrefix));
  if (!w) throw new Error("no real worker is alive");
  return w;
}
