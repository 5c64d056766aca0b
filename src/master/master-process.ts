// The master process: the client API (/api/v1/...), the worker-facing endpoints
// (/heartbeat, /task-reports), the heartbeat lease, and the wiring of registry,
// scheduler, map output tracker, job service and SQLite store. Started by
// `minispark master`. It never opens input or output data and never relays
// shuffle data: workers do both.
import type { Server } from "node:http";
import { MinisparkError, errorMessage } from "../common/errors.js";
import { HANDLED, Reply, Router, checkProtocol, closeServer, createHttpServer, listen, type Request } from "../common/http-server.js";
import { asAppId, asJobId, newIncarnation, type AttemptId, type WorkerId } from "../common/ids.js";
import { logger } from "../common/log.js";
import { PROTOCOL_VERSION, packageVersion } from "../common/version.js";
import type { Health, JobList, SubmitReply, VersionInfo, WorkerList, WorkerSummary } from "../common/api-types.js";
import type { Deregister, HeartbeatReply, TaskReport, TaskReportBatch, TaskReportReply } from "../cluster/protocol.js";
import { JobService } from "./job-service.js";
import type { JobStore } from "./job-store.js";
import { SqliteJobStore } from "./sqlite-job-store.js";
import { MapOutputTracker } from "./map-output-tracker.js";
import { MasterMetrics } from "./master-metrics.js";
import { Scheduler } from "./scheduler.js";
import { RetainedShuffles } from "./retained-shuffles.js";
import { SchedulerLoop } from "./scheduler-loop.js";
import { isFailure } from "./attempt-state.js";
import { TaskLauncher } from "./task-launcher.js";
import { checkHeartbeat, checkTaskReport, credentialOf, evictedBlocks, workerIdOf } from "./worker-messages.js";
import { WorkerCredentials } from "./worker-credentials.js";
import { countsTowardBudget, encodedBytes, reportBodyLimit, resultBudget, tooLargeMessage } from "../plan/result-budget.js";
import { registerUi } from "./ui/ui-routes.js";
import { WorkerClient } from "./worker-client.js";
import { WorkerRegistry, type WorkerInfo } from "./worker-registry.js";
import { LoopLateness } from "./loop-lateness.js";
import { DEFAULT_PLAN_LIMITS, type PlanLimits } from "../plan/plan-limits.js";
import { MAX_SPEC_VALUES } from "../planner/validate.js";
import { AppRegistry } from "./app-registry.js";
import type { AppList } from "../common/api-types.js";
import type { StorageList } from "../common/api-types.js";
import { BlockTracker } from "./block-tracker.js";
import { BlockReleases } from "./block-releases.js";
import { unpersist } from "./unpersist.js";
import { BroadcastRegistry } from "./broadcast-registry.js";
import { registerBroadcastRoutes } from "./broadcast-routes.js";
import { DEFAULT_MAX_BROADCAST_BYTES } from "../plan/broadcasts.js";
import { heldBroadcasts, withBroadcastHolders } from "./broadcast-holders.js";
import type { TaskLaunch } from "../plan/task.js";
import type { DatasetId } from "../plan/storage-level.js";

/** A launch with the datasets its worker has yet to drop, so the task cannot read a block the master released. */
function withReleases(task: TaskLaunch, unpersisted: DatasetId[]): TaskLaunch {
  return unpersisted.length === 0 ? task : { ...task, unpersisted };
}

export interface MasterConfig {
  host: string;
  port: number;
  dbPath: string;
  token: string | null;
  /** A worker unheard for this long is DEAD. */
  workerTimeoutMs: number;
  /** false (--no-user-code): accept jobs whose functions are all built-ins. */
  userCode: boolean;
  /** Default limit on one task attempt's run time (0: none); a job may set its own. */
  taskTimeoutMs: number;
  /** The most a job's collected results may add up to (like Spark's maxResultSize). */
  maxResultBytes: number;
  /** Serve https with this PEM certificate and key. */
  tls: { cert: Buffer; key: Buffer } | null;
  /** Limits on a planned job (default DEFAULT_PLAN_LIMITS, plan-limits.ts). */
  planLimits?: Partial<PlanLimits>;
  /** Host names served besides the bind address and loopback names (--allow-host). */
  allowHosts: string[];
  /** How long a task whose partition is cached waits for its holder (--locality-wait; default DEFAULT_LOCALITY_WAIT_MS). */
  localityWaitMs?: number;
  /** The largest broadcast variable, in bytes of JSON (--max-broadcast-size; default DEFAULT_MAX_BROADCAST_BYTES). */
  maxBroadcastBytes?: number;
}

