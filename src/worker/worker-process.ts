// A worker process: its HTTP endpoints (task launch and kill, split listing,
// output prepare/commit, shuffle blocks, health, metrics), its task thread pool
// and its lease with the master. Decides nothing about what runs where: it runs
// what the master sends and reports back. Started by `minispark worker`.
import { abortS3Output, finalizeS3Output, prepareS3Output, publishS3Parts } from "../storage/s3/s3-output.js";
import { isS3Url } from "../plan/s3-location.js";
import { parseS3Settings } from "../plan/s3-settings.js";
import { S3Service } from "./s3-bridge.js";
import { S3Clients } from "./s3-clients.js";
import fs from "node:fs";
import os from "node:os";
import { join, resolve } from "node:path";
import type { Server } from "node:http";
import { MinisparkError, errorMessage } from "../common/errors.js";
import { HANDLED, Reply, Router, checkProtocol, closeServer, createHttpServer, listen, type Request } from "../common/http-server.js";
import { asAttemptId, newWorkerId, type WorkerId } from "../common/ids.js";
import { logger } from "../common/log.js";
import type { SplitReply, SplitRequest, TaskLaunchBatch, TaskLaunchReply, TaskReport } from "../cluster/protocol.js";
import { fetchBlocks, removeJobShuffle, serveBlocks } from "./block-service.js";
import { Executor, type ThreadReply } from "./executor.js";
import { ListingRefused, ListingRunner } from "../storage/listing-runner.js";
import { MasterLink } from "./master-link.js";
import { checkTaskLaunch } from "./launch-check.js";
import { checkPathName } from "./path-ids.js";
import { abortOutput, finalizeOutput, prepareOutput, publishParts } from "../storage/output-files.js";
import { parseAbort, parseFinalize, parsePrepare, parsePublish } from "../common/output-messages.js";
import { removeOrphanedWorkDirs, workDirName, workDirRoot } from "./work-dirs.js";
import { removeSpillFiles, spillPrefix } from "./memory/spill-files.js";
import { WorkerMetrics } from "./worker-metrics.js";
import { PROTOCOL_VERSION } from "../common/version.js";
import { BroadcastStore } from "./broadcast-store.js";
import { DEFAULT_MAX_BROADCAST_BYTES } from "../plan/broadcasts.js";
import { APP_ID_PATTERN, BROADCAST_ID_PATTERN, type AppId, type BroadcastId } from "../common/ids.js";

export interface WorkerConfig {
  masterUrl: string;
  host: string;
  port: number;
  /** host:port others use to reach this worker; defaults to host and the bound port. */
  advertise: string | null;
  slots: number;
  memoryBytes: number;
  /** Share of the budget that aggregation, sort and shuffle buffers may hold before spilling. */
  memoryFraction: number;
  dataDir: string;
  /** Where spill files go (in a directory of this worker's own); default under the data directory. */
  spillDir: string | null;
  token: string | null;
  heartbeatMs: number;
  /** false (--no-user-code): run built-in functions only. */
  userCode: boolean;
  /** Serve https with this PEM certificate and key. */
  tls: { cert: Buffer; key: Buffer } | null;
  /** Host names served besides the bind and advertised addresses (--allow-host). */
  allowHosts: string[];
  /** The largest broadcast variable this worker keeps (--max-broadcast-size; default DEFAULT_MAX_BROADCAST_BYTES). */
  maxBroadcastBytes?: number;
}

function checkAppId(v: string | undefined): AppId {
  if (v === undefined || !APP_ID_PATTERN.test(v)) throw new MinisparkError("BAD_REQUEST", `${JSON.stringify(v?.slice(0, 80))} is not an application id`);
  return v as AppId;
}

function checkBroadcastId(v: string | undefined): BroadcastId {
  if (v === undefined || !BROADCAST_ID_PATTERN.test(v)) throw new MinisparkError("BAD_REQUEST", `${JSON.stringify(v?.slice(0, 80))} is not a broadcast id`);
  return v as BroadcastId;
}

const log = logger("worker");

/** How long a leaving worker waits for the master to take its deregistration (part of its drain). */
export const DEREGISTER_TIMEOUT_MS = 5000;

