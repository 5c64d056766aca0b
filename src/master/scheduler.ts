// The scheduler: one decision loop over the closed set of events in
// scheduler-events.ts. `handle(event, now)` applies one event — a job
// submitted, a task reported, a launch failed, a worker joined, seen or lost,
// a job cancelled, aborted or forgotten, the clock ticked — and then always
// makes the same scheduling pass, which hands pending tasks of running stages
// round-robin to live workers with free slots; so a slot an event frees is
// filled by that event. It starts stages whose parents are done, retries
// failed tasks and re-runs lost map output by lineage. Its state is the job
// runs (statuses moved only through stage-lifecycle.ts and job-run.ts), where
// each attempt runs, and the map output tracker; it reads the worker registry.
// It does no I/O and reads no clock: what is to be done (launch, kill, job
// ended, map output added or lost, …) comes back as commands, which
// scheduler-loop.ts carries out, so it is tested by feeding events and
// reading commands.
import { attemptIdOf, type AppId, type AttemptId, type JobId, type ShuffleId, type WorkerId } from "../common/ids.js";
import type { AccumulatorDeltas, BlockMissing, EvictedBlock, TaskReport } from "../cluster/protocol.js";
import { QUEUED_TASKS_PER_SLOT } from "../cluster/protocol.js";
import { endJobRun, newJobRun, type Attempt, type JobRun, type StageRun, type TaskRun } from "./job-run.js";
import type { MapOutputTracker } from "./map-output-tracker.js";
import { probeDone, resolveLaunch, resolveProbe, resolvedOutput } from "../plan/resolution.js";
import { reportMismatch } from "./report-check.js";
import { countsAccumulators } from "../plan/accumulators.js";
import { endAttempt, holdsSlot, retryAvoidsWorker, type AttemptEnd } from "./attempt-state.js";
import type { AttemptRef, SchedulerCommand, SchedulerEvent } from "./scheduler-events.js";
import { allSucceeded, endStageWithJob, moveStage, moveTask } from "./stage-lifecycle.js";
import { mapCount, refreshStages } from "./stage-readiness.js";
import type { WorkerInfo, WorkerRegistry } from "./worker-registry.js";
import { PROTOCOL_VERSION } from "../common/version.js";
import { BlockTracker, datasetAbout } from "./block-tracker.js";
import { cachedReads } from "../plan/cached-reads.js";
import { RetainedShuffles } from "./retained-shuffles.js";

/** A task whose attempts keep dying with their workers is itself suspect past this many. */
export const MAX_LOST_ATTEMPTS = 4;
/** Heartbeats may not list an attempt launched this recently: the launch may still be on its way. */
export const LAUNCH_GRACE_MS = 5000;
/** Fetch failures one stage may cause before the job is failed instead of retried again. */
export const MAX_STAGE_FETCH_FAILURES = 8;
/**
 * How much work (by its tasks' mean run time) a stage queues on a worker per
 * slot beyond the task running there. Enough to hide the master's round trip
 * behind short tasks; small, so that queued tasks cannot make a stage's tail
 * uneven. (A queued task's timeout starts when it gets its slot.)
 */
export const QUEUE_AHEAD_MS = 25;
/** How long a task whose partition is cached waits for a slot on a worker holding it before it runs elsewhere (Spark's spark.locality.wait). */
export const DEFAULT_LOCALITY_WAIT_MS = 3000;

export interface SchedulerOptions {
  /** Where the applications' cached blocks are (the master's, shared with its REST API). */
  blocks?: BlockTracker;
  /** Shuffle output kept for the applications' later jobs. */
  retained?: RetainedShuffles;
  localityWaitMs?: number;
}

/** What the rest of the master may ask the scheduler between events. */
export interface SchedulerQueries {
  job(id: JobId): JobRun | undefined;
  /** The job of a running attempt, if any. */
  jobOf(attemptId: AttemptId): JobRun | undefined;
  /** Whether the attempt runs (or is queued) on that worker: a report from anywhere else is stale. */
  isRunning(attemptId: AttemptId, worker: WorkerId): boolean;
  /** Attempts running or queued on a worker. */
  attemptsOn(worker: WorkerId): number;
  /** Tasks of running stages waiting for a slot. */
  pendingTasks(): number;
}

