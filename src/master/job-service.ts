// A job's life on the master around the scheduler: accept and validate the
// spec, wait for workers, have a worker list the input splits, plan the stages,
// prepare a save's output, hand the plan to the scheduler, and when it ends,
// compute the action's value, commit the output, persist, and tell workers to
// drop the job's shuffle files. A save owns its output path from start to end
// (output-commit-coordinator.ts): an overwrite of a path being written waits
// for the writer to end, and a commit runs from a decision stored first. Where
// each job is (queued, running, finishing, ended) is job-lifecycle.ts's to say;
// this service moves jobs through it.
import { isS3Url } from "../plan/s3-location.js";
import type { S3JobSettings } from "../plan/job-spec.js";
import { redactedSpecText } from "../plan/s3-settings.js";
import { MinisparkError, errorMessage } from "../common/errors.js";
import { newJobId, type AppId, type JobId, type WorkerId } from "../common/ids.js";
import type { Logger } from "../common/log.js";
import { saveTarget } from "../ops/save.js";
import type { ActionSpec, ValidJob } from "../plan/job-spec.js";
import type { BroadcastId } from "../common/ids.js";
import { jobBroadcasts } from "../plan/broadcasts.js";
import { planJob, splitSources } from "../planner/stage-planner.js";
import { DEFAULT_PLAN_LIMITS, type PlanLimits } from "../plan/plan-limits.js";
import { JobSpecError, validateJobSpec, type ValidateOptions } from "../planner/validate.js";
import { EmptyDatasetError, actionValue } from "./action-value.js";
import { ResultTooLargeError, checkValueSize } from "../plan/result-budget.js";
import type { JobRun } from "./job-run.js";
import type { JobRow, JobStore, StoredAttempt, StoredMapOutput } from "./job-store.js";
import type { JobPlan } from "../plan/physical.js";
import type { PlanResolution } from "../plan/resolution.js";
import { jobView } from "./job-view.js";
import { JobLifecycle } from "./job-lifecycle.js";
import { hasEnded, type AttemptInfo, type JobEndStatus, type JobInfo, type JobPlanText, type JobResults, type StageTasks } from "../common/api-types.js";
import { explain } from "../plan/explain.js";
import type { SchedulerLoop } from "./scheduler-loop.js";
import type { WorkerClient } from "./worker-client.js";
import type { WorkerInfo, WorkerRegistry } from "./worker-registry.js";
import { OutputCommitCoordinator, decideCommit, partsByWorker, type CommitDecision } from "./output-commit-coordinator.js";
import { PUBLISH_BATCH, PUBLISH_ETAGS } from "../common/output-messages.js";
import { checkSplitReply } from "./split-reply-check.js";
import { admits, defaultQueueBudget, specWeight } from "./queue-budget.js";
import { WaitingJobs } from "./waiting-jobs.js";

interface PendingJob {
  id: JobId;
  job: ValidJob;
  tries: number;
  firstError: number | null;
  /** For a job that was running when an earlier master stopped. */
  resume: { plan: JobPlan; resolution: PlanResolution; outputs: StoredMapOutput[]; notBefore: number } | null;
  /** The heap its spec is estimated to hold while it waits (queue-budget.ts). */
  weight: number;
}
/** A job whose start keeps failing on our side (not a refusal of the job) is failed after this many tries over this long. */
const MAX_START_TRIES = 5;
const START_GIVE_UP_MS = 60_000;

/** What the service asks of the scheduler: it posts jobs submitted, cancelled and forgotten once settled, and reads their runs. */

/** Parts per publish request to an S3 output: each is a CompleteMultipartUpload call on the worker. */
const S3_PUBLISH_BATCH = 256;
export type JobScheduler = Pick<SchedulerLoop, "job" | "post">;

/** The calls to workers the service makes: list a job's input splits, a save's output steps, drop a job's shuffle files. */
export type JobWorkerCalls = Pick<WorkerClient, "listSplits" | "prepareOutput" | "publishOutput" | "finalizeOutput" | "abortOutput" | "dropShuffle">;

export class JobService {
  /** Where each job is. */
  private readonly lifecycle: JobLifecycle;
  /** Accepted jobs waiting to start, queued or parked, oldest first; `tries` counts starts that failed on our side. */
  private readonly waiting: WaitingJobs<PendingJob>;
  private starting = false;
  private scheduler!: JobScheduler;
  /** Who owns which output path; which attempt's part is published. */
  private readonly outputs = new OutputCommitCoordinator();