export class WorkerProcess {
  private id: WorkerId = newWorkerId();
  private server: Server | null = null;
  private executor: Executor | null = null;
  private link: MasterLink | null = null;
  private readonly workDir: string;
  private readonly shuffleRoot: string;
  private readonly spillDir: string;
  private readonly dataDir: string;
  private readonly listings: ListingRunner;
  /** The S3 clients of the worker's own settings and its jobs' (their tasks' reads and writes, and output commits). */
  readonly s3 = new S3Clients();
  address = "";
  private completed = 0;
  private failed = 0;
  private shuffleBytesServed = 0;
  private spillCount = 0;
  private spillBytes = 0;
  private readonly metrics: WorkerMetrics;
  private readonly recentTaskMs: number[] = [];
  /** Set once the shutdown grace period ran out: results are no longer reported, the master hands the tasks on. */
  private handingBack = false;
  /** The broadcast variables this worker holds, once for all its threads. */
  readonly broadcasts: BroadcastStore;

  constructor(private readonly config: WorkerConfig) {
    this.dataDir = resolve(config.dataDir);
    this.listings = new ListingRunner(this.dataDir);
    this.workDir = join(workDirRoot(this.dataDir), workDirName(this.id));
    this.shuffleRoot = join(this.workDir, "shuffle");
    this.spillDir = config.spillDir ? join(workDirRoot(resolve(config.spillDir)), workDirName(this.id)) : join(this.workDir, "spill");
    this.broadcasts = new BroadcastStore(config.maxBroadcastBytes ?? DEFAULT_MAX_BROADCAST_BYTES, config.token, () => this.address);
    this.metrics = new WorkerMetrics({
      slots: config.slots,
      active: () => this.executor?.active ?? 0,
      executionMemory: () => this.executor?.memory.usedBytes() ?? 0,
      memoryBudget: config.memoryBytes,
    });
  }

  get workerId(): WorkerId {
    return this.id;
  }

  async start(): Promise<void> {
    const c = this.config;
    removeOrphanedWorkDirs(workDirRoot(this.dataDir), log);
    if (c.spillDir) removeOrphanedWorkDirs(workDirRoot(resolve(c.spillDir)), log);
    fs.mkdirSync(this.shuffleRoot, { recursive: true });
    fs.mkdirSync(this.spillDir, { recursive: true });
    this.server = createHttpServer(this.routes(), { token: c.token, log, tls: c.tls, bind: c.host, advertise: c.advertise, allowHosts: c.allowHosts });
    const addr = await listen(this.server, c.host, c.port);
    const host = c.host === "0.0.0.0" || c.host === "::" ? os.hostname() : c.host;
    this.address = c.advertise ?? `${host.includes(":") ? `[${host}]` : host}:${addr.port}`;
    this.executor = new Executor({
      slots: c.slots,
      dataDir: this.dataDir,
      shuffleRoot: this.shuffleRoot,
      spillDir: this.spillDir,
      blockDir: join(this.workDir, "blocks"),
      memoryBytes: c.memoryBytes,
      memoryFraction: c.memoryFraction,
      userCode: c.userCode,
      fetchRemote: (req) => fetchBlocks(req, c.token, 120_000),
      log: logger("executor"),
      broadcast: (req) => this.broadcasts.need(req.application, req.id, req.holders),
      s3: new S3Service(this.s3),
    });
    this.link = new MasterLink(
      {
        id: () => this.id,
        address: this.address,
        slots: c.slots,
        active: () => this.executor?.active ?? 0,
        runningAttempts: () => this.executor?.runningAttempts() ?? [],
        avgTaskMs: () => (this.recentTaskMs.length ? this.recentTaskMs.reduce((a, b) => a + b, 0) / this.recentTaskMs.length : 0),
        tasksCompleted: () => this.completed,
        tasksFailed: () => this.failed,
        shuffleBytesServed: () => this.shuffleBytesServed,
        memoryBudgetBytes: c.memoryBytes,
        executionMemoryBytes: () => this.executor?.memory.usedBytes() ?? 0,
        spillCount: () => this.spillCount,
        spillBytes: () => this.spillBytes,
        broadcastsHeld: () => this.broadcasts.list(),
        takeEvictions: () => this.executor?.takeEvictions() ?? [],
        putBackEvictions: (blocks) => this.executor?.putBackEvictions(blocks),
      },
      {
        masterUrl: c.masterUrl,
        token: c.token,
        heartbeatMs: c.heartbeatMs,
        log,
        onKill: (attempts) => {
          for (const a of attempts) this.executor?.kill(a, "cancelled by the master");
        },
        onEndedApps: (apps) => {
          this.executor?.dropApplications(apps);
          this.broadcasts.drop([], apps);
        },
        onUnpersist: (datasets) => this.executor?.dropDatasets(datasets),
        onBroadcastsDestroyed: (destroyed) => this.executor?.dropBroadcasts(this.broadcasts.drop(destroyed)),
        onForgotten: () => this.forget(),
      },
    );
    log.info("worker started", { worker_id: this.id, address: this.address, slots: c.slots, data_dir: this.dataDir, memory_mb: Math.round(c.memoryBytes / 2 ** 20), spill_dir: this.spillDir });
    this.link.start();
  }