export class Scheduler implements SchedulerQueries {
  private readonly jobs = new Map<JobId, JobRun>();
  private readonly attempts = new Map<AttemptId, AttemptRef>();
  /** Attempts running or queued on each worker: its busy slots, and what its heartbeats are reconciled with. */
  private readonly runningOn = new Map<WorkerId, Set<AttemptRef>>();
  /**
   * Workers a launch could not reach, or found busy, since the last tick: more
   * launches now would fail the same way, in a loop as fast as the failures
   * come back, so they get none until the next tick.
   */
  private readonly held = new Set<WorkerId>();
  private nextWorker = 0;
  readonly blocks: BlockTracker;
  private readonly retained: RetainedShuffles;
  private readonly localityWaitMs: number;
  /**
   * Since when each running stage has waited for its cached partitions' holders:
   * the stage's start, then its last launch on a holder (Spark's delay
   * scheduling resets its wait the same way).
   */
  private readonly localSince = new WeakMap<StageRun, number>();
  /** The event's time, and the commands decided so far, while one is handled. */
  private now = 0;
  private out: SchedulerCommand[] = [];

  constructor(
    private readonly registry: WorkerRegistry,
    private readonly tracker: MapOutputTracker,
    private readonly incarnation = "",
    options: SchedulerOptions = {},
  ) {
    this.blocks = options.blocks ?? new BlockTracker();
    this.retained = options.retained ?? new RetainedShuffles();
    this.localityWaitMs = options.localityWaitMs ?? DEFAULT_LOCALITY_WAIT_MS;
  }

  /**
   * The one entry: applies an event, then makes the scheduling pass; returns
   * what is to be done, in order. An event that throws (a bug) returns nothing,
   * and what it had decided is not handed to the next.
   */
  handle(event: SchedulerEvent, now: number): SchedulerCommand[] {
    this.now = now;
    try {
      this.apply(event);
      this.schedule();
      return this.out;
    } finally {
      this.out = [];
    }
  }

  private apply(event: SchedulerEvent): void {
    switch (event.type) {
      case "jobSubmitted":
        this.submit(event);
        break;
      case "taskReported":
        this.onReport(event.report);
        break;
      case "launchFailed":
        this.onLaunchFailed(event.attemptId, event.error, event.refused);
        break;
      case "workerJoined":
        break;
      case "workerSeen":
        this.onHeartbeat(event.workerId, event.running);
        if (event.evicted?.length) this.onEvicted(event.workerId, event.evicted);
        break;
      case "workerLost":
        this.onWorkerLost(event.workerId, event.left);
        break;
      case "jobCancelled":
        this.endIfRunning(event.jobId, "CANCELLED", event.error ?? null);
        break;
      case "jobAborted":
        this.endIfRunning(event.jobId, "FAILED", event.error);
        break;
      case "jobForgotten":
        this.forget(event.jobId);
        break;
      case "applicationEnded":
        this.release(this.retained.dropApplication(event.app));
        break;
      case "tick":
        this.held.clear();
        this.checkTimeouts();
        break;
      default:
        throw new Error(`unknown scheduler event ${(event satisfies never as { type: string }).type}`);
    }
  }

  job(id: JobId): JobRun | undefined {
    return this.jobs.get(id);
  }

  pendingTasks(): number {
    let n = 0;
    for (const job of this.jobs.values()) for (const s of job.stages) if (s.status === "RUNNING") n += s.pending.size;
    return n;
  }

  attemptsOn(worker: WorkerId): number {
    return this.runningOn.get(worker)?.size ?? 0;
  }

  jobOf(attemptId: AttemptId): JobRun | undefined {
    return this.attempts.get(attemptId)?.job;
  }

  isRunning(attemptId: AttemptId, worker: WorkerId): boolean {
    const a = this.attempts.get(attemptId)?.attempt;
    return a !== undefined && holdsSlot(a.state) && a.workerId === worker;
  }