  constructor(
    private readonly store: JobStore,
    private readonly registry: WorkerRegistry,
    private readonly workers: JobWorkerCalls,
    private readonly log: Logger,
    private readonly now: () => number,
    private readonly validation: ValidateOptions,
    private readonly limits: { taskTimeoutMs: number; maxResultBytes: number; plan?: PlanLimits; queueBytes?: number },
  ) {
    this.lifecycle = new JobLifecycle(store);
    this.waiting = new WaitingJobs((id) => (this.lifecycle.is(id, "QUEUED") ? "QUEUED" : this.lifecycle.is(id, "WAITING_FOR_OUTPUT") ? "WAITING_FOR_OUTPUT" : null));
  }

  /** The most the specs of waiting jobs may hold together (queue-budget.ts). */
  private get queueBudget(): number {
    return this.limits.queueBytes ?? defaultQueueBudget();
  }

  /** Heap held by the specs of jobs waiting to start, queued or parked. */
  private queuedWeight(): number {
    let n = 0;
    for (const e of this.waiting.all()) n += e.weight;
    return n;
  }

  attach(scheduler: JobScheduler): void {
    this.scheduler = scheduler;
  }

  /** The applications jobs may name (app-registry.ts); without them a job that names one is refused. */
  private applications: ApplicationCheck | null = null;

  useApplications(apps: ApplicationCheck): void {
    this.applications = apps;
  }

  /**
   * Re-queues jobs a previous master process left unfinished. A job that was
   * running resumes with its stored plan and the map outputs its workers still
   * hold, once the workers have had a lease's time to register again.
   */
  recover(leaseMs: number): void {
    for (const row of this.store.unfinishedJobs()) {
      this.lifecycle.recovered(row);
      if (row.planningStartedAt !== null) {
        // Planning is deterministic: the spec that killed the last master would kill this one.
        const reason = `quarantined: planning this job crashed the previous master (planning began at ${new Date(row.planningStartedAt).toISOString()}); it is not planned again`;
        this.lifecycle.end(row.id, "FAILED", this.now(), reason, null, null);
        this.store.event(this.now(), row.id, "job quarantined", { planningStartedAt: row.planningStartedAt });
        this.log.warn("job quarantined: planning it crashed the previous master", { jobId: row.id, planning_started_at: row.planningStartedAt });
        continue;
      }
      try {
        const job = validateJobSpec(row.spec, this.validation);
        const ended = this.endedApplication(job);
        if (ended !== null) {
          // Its application ended while the last master was cancelling the job.
          this.lifecycle.end(row.id, "CANCELLED", this.now(), ended, null, null);
          continue;
        }
        const plan = row.status === "RUNNING" ? row.plan : null;
        const resume = plan ? { plan, resolution: row.resolution, outputs: this.store.mapOutputs(row.id), notBefore: this.now() + leaseMs } : null;
        // Taken in whatever the total: the jobs were accepted, and they count against new submissions.
        this.waiting.add({ id: row.id, job, tries: 0, firstError: null, resume, weight: specWeight(JSON.stringify(row.spec)) });
        this.store.event(this.now(), row.id, "job recovered", { resumed: resume !== null, mapOutputs: resume?.outputs.length ?? 0 });
        this.log.info("job recovered after restart", { jobId: row.id, status: row.status, map_outputs: resume?.outputs.length ?? 0 });
      } catch (e) {
        this.lifecycle.end(row.id, "FAILED", this.now(), `cannot be resumed: ${errorMessage(e)}`, null, null);
      }
    }
  }

