// The scheduler: one decision loop over a closed set of events — job submitted,
// task reported, launch failed, worker lost, job cancelled — that starts stages
// when their parents are done, hands pending tasks round-robin to live workers
// with free slots, retries failed tasks, and re-runs lost map output by lineage.
// It does no I/O: launches and kills go through a SchedulerBackend, and job ends
// through a listener, so it is tested with fakes and a fake clock.
import { attemptIdOf, type AttemptId, type JobId, type ShuffleId, type WorkerId } from "../common/ids.js";
import type { BlockLocation, TaskLaunch, TaskReport } from "../common/protocol.js";
import { PROTOCOL_VERSION, QUEUED_TASKS_PER_SLOT } from "../common/protocol.js";
import type { Stage } from "../plan/physical.js";
import { blockKey, shuffleBlocksRead, shufflesRead, taskRdd } from "../plan/task-rdd.js";
import { newJobRun, type Attempt, type JobLimits, type JobRun, type StageRun, type TaskRun } from "./job-run.js";
import type { MapOutputTracker, MapStatus } from "./map-output-tracker.js";
import { applyProbe, probeDone } from "../plan/probes.js";
import { reportMismatch } from "./report-check.js";
import type { WorkerInfo, WorkerRegistry } from "./worker-registry.js";

export interface SchedulerBackend {
  launch(worker: WorkerInfo, task: TaskLaunch): void;
  kill(worker: WorkerInfo, attemptId: AttemptId): void;
}

export interface SchedulerListener {
  /** The job reached COMPLETED, FAILED or CANCELLED. */
  jobEnded(job: JobRun): void;
  /** For durability: map output registered or forgotten, and probe results written into the plan. */
  mapOutputAdded?(job: JobRun, shuffle: number, mapId: number, status: MapStatus): void;
  mapOutputLost?(job: JobId, shuffle: number, mapId: number): void;
  planChanged?(job: JobRun): void;
  attemptStarted?(job: JobRun, stage: StageRun, task: TaskRun, attempt: Attempt): void;
  attemptEnded?(job: JobRun, stage: StageRun, task: TaskRun, attempt: Attempt): void;
}

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

interface AttemptRef {
  job: JobRun;
  stage: StageRun;
  task: TaskRun;
  attempt: Attempt;
}

export class Scheduler {
  private readonly jobs = new Map<JobId, JobRun>();
  private readonly attempts = new Map<AttemptId, AttemptRef>();
  private readonly busySlots = new Map<WorkerId, number>();
  /** Attempts running on each worker, for reconciling with the worker's heartbeats. */
  private readonly runningOn = new Map<WorkerId, Set<AttemptRef>>();
  private nextWorker = 0;

  constructor(
    private readonly registry: WorkerRegistry,
    private readonly tracker: MapOutputTracker,
    private readonly backend: SchedulerBackend,
    private readonly listener: SchedulerListener,
    private readonly now: () => number,
    private readonly incarnation = "",
  ) {}

  job(id: JobId): JobRun | undefined {
    return this.jobs.get(id);
  }

  /** Tasks of running stages waiting for a slot. */
  pendingTasks(): number {
    let n = 0;
    for (const job of this.jobs.values()) for (const s of job.stages) if (s.status === "RUNNING") n += s.pending.length;
    return n;
  }

  /** Attempts running or queued on a worker. */
  attemptsOn(worker: WorkerId): number {
    return this.runningOn.get(worker)?.size ?? 0;
  }

  /** The job of a running attempt, if any. */
  jobOf(attemptId: AttemptId): JobRun | undefined {
    return this.attempts.get(attemptId)?.job;
  }

  isRunning(attemptId: AttemptId, worker: WorkerId): boolean {
    const a = this.attempts.get(attemptId)?.attempt;
    return a?.state === "RUNNING" && a.workerId === worker;
  }