  private emit(command: SchedulerCommand): void {
    this.out.push(command);
  }

  /**
   * Starts a job. A job resumed after a master restart passes the map outputs
   * its earlier run registered: those still held by live workers count as done,
   * as do probe stages whose results its stored resolution already has.
   */
  private submit({ jobId, name, plan, resolution, limits, recovered, s3 }: SchedulerEvent & { type: "jobSubmitted" }): void {
    const job = newJobRun(jobId, name, plan, limits, this.now, resolution, s3 ?? null);
    this.jobs.set(jobId, job);
    for (const r of recovered) {
      if (!this.registry.isAlive(r.status.workerId)) continue;
      this.tracker.register(jobId, r.shuffle, r.mapId, r.status);
      this.markDone(job.stages[plan.shuffles[r.shuffle]!.mapStage]!, r.mapId);
      job.accumulators.recovered(plan.shuffles[r.shuffle]!.mapStage, r.mapId);
    }
    this.reuseShuffles(job);
    for (const stage of job.stages) {
      if (probeDone(plan, job.resolution, stage.stage)) for (let p = 0; p < stage.tasks.length; p++) this.markDone(stage, p);
    }
    this.refresh(job);
  }

  /**
   * Shuffle output an earlier job of the application wrote with the same
   * lineage is this job's: registered as if its map tasks had run, so the
   * stages below it are not needed (stage-readiness.ts). Their accumulator
   * adds counted in the job that ran them; a part a lost worker took is
   * written again, and its adds count in this job, as a cached partition
   * computed again does.
   */
  private reuseShuffles(job: JobRun): void {
    const app = job.plan.application;
    if (app === null) return;
    for (const dep of job.plan.shuffles) {
      const statuses = dep.lineage === null ? null : this.retained.take(app, dep.lineage);
      if (!statuses || statuses.length !== mapCount(job, dep.id)) continue;
      statuses.forEach((status, mapId) => {
        if (!status || !this.registry.isAlive(status.workerId)) return;
        this.tracker.register(job.id, dep.id, mapId, status);
      });
      job.reused.add(dep.id);
    }
  }

  /** A completed job's whole shuffles are kept for its application's later jobs. */
  private retain(job: JobRun): void {
    const app = job.plan.application;
    if (app === null || job.status !== "COMPLETED") return;
    const released: JobId[] = [];
    for (const dep of job.plan.shuffles) {
      const statuses = dep.lineage === null ? null : this.tracker.complete(job.id, dep.id, mapCount(job, dep.id));
      if (!statuses) continue;
      const own = { job: job.id, shuffle: dep.id };
      released.push(
        ...this.retained.keep(
          app,
          dep.lineage!,
          statuses.map((s) => (s.writtenBy ? s : { ...s, writtenBy: own })),
        ),
      );
    }
    this.release(released);
    job.filesRetained = this.retained.holdsFilesOf(job.id);
  }

  /** Shuffle directories no retained output is in any more: the workers drop them. */
  private release(jobs: JobId[]): void {
    if (jobs.length > 0) this.emit({ type: "shuffleFilesReleased", jobs });
  }

  private markDone(stage: StageRun, partition: number): void {
    const task = stage.tasks[partition]!;
    if (task.status !== "SUCCEEDED") moveTask(stage, task, "SUCCEEDED");
  }

  /** Drops a settled job's state: its run, its attempts and where its map output is (its workers are told to drop the files). */
  private forget(id: JobId): void {
    const job = this.jobs.get(id);
    if (!job || job.status === "RUNNING") return;
    for (const s of job.stages) for (const t of s.tasks) for (const a of t.attempts) this.attempts.delete(a.id);
    this.tracker.removeJob(id);
    this.jobs.delete(id);
  }

  private endIfRunning(id: JobId, status: "FAILED" | "CANCELLED", error: string | null): void {
    const job = this.jobs.get(id);
    if (job?.status === "RUNNING") this.end(job, status, error);
  }