  submit(spec: unknown): JobId {
    let job: ValidJob;
    try {
      job = validateJobSpec(spec, this.validation);
    } catch (e) {
      if (e instanceof JobSpecError) throw new MinisparkError("INVALID_JOB_SPEC", `invalid job spec: ${e.message}`);
      throw e;
    }
    this.checkApplication(job);
    this.checkBroadcasts(job);
    // Stored without its S3 settings, which hold secrets (s3-settings.ts).
    const text = redactedSpecText(spec);
    const weight = specWeight(text);
    const queued = this.queuedWeight();
    if (!admits(queued, weight, this.queueBudget)) {
      throw new MinisparkError(
        "BUSY",
        `the master holds ${this.waiting.all().length} jobs waiting to start (about ${mib(queued)} MiB of specs, its limit is ${mib(this.queueBudget)} MiB); submit again once some have started`,
      );
    }
    const id = newJobId(this.now());
    this.lifecycle.submitted(id, job.name, text, this.now(), job.application);
    this.log.info("job submitted", { jobId: id, name: job.name, nodes: job.nodes.length, action: job.action.op });
    this.waiting.add({ id, job, tries: 0, firstError: null, resume: null, weight });
    this.store.event(this.now(), id, "job submitted", { name: job.name });
    void this.startPending();
    return id;
  }

  /** The job's view once it has ended, or after `timeoutMs` (a long poll: a client learns of the end at once). */
  async viewWhenEnded(id: JobId, timeoutMs: number): Promise<JobInfo> {
    this.row(id);
    await this.lifecycle.whenEnded(id, timeoutMs);
    return this.view(id);
  }

  view(id: JobId): JobInfo {
    const row = this.row(id);
    const view = jobView(row, this.lifecycle.status(row), this.scheduler.job(id), this.now());
    return { ...view, events: this.store.events(id).slice(-200) };
  }

  /**
   * One stage's tasks that have run or run now, each with its attempts (worker,
   * state, duration, error): from the scheduler while the job runs, from the
   * store (which keeps only ended attempts) after.
   */
  stageTasks(id: JobId, stage: number): StageTasks {
    this.row(id);
    const run = this.scheduler.job(id);
    const attempts = run ? liveAttempts(run, stage, STAGE_TASKS_LIMIT) : this.store.stageAttempts(id, stage, STAGE_TASKS_LIMIT);
    const byPartition = new Map<number, AttemptInfo[]>();
    for (const a of attempts) {
      const list = byPartition.get(a.partition) ?? [];
      list.push({ ...a, durationMs: a.finishedAt === null ? null : a.finishedAt - a.startedAt });
      byPartition.set(a.partition, list);
    }
    return { stage, tasks: [...byPartition].map(([partition, attempts]) => ({ partition, attempts })) };
  }

  /** The job's plan as text, with what its probes found so far: the scheduler's resolution while it runs, else the stored one. */
  planText(id: JobId): JobPlanText {
    const row = this.row(id);
    const run = this.scheduler.job(id);
    const plan = run?.plan ?? row.plan;
    if (!plan) throw new MinisparkError("NOT_READY", `job ${id} is ${this.lifecycle.status(row)} and not planned yet; it has a plan once it starts`);
    return { id, plan: explain(plan, run?.resolution ?? row.resolution) };
  }

  list(limit: number): JobInfo[] {
    return this.store.listJobs(limit).map((row) => {
      const v = this.view(row.id);
      return { ...v, stages: [], failedTasks: [], events: [], accumulators: undefined, datasets: undefined };
    });
  }

  results(id: JobId): JobResults {
    const row = this.row(id);
    const status = this.lifecycle.status(row);
    const result = status === "COMPLETED" ? row.result : null;
    if (result) return { id, action: result.action, value: result.value };
    if (status === "FAILED" || status === "CANCELLED") {
      throw new MinisparkError("CONFLICT", `job ${id} is ${status}${row.error ? `: ${row.error}` : ""}; it has no results`);
    }
    throw new MinisparkError("NOT_READY", `job ${id} is ${status}; results are available once it is COMPLETED`);
  }

  cancel(id: JobId): JobInfo {
    const phase = this.lifecycle.phase(this.row(id));
    switch (phase) {
      case "COMPLETED":
      case "FAILED":
      case "CANCELLED":
        throw new MinisparkError("CONFLICT", `job ${id} is already ${phase}`);
      case "FINISHING":
        throw new MinisparkError("CONFLICT", `job ${id} is finishing (${this.lifecycle.outcome(id)}); it can no longer be cancelled`);
      // Ended, it is no longer waiting (waiting-jobs.ts); a store write that throws leaves it waiting, for a cancel tried again.
      case "WAITING_FOR_OUTPUT":
        this.lifecycle.end(id, "CANCELLED", this.now(), "cancelled by the user while waiting for its output path", null, null);
        break;
      case "QUEUED":
        this.lifecycle.end(id, "CANCELLED", this.now(), "cancelled by the user before it started", null, null);
        break;
      case "RUNNING":
        this.scheduler.post({ type: "jobCancelled", jobId: id });
        break;
    }
    this.log.info("job cancelled", { jobId: id });
    return this.view(id);
  }

