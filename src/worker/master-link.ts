// The worker's side of its lease with the master: a heartbeat every 3 ± 1 s
// (jittered so that many workers do not beat in step) carrying the worker's load
// and metrics, and the delivery of task reports, retried until the master has
// them. A master that says this worker was declared dead (410) makes the worker
// drop its state and join again under a new id. A worker shutting down beats
// more often, as draining, until the master releases it, then deregisters.
import os from "node:os";
import { MinisparkError, errorMessage } from "../common/errors.js";
import { requestJson } from "../common/http-client.js";
import type { AppId, BroadcastId, WorkerId } from "../common/ids.js";
import type { Logger } from "../common/log.js";
import type { Deregister, EvictedBlock, Heartbeat, HeartbeatReply, TaskReport, TaskReportBatch } from "../cluster/protocol.js";
import { PROTOCOL_VERSION } from "../common/version.js";

const MB = 1024 * 1024;
/** How often a draining worker asks whether it may leave. */
const DRAIN_BEAT_MS = 250;

export interface WorkerStats {
  id(): WorkerId;
  address: string;
  slots: number;
  active(): number;
  runningAttempts(): Heartbeat["running_attempts"];
  avgTaskMs(): number;
  tasksCompleted(): number;
  tasksFailed(): number;
  shuffleBytesServed(): number;
  memoryBudgetBytes: number;
  /** Bytes the memory pool has granted to running tasks. */
  executionMemoryBytes(): number;
  spillCount(): number;
  spillBytes(): number;
  /** The broadcasts this worker holds: the master lists it as their holder. */
  broadcastsHeld?(): { application: AppId; id: BroadcastId }[];
  /** Blocks evicted since the last heartbeat (taken: the link puts them back if the heartbeat fails). */
  takeEvictions?(): EvictedBlock[];
  putBackEvictions?(blocks: readonly EvictedBlock[]): void;
}

export interface MasterLinkOptions {
  masterUrl: string;
  token: string | null;
  heartbeatMs: number;
  log: Logger;
  onKill(attempts: Heartbeat["running_attempts"]): void;
  /** The master says these applications ended: their cached blocks go. */
  onEndedApps(apps: readonly string[]): void;
  /** The master says these datasets were unpersisted: their blocks go. */
  onUnpersist(datasets: readonly { application: string; datasetId: string }[]): void;
  /** The master says these broadcasts were destroyed: they go. */
  onBroadcastsDestroyed?(broadcasts: readonly { application: string; id: string }[]): void;
  /** The master declared this worker dead: start over under a new id. */
  onForgotten(): void;
}

export class MasterLink {
  private timer: NodeJS.Timeout | null = null;
  private lastCpu = process.cpuUsage();
  private lastCpuAt = performance.now();
  private stopped = false;
  private connected = false;
  private readonly outbox: TaskReport[] = [];
  private sending = false;
  /** Settles once every report queued so far has been delivered (or given up on). */
  private delivered: Promise<void> = Promise.resolve();
  private shuttingDown = false;
  private beating = false;
  private onRelease: (() => void) | null = null;
  /** This worker's own credential from the master that registered it; none until registered. */
  private credential: string | undefined;

  constructor(
    private readonly stats: WorkerStats,
    private readonly opts: MasterLinkOptions,
  ) {}