  /** A task report from a worker; a stale one (unknown attempt, or no longer running there) changes nothing but the blocks it stored (lateBlocks). */
  private onReport(r: TaskReport): void {
    if (!this.isRunning(r.attemptId, r.worker_id)) {
      this.lateBlocks(r);
      return;
    }
    const ref = this.attempts.get(r.attemptId)!;
    const { job, stage, task, attempt } = ref;
    const mismatch = mismatchOf(ref, r);
    // A report that does not fit its stage fails the attempt, with the reason, rather than become its result.
    const accMismatch = r.state === "FINISHED" ? job.accumulators.mismatch(r.accumulators) : null;
    if (mismatch || accMismatch)
      r = { protocol: r.protocol, worker_id: r.worker_id, attemptId: r.attemptId, metrics: r.metrics, state: "FAILED", error: `invalid task report: ${mismatch ?? accMismatch}` };
    this.close(attempt, r.state, r.state === "FINISHED" ? null : r.error);
    attempt.metrics = r.metrics;
    // Checked against the stage with the rest of the report: the blocks exist on the worker whatever becomes of the job.
    if (r.state === "FINISHED") this.keepBlocks(ref, r);
    if (job.status === "RUNNING") {
      switch (r.state) {
        case "FINISHED":
          this.succeeded(job, stage, task, attempt, r.result, r.accumulators);
          break;
        case "FETCH_FAILED":
          this.fetchFailed(job, stage, task, r);
          break;
        default:
          if (r.state === "FAILED" && r.blockMissing) this.blockMissing(job, stage, task, r.worker_id, r.blockMissing, r.error);
          else this.failed(job, stage, task, r.error);
      }
    }
    this.emit({ type: "attemptEnded", job, stage, task, attempt });
  }

  /**
   * A finished attempt that was no longer running (declared lost, or its task
   * done by another) still stored its blocks on its worker: the master lists
   * them, or later jobs would compute what is cached there.
   */
  private lateBlocks(r: TaskReport): void {
    const ref = this.attempts.get(r.attemptId);
    if (!ref || r.state !== "FINISHED" || !r.blocksStored?.length || ref.attempt.workerId !== r.worker_id || !this.registry.isAlive(r.worker_id)) return;
    if (mismatchOf(ref, r) === null) this.keepBlocks(ref, r);
  }

  /** The blocks a FINISHED report (checked against its stage) says its task stored. */
  private keepBlocks({ job, stage }: AttemptRef, r: TaskReport & { state: "FINISHED" }): void {
    const app = job.plan.application;
    if (app) for (const b of r.blocksStored ?? []) this.blocks.add(app, r.worker_id, b, datasetAbout(stage.stage.rdd, b.datasetId));
  }

  /**
   * The worker could not be reached or was busy: the task goes back in line,
   * and the worker gets no launches until the next tick. If the worker
   * understood and refused the task itself (`refused`), that counts as a failed
   * attempt, or a task no worker accepts would be relaunched forever; the
   * worker is fine, and its slot is used at once.
   */
  private onLaunchFailed(attemptId: AttemptId, error: string, refused: boolean): void {
    const ref = this.attempts.get(attemptId);
    if (!ref || !holdsSlot(ref.attempt.state)) return;
    this.close(ref.attempt, "LAUNCH_FAILED", error);
    if (!refused) this.held.add(ref.attempt.workerId);
    if (ref.job.status === "RUNNING") {
      if (refused) this.failed(ref.job, ref.stage, ref.task, `the worker refused the task: ${error}`);
      else moveTask(ref.stage, ref.task, "PENDING");
    }
    this.emit({ type: "attemptEnded", ...ref });
  }

  /**
   * A heartbeat lists the attempts a worker runs. One we think runs there but
   * that two heartbeats in a row do not list (past a grace period for launches
   * in flight) has ended without a report reaching us: it is lost and runs again.
   */
  private onHeartbeat(workerId: WorkerId, running: readonly AttemptId[]): void {
    const listed = new Set(running);
    const lost: AttemptRef[] = [];
    for (const ref of this.runningOn.get(workerId) ?? []) {
      const a = ref.attempt;
      if (listed.has(a.id) || this.now - a.startedAt < LAUNCH_GRACE_MS) {
        a.missedHeartbeats = 0;
        continue;
      }
      a.missedHeartbeats = (a.missedHeartbeats ?? 0) + 1;
      if (a.missedHeartbeats >= 2) lost.push(ref);
    }
    for (const ref of lost) this.lose(ref, `worker ${workerId} no longer runs it and its report never arrived`);
  }