  /**
   * Starts a job. A job resumed after a master restart passes the map outputs
   * its earlier run registered: those still held by live workers count as done,
   * as do probe stages whose results the stored plan already has.
   */
  submit(id: JobId, name: string, plan: JobRun["plan"], limits: JobLimits, recovered: { shuffle: number; mapId: number; status: MapStatus }[] = []): JobRun {
    const job = newJobRun(id, name, plan, limits, this.now());
    this.jobs.set(id, job);
    for (const r of recovered) {
      if (!this.registry.isAlive(r.status.workerId)) continue;
      this.tracker.register(id, r.shuffle, r.mapId, r.status);
      this.markDone(job.stages[plan.shuffles[r.shuffle]!.mapStage]!, r.mapId);
    }
    for (const stage of job.stages) {
      if (probeDone(plan, stage.stage)) for (let p = 0; p < stage.tasks.length; p++) this.markDone(stage, p);
    }
    this.refresh(job);
    this.schedule();
    return job;
  }

  private markDone(stage: StageRun, partition: number): void {
    const task = stage.tasks[partition]!;
    if (task.status === "SUCCEEDED") return;
    task.status = "SUCCEEDED";
    stage.succeeded++;
    stage.pending = stage.pending.filter((p) => p !== partition);
  }

  /** Drops a finished job's state (its view has been persisted). */
  forget(id: JobId): void {
    const job = this.jobs.get(id);
    if (!job || job.status === "RUNNING") return;
    for (const s of job.stages) for (const t of s.tasks) for (const a of t.attempts) this.attempts.delete(a.id);
    this.jobs.delete(id);
  }

  /** Fails a running job from outside the task flow (e.g. its results grew too large). */
  abort(id: JobId, error: string): void {
    const job = this.jobs.get(id);
    if (job?.status === "RUNNING") this.end(job, "FAILED", error);
  }

  cancel(id: JobId): void {
    const job = this.jobs.get(id);
    if (job?.status !== "RUNNING") return;
    this.end(job, "CANCELLED", null);
  }

  /** A task report from a worker: false when stale (unknown attempt, or no longer running). */
  onReport(r: TaskReport): boolean {
    const ref = this.attempts.get(r.attemptId);
    if (!ref || ref.attempt.state !== "RUNNING" || ref.attempt.workerId !== r.worker_id) return false;
    const { job, stage, task, attempt } = ref;
    const mismatch = reportMismatch(job.plan, stage.stage, task.partition, r);
    // A report that does not fit its stage fails the attempt, with the reason, rather than become its result.
    if (mismatch) r = { protocol: r.protocol, worker_id: r.worker_id, attemptId: r.attemptId, metrics: r.metrics, state: "FAILED", error: `invalid task report: ${mismatch}` };
    this.close(attempt, r.state, r.state === "FINISHED" ? null : r.error);
    attempt.metrics = r.metrics;
    if (job.status === "RUNNING") {
      switch (r.state) {
        case "FINISHED":
          this.succeeded(job, stage, task, attempt, r.result);
          break;
        case "FETCH_FAILED":
          this.fetchFailed(job, stage, task, r);
          break;
        default:
          this.failed(job, stage, task, r.error);
      }
    }
    this.listener.attemptEnded?.(job, stage, task, attempt);
    this.schedule();
    return true;
  }

  /**
   * The worker could not be reached or was busy: the task goes back in line. If
   * the worker understood and refused the task itself (`refused`), that counts
   * as a failed attempt, or a task no worker accepts would be relaunched forever.
   */
  onLaunchFailed(attemptId: AttemptId, error: string, refused: boolean): void {
    const ref = this.attempts.get(attemptId);
    if (!ref || ref.attempt.state !== "RUNNING") return;
    this.close(ref.attempt, "LAUNCH_FAILED", error);
    if (ref.job.status === "RUNNING") {
      if (refused) this.failed(ref.job, ref.stage, ref.task, `the worker refused the task: ${error}`);
      else this.requeue(ref.stage, ref.task);
    }
    this.listener.attemptEnded?.(ref.job, ref.stage, ref.task, ref.attempt);
  }

  /**
   * A heartbeat lists the attempts a worker runs. One we think runs there but
   * that two heartbeats in a row do not list (past a grace period for launches
   * in flight) has ended without a report reaching us: it is lost and runs again.
   */
  onHeartbeat(workerId: WorkerId, running: readonly AttemptId[]): void {
    const listed = new Set(running);
    const lost: AttemptRef[] = [];
    for (const ref of this.runningOn.get(workerId) ?? []) {
      const a = ref.attempt;
      if (listed.has(a.id) || this.now() - a.startedAt < LAUNCH_GRACE_MS) {
        a.missedHeartbeats = 0;
        continue;
      }
      a.missedHeartbeats = (a.missedHeartbeats ?? 0) + 1;
      if (a.missedHeartbeats >= 2) lost.push(ref);
    }
    for (const ref of lost) this.lose(ref, `worker ${workerId} no longer runs it and its report never arrived`);
    if (lost.length > 0) this.schedule();
  }