  /**
   * An application ended (app-registry.ts's onEnded): its jobs that have not
   * ended are cancelled with `reason`. A job already finishing keeps its
   * outcome: its tasks are done.
   */
  applicationEnded(app: AppId, reason: string): void {
    for (const id of this.store.unfinishedJobsOf(app)) {
      const phase = this.lifecycle.phase(this.row(id));
      if (phase === "QUEUED" || phase === "WAITING_FOR_OUTPUT") this.lifecycle.end(id, "CANCELLED", this.now(), reason, null, null);
      else if (phase === "RUNNING") this.scheduler.post({ type: "jobCancelled", jobId: id, error: reason });
      else continue;
      this.store.event(this.now(), id, "job cancelled: its application ended", { application: app, reason });
      this.log.info("job cancelled: its application ended", { jobId: id, app, reason });
    }
  }

  /** Why the job may not run under its application (null: it names none, or an ACTIVE one). */
  private endedApplication(job: ValidJob): string | null {
    if (job.application === null) return null;
    if (!this.applications) return `this master keeps no applications (the job names ${job.application})`;
    return this.applications.inactiveReason(job.application);
  }

  private checkApplication(job: ValidJob): void {
    const why = this.endedApplication(job);
    if (why !== null) throw new MinisparkError("INVALID_JOB_SPEC", `invalid job spec: ${why}`);
  }

  /** The broadcasts a job may name (broadcast-registry.ts); without them a job that names one is refused. */
  private broadcasts: BroadcastCheck | null = null;

  useBroadcasts(broadcasts: BroadcastCheck): void {
    this.broadcasts = broadcasts;
  }

  /** Every broadcast the job names is its application's and not destroyed (400 naming the first that is not). */
  private checkBroadcasts(job: ValidJob): void {
    for (const id of jobBroadcasts(job)) {
      const why = this.broadcasts ? this.broadcasts.problem(job.application, id) : `this master keeps no broadcasts (the job names ${id})`;
      if (why !== null) throw new MinisparkError("INVALID_JOB_SPEC", `invalid job spec: ${why}`);
    }
  }

  private row(id: JobId): JobRow {
    const row = this.store.getJob(id);
    if (!row) throw new MinisparkError("NOT_FOUND", `no job with id ${id}`);
    return row;
  }

  /** Starts queued jobs, in order, once there are workers to list their inputs. */
  async startPending(): Promise<void> {
    if (this.starting) return;
    this.starting = true;
    try {
      this.unpark();
      // A job start() is done with has moved on from QUEUED (started, parked, ended), so the next one is another.
      for (let next = this.waiting.next(); next && this.registry.schedulable().length > 0; next = this.waiting.next()) {
        if (next.resume && this.now() < next.resume.notBefore) break;
        if (!(await this.start(next))) break;
      }
    } finally {
      this.starting = false;
    }
  }