  /**
   * A worker's memory no longer holds some blocks: one still on disk is kept
   * as there; one gone is forgotten, and running jobs of its application may
   * need the stages its cached dataset stood in for.
   */
  private onEvicted(workerId: WorkerId, evicted: readonly EvictedBlock[]): void {
    const apps = new Set<AppId>();
    for (const b of evicted) {
      if (b.diskBytes > 0) this.blocks.movedToDisk(b.application, workerId, b.datasetId, b.partition, b.diskBytes);
      else if (this.blocks.removeBlock(b.application, workerId, b.datasetId, b.partition)) apps.add(b.application);
    }
    for (const job of this.jobs.values()) if (job.status === "RUNNING" && job.plan.application && apps.has(job.plan.application)) this.refresh(job);
  }

  /** `suspect`: whether the loss counts toward MAX_LOST_ATTEMPTS (not when a worker handed its tasks back on purpose). */
  private lose(ref: AttemptRef, why: string, suspect = true): void {
    const { job, stage, task, attempt } = ref;
    // An earlier loss in the same pass may have failed the job, whose end already closed this attempt.
    if (!holdsSlot(attempt.state)) return;
    this.close(attempt, "LOST", why);
    if (job.status === "RUNNING") {
      if (suspect) task.lost++;
      if (task.lost > MAX_LOST_ATTEMPTS) this.failed(job, stage, task, `lost ${task.lost} times; last: ${why}`);
      else moveTask(stage, task, "PENDING");
    }
    this.emit({ type: "attemptEnded", ...ref });
  }

  /**
   * The worker is gone: its attempts run again elsewhere and its map output is
   * re-made. `left`: it deregistered, handing back what it ran, which says
   * nothing against those tasks.
   */
  private onWorkerLost(workerId: WorkerId, left: boolean): void {
    const why = left ? `worker ${workerId} left the cluster` : `worker ${workerId} was lost`;
    for (const ref of [...(this.runningOn.get(workerId) ?? [])]) this.lose(ref, why, !left);
    this.runningOn.delete(workerId);
    this.held.delete(workerId);
    this.blocks.removeWorker(workerId);
    this.release(this.retained.removeWorker(workerId));
    const lost = this.tracker.removeWorker(workerId);
    for (const l of lost) this.emit({ type: "mapOutputLost", jobId: l.job, shuffle: l.shuffle, mapId: l.mapId });
    for (const jobId of new Set(lost.map((l) => l.job))) {
      const job = this.jobs.get(jobId);
      if (job?.status === "RUNNING") this.refresh(job);
    }
  }

  /** The scheduling pass: hands pending tasks of running stages to live workers with free slots, oldest job first. */
  private schedule(): void {
    const workers = this.registry.schedulable().filter((w) => !this.held.has(w.id));
    if (workers.length === 0) return;
    for (const job of this.jobs.values()) {
      if (job.status !== "RUNNING") continue;
      for (const stage of job.stages) {
        if (stage.status !== "RUNNING") continue;
        const queued = queueAhead(stage);
        if (!this.localSince.has(stage)) this.localSince.set(stage, this.now);
        // Pending tasks waiting for a holder of their cached partition are passed over, in order.
        for (const partition of stage.pending) {
          const holders = this.holdersOf(job, stage, partition, workers);
          let worker: WorkerInfo | null = null;
          if (holders.length > 0) {
            worker = this.pickWorker(holders, null, 1) ?? (queued > 0 ? this.pickWorker(holders, null, 1 + queued) : null);
            if (worker) this.localSince.set(stage, this.now);
            else if (this.now - this.localSince.get(stage)! < this.localityWaitMs) continue;
          }
          const avoid = lastFailedOn(stage.tasks[partition]!);
          worker ??= this.pickWorker(workers, avoid, 1) ?? (queued > 0 ? this.pickWorker(workers, avoid, 1 + queued) : null);
          if (!worker) return;
          this.launch(job, stage, partition, worker);
        }
      }
    }
  }