  /** `suspect`: whether the loss counts toward MAX_LOST_ATTEMPTS (not when a worker handed its tasks back on purpose). */
  private lose({ job, stage, task, attempt }: AttemptRef, why: string, suspect = true): void {
    this.close(attempt, "LOST", why);
    if (job.status === "RUNNING") {
      if (suspect) task.lost++;
      if (task.lost > MAX_LOST_ATTEMPTS) this.failed(job, stage, task, `lost ${task.lost} times; last: ${why}`);
      else this.requeue(stage, task);
    }
    this.listener.attemptEnded?.(job, stage, task, attempt);
  }

  /**
   * The worker is gone: its attempts run again elsewhere and its map output is
   * re-made. `left`: it deregistered, handing back what it ran, which says
   * nothing against those tasks.
   */
  onWorkerLost(workerId: WorkerId, left = false): void {
    const why = left ? `worker ${workerId} left the cluster` : `worker ${workerId} was lost`;
    for (const ref of [...(this.runningOn.get(workerId) ?? [])]) this.lose(ref, why, !left);
    this.busySlots.delete(workerId);
    this.runningOn.delete(workerId);
    const lost = this.tracker.removeWorker(workerId);
    for (const l of lost) this.listener.mapOutputLost?.(l.job, l.shuffle, l.mapId);
    for (const jobId of new Set(lost.map((l) => l.job))) {
      const job = this.jobs.get(jobId);
      if (job?.status === "RUNNING") this.refresh(job);
    }
    this.schedule();
  }

  /** Hands pending tasks of running stages to live workers with free slots, oldest job first. */
  schedule(): void {
    const workers = this.registry.schedulable();
    if (workers.length === 0) return;
    for (const job of this.jobs.values()) {
      if (job.status !== "RUNNING") continue;
      for (const stage of job.stages) {
        if (stage.status !== "RUNNING") continue;
        const queued = queueAhead(stage);
        while (stage.pending.length > 0) {
          const avoid = lastFailedOn(stage.tasks[stage.pending[0]!]!);
          const worker = this.pickWorker(workers, avoid, 1) ?? (queued > 0 ? this.pickWorker(workers, avoid, 1 + queued) : null);
          if (!worker) return;
          this.launch(job, stage, stage.pending.shift()!, worker);
        }
      }
    }
  }