  /** false when the job must wait and be tried again (still QUEUED); true when it started, was parked, failed or was cancelled meanwhile. */
  private async start(entry: PendingJob): Promise<boolean> {
    const { id, job } = entry;
    const workers = this.registry.schedulable();
    const worker = workers[Math.floor(Math.random() * workers.length)]!;
    let handedOver = false;
    try {
      const plan = entry.resume?.plan ?? (await this.plan(id, job, worker.address));
      // Cancelled while a worker listed its inputs: a save must not claim its output path, nor wait for it.
      if (!this.lifecycle.is(id, "QUEUED")) return true;
      if (job.action.op === "save" && !(await this.prepareSave(entry))) return true;
      if (!this.lifecycle.is(id, "QUEUED")) return true;
      // A resumed plan is not planned again, but handing it to the scheduler is the same risk.
      if (entry.resume) this.store.planningBegan(id, this.now());
      const tasks = plan.stages.reduce((n, s) => n + s.numTasks, 0);
      // Written before the job moves to RUNNING, so that once it has moved nothing but the post stands between it and the scheduler.
      this.store.event(this.now(), id, entry.resume ? "job resumed" : "job started", { stages: plan.stages.length, tasks });
      // Before the scheduler has it: it may end the job at once (a resumed job with every output held).
      this.lifecycle.running(id, this.now(), plan, entry.resume?.resolution);
      this.log.info(entry.resume ? "job resumed" : "job started", { jobId: id, stages: plan.stages.length, tasks });
      const limits = { maxTaskRetries: job.maxTaskRetries, taskTimeoutMs: job.taskTimeoutMs ?? this.limits.taskTimeoutMs };
      // Posted is handed over: the loop has the event even when the post throws (a command it led to failed).
      handedOver = true;
      this.scheduler.post({ type: "jobSubmitted", jobId: id, name: job.name, plan, resolution: entry.resume?.resolution, limits, recovered: entry.resume?.outputs ?? [], s3: job.s3 });
      this.store.planningEnded(id);
      return true;
    } catch (e) {
      if (handedOver) {
        // A write after the scheduler took the job failed: the job is the scheduler's to end, and is not started twice.
        this.log.error("recording a job's start failed", { jobId: id, error: errorMessage(e) });
        return true;
      }
      const refused = e instanceof MinisparkError && e.status < 500;
      entry.tries++;
      entry.firstError ??= this.now();
      // A job that keeps failing to start on our side must not hold up the queue behind it forever.
      if (refused || (entry.tries >= MAX_START_TRIES && this.now() - entry.firstError >= START_GIVE_UP_MS)) {
        if (this.lifecycle.is(id, "QUEUED")) {
          this.lifecycle.end(id, "FAILED", this.now(), refused ? errorMessage(e) : `could not start after ${entry.tries} tries: ${errorMessage(e)}`, null, null);
        }
        this.log.warn("job failed to start", { jobId: id, error: errorMessage(e) });
        return true;
      }
      this.log.warn("could not start job yet; will retry", { jobId: id, worker: worker.id, error: errorMessage(e), tries: entry.tries });
      return false;
    }
  }

  /**
   * Plans a new job after a worker has listed its input splits (the master
   * never looks at files). Planning is a pure function of the spec and the
   * splits, so whatever it throws (a limit, a bug) would be thrown again: the
   * job is refused with the reason rather than retried.
   */
  private async plan(id: JobId, job: ValidJob, workerAddress: string): Promise<JobPlan> {
    const defaultParallelism = this.defaultParallelism();
    const sources = splitSources(job, defaultParallelism);
    const limits = this.limits.plan ?? DEFAULT_PLAN_LIMITS;
    // Outside the try: a made-up listing is that worker's fault, so the start is tried again, not the job refused.
    const splits = sources.length > 0 ? checkSplitReply(workerAddress, await this.workers.listSplits(workerAddress, sources, job.s3), sources, limits.maxPartitions) : {};
    this.store.planningBegan(id, this.now());
    try {
      return planJob(job, { splits, defaultParallelism, limits });
    } catch (e) {
      throw new MinisparkError("INVALID_JOB_SPEC", `planning the job failed: ${errorMessage(e)}`);
    }
  }

  private defaultParallelism(): number {
    return Math.max(
      2,
      this.registry.schedulable().reduce((n, w) => n + w.slots, 0),
    );
  }

  /** Scheduler listener: the job ended; settle it. */
  jobEnded(run: JobRun): void {
    const outcome = run.status;
    if (!hasEnded(outcome)) throw new Error(`the scheduler ended job ${run.id} as ${outcome}`);
    this.lifecycle.finishing(run.id, outcome);
    this.settle(run, outcome).catch((e) => this.settleFailed(run, e));
  }

  /** Settling threw where nothing expected it (the store, a view): the job still ends, FAILED with the reason, and frees what it held. */
  private settleFailed(run: JobRun, e: unknown): void {
    this.log.error("settling a job failed", { jobId: run.id, error: errorMessage(e) });
    try {
      // A failure after the job's end was stored (its event, dropping shuffle files) leaves that end as it is.
      if (this.lifecycle.is(run.id, "FINISHING")) this.lifecycle.end(run.id, "FAILED", this.now(), `finishing the job failed: ${errorMessage(e)}`, null, null);
    } finally {
      this.scheduler.post({ type: "jobForgotten", jobId: run.id });
      if (run.plan.action.op === "save") this.releaseOutput(run.id);
    }
  }