  /** The schedulable workers holding a cached block the task reads. */
  private holdersOf(job: JobRun, stage: StageRun, partition: number, workers: WorkerInfo[]): WorkerInfo[] {
    const app = job.plan.application;
    // Every library job has an application; most cache nothing, and need no walk of the stage's lineage per launch.
    if (!app || !this.blocks.hasBlocks(app)) return [];
    const ids = new Set<WorkerId>();
    for (const read of cachedReads(stage.stage.rdd, partition)) for (const h of this.blocks.holders(app, read.datasetId, read.partition)) ids.add(h.worker);
    return ids.size === 0 ? [] : workers.filter((w) => ids.has(w.id));
  }

  /**
   * The next worker round-robin with fewer than `perSlot` tasks per slot on it,
   * preferring one other than `avoid` (where the task last failed).
   */
  private pickWorker(workers: WorkerInfo[], avoid: WorkerId | null, perSlot: number): WorkerInfo | null {
    let fallback: WorkerInfo | null = null;
    for (let i = 0; i < workers.length; i++) {
      const w = workers[(this.nextWorker + i) % workers.length]!;
      if (this.attemptsOn(w.id) >= w.slots * perSlot) continue;
      if (w.id === avoid) {
        fallback ??= w;
        continue;
      }
      this.nextWorker = (this.nextWorker + i + 1) % workers.length;
      return w;
    }
    return fallback;
  }

  /** Stops attempts that ran past their job's task timeout; they count as failed and run again elsewhere. */
  private checkTimeouts(): void {
    const late: AttemptRef[] = [];
    for (const refs of this.runningOn.values()) {
      for (const ref of refs) {
        const limit = ref.job.taskTimeoutMs;
        const since = ref.attempt.runningSince;
        if (limit > 0 && since != null && this.now - since > limit) late.push(ref);
      }
    }
    for (const ref of late) {
      const { job, stage, task, attempt } = ref;
      // An earlier timeout in this pass may have failed the job, whose end already closed this attempt.
      if (!holdsSlot(attempt.state)) continue;
      const worker = this.registry.get(attempt.workerId);
      if (worker?.state === "ALIVE") this.emit({ type: "kill", worker, attemptId: attempt.id });
      const error = `timed out after ${job.taskTimeoutMs} ms`;
      this.close(attempt, "TIMED_OUT", error);
      if (job.status === "RUNNING") this.failed(job, stage, task, error);
      this.emit({ type: "attemptEnded", ...ref });
    }
  }

  private launch(job: JobRun, stage: StageRun, partition: number, worker: WorkerInfo): void {
    const task = stage.tasks[partition]!;
    const n = task.attempts.length;
    const attempt: Attempt = {
      id: attemptIdOf(job.id, stage.stage.id, partition, n, this.incarnation),
      n,
      workerId: worker.id,
      startedAt: this.now,
      finishedAt: null,
      state: "RUNNING",
      error: null,
      metrics: null,
    };
    task.attempts.push(attempt);
    moveTask(stage, task, "RUNNING");
    const ref = { job, stage, task, attempt };
    this.attempts.set(attempt.id, ref);
    let set = this.runningOn.get(worker.id);
    if (!set) this.runningOn.set(worker.id, (set = new Set()));
    set.add(ref);
    attempt.runningSince = set.size <= worker.slots ? attempt.startedAt : null;
    this.emit({ type: "attemptStarted", ...ref });
    this.emit({
      type: "launch",
      worker,
      task: {
        protocol: PROTOCOL_VERSION,
        jobId: job.id,
        stageId: stage.stage.id,
        partition,
        attemptId: attempt.id,
        attempt: n,
        // A shuffle of a skipped stage has no output: the task is told nothing of it, and reads the cached blocks above it.
        ...resolveLaunch(job.plan, job.resolution, stage.stage, partition, (s, reduce) => this.tracker.locations(job.id, s, mapCount(job, s), reduce)),
        ...(job.s3 !== null && { s3: job.s3 }),
      },
    });
  }