  /**
   * The next worker round-robin with fewer than `perSlot` tasks per slot on it,
   * preferring one other than `avoid` (where the task last failed).
   */
  private pickWorker(workers: WorkerInfo[], avoid: WorkerId | null, perSlot: number): WorkerInfo | null {
    let fallback: WorkerInfo | null = null;
    for (let i = 0; i < workers.length; i++) {
      const w = workers[(this.nextWorker + i) % workers.length]!;
      if ((this.busySlots.get(w.id) ?? 0) >= w.slots * perSlot) continue;
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
  checkTimeouts(): void {
    const now = this.now();
    const late: AttemptRef[] = [];
    for (const refs of this.runningOn.values()) {
      for (const ref of refs) {
        const limit = ref.job.taskTimeoutMs;
        const since = ref.attempt.runningSince;
        if (limit > 0 && since != null && now - since > limit) late.push(ref);
      }
    }
    for (const { job, stage, task, attempt } of late) {
      const worker = this.registry.get(attempt.workerId);
      if (worker?.state === "ALIVE") this.backend.kill(worker, attempt.id);
      const error = `timed out after ${job.taskTimeoutMs} ms`;
      this.close(attempt, "TIMED_OUT", error);
      if (job.status === "RUNNING") this.failed(job, stage, task, error);
      this.listener.attemptEnded?.(job, stage, task, attempt);
    }
    if (late.length > 0) this.schedule();
  }

  private launch(job: JobRun, stage: StageRun, partition: number, worker: WorkerInfo): void {
    const task = stage.tasks[partition]!;
    const n = task.attempts.length;
    const attempt: Attempt = {
      id: attemptIdOf(job.id, stage.stage.id, partition, n, this.incarnation),
      n,
      workerId: worker.id,
      startedAt: this.now(),
      finishedAt: null,
      state: "RUNNING",
      error: null,
      metrics: null,
    };
    task.attempts.push(attempt);
    task.status = "RUNNING";
    const ref = { job, stage, task, attempt };
    this.attempts.set(attempt.id, ref);
    this.busySlots.set(worker.id, (this.busySlots.get(worker.id) ?? 0) + 1);
    let set = this.runningOn.get(worker.id);
    if (!set) this.runningOn.set(worker.id, (set = new Set()));
    set.add(ref);
    attempt.runningSince = set.size <= worker.slots ? attempt.startedAt : null;
    const output = stage.stage.output;
    const outputShuffle = output.type === "shuffle" ? job.plan.shuffles[output.shuffle]! : null;
    this.listener.attemptStarted?.(job, stage, task, attempt);
    this.backend.launch(worker, {
      protocol: PROTOCOL_VERSION,
      jobId: job.id,
      stageId: stage.stage.id,
      partition,
      attemptId: attempt.id,
      attempt: n,
      stage: { ...stage.stage, rdd: taskRdd(stage.stage.rdd, partition) },
      outputShuffle,
      inputs: this.inputsOf(job, stage.stage, partition),
    });
  }

  private inputsOf(job: JobRun, stage: Stage, partition: number): Record<string, BlockLocation[]> {
    const inputs: Record<string, BlockLocation[]> = {};
    for (const [s, reduce] of shuffleBlocksRead(stage.rdd, partition)) {
      inputs[blockKey(s, reduce)] = this.tracker.locations(job.id, s, mapCount(job, s), reduce);
    }
    return inputs;
  }

  private close(attempt: Attempt, state: Attempt["state"], error: string | null): void {
    const ref = this.attempts.get(attempt.id);
    const onWorker = this.runningOn.get(attempt.workerId);
    if (ref && onWorker?.delete(ref)) this.startQueued(attempt.workerId, onWorker);
    attempt.state = state;
    attempt.error = error;
    attempt.finishedAt = this.now();
    const busy = this.busySlots.get(attempt.workerId) ?? 0;
    if (busy > 0) this.busySlots.set(attempt.workerId, busy - 1);
  }

  /**
   * A worker runs its queue in launch order, so when one of its attempts ends
   * the oldest queued one gets the slot: from then on its timeout runs.
   */
  private startQueued(workerId: WorkerId, onWorker: Set<AttemptRef>): void {
    let slots = this.registry.get(workerId)?.slots ?? 0;
    for (const { attempt } of onWorker) {
      if (slots-- <= 0) return;
      attempt.runningSince ??= this.now();
    }
  }

  private requeue(stage: StageRun, task: TaskRun): void {
    if (task.status === "SUCCEEDED") stage.succeeded--;
    task.status = "PENDING";
    stage.pending.push(task.partition);
  }

  private succeeded(job: JobRun, stage: StageRun, task: TaskRun, attempt: Attempt, result: TaskRun["result"]): void {
    if (task.status === "SUCCEEDED") return;
    task.status = "SUCCEEDED";
    stage.succeeded++;
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
      this.listener.mapOutputAdded?.(job, out.shuffle, task.partition, status);
    }
    if (stage.succeeded < stage.tasks.length) return;
    const output = stage.stage.output;
    if (output.type !== "shuffle" && output.type !== "result") {
      applyProbe(job.plan, stage.stage, stage.tasks.map((t) => t.result!));
      this.listener.planChanged?.(job);
    }
    if (output.type === "result") {
      stage.status = "COMPLETED";
      stage.finishedAt = this.now();
      this.end(job, "COMPLETED", null);
      return;
    }
    this.refresh(job);
  }

  private failed(job: JobRun, stage: StageRun, task: TaskRun, error: string): void {
    task.failures++;
    if (task.failures < job.maxTaskRetries) {
      this.requeue(stage, task);
      return;
    }
    task.status = "FAILED";
    stage.status = "FAILED";
    stage.finishedAt = this.now();
    const history = task.attempts.map((a) => `#${a.n} on ${a.workerId}: ${a.state}`).join(", ");
    this.end(
      job,
      "FAILED",
      `task ${task.partition} of stage ${stage.stage.id} (${stage.stage.name}) failed ${task.failures} times (attempts: ${history}); last error: ${error}`,
    );
  }

  private fetchFailed(job: JobRun, stage: StageRun, task: TaskRun, r: TaskReport & { state: "FETCH_FAILED" }): void {
    this.requeue(stage, task);
    stage.fetchFailures++;
    if (stage.fetchFailures > MAX_STAGE_FETCH_FAILURES) {
      this.end(job, "FAILED", `stage ${stage.stage.id} (${stage.stage.name}) could not fetch its input ${stage.fetchFailures} times; last: ${r.error}`);
      return;
    }
    const f = r.fetchFailure;
    if (this.tracker.unregister(job.id, f.shuffleId, f.mapId, f.workerId)) this.listener.mapOutputLost?.(job.id, f.shuffleId, f.mapId);
    this.refresh(job);
  }

  /**
   * Brings stage states in line with what exists: reopens map stages whose output
   * was lost while a consumer still needs it, and runs exactly the stages whose
   * parents are complete and whose input is all there. Reopening a stage can make
   * an earlier stage's lost output needed again, so it repeats until stable.
   */
  private refresh(job: JobRun): void {
    while (this.refreshOnce(job));
  }

  /** One pass in id order (parents have lower ids); true if it reopened a stage. */
  private refreshOnce(job: JobRun): boolean {
    let reopened = false;
    for (const stage of job.stages) {
      if (stage.status === "FAILED" || stage.status === "CANCELLED") continue;
      const output = stage.stage.output;
      if (stage.succeeded === stage.tasks.length && output.type === "shuffle") {
        const missing = this.tracker.missing(job.id, output.shuffle, stage.stage.numTasks);
        const needed = job.stages.some((s) => s.status !== "COMPLETED" && shufflesRead(s.stage.rdd).includes(output.shuffle));
        if (missing.length > 0 && needed) {
          for (const m of missing) this.requeue(stage, stage.tasks[m]!);
          stage.status = "WAITING";
          stage.finishedAt = null;
          reopened = true;
        }
      }
      if (stage.status === "COMPLETED") continue;
      const ready = stage.stage.parents.every((p) => job.stages[p]!.status === "COMPLETED") && this.inputsPresent(job, stage.stage);
      if (ready && stage.status === "WAITING") {
        stage.status = "RUNNING";
        stage.startedAt ??= this.now();
      } else if (!ready) {
        stage.status = "WAITING";
      }
      // A stage can start complete: map outputs recovered after a master restart.
      if (stage.status === "RUNNING" && stage.succeeded === stage.tasks.length && stage.stage.output.type !== "result") {
        stage.status = "COMPLETED";
        stage.finishedAt = this.now();
      }
    }
    return reopened;
  }

  private inputsPresent(job: JobRun, stage: Stage): boolean {
    return shufflesRead(stage.rdd).every((s) => {
      return this.tracker.missing(job.id, s, mapCount(job, s)).length === 0;
    });
  }

  private end(job: JobRun, status: "COMPLETED" | "FAILED" | "CANCELLED", error: string | null): void {
    job.status = status;
    job.error = error;
    job.finishedAt = this.now();
    for (const stage of job.stages) {
      if (stage.status === "WAITING" || stage.status === "RUNNING") stage.status = status === "COMPLETED" ? "COMPLETED" : "CANCELLED";
      stage.pending = [];
      for (const task of stage.tasks) {
        for (const a of task.attempts) {
          if (a.state !== "RUNNING") continue;
          this.close(a, "KILLED", `job ${status.toLowerCase()}`);
          const w = this.registry.get(a.workerId);
          if (w?.state === "ALIVE") this.backend.kill(w, a.id);
          this.listener.attemptEnded?.(job, stage, task, a);
        }
      }
    }
    this.listener.jobEnded(job);
  }
}

/** How many map tasks write shuffle `s`. */
function mapCount(job: JobRun, s: number): number {
  return job.stages[job.plan.shuffles[s]!.mapStage]!.stage.numTasks;
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
  return last && last.state !== "FINISHED" && last.state !== "LOST" ? last.workerId : null;
}