const log = logger("master");
const TICK_MS = 1000;

export class MasterProcess {
  private server: Server | null = null;
  private readonly store: JobStore;
  private readonly registry: WorkerRegistry;
  private readonly credentials = new WorkerCredentials();
  private readonly tracker: MapOutputTracker;
  private readonly scheduler: SchedulerLoop;
  private readonly jobs: JobService;
  private readonly workers: WorkerClient;
  private timer: NodeJS.Timeout | null = null;
  private readonly lateness: LoopLateness;
  /** Bytes of collected results reported so far, by job. */
  private readonly resultBytes = new Map<string, number>();
  private readonly metrics: MasterMetrics;
  private readonly now = () => Date.now();
  url = "";
  /** The applications jobs belong to (app-registry.ts). */
  readonly apps: AppRegistry;
  /** Where the applications' cached blocks are (fed by the scheduler), and what each worker is to drop. */
  private readonly blocks = new BlockTracker();
  private readonly releases = new BlockReleases();
  /** The applications' broadcast variables: who holds each, never its bytes. */
  private readonly broadcasts: BroadcastRegistry;

  constructor(private readonly config: MasterConfig) {
    this.store = new SqliteJobStore(config.dbPath);
    this.registry = new WorkerRegistry(config.workerTimeoutMs);
    this.lateness = new LoopLateness(TICK_MS, config.workerTimeoutMs / 10, this.now());
    this.tracker = new MapOutputTracker();
    this.workers = new WorkerClient(config.token);
    this.jobs = new JobService(
      this.store,
      this.registry,
      this.workers,
      logger("jobs"),
      this.now,
      { userCode: config.userCode },
      { taskTimeoutMs: config.taskTimeoutMs, maxResultBytes: resultBudget(config.maxResultBytes), plan: { ...DEFAULT_PLAN_LIMITS, ...config.planLimits } },
    );
    const schedLog = logger("scheduler");
    const launcher = new TaskLauncher(this.workers, (task, w, error, refused) => {
      schedLog.warn("task launch failed", { worker_id: w.id, attemptId: task.attemptId, error });
      this.scheduler.post({ type: "launchFailed", attemptId: task.attemptId, error, refused });
    });
    this.scheduler = new SchedulerLoop(
      new Scheduler(this.registry, this.tracker, newIncarnation(), { localityWaitMs: config.localityWaitMs, blocks: this.blocks, retained: new RetainedShuffles() }),
      {
        launch: (w, task) => launcher.launch(w, withReleases(withBroadcastHolders(task, this.broadcasts, this.registry), task.application ? this.releases.pending(w.id, task.application) : [])),
        kill: (w, attemptId) => {
          if (launcher.withdraw(attemptId)) return;
          this.workers.kill(w.address, attemptId).catch((e) => schedLog.debug("kill failed", { attemptId, error: errorMessage(e) }));
        },
      },
      {
        jobEnded: (run) => {
          this.metrics.jobsEnded.inc(1, { status: run.status.toLowerCase() });
          this.metrics.jobDuration.observe((this.now() - run.startedAt) / 1000);
          this.resultBytes.delete(run.id);
          this.jobs.jobEnded(run);
        },
        mapOutputAdded: (job, shuffle, mapId, status) => this.store.putMapOutput(job.id, shuffle, mapId, status),
        mapOutputLost: (job, shuffle, mapId) => this.store.dropMapOutput(job, shuffle, mapId),
        resolutionChanged: (job) => this.store.saveResolution(job.id, job.resolution),
        shuffleFilesReleased: (jobs) => this.jobs.dropShuffleFiles(jobs),
        // Running attempts are served from the scheduler; the store keeps those that ended.
        attemptStarted: () => this.metrics.attemptsLaunched.inc(),
        attemptEnded: (job, stage, task, a) => {
          this.metrics.attemptsEnded.inc(1, { state: a.state.toLowerCase() });
          if (a.finishedAt !== null) this.metrics.attemptDuration.observe((a.finishedAt - a.startedAt) / 1000);
          this.store.saveAttempt(job.id, stage.stage.id, task.partition, a);
          if (isFailure(a.state)) {
            this.store.event(this.now(), job.id, "task attempt failed", { stage: stage.stage.id, partition: task.partition, attempt: a.id, state: a.state, error: a.error });
            schedLog.warn("task attempt failed", { jobId: job.id, stageId: stage.stage.id, partition: task.partition, attemptId: a.id, state: a.state, error: a.error?.split("\n")[0] });
          }
        },
      },
      this.now,
    );
    this.jobs.attach(this.scheduler);
    this.metrics = new MasterMetrics(this.registry, () => this.scheduler.pendingTasks());
    this.apps = new AppRegistry(this.store, this.now, logger("apps"));
    this.jobs.useApplications(this.apps);
    this.apps.onEnded((app) => this.jobs.applicationEnded(app.id, app.endReason!));
    // Its blocks are gone from the master's view at once; each worker drops them on hearing ended_apps.
    this.apps.onEnded((app) => this.blocks.removeApp(app.id));
    // After its jobs were cancelled (above), so that none keeps shuffle output for it again.
    this.apps.onEnded((app) => this.scheduler.post({ type: "applicationEnded", app: app.id }));
    this.broadcasts = new BroadcastRegistry(config.maxBroadcastBytes ?? DEFAULT_MAX_BROADCAST_BYTES);
    this.apps.onEnded((app) => this.broadcasts.removeApp(app.id, app.endReason!));
    this.jobs.useBroadcasts(this.broadcasts);
    this.metrics.applications(() => this.apps.counts());
  }