  /** Ends an attempt (once: a second close throws, before anything changes) and gives its slot to the worker's next queued one. */
  private close(attempt: Attempt, state: AttemptEnd, error: string | null): void {
    endAttempt(attempt, state, error, this.now);
    const ref = this.attempts.get(attempt.id);
    const onWorker = this.runningOn.get(attempt.workerId);
    if (ref && onWorker?.delete(ref)) this.startQueued(attempt.workerId, onWorker);
  }

  /**
   * A worker runs its queue in launch order, so when one of its attempts ends
   * the oldest queued one gets the slot: from then on its timeout runs.
   */
  private startQueued(workerId: WorkerId, onWorker: Set<AttemptRef>): void {
    let slots = this.registry.get(workerId)?.slots ?? 0;
    for (const { attempt } of onWorker) {
      if (slots-- <= 0) return;
      attempt.runningSince ??= this.now;
    }
  }

  private succeeded(job: JobRun, stage: StageRun, task: TaskRun, attempt: Attempt, result: TaskRun["result"], deltas?: AccumulatorDeltas): void {
    if (task.status === "SUCCEEDED") return;
    // Once per (stage, partition) per job: a map task re-run after its output was lost merges nothing again.
    const overflow = countsAccumulators(stage.stage) ? job.accumulators.merge(stage.stage.id, task.partition, deltas) : null;
    if (overflow) {
      this.end(job, "FAILED", overflow);
      return;
    }
    moveTask(stage, task, "SUCCEEDED");
    task.result = result;
    task.resultAttempt = attempt.id;
    if (attempt.metrics) {
      stage.timedTasks++;
      stage.taskMsTotal += attempt.metrics.durationMs;
    }
    if (result?.type === "mapStatus") {
      const out = stage.stage.output as { shuffle: ShuffleId };
      const worker = this.registry.get(attempt.workerId)!;
      const status = { workerId: worker.id, address: worker.address, sizes: result.sizes };
      this.tracker.register(job.id, out.shuffle, task.partition, status);
      this.emit({ type: "mapOutputAdded", job, shuffle: out.shuffle, mapId: task.partition, status });
    }
    if (!allSucceeded(stage)) return;
    const output = stage.stage.output;
    if (output.type !== "shuffle" && output.type !== "result") {
      job.resolution = resolveProbe(
        job.plan,
        job.resolution,
        stage.stage,
        stage.tasks.map((t) => t.result!),
      );
      this.emit({ type: "resolutionChanged", job });
    }
    if (output.type === "result") {
      moveStage(stage, "COMPLETED", this.now);
      this.end(job, "COMPLETED", null);
      return;
    }
    this.refresh(job);
  }

  private failed(job: JobRun, stage: StageRun, task: TaskRun, error: string): void {
    task.failures++;
    if (task.failures < job.maxTaskRetries) {
      moveTask(stage, task, "PENDING");
      return;
    }
    moveTask(stage, task, "FAILED");
    moveStage(stage, "FAILED", this.now);
    const history = task.attempts.map((a) => `#${a.n} on ${a.workerId}: ${a.state}`).join(", ");
    this.end(job, "FAILED", `task ${task.partition} of stage ${stage.stage.id} (${stage.stage.name}) failed ${task.failures} times (attempts: ${history}); last error: ${error}`);
  }

  /**
   * A task's cached block was gone where it ran, and the stage that would let
   * it compute the block again was skipped: the job computes that dataset from
   * its lineage from now on (its skipped stages run), and the task waits for
   * them, its attempt not counted as a failure. Bounded as fetch failures are.
   */
  private blockMissing(job: JobRun, stage: StageRun, task: TaskRun, worker: WorkerId, m: BlockMissing, error: string): void {
    if (!this.inputMissing(job, stage, task, error)) return;
    job.uncached.add(m.datasetId);
    if (job.plan.application) this.blocks.removeBlock(job.plan.application, worker, m.datasetId, m.partition);
    this.refresh(job);
  }