  /**
   * Leaves the cluster gracefully (SIGTERM): takes no new tasks, lets running
   * and queued ones finish and serves its shuffle output until the master
   * releases it, for at most `graceMs`; then hands back whatever still runs
   * (the master reruns it elsewhere, not as a failure), deregisters and stops.
   */
  async shutdown(graceMs: number): Promise<void> {
    log.info("draining: finishing tasks and serving shuffle output, taking no new tasks", { worker_id: this.id, grace_ms: graceMs });
    let timer: NodeJS.Timeout | undefined;
    const released = await Promise.race([this.link!.drain().then(() => true), new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), graceMs)))]);
    clearTimeout(timer);
    if (!released) {
      const unfinished = this.executor!.runningAttempts();
      log.warn("grace period over: handing back unfinished tasks", { worker_id: this.id, attempts: unfinished.length });
      this.handingBack = true;
      for (const a of unfinished) this.executor!.kill(a, "worker shutting down");
    }
    await this.link!.deregister(DEREGISTER_TIMEOUT_MS);
    log.info("left the cluster", { worker_id: this.id, released });
    await this.stop();
  }

  async stop(): Promise<void> {
    this.link?.stop();
    await this.executor?.close();
    this.s3.close();
    if (this.server) await closeServer(this.server);
    fs.rmSync(this.workDir, { recursive: true, force: true });
    fs.rmSync(this.spillDir, { recursive: true, force: true });
  }

  /** After the master declared us dead: our running tasks and shuffle output no longer count. */
  private forget(): void {
    for (const a of this.executor?.runningAttempts() ?? []) this.executor?.kill(a, "worker was declared dead");
    fs.rmSync(this.shuffleRoot, { recursive: true, force: true });
    fs.mkdirSync(this.shuffleRoot, { recursive: true });
    this.id = newWorkerId();
  }

  private routes(): Router {
    const r = new Router();
    r.add("GET", "/healthz", () => ({ ok: true }), { public: true });
    r.add("POST", "/tasks", (req) => this.launch(req), { maxBodyBytes: 256 * 1024 * 1024 });
    r.add("POST", "/tasks/:attempt/kill", (req) => ({ killed: this.executor!.kill(asAttemptId(checkPathName(req.params.attempt, "the attempt id")), "killed by the master") }));
    r.add("POST", "/splits", (req) => this.splits(req));
    r.add("POST", "/outputs/prepare", (req) => this.output(req, "prepare"));
    r.add("POST", "/outputs/publish", (req) => this.output(req, "publish"));
    r.add("POST", "/outputs/finalize", (req) => this.output(req, "finalize"));
    r.add("POST", "/outputs/abort", (req) => this.output(req, "abort"));
    r.add("GET", "/data/shuffle/:job/:shuffle/:reduce", (req) =>
      serveBlocks(req, this.shuffleRoot, (n) => {
        this.shuffleBytesServed += n;
        this.metrics.served.inc(n);
      }),
    );
    r.add("DELETE", "/data/shuffle/:job", (req) => {
      checkPathName(req.params.job, "the job id");
      removeJobShuffle(this.shuffleRoot, req.params.job!);
      removeSpillFiles(this.spillDir, spillPrefix(req.params.job!));
      return { ok: true };
    });
    r.add("GET", "/metrics", (req) => {
      req.res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
      req.res.end(this.metrics.render());
      return HANDLED;
    });
    this.broadcastRoutes(r);
    return r;
  }

  private async launch(req: Request): Promise<Reply> {
    const batch = (await req.json()) as TaskLaunchBatch;
    checkProtocol(batch);
    // All checked before any runs: a refused batch must not leave some of its tasks running.
    if (!Array.isArray(batch.tasks)) throw new MinisparkError("BAD_REQUEST", "a task launch needs tasks");
    for (const [i, t] of batch.tasks.entries()) checkTaskLaunch(t, i);
    const refused: TaskLaunchReply["refused"] = [];
    const reportAs = this.id;
    // A launch sent twice (a resent request) is taken once.
    const held = new Set(this.executor!.runningAttempts());
    for (const task of batch.tasks) {
      if (held.has(task.attemptId)) continue;
      if (this.link!.draining) {
        refused.push({ attemptId: task.attemptId, code: "DRAINING", error: "the worker is shutting down" });
        continue;
      }
      // Released datasets go first: the task must not read their blocks.
      if (task.application && task.unpersisted?.length) this.executor!.dropDatasets(task.unpersisted.map((datasetId) => ({ application: task.application!, datasetId })));
      const run = this.executor!.run(task, reportAs);
      if (!run) {
        refused.push({ attemptId: task.attemptId, code: "BUSY", error: `all ${this.config.slots} slots are busy and the task queue is full` });
        continue;
      }
      log.debug("task accepted", { jobId: task.jobId, stageId: task.stageId, partition: task.partition, attemptId: task.attemptId });
      void run.then((reply) => this.finished(reply, reportAs));
    }
    return new Reply(202, { protocol: PROTOCOL_VERSION, refused } satisfies TaskLaunchReply);
  }

  private finished(reply: ThreadReply, workerId: WorkerId): void {
    if (this.handingBack) return;
    const metrics = reply.state === "FINISHED" ? reply.outcome.metrics : null;
    if (reply.state === "FINISHED") {
      this.completed++;
      this.recentTaskMs.push(metrics!.durationMs);
      this.spillCount += metrics!.spillCount;
      this.spillBytes += metrics!.spillBytes;
      if (this.recentTaskMs.length > 50) this.recentTaskMs.shift();
    } else {
      this.failed++;
      log.info("task did not finish", { attemptId: reply.attemptId, state: reply.state, error: reply.error.split("\n")[0] });
    }
    this.metrics.taskEnded(reply.state, metrics);
    const base = { protocol: PROTOCOL_VERSION, worker_id: workerId, attemptId: reply.attemptId, metrics };
    let report: TaskReport;
    switch (reply.state) {
      case "FINISHED":
        report = { ...base, state: "FINISHED", result: reply.outcome.result, ...(reply.outcome.accumulators && { accumulators: reply.outcome.accumulators }) };
        if (reply.outcome.stored.length > 0) {
          report.blocksStored = reply.outcome.stored.map(({ datasetId, partition, level, memoryBytes, diskBytes }) => ({ datasetId, partition, level, memoryBytes, diskBytes }));
        }
        break;
      case "FETCH_FAILED":
        report = { ...base, state: "FETCH_FAILED", error: reply.error, fetchFailure: reply.fetchFailure };
        break;
      case "FAILED":
        report = { ...base, state: "FAILED", error: reply.error, ...(reply.blockMissing && { blockMissing: reply.blockMissing }) };
        break;
      default:
        report = { ...base, state: reply.state, error: reply.error };
    }
    this.link!.report(report);
  }

  /** Broadcasts: a client's upload (PUT), a peer's fetch (GET), what this worker holds (GET /broadcasts). Token-checked as every route but /healthz. */
  private broadcastRoutes(r: Router): void {
    const ids = (req: Request) => ({ application: checkAppId(req.params.app), id: checkBroadcastId(req.params.id) });
    r.add(
      "PUT",
      "/broadcasts/:app/:id",
      async (req) => {
        const { application, id } = ids(req);
        const value = await req.json();
        let text: Buffer;
        try {
          text = Buffer.from(JSON.stringify(value));
        } catch (e) {
          // JSON.parse takes any depth; stringify (and user code reading the value) recurse on the stack.
          throw new MinisparkError("BAD_REQUEST", `broadcast ${id}: the value nests too deeply to keep (${errorMessage(e).slice(0, 80)})`);
        }
        this.broadcasts.put(application, id, text, true);
        return { id, application, bytes: text.length };
      },
      { maxBodyBytes: this.config.maxBroadcastBytes ?? DEFAULT_MAX_BROADCAST_BYTES },
    );
    r.add("GET", "/broadcasts/:app/:id", (req) => {
      const { application, id } = ids(req);
      const buffer = this.broadcasts.get(application, id);
      if (!buffer) throw new MinisparkError("NOT_FOUND", `this worker holds no broadcast ${id} of ${application}`);
      req.res.writeHead(200, { "content-type": "application/json", "content-length": buffer.byteLength });
      req.res.end(Buffer.from(buffer));
      return HANDLED;
    });
    r.add("GET", "/broadcasts", () => ({ bytes: this.broadcasts.bytes(), fetches: this.broadcasts.fetches, fetchedBytes: this.broadcasts.fetchedBytes, held: this.broadcasts.list() }));
  }

  private async splits(req: Request): Promise<SplitReply> {
    const body = (await req.json()) as SplitRequest;
    checkProtocol(body);
    try {
      return { protocol: PROTOCOL_VERSION, splits: await this.listings.list(body.sources, body.s3 ?? null) };
    } catch (e) {
      // A refusal is 4xx so the master fails the job rather than retrying it on every other worker.
      throw new MinisparkError(e instanceof ListingRefused && e.busy ? "BUSY" : "BAD_REQUEST", errorMessage(e));
    }
  }

  /** The output commit steps (output-files.ts), each request checked at this edge before any id reaches a path. */
  private async output(req: Request, what: "prepare" | "publish" | "finalize" | "abort"): Promise<unknown> {
    const body: unknown = await req.json();
    checkProtocol(body);
    const path = (body as { path?: unknown }).path;
    if (typeof path === "string" && isS3Url(path)) return this.s3Output(body, what);
    switch (what) {
      case "prepare": {
        const m = parsePrepare(body);
        prepareOutput(this.dataDir, m.path, m.mode, m.jobId);
        return { ok: true };
      }
      case "publish": {
        const m = parsePublish(body);
        return { ok: true, ...publishParts(this.dataDir, m.path, m.jobId, m.parts) };
      }
      case "finalize": {
        const m = parseFinalize(body);
        finalizeOutput(this.dataDir, m.path, m.jobId, m.partitions);
        return { ok: true };
      }
      case "abort": {
        const m = parseAbort(body);
        abortOutput(this.dataDir, m.path, m.jobId, m.committed);
        return { ok: true };
      }
    }
  }

  /** An s3:// output's steps (storage/s3/s3-output.ts), made with the job's S3 settings over the worker's. */
  private async s3Output(body: unknown, what: "prepare" | "publish" | "finalize" | "abort"): Promise<unknown> {
    const client = (s3: unknown) => {
      const problems: string[] = [];
      const settings = parseS3Settings(s3, problems);
      if (problems.length > 0) throw new MinisparkError("BAD_REQUEST", problems.join("; "));
      return this.s3.get(settings);
    };
    switch (what) {
      case "prepare": {
        const m = parsePrepare(body);
        await prepareS3Output(client(m.s3), m.path, m.mode, m.jobId);
        return { ok: true };
      }
      case "publish": {
        const m = parsePublish(body);
        const parts = m.parts.map((p) => {
          if (p.upload === undefined || p.file === undefined) throw new MinisparkError("BAD_REQUEST", `partition ${p.partition} of an S3 output needs its upload`);
          return { partition: p.partition, file: p.file, upload: p.upload };
        });
        return { ok: true, ...(await publishS3Parts(client(m.s3), m.path, m.jobId, parts)) };
      }
      case "finalize": {
        const m = parseFinalize(body);
        await finalizeS3Output(client(m.s3), m.path, m.jobId, m.partitions);
        return { ok: true };
      }
      case "abort": {
        const m = parseAbort(body);
        await abortS3Output(client(m.s3), m.path, m.jobId, m.committed);
        return { ok: true };
      }
    }
  }
}