  private async settle(run: JobRun, outcome: JobEndStatus): Promise<void> {
    let status = outcome;
    let error = run.error;
    let result: JobRow["result"] = null;
    if (status === "COMPLETED") {
      try {
        const resultStage = run.stages[run.plan.resultStage]!;
        const value = actionValue(
          run.plan.action,
          resultStage.tasks.map((t) => t.result!),
        );
        // Measured as it will be stored: past the budget the job fails here, rather than the store or a resumed run failing the master.
        checkValueSize(run.plan.action.op, value, this.limits.maxResultBytes);
        let committed: unknown = value;
        const target = saveTarget(run.plan.action);
        if (target !== null) {
          const decision = this.store.saveCommitDecision(decideCommit(run.id, target.path, resultStage.tasks, target.dropEmptyParts));
          this.store.event(this.now(), run.id, "output commit decided", { path: decision.path, partitions: decision.partitions.length });
          await this.commit(decision, run.s3);
          committed = decision.value;
        }
        result = { action: run.plan.action.op, value: committed };
      } catch (e) {
        status = "FAILED";
        error = e instanceof EmptyDatasetError || e instanceof ResultTooLargeError ? e.message : `finishing the job failed: ${errorMessage(e)}`;
      }
    }
    if (run.plan.action.op === "save" && status !== "COMPLETED") await this.abortOutput(run.id, savePath(run.plan.action), run.s3);
    const view = jobView(this.row(run.id), status, run, this.now());
    view.error = error;
    this.lifecycle.end(run.id, status, this.now(), error, result, view);
    this.store.event(this.now(), run.id, "job ended", { status, error });
    this.log.info("job ended", { jobId: run.id, status, duration_ms: this.now() - run.startedAt, error });
    this.dropShuffle(run);
    this.scheduler.post({ type: "jobForgotten", jobId: run.id });
    if (run.plan.action.op === "save") this.releaseOutput(run.id);
  }

  /**
   * A save about to start: owns its output path (or waits for the job writing
   * it, or fails naming it) and has every live worker reserve it. false when
   * the job is not to be scheduled now: it waits for the path, or it is one a
   * restarted master found with a stored commit decision, which is finished.
   */
  private async prepareSave(entry: PendingJob): Promise<boolean> {
    const { id, job } = entry;
    const path = savePath(job.action);
    const { mode } = saveTarget(job.action)!;
    const claim = this.outputs.claim(path, id, mode, (j) => this.lifecycle.isLive(j));
    if (claim.kind === "refused") {
      throw new MinisparkError("OUTPUT_EXISTS", `output path "${path}" is being written by job ${claim.holder}; save with "mode": "overwrite" to replace its output once that job has ended`);
    }
    if (claim.kind === "wait") {
      this.lifecycle.waitForOutput(id);
      this.waiting.toBack(entry);
      this.store.event(this.now(), id, "waiting for output path", { path, writer: claim.holder });
      this.log.info("save waits for the job writing its output path", { jobId: id, path, writer: claim.holder });
      return false;
    }
    const decided = this.store.commitDecision(id);
    if (decided) {
      await this.finishStoredCommit(decided, job.s3);
      return false;
    }
    // S3 is one store every worker sees: one worker reserves it; a local output is reserved on every worker's disk.
    const preparers = isS3Url(path) ? this.registry.alive().slice(0, 1) : this.registry.alive();
    const prepared = await Promise.allSettled(preparers.map((w) => this.workers.prepareOutput(w.address, id, path, mode, job.s3)));
    const refusal = prepared.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (refusal) {
      // Some workers may have reserved the path already; a job that does not start leaves nothing.
      await this.abortOutput(id, path, job.s3);
      throw refusal.reason;
    }
    if (!this.lifecycle.is(id, "QUEUED")) {
      // Cancelled while its output was being reserved.
      await this.abortOutput(id, path, job.s3);
      this.releaseOutput(id);
    }
    return true;
  }