  /** refreshStages with the blocks the job's application holds: a persisted RDD every partition of which some live worker holds is read, not computed. */
  private refresh(job: JobRun): void {
    const app = job.plan.application;
    refreshStages(job, this.tracker, this.now, app && this.blocks.hasBlocks(app) ? (rdd) => this.blocks.cachedPartitions(app, rdd.cache.datasetId) >= rdd.numPartitions : undefined);
  }

  /**
   * A task could not have its input (a fetch failed, or a cached block was
   * gone): it waits again, not counted as failed; false once the stage has
   * lost input so too often, which fails the job. `news`: whether the report
   * told of input not known to be gone yet; one that did not (another reader
   * of the same lost map output) does not count toward that bound, so a loss
   * many readers meet at once counts once.
   */
  private inputMissing(job: JobRun, stage: StageRun, task: TaskRun, error: string, news = true): boolean {
    moveTask(stage, task, "PENDING");
    if (!news || ++stage.fetchFailures <= MAX_STAGE_FETCH_FAILURES) return true;
    this.end(job, "FAILED", `stage ${stage.stage.id} (${stage.stage.name}) could not fetch its input ${stage.fetchFailures} times; last: ${error}`);
    return false;
  }

  private fetchFailed(job: JobRun, stage: StageRun, task: TaskRun, r: TaskReport & { state: "FETCH_FAILED" }): void {
    const f = r.fetchFailure;
    // A reused output that cannot be had says its earlier job's files on that worker are gone: the worker's others are dropped with it, not found one fetch failure at a time.
    const lost = this.tracker.reusedOn(job.id, f.shuffleId, f.mapId, f.workerId) ?? [f.mapId];
    let dropped = false;
    for (const mapId of lost) {
      if (!this.tracker.unregister(job.id, f.shuffleId, mapId, f.workerId)) continue;
      dropped = true;
      this.emit({ type: "mapOutputLost", jobId: job.id, shuffle: f.shuffleId, mapId });
    }
    if (!this.inputMissing(job, stage, task, r.error, dropped)) return;
    this.refresh(job);
  }

  private end(job: JobRun, status: "COMPLETED" | "FAILED" | "CANCELLED", error: string | null): void {
    endJobRun(job, status, error, this.now);
    for (const stage of job.stages) {
      endStageWithJob(stage, status);
      for (const task of stage.tasks) {
        for (const a of task.attempts) {
          if (!holdsSlot(a.state)) continue;
          this.close(a, "KILLED", `job ${status.toLowerCase()}`);
          const w = this.registry.get(a.workerId);
          if (w?.state === "ALIVE") this.emit({ type: "kill", worker: w, attemptId: a.id });
          this.emit({ type: "attemptEnded", job, stage, task, attempt: a });
        }
      }
    }
    this.retain(job);
    this.emit({ type: "jobEnded", job });
  }
}

/** Why a report does not fit its attempt's stage (with what the job's probes resolved), or null. */
function mismatchOf({ job, stage, task }: AttemptRef, r: TaskReport): string | null {
  return reportMismatch(job.plan, { ...stage.stage, output: resolvedOutput(job.resolution, stage.stage) }, task.partition, r);
}

/** Tasks per slot to queue on workers for this stage: none until a few of its tasks have finished. */
function queueAhead(stage: StageRun): number {
  if (stage.timedTasks < 2) return 0;
  const meanMs = stage.taskMsTotal / stage.timedTasks;
  return Math.min(QUEUED_TASKS_PER_SLOT, Math.floor(QUEUE_AHEAD_MS / Math.max(meanMs, 0.1)));
}

/** The worker of the task's last attempt if it failed there, so its retry can go elsewhere. */
function lastFailedOn(task: TaskRun): WorkerId | null {
  const last = task.attempts[task.attempts.length - 1];
  return last && retryAvoidsWorker(last.state) ? last.workerId : null;
}