  start(): void {
    void this.beat();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.stopped) return;
    const jitter = (Math.random() * 2 - 1) * (this.opts.heartbeatMs / 3);
    this.timer = setTimeout(() => void this.beat(), this.shuttingDown ? DRAIN_BEAT_MS : this.opts.heartbeatMs + jitter);
  }

  /** Shutting down: heartbeats say so, and the worker takes no new tasks. */
  get draining(): boolean {
    return this.shuttingDown;
  }

  /**
   * Tells the master this worker takes no more tasks, and resolves once the
   * master releases it: nothing runs here and no running job needs its
   * shuffle output. The caller bounds the wait.
   */
  drain(): Promise<void> {
    this.shuttingDown = true;
    // A master that never registered this worker gave it no task and holds none of its output.
    if (this.credential === undefined) return Promise.resolve();
    const released = new Promise<void>((resolve) => (this.onRelease = resolve));
    // A beat on its way reschedules at the draining pace itself; starting another would run two loops.
    if (!this.beating) {
      if (this.timer) clearTimeout(this.timer);
      void this.beat();
    }
    return released;
  }

  /**
   * Leaves the cluster: the reports still waiting go first (within
   * `reportsWithinMs`), so finished work is not redone; then the master hands
   * on whatever this worker still held.
   */
  async deregister(reportsWithinMs: number): Promise<void> {
    if (this.credential === undefined) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.delivered, new Promise((resolve) => (timer = setTimeout(resolve, reportsWithinMs)))]);
    clearTimeout(timer);
    const body: Deregister = { protocol: PROTOCOL_VERSION, worker_id: this.stats.id(), credential: this.credential };
    try {
      await requestJson(`${this.opts.masterUrl}/deregister`, { body, token: this.opts.token, timeoutMs: 5000 });
    } catch (e) {
      this.opts.log.warn("could not deregister; the master will find this worker gone when its lease runs out", { error: errorMessage(e) });
    }
  }

  /** Sends a heartbeat now (also used to register right after start), then sets up the next. */
  async beat(): Promise<void> {
    if (this.stopped) return;
    this.beating = true;
    const next = await this.exchange();
    this.beating = false;
    if (next === "now") setImmediate(() => void this.beat());
    else if (next === "later") this.schedule();
  }

  /** One heartbeat and what its reply asks for; when the next one is due. */
  private async exchange(): Promise<"now" | "later" | "never"> {
    const evicted = this.stats.takeEvictions?.() ?? [];
    try {
      const reply = await requestJson<HeartbeatReply>(`${this.opts.masterUrl}/heartbeat`, {
        body: { ...this.heartbeat(), ...(evicted.length > 0 && { blocks_evicted: evicted }) },
        token: this.opts.token,
        timeoutMs: this.opts.heartbeatMs,
      });
      // A master that (re)registered us hands out a credential; a restarted master hands out a new one.
      if (typeof reply.credential === "string") this.credential = reply.credential;
      if (!this.connected) this.opts.log.info("registered with master", { master: this.opts.masterUrl, worker_id: this.stats.id() });
      this.connected = true;
      if (reply.kill.length > 0) this.opts.onKill(reply.kill);
      // A peer's list: only strings are application ids.
      const ended = Array.isArray(reply.ended_apps) ? reply.ended_apps.filter((a): a is AppId => typeof a === "string") : [];
      if (ended.length > 0) this.opts.onEndedApps(ended);
      const unpersisted = Array.isArray(reply.unpersist)
        ? reply.unpersist.filter((d) => typeof d === "object" && d !== null && typeof d.application === "string" && typeof d.datasetId === "string")
        : [];
      if (unpersisted.length > 0) this.opts.onUnpersist(unpersisted);
      const destroyed = Array.isArray(reply.broadcasts_destroyed)
        ? reply.broadcasts_destroyed.filter((b) => typeof b === "object" && b !== null && typeof b.application === "string" && typeof b.id === "string")
        : [];
      if (destroyed.length > 0) this.opts.onBroadcastsDestroyed?.(destroyed);
      // Reports still on their way may end attempts the master counts here: release only when none are.
      if (reply.release && this.outbox.length === 0 && !this.sending) this.onRelease?.();
    } catch (e) {
      // The master may not have heard of them: they go with the next heartbeat.
      this.stats.putBackEvictions?.(evicted);
      if (this.stopped) return "never";
      // FORBIDDEN: the master knows this id under another credential (a registration whose reply was lost, or the id taken meanwhile).
      if (e instanceof MinisparkError && (e.code === "GONE" || e.code === "FORBIDDEN")) {
        this.opts.log.warn("master declared this worker dead or does not know it by its credential; rejoining under a new id", { worker_id: this.stats.id(), code: e.code });
        this.credential = undefined;
        this.opts.onForgotten();
        this.connected = false;
        return "now";
      }
      if (e instanceof MinisparkError && (e.code === "PROTOCOL_MISMATCH" || e.code === "UNAUTHORIZED")) {
        this.opts.log.error("master refused the heartbeat", { error: e.message });
      } else if (this.connected) {
        this.opts.log.warn("heartbeat failed", { error: errorMessage(e) });
        this.connected = false;
      }
    }
    return "later";
  }

  private heartbeat(): Heartbeat {
    const now = performance.now();
    const cpu = process.cpuUsage();
    const usedMicros = cpu.user - this.lastCpu.user + (cpu.system - this.lastCpu.system);
    const cpuPercent = (usedMicros / 1000 / Math.max(1, now - this.lastCpuAt) / os.availableParallelism()) * 100;
    this.lastCpu = cpu;
    this.lastCpuAt = now;
    const active = this.stats.active();
    return {
      protocol: PROTOCOL_VERSION,
      worker_id: this.stats.id(),
      credential: this.credential,
      address: this.stats.address,
      status: active > 0 ? "BUSY" : "IDLE",
      draining: this.shuttingDown,
      active_tasks: active,
      mem_usage_mb: Math.round(process.memoryUsage.rss() / MB),
      last_heartbeat: Math.floor(Date.now() / 1000),
      slots: this.stats.slots,
      cpu_percent: Math.round(cpuPercent * 10) / 10,
      avg_task_ms: Math.round(this.stats.avgTaskMs()),
      tasks_completed: this.stats.tasksCompleted(),
      tasks_failed: this.stats.tasksFailed(),
      heap_used_mb: Math.round(process.memoryUsage().heapUsed / MB),
      shuffle_bytes_served: this.stats.shuffleBytesServed(),
      memory_budget_mb: Math.round(this.stats.memoryBudgetBytes / MB),
      execution_memory_mb: Math.round(this.stats.executionMemoryBytes() / MB),
      spill_count: this.stats.spillCount(),
      spill_bytes: this.stats.spillBytes(),
      running_attempts: this.stats.runningAttempts(),
      ...(this.stats.broadcastsHeld && { broadcasts_held: this.stats.broadcastsHeld() }),
    };
  }

  /** Queues a task report for delivery. */
  report(r: TaskReport): void {
    this.outbox.push(r);
    if (!this.sending) this.delivered = this.sendReports();
  }

  private async sendReports(): Promise<void> {
    this.sending = true;
    while (this.outbox.length > 0 && !this.stopped) await this.deliver(this.outbox.splice(0));
    this.sending = false;
  }

  /** Delivers reports, retrying while the master is unreachable (it may be restarting). */
  private async deliver(reports: TaskReport[]): Promise<void> {
    for (let attempt = 0; !this.stopped; attempt++) {
      try {
        const body: TaskReportBatch = { protocol: PROTOCOL_VERSION, worker_id: this.stats.id(), credential: this.credential, reports };
        await requestJson(`${this.opts.masterUrl}/task-reports`, { body, token: this.opts.token, timeoutMs: 30_000 });
        return;
      } catch (e) {
        const tooLarge = e instanceof RangeError || (e instanceof MinisparkError && e.code === "PAYLOAD_TOO_LARGE");
        if (tooLarge && reports.length > 1) {
          for (const r of reports) await this.deliver([r]);
          return;
        }
        const r = reports[0]!;
        if (tooLarge && r.state === "FINISHED") {
          // The result cannot reach the master; a small failure report can, so the task does not hang.
          reports = [
            {
              protocol: r.protocol,
              worker_id: r.worker_id,
              attemptId: r.attemptId,
              metrics: r.metrics,
              state: "FAILED",
              error: `the task's result is too large to send to the master (${errorMessage(e)}); write large results with save instead of collecting them`,
            },
          ];
          continue;
        }
        if (e instanceof MinisparkError && e.status < 500) {
          // The master understood and refused (e.g. this worker is no longer live): nothing to retry.
          this.opts.log.debug("task reports refused", { attempts: reports.map((x) => x.attemptId), error: e.message });
          return;
        }
        const delay = Math.min(10_000, 200 * 2 ** attempt);
        this.opts.log.warn("task reports failed; retrying", { attempts: reports.length, error: errorMessage(e), delay_ms: delay });
        await new Promise((res) => setTimeout(res, delay));
      }
    }
  }
}