  /** A job whose path is free again (its writer ended) goes back to the head of the queue. */
  private unpark(): void {
    const free = this.waiting.parked().filter((e) => {
      const holder = this.outputs.holder(savePath(e.job.action));
      return holder === null || !this.lifecycle.isLive(holder);
    });
    if (free.length === 0) return;
    for (const e of free) this.lifecycle.outputFree(e.id);
    this.waiting.toFront(free);
  }

  private releaseOutput(id: JobId): void {
    this.outputs.release(id);
    if (this.waiting.parked().length > 0) void this.startPending();
  }

  /**
   * A job that was committing when an earlier master stopped: its stored
   * decision is carried out again (every step is idempotent on the workers),
   * or, if that fails, its output is removed and it fails. Never mixed output.
   */
  private async finishStoredCommit(d: CommitDecision, s3: S3JobSettings | null): Promise<void> {
    this.log.info("finishing a commit an earlier master started", { jobId: d.job, path: d.path, partitions: d.partitions.length });
    this.lifecycle.finishing(d.job, "COMPLETED");
    // From here the job is no scheduler's and no longer queued: it ends here, whatever throws, as a settled run does (settleFailed).
    try {
      this.store.event(this.now(), d.job, "output commit resumed", { path: d.path, partitions: d.partitions.length });
      let status: "COMPLETED" | "FAILED" = "COMPLETED";
      let error: string | null = null;
      try {
        await this.commit(d, s3);
      } catch (e) {
        status = "FAILED";
        error = `finishing the job's commit after a master restart failed: ${errorMessage(e)}`;
        await this.abortOutput(d.job, d.path, s3);
      }
      this.lifecycle.end(d.job, status, this.now(), error, status === "COMPLETED" ? { action: "save", value: d.value } : null, null);
      this.store.event(this.now(), d.job, "job ended", { status, error });
      this.log.info("job ended", { jobId: d.job, status, error });
    } catch (e) {
      this.log.error("finishing a resumed commit failed", { jobId: d.job, error: errorMessage(e) });
      // A failure after the job's end was stored (its event) leaves that end as it is.
      if (this.lifecycle.is(d.job, "FINISHING")) this.lifecycle.end(d.job, "FAILED", this.now(), `finishing the job's commit after a master restart failed: ${errorMessage(e)}`, null, null);
    } finally {
      this.releaseOutput(d.job);
    }
  }

  /**
   * Carries out a stored commit decision. Each worker publishes the parts its
   * attempts staged (outputs on a shared volume and on each worker's own disk
   * both work); parts staged by a worker that is gone are tried on any live
   * worker, which finds them only on a shared volume. Then each publisher
   * writes _SUCCESS (one after another: on a shared volume the later ones find
   * it written), and the other workers drop their unused reservation.
   */
  private async commit(d: CommitDecision, s3: S3JobSettings | null): Promise<void> {
    if (isS3Url(d.path)) return this.commitS3(d, s3);
    const publishers = new Map<WorkerId, WorkerInfo>();
    await Promise.all(
      [...partsByWorker(d)].map(async ([workerId, parts]) => {
        const own = this.registry.get(workerId);
        const candidates = own?.state === "ALIVE" ? [own] : this.registry.alive();
        let lastError: unknown = new Error("no live worker");
        for (const w of candidates) {
          try {
            for (let i = 0; i < parts.length; i += PUBLISH_BATCH) await this.workers.publishOutput(w.address, d.job, d.path, parts.slice(i, i + PUBLISH_BATCH));
            publishers.set(w.id, w);
            return;
          } catch (e) {
            lastError = e;
          }
        }
        throw new Error(`the part files staged by ${workerId} could not be published: ${errorMessage(lastError)}`);
      }),
    );
    for (const w of publishers.values()) await this.workers.finalizeOutput(w.address, d.job, d.path, d.partitions.length);
    const others = this.registry.alive().filter((w) => !publishers.has(w.id));
    await Promise.allSettled(others.map((w) => this.workers.abortOutput(w.address, d.job, d.path, true)));
  }