  async start(): Promise<void> {
    // Before the jobs: a recovered job of an application that ended is not resumed.
    this.apps.load();
    this.jobs.recover(this.config.workerTimeoutMs);
    this.server = createHttpServer(this.routes(), { token: this.config.token, log, tls: this.config.tls, bind: this.config.host, advertise: null, allowHosts: this.config.allowHosts });
    const addr = await listen(this.server, this.config.host, this.config.port);
    const host = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
    this.url = `${this.config.tls ? "https" : "http"}://${host}:${addr.port}`;
    this.timer = setInterval(() => this.tick(), TICK_MS);
    log.info("master listening", { url: this.url, db: this.config.dbPath, port: addr.port, pid: process.pid });
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.server) await closeServer(this.server);
    this.store.close();
  }

  /** The lease check, and a retry of anything that could not be placed before. */
  private tick(): void {
    const registryLog = logger("registry");
    const deafMs = this.lateness.observe(this.now());
    if (deafMs > 0) {
      registryLog.warn("the master's loop was blocked: not counting that time against worker leases", { blocked_ms: deafMs });
      this.registry.creditDeafTime(deafMs);
    }
    for (const w of this.registry.expire(this.now())) {
      registryLog.warn("worker lost: no heartbeat within the lease", { worker_id: w.id, address: w.address, lease_ms: this.config.workerTimeoutMs });
      this.store.saveWorker(w);
      this.store.event(this.now(), null, "worker lost", { worker: w.id, address: w.address });
      this.scheduler.post({ type: "workerLost", workerId: w.id, left: false });
    }
    this.apps.expire();
    this.scheduler.post({ type: "tick" });
    void this.jobs.startPending();
  }

  private routes(): Router {
    const r = new Router();
    r.add("GET", "/healthz", (): Health => ({ ok: true }), { public: true });
    r.add(
      "POST",
      "/api/v1/jobs",
      async (req) => {
        const id = this.jobs.submit(await req.json());
        this.metrics.jobsSubmitted.inc();
        const reply: SubmitReply = { id };
        return new Reply(201, reply);
      },
      { maxBodyBytes: 64 * 1024 * 1024, maxJsonValues: MAX_SPEC_VALUES },
    );
    r.add("GET", "/api/v1/jobs", (req): JobList => ({ jobs: this.jobs.list(limitParam(req.query.get("limit"))) }));
    r.add("GET", "/api/v1/jobs/:id", (req) => this.jobs.view(asJobId(req.params.id!)));
    r.add("GET", "/api/v1/jobs/:id/wait", (req) => this.jobs.viewWhenEnded(asJobId(req.params.id!), waitParam(req.query.get("timeoutMs"))));
    r.add("GET", "/api/v1/jobs/:id/results", (req) => this.jobs.results(asJobId(req.params.id!)));
    r.add("GET", "/api/v1/jobs/:id/plan", (req) => this.jobs.planText(asJobId(req.params.id!)));
    r.add("GET", "/api/v1/jobs/:id/stages/:stage/tasks", (req) => {
      const stage = Number(req.params.stage);
      if (!Number.isInteger(stage) || stage < 0) throw new MinisparkError("BAD_REQUEST", "the stage must be a number");
      return this.jobs.stageTasks(asJobId(req.params.id!), stage);
    });
    r.add("POST", "/api/v1/jobs/:id/cancel", (req) => this.jobs.cancel(asJobId(req.params.id!)));
    r.add("GET", "/api/v1/version", (): VersionInfo => ({ version: packageVersion(), protocol: PROTOCOL_VERSION }));
    r.add("GET", "/api/v1/workers", (): WorkerList => ({ workers: this.registry.all().map(workerView) }));
    r.add("POST", "/heartbeat", (req) => this.heartbeat(req));
    r.add("POST", "/deregister", (req) => this.deregister(req));
    r.add("POST", "/task-reports", (req) => this.taskReports(req), { maxBodyBytes: reportBodyLimit(resultBudget(this.config.maxResultBytes)) });
    r.add("GET", "/metrics", (req) => {
      req.res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
      req.res.end(this.metrics.render());
      return HANDLED;
    });
    this.appRoutes(r);
    r.add("DELETE", "/api/v1/apps/:app/datasets/:datasetId", (req) => unpersist(this.blocks, this.releases, req.params.app!, req.params.datasetId!));
    r.add("GET", "/api/v1/storage", (): StorageList => ({ datasets: this.blocks.cachedDatasets() }));
    registerBroadcastRoutes(r, this.apps, this.broadcasts, this.registry, this.now);
    registerUi(r);
    return r;
  }

  private async heartbeat(req: Request): Promise<HeartbeatReply> {
    const body = await req.json();
    checkProtocol(body);
    const hb = checkHeartbeat(body);
    // Only a worker id this master does not know yet may beat without its credential: that registers it.
    if (this.registry.get(hb.worker_id)) this.credentials.check(hb.worker_id, credentialOf(body));
    const outcome = this.registry.heartbeat(hb, this.now());
    if (outcome === "dead") throw new MinisparkError("GONE", `worker ${hb.worker_id} was declared dead; register again under a new id`);
    const w = this.registry.get(hb.worker_id)!;
    const credential = outcome === "registered" ? this.credentials.issue(w.id) : undefined;
    if (outcome === "registered") {
      logger("registry").info("worker registered", { worker_id: w.id, address: w.address, slots: w.slots });
      this.store.saveWorker(w);
      this.store.event(this.now(), null, "worker registered", { worker: w.id, address: w.address, slots: w.slots });
      this.scheduler.post({ type: "workerJoined", workerId: w.id });
      void this.jobs.startPending();
    }
    const running = hb.running_attempts;
    this.scheduler.post({ type: "workerSeen", workerId: w.id, running, evicted: evictedBlocks(body) });
    const kill = running.filter((a: AttemptId) => !this.scheduler.isRunning(a, w.id));
    const release = hb.draining === true && this.scheduler.attemptsOn(w.id) === 0 && !this.tracker.holdsOutputs(w.id);
    heldBroadcasts(body, w.id, this.broadcasts);
    const unpersisted = this.releases.take(w.id);
    const destroyed = this.broadcasts.takeReleases(w.id);
    return {
      protocol: PROTOCOL_VERSION,
      kill,
      release,
      ...(credential === undefined ? {} : { credential }),
      ended_apps: this.apps.endedApps(),
      ...(unpersisted.length > 0 ? { unpersist: unpersisted } : {}),
      ...(destroyed.length > 0 ? { broadcasts_destroyed: destroyed } : {}),
    };
  }

  /** /api/v1/apps: applications, registered, listed, renewed and ended by their clients. */
  private appRoutes(r: Router): void {
    r.add("POST", "/api/v1/apps", async (req) => new Reply(201, this.apps.register(await req.json())));
    r.add("GET", "/api/v1/apps", (req): AppList => ({ apps: this.apps.list(limitParam(req.query.get("limit"))) }));
    r.add("GET", "/api/v1/apps/:id", (req) => this.apps.get(asAppId(req.params.id!)));
    r.add("POST", "/api/v1/apps/:id/renew", (req) => this.apps.renew(asAppId(req.params.id!)));
    r.add("DELETE", "/api/v1/apps/:id", (req) => this.apps.endByClient(asAppId(req.params.id!)));
  }

  /** A worker leaves on purpose; whatever it still held is handed on as for a lost worker. */
  private async deregister(req: Request): Promise<{ ok: true }> {
    const body = (await req.json()) as Deregister;
    checkProtocol(body);
    this.credentials.check(workerIdOf(body), credentialOf(body));
    const w = this.registry.leave(body.worker_id);
    if (!w) throw new MinisparkError("GONE", `worker ${body.worker_id} is not a live worker of this master`);
    logger("registry").info("worker left", { worker_id: w.id, address: w.address, attempts_handed_back: this.scheduler.attemptsOn(w.id) });
    this.store.saveWorker(w);
    this.store.event(this.now(), null, "worker left", { worker: w.id, address: w.address });
    this.scheduler.post({ type: "workerLost", workerId: w.id, left: true });
    return { ok: true };
  }

  private async taskReports(req: Request): Promise<TaskReportReply> {
    const batch = (await req.json()) as TaskReportBatch;
    checkProtocol(batch);
    if (!Array.isArray(batch.reports)) throw new MinisparkError("BAD_REQUEST", "a task report batch needs reports");
    this.credentials.check(workerIdOf(batch), credentialOf(batch));
    if (!this.registry.isAlive(batch.worker_id)) {
      throw new MinisparkError("GONE", `worker ${batch.worker_id} is not a live worker of this master`);
    }
    return { protocol: PROTOCOL_VERSION, accepted: batch.reports.map((r: unknown, i: number) => this.taskReport(r, i, batch.worker_id)) };
  }

  /**
   * One report of a batch, checked on its own: a malformed one must not cost
   * the others. If it names an attempt, that attempt fails with the reason,
   * rather than waiting to be declared lost.
   */
  private taskReport(body: unknown, i: number, workerId: WorkerId): boolean {
    let report: TaskReport;
    try {
      report = checkTaskReport(body, i);
    } catch (e) {
      const attemptId = (body as { attemptId?: unknown } | null)?.attemptId;
      logger("scheduler").warn("invalid task report", { worker_id: workerId, attemptId, error: errorMessage(e) });
      if (typeof attemptId !== "string") return false;
      report = { protocol: PROTOCOL_VERSION, worker_id: workerId, attemptId: attemptId as AttemptId, metrics: null, state: "FAILED", error: errorMessage(e) };
    }
    if (report.worker_id !== workerId || !this.scheduler.isRunning(report.attemptId, workerId)) return false;
    if (report.state === "FINISHED" && countsTowardBudget(report.result) && !this.withinResultLimit(report)) return false;
    this.scheduler.post({ type: "taskReported", report });
    return true;
  }

  /** Adds a result's size to its job's total; past the limit the job fails with advice, as Spark's maxResultSize. */
  private withinResultLimit(report: TaskReport & { state: "FINISHED" }): boolean {
    const job = this.scheduler.jobOf(report.attemptId);
    if (!job) return true;
    const budget = resultBudget(this.config.maxResultBytes);
    const total = (this.resultBytes.get(job.id) ?? 0) + encodedBytes(report.result);
    this.resultBytes.set(job.id, total);
    if (total <= budget) return true;
    this.scheduler.post({ type: "jobAborted", jobId: job.id, error: tooLargeMessage(job.plan.action.op, budget) });
    return false;
  }
}