  /**
   * Carries out a stored decision for an s3:// output: any live worker can
   * complete any upload (the uploads live in S3, not on the worker that
   * staged them), so each batch goes to the first worker that takes it, and
   * one worker then writes _SUCCESS. Every step is idempotent.
   */
  private async commitS3(d: CommitDecision, s3: S3JobSettings | null): Promise<void> {
    const batches: CommitDecision["partitions"][] = [[]];
    let etags = 0;
    for (const p of d.partitions) {
      const n = p.upload?.parts.length ?? 0;
      if (batches.at(-1)!.length >= S3_PUBLISH_BATCH || etags + n > PUBLISH_ETAGS) {
        batches.push([]);
        etags = 0;
      }
      batches.at(-1)!.push(p);
      etags += n;
    }
    for (const batch of batches) {
      const parts = batch.map(({ partition, attemptId, file, upload }) => ({ partition, attemptId, file, upload }));
      await this.onAnyWorker(`publishing the parts of ${d.path}`, (w) => this.workers.publishOutput(w.address, d.job, d.path, parts, s3));
    }
    await this.onAnyWorker(`finalizing ${d.path}`, (w) => this.workers.finalizeOutput(w.address, d.job, d.path, d.partitions.length, s3));
  }

  /** Runs `step` on the live workers in turn until one succeeds; throws the last error. */
  private async onAnyWorker(what: string, step: (w: WorkerInfo) => Promise<void>): Promise<void> {
    let lastError: unknown = new Error("no live worker");
    for (const w of this.registry.alive()) {
      try {
        return await step(w);
      } catch (e) {
        lastError = e;
      }
    }
    throw new Error(`${what} failed: ${errorMessage(lastError)}`);
  }

  /** A save that did not commit leaves nothing (best effort: a worker that cannot be reached keeps an uncommitted directory, without _SUCCESS). */
  private async abortOutput(id: JobId, path: string, s3: S3JobSettings | null): Promise<void> {
    if (isS3Url(path)) {
      await this.onAnyWorker(`removing ${path}`, (w) => this.workers.abortOutput(w.address, id, path, false, s3)).catch((e) =>
        this.log.warn("could not remove a failed save's S3 output", { jobId: id, path, error: errorMessage(e) }),
      );
      return;
    }
    const results = await Promise.allSettled(this.registry.alive().map((w) => this.workers.abortOutput(w.address, id, path, false)));
    const failed = results.filter((r) => r.status === "rejected").length;
    if (failed > 0) this.log.warn("could not remove a failed save's output on every worker", { jobId: id, path, workers: failed });
  }

  /**
   * Every live worker, not only the registered holders: failed or superseded
   * attempts leave files too. A job without a shuffle has none to drop: every
   * structure that spills sits on one side of a shuffle.
   */
  private dropShuffle(run: JobRun): void {
    if (run.plan.shuffles.length === 0 || run.filesRetained) return;
    this.dropShuffleFiles([run.id]);
  }

  /** Every live worker drops these jobs' shuffle directories (ended jobs whose output is no longer kept for their application). */
  dropShuffleFiles(jobs: readonly JobId[]): void {
    for (const { address } of this.registry.alive()) {
      for (const id of jobs) this.workers.dropShuffle(address, id).catch((e) => this.log.debug("dropping shuffle files failed", { jobId: id, error: errorMessage(e) }));
    }
  }
}

/** What the service asks of the application registry: why the application a job names is not ACTIVE (null: it is). */
export type ApplicationCheck = { inactiveReason(id: AppId): string | null };

/** Attempts listed per stage at most, so that a huge stage's page stays small. */
const STAGE_TASKS_LIMIT = 5000;

/** A running job's attempts of one stage, by partition then attempt number, in the store's shape. */
function liveAttempts(run: JobRun, stage: number, limit: number): StoredAttempt[] {
  const out: StoredAttempt[] = [];
  for (const task of run.stages[stage]?.tasks ?? []) {
    for (const a of task.attempts) {
      if (out.length === limit) return out;
      out.push({ id: a.id, partition: task.partition, n: a.n, worker: a.workerId, state: a.state, startedAt: a.startedAt, finishedAt: a.finishedAt, error: a.error });
    }
  }
  return out;
}

function savePath(action: ActionSpec): string {
  return saveTarget(action)!.path;
}

function mib(bytes: number): number {
  return Math.ceil(bytes / 2 ** 20);
}

/** What the service asks of the broadcast registry: why a job of the application may not name the broadcast (null: it may). */
export type BroadcastCheck = { problem(app: AppId | null, id: BroadcastId): string | null };