function limitParam(s: string | null): number {
  if (s === null) return 100;
  const n = Number(s);
  if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new MinisparkError("BAD_REQUEST", `limit must be an integer from 1 to 10000, got "${s}"`);
  return n;
}

/** How long GET /api/v1/jobs/{id}/wait holds the request, at most (a client asks again after). */
export const MAX_WAIT_MS = 30_000;

function waitParam(s: string | null): number {
  if (s === null) return MAX_WAIT_MS;
  const n = /^\d{1,5}$/.test(s) ? Number(s) : Number.NaN;
  if (!(n <= MAX_WAIT_MS)) throw new MinisparkError("BAD_REQUEST", `timeoutMs must be an integer from 0 to ${MAX_WAIT_MS}, got "${s.slice(0, 40)}"`);
  return n;
}

function workerView(w: WorkerInfo): WorkerSummary {
  const hb = w.heartbeat;
  return {
    id: w.id,
    address: w.address,
    status: w.state,
    slots: w.slots,
    active_tasks: hb.active_tasks,
    mem_usage_mb: hb.mem_usage_mb,
    cpu_percent: hb.cpu_percent,
    avg_task_ms: hb.avg_task_ms,
    tasks_completed: hb.tasks_completed,
    tasks_failed: hb.tasks_failed,
    heap_used_mb: hb.heap_used_mb,
    shuffle_bytes_served: hb.shuffle_bytes_served,
    memory_budget_mb: hb.memory_budget_mb,
    execution_memory_mb: hb.execution_memory_mb,
    spill_count: hb.spill_count,
    spill_bytes: hb.spill_bytes,
    history: w.history,
    registeredAt: new Date(w.registeredAt).toISOString(),
    lastHeartbeatAt: new Date(w.lastHeartbeatAt).toISOString(),
  };
}
