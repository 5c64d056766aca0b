// Unit tests of the master's job service (src/master/job-service.ts) through its
// real code, with the in-memory job store, a real worker registry, a fake
// scheduler (it takes jobs and ends them when told) and fake worker calls, on a
// fake clock: submit, the queue, cancel in each phase, finishing (a value, an
// empty dataset, a save's commit), and a restart on the same store.
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import type { JobInfo, JobStatus } from "../src/common/api-types.js";
import type { MinisparkError } from "../src/common/errors.js";
import { asAppId, asAttemptId, asWorkerId, type JobId } from "../src/common/ids.js";
import { configureLogging, logger } from "../src/common/log.js";
import { newJobRun, type JobRun } from "../src/master/job-run.js";
import { JobService, type JobScheduler, type JobWorkerCalls } from "../src/master/job-service.js";
import type { SchedulerEvent } from "../src/master/scheduler-events.js";
import { MemoryJobStore } from "../src/master/memory-job-store.js";
import { WorkerRegistry } from "../src/master/worker-registry.js";
import { AppRegistry } from "../src/master/app-registry.js";
import type { JobPlan } from "../src/plan/physical.js";
import { DEFAULT_PLAN_LIMITS, type PlanLimits } from "../src/plan/plan-limits.js";
import { idleHeartbeat } from "./helpers/heartbeats.js";
import type { TaskResult } from "../src/plan/task.js";
import { errorCode } from "./helpers/error-code.js";

const LEASE_MS = 10_000;
const W = asWorkerId("worker-a");

/** Takes jobs as the scheduler does, runs nothing, and ends a job when the test says. */
class FakeScheduler implements JobScheduler {
  readonly runs = new Map<JobId, JobRun>();
  readonly submitted: { id: JobId; recovered: number }[] = [];

  constructor(
    private readonly now: () => number,
    private readonly ended: (run: JobRun) => void,
  ) {}

  job(id: JobId): JobRun | undefined {
    return this.runs.get(id);
  }

  post(event: SchedulerEvent): void {
    switch (event.type) {
      case "jobSubmitted": {
        const run = newJobRun(event.jobId, event.name, event.plan, event.limits, this.now(), event.resolution);
        this.runs.set(event.jobId, run);
        this.submitted.push({ id: event.jobId, recovered: event.recovered.length });
        return;
      }
      case "jobCancelled": {
        const run = this.runs.get(event.jobId);
        if (run?.status === "RUNNING") this.end(run, "CANCELLED", event.error ?? null);
        return;
      }
      case "jobForgotten":
        if (this.runs.get(event.jobId)?.status !== "RUNNING") this.runs.delete(event.jobId);
        return;
      default:
        throw new Error(`the job service posted ${event.type}, which it has no business posting`);
    }
  }

  /** Every task succeeds, on worker-a; the result stage's tasks with `result(partition)`. */
  complete(id: JobId, result: (partition: number) => TaskResult): void {
    const run = this.runs.get(id)!;
    for (const s of run.stages) {
      s.status = "COMPLETED";
      for (const t of s.tasks) {
        const attempt = {
          id: asAttemptId(`${id}-${s.stage.id}-${t.partition}-0`),
          n: 0,
          workerId: W,
          startedAt: this.now(),
          finishedAt: this.now(),
          state: "FINISHED" as const,
          error: null,
          metrics: null,
        };
        t.status = "SUCCEEDED";
        t.attempts = [attempt];
        t.resultAttempt = attempt.id;
        t.result = s.stage.id === run.plan.resultStage ? result(t.partition) : { type: "mapStatus", sizes: [], records: 0 };
      }
      s.succeeded = s.tasks.length;
    }
    this.end(run, "COMPLETED", null);
  }

  fail(id: JobId, error: string): void {
    this.end(this.runs.get(id)!, "FAILED", error);
  }

  private end(run: JobRun, status: "COMPLETED" | "FAILED" | "CANCELLED", error: string | null): void {
    run.status = status;
    run.error = error;
    run.finishedAt = this.now();
    this.ended(run);
  }
}

/** Worker calls that record what was asked; a listing of input splits and a save's publish wait until the test releases them. */
class FakeWorkers implements JobWorkerCalls {
  readonly calls: string[] = [];
  private release: (() => void) | null = null;
  private releaseSplits: (() => void) | null = null;
  holdPublish = false;

  /** One split of 10 bytes for each source, once released. */
  async listSplits(_address: string, sources: { node: string; path: string | string[] }[]): Promise<unknown> {
    this.calls.push(`list ${sources.map((s) => s.path).join(",")}`);
    await new Promise<void>((r) => (this.releaseSplits = r));
    return { splits: Object.fromEntries(sources.map((s) => [s.node, [{ path: String(s.path), start: 0, end: 10, fileSize: 10 }]])) };
  }
  listSplitsNow(): void {
    this.releaseSplits?.();
  }
  async prepareOutput(_address: string, _jobId: JobId, path: string): Promise<void> {
    this.calls.push(`prepare ${path}`);
  }
  async publishOutput(_address: string, _jobId: JobId, path: string, parts: { partition: number }[]): Promise<void> {
    this.calls.push(`publish ${path} ${parts.map((p) => p.partition).join(",")}`);
    if (this.holdPublish) await new Promise<void>((r) => (this.release = r));
  }
  async finalizeOutput(_address: string, _jobId: JobId, path: string, partitions: number): Promise<void> {
    this.calls.push(`finalize ${path} ${partitions}`);
  }
  async abortOutput(_address: string, _jobId: JobId, path: string, committed: boolean): Promise<void> {
    this.calls.push(`abort ${path} ${committed}`);
  }
  async dropShuffle(_address: string, jobId: JobId): Promise<void> {
    this.calls.push(`drop ${jobId}`);
  }
  releasePublish(): void {
    this.release?.();
  }
}

class Harness {
  clock = 1_000_000;
  readonly registry = new WorkerRegistry(LEASE_MS);
  readonly workers = new FakeWorkers();
  readonly service: JobService;
  readonly scheduler: FakeScheduler;

  constructor(
    readonly store = new MemoryJobStore(),
    opts: { queueBytes?: number; plan?: PlanLimits } = {},
  ) {
    const now = () => this.clock;
    this.service = new JobService(store, this.registry, this.workers, logger("jobs"), now, {}, { taskTimeoutMs: 0, maxResultBytes: 1 << 20, ...opts });
    this.scheduler = new FakeScheduler(now, (run) => this.service.jobEnded(run));
    this.service.attach(this.scheduler);
  }

  /** Starts what can start, and lets it run as far as it goes without the test. */
  async startPending(): Promise<void> {
    await this.service.startPending();
    await settle();
  }

  addWorker(): void {
    assert.equal(this.registry.heartbeat(idleHeartbeat(W, 2), this.clock), "registered");
  }

  status(id: JobId): JobStatus {
    return this.service.view(id).status;
  }

  rowStatus(id: JobId): JobStatus {
    return this.store.getJob(id)!.status;
  }

  events(id: JobId): string[] {
    return this.service.view(id).events.map((e) => e.kind);
  }
}

/** A store whose startJob fails the next `failStart` times (a full disk, a locked database), as SQLite's can. */
class FlakyStartStore extends MemoryJobStore {
  failStart = 0;
  override startJob(...args: Parameters<MemoryJobStore["startJob"]>): void {
    if (this.failStart-- > 0) throw new Error("SQLITE_FULL: database or disk is full");
    super.startJob(...args);
  }
}

/** A store whose endJob fails the next `failEnd` times, as SQLite's can. */
class FlakyEndStore extends MemoryJobStore {
  failEnd = 0;
  override endJob(...args: Parameters<MemoryJobStore["endJob"]>): void {
    if (this.failEnd-- > 0) throw new Error("SQLITE_FULL: database or disk is full");
    super.endJob(...args);
  }
}

const collect = (data: number[] = [1, 2, 3, 4], numSlices = 2) => ({ name: "t", nodes: [{ id: "p", op: "parallelize", data, numSlices }], action: { op: "collect", input: "p" } });
const reduce = () => ({ name: "r", nodes: [{ id: "p", op: "parallelize", data: [], numSlices: 2 }], action: { op: "reduce", input: "p", fn: "(a, b) => a + b" } });
const save = (mode?: "overwrite") => ({ name: "s", nodes: [{ id: "p", op: "parallelize", data: [1, 2], numSlices: 2 }], action: { op: "save", input: "p", path: "out/x", ...(mode ? { mode } : {}) } });
const saved = (p: number): TaskResult => ({ type: "saved", file: `part-0000${p}`, records: 1 });

/** Lets the service's promise chains (settle, commit, startPending) run. */
const settle = () => new Promise((r) => setImmediate(r));

const code = errorCode;

describe("the job service", () => {
  let logs: string[];
  beforeEach(() => {
    logs = [];
    configureLogging({ sink: { write: (l) => void logs.push(l) } });
  });
  afterEach(() => configureLogging({ sink: { write: (l) => void process.stderr.write(l) } }));

  it("shows a running job's plan with what its probes have found so far (the scheduler's resolution)", async () => {
    const h = new Harness();
    h.addWorker();
    const id = h.service.submit({ ...collect(), nodes: [...collect().nodes, { id: "s", op: "sortBy", input: "p", fn: "x => x", numPartitions: 2 }], action: { op: "collect", input: "s" } });
    await h.startPending();
    assert.match(h.service.planText(id).plan, /range ascending, records as keys, bounds from stage 0/);
    const resolution = { bounds: { 0: [2] }, offsets: {}, edges: null };
    h.scheduler.job(id)!.resolution = resolution;
    assert.match(h.service.planText(id).plan, /range ascending, records as keys, 1 bound\)/);
  });

  it("queues a job until a worker is there, then hands its plan to the scheduler", async () => {
    const h = new Harness();
    const id = h.service.submit(collect());
    assert.equal(h.status(id), "PENDING");
    assert.equal(h.rowStatus(id), "PENDING");
    await h.startPending();
    assert.equal(h.scheduler.submitted.length, 0, "no worker, no start");
    h.addWorker();
    await h.startPending();
    assert.deepEqual(h.scheduler.submitted, [{ id, recovered: 0 }]);
    assert.equal(h.status(id), "RUNNING");
    assert.equal(h.rowStatus(id), "RUNNING");
    assert.ok(h.store.getJob(id)!.plan, "the plan is stored for a restart");
    assert.equal(h.store.getJob(id)!.planningStartedAt, null, "planning ended");
    assert.deepEqual(h.events(id), ["job submitted", "job started"]);
    const view: JobInfo = h.service.view(id);
    assert.equal(view.action, "collect");
    assert.equal(view.stages.length, 1);
  });

  it("finishes a completed job with the action's value, and forgets its run", async () => {
    const h = new Harness();
    h.addWorker();
    const id = h.service.submit(collect());
    await h.startPending();
    assert.match(
      code(() => h.service.results(id)),
      /^NOT_READY: job \S+ is RUNNING; results are available once it is COMPLETED$/,
    );
    h.scheduler.complete(id, (p) => ({ type: "collect", records: p === 0 ? [1, 2] : [3, 4] }));
    await settle();
    assert.equal(h.status(id), "COMPLETED");
    assert.deepEqual(h.service.results(id), { id, action: "collect", value: [1, 2, 3, 4] });
    assert.equal(h.scheduler.job(id), undefined);
    const view = h.service.view(id);
    assert.equal(view.progress, 100, "the stored view is served once the run is gone");
    assert.equal(view.stages[0]!.tasks.succeeded, 2);
    assert.deepEqual(h.events(id).slice(-1), ["job ended"]);
    assert.match(
      code(() => h.service.cancel(id)),
      /^CONFLICT: job \S+ is already COMPLETED$/,
    );
  });

  it("fails a job whose action has no value (an empty reduce) though its run completed", async () => {
    const h = new Harness();
    h.addWorker();
    const id = h.service.submit(reduce());
    await h.startPending();
    h.scheduler.complete(id, () => ({ type: "collect", records: [] }));
    await settle();
    const view = h.service.view(id);
    assert.equal(view.status, "FAILED");
    assert.match(view.error!, /empty/);
    assert.equal(h.rowStatus(id), "FAILED");
    assert.match(
      code(() => h.service.results(id)),
      /^CONFLICT: job \S+ is FAILED: .*empty.*; it has no results$/,
    );
  });

  it("keeps the scheduler's error for a run that failed", async () => {
    const h = new Harness();
    h.addWorker();
    const id = h.service.submit(collect());
    await h.startPending();
    h.scheduler.fail(id, "task 0 failed 4 times");
    await settle();
    assert.deepEqual([h.status(id), h.service.view(id).error], ["FAILED", "task 0 failed 4 times"]);
  });

  it("cancels a queued job, which then never starts", async () => {
    const h = new Harness();
    const id = h.service.submit(collect());
    const view = h.service.cancel(id);
    assert.deepEqual([view.status, view.error], ["CANCELLED", "cancelled by the user before it started"]);
    h.addWorker();
    await h.startPending();
    assert.equal(h.scheduler.submitted.length, 0);
    assert.equal(h.store.getJob(id)!.planningStartedAt, null, "it is not even planned");
    assert.match(
      code(() => h.service.cancel(id)),
      /^CONFLICT: job \S+ is already CANCELLED$/,
    );
    assert.match(
      code(() => h.service.results(id)),
      /^CONFLICT: job \S+ is CANCELLED: cancelled by the user before it started; it has no results$/,
    );
  });

  it("cancels a running job through the scheduler", async () => {
    const h = new Harness();
    h.addWorker();
    const id = h.service.submit(collect());
    await h.startPending();
    assert.equal(h.service.cancel(id).status, "CANCELLED");
    assert.equal(h.rowStatus(id), "CANCELLED");
    assert.equal(h.scheduler.job(id), undefined);
  });

  it("refuses to cancel a save that is committing; the commit completes it", async () => {
    const h = new Harness();
    h.addWorker();
    h.workers.holdPublish = true;
    const id = h.service.submit(save());
    await h.startPending();
    h.scheduler.complete(id, saved);
    await settle();
    assert.equal(h.status(id), "RUNNING", "a job whose output is being committed is not done yet");
    assert.match(
      code(() => h.service.cancel(id)),
      /^CONFLICT: job \S+ is finishing \(COMPLETED\); it can no longer be cancelled$/,
    );
    h.workers.releasePublish();
    await settle();
    assert.equal(h.status(id), "COMPLETED");
    assert.deepEqual(h.service.results(id).value, { path: "out/x", files: ["part-00000", "part-00001"], records: 2 });
    assert.deepEqual(h.workers.calls, ["prepare out/x", "publish out/x 0,1", "finalize out/x 2"]);
  });

  it("parks an overwrite of a path being written until its writer ends; a parked job can be cancelled", async () => {
    const h = new Harness();
    h.addWorker();
    const writer = h.service.submit(save());
    await h.startPending();
    const second = h.service.submit(save("overwrite"));
    const third = h.service.submit(save("overwrite"));
    await h.startPending();
    assert.deepEqual([h.status(second), h.status(third)], ["PENDING", "PENDING"]);
    assert.deepEqual(h.events(second).slice(-1), ["waiting for output path"]);
    assert.equal(h.service.cancel(third).error, "cancelled by the user while waiting for its output path");
    h.scheduler.complete(writer, saved);
    await settle();
    await h.startPending();
    assert.deepEqual(
      h.scheduler.submitted.map((s) => s.id),
      [writer, second],
    );
    assert.equal(h.status(second), "RUNNING");
    assert.equal(h.status(third), "CANCELLED");
  });

  it("drops a save cancelled while its inputs are listed, and starts the job behind it", async () => {
    const h = new Harness();
    h.addWorker();
    const writer = h.service.submit(save());
    await h.startPending();
    const reader = h.service.submit({ name: "s", nodes: [{ id: "t", op: "textFile", path: "in/a.txt" }], action: { op: "save", input: "t", path: "out/x", mode: "overwrite" } });
    const behind = h.service.submit(collect());
    await settle();
    assert.deepEqual(h.workers.calls.slice(-1), ["list in/a.txt"]);
    assert.equal(h.service.cancel(reader).status, "CANCELLED");
    h.workers.listSplitsNow();
    await settle();
    assert.deepEqual(
      h.scheduler.submitted.map((s) => s.id),
      [writer, behind],
    );
    assert.ok(!h.events(reader).includes("waiting for output path"));
    h.scheduler.complete(writer, saved);
    await h.startPending();
    assert.deepEqual([h.status(writer), h.status(reader)], ["COMPLETED", "CANCELLED"]);
  });

  it("refuses an invalid spec, and a spec past the queue's budget", () => {
    const h = new Harness(new MemoryJobStore(), { queueBytes: 1000 });
    assert.match(
      code(() => h.service.submit({ nodes: [] })),
      /^INVALID_JOB_SPEC: invalid job spec: /,
    );
    h.service.submit(collect());
    assert.match(
      code(() => h.service.submit(collect())),
      /^BUSY: the master holds 1 jobs waiting to start \(about 1 MiB of specs, its limit is 1 MiB\)/,
    );
    assert.equal(h.store.listJobs(10).length, 1, "a refused job is not stored");
  });

  it("fails a job whose start is refused, and starts the next", async () => {
    const h = new Harness(new MemoryJobStore(), { plan: { ...DEFAULT_PLAN_LIMITS, maxTasksPerJob: 3 } });
    const first = h.service.submit(collect([1, 2, 3, 4], 4));
    const second = h.service.submit(collect());
    h.addWorker();
    await h.startPending();
    assert.equal(h.status(first), "FAILED");
    assert.match(h.service.view(first).error!, /^planning the job failed: /);
    assert.equal(h.status(second), "RUNNING");
  });

  it("after a restart, resumes a running job with its plan, resolution and map outputs once the lease has passed, and re-queues a pending one", async () => {
    const store = new MemoryJobStore();
    const before = new Harness(store);
    before.addWorker();
    const running = before.service.submit({
      ...collect(),
      nodes: [
        { id: "p", op: "parallelize", data: [1, 2], numSlices: 2 },
        { id: "g", op: "groupByKey", input: "p" },
      ],
      action: { op: "collect", input: "g" },
    });
    await before.startPending();
    store.putMapOutput(running, 0, 0, { workerId: W, address: "worker-a:7000", sizes: [1, 1] });
    const resolution = { bounds: { 0: [1] }, offsets: {}, edges: null };
    store.saveResolution(running, resolution);
    before.registry.leave(W);
    const pending = before.service.submit(collect());

    const after = new Harness(store);
    after.clock = before.clock + 5;
    after.service.recover(LEASE_MS);
    assert.deepEqual([after.status(running), after.status(pending)], ["PENDING", "PENDING"]);
    assert.equal(after.rowStatus(running), "RUNNING", "the row keeps its plan for the resume");
    after.addWorker();
    await after.startPending();
    assert.equal(after.scheduler.submitted.length, 0, "the resumed job waits for workers to register again, and the one behind it waits its turn");
    after.clock += LEASE_MS;
    await after.startPending();
    assert.deepEqual(after.scheduler.submitted, [
      { id: running, recovered: 1 },
      { id: pending, recovered: 0 },
    ]);
    assert.deepEqual(after.scheduler.job(running)!.resolution, resolution, "what its probes found is handed back");
    assert.deepEqual(store.getJob(running)!.resolution, resolution, "and stays stored for another restart");
    assert.deepEqual(
      after.events(running).filter((e) => e !== "job started"),
      ["job submitted", "job recovered", "job resumed"],
    );
    assert.deepEqual(after.store.events(running).find((e) => e.kind === "job recovered")?.detail, { resumed: true, mapOutputs: 1 });
  });

  it("after a restart, fails a job whose planning crashed the previous master instead of planning it again", () => {
    const store = new MemoryJobStore();
    const before = new Harness(store);
    const id = before.service.submit(collect());
    store.planningBegan(id, before.clock);
    const after = new Harness(store);
    after.service.recover(LEASE_MS);
    assert.equal(after.status(id), "FAILED");
    assert.match(after.service.view(id).error!, /^quarantined: planning this job crashed the previous master/);
    assert.deepEqual(after.events(id).slice(-1), ["job quarantined"]);
  });

  it("lists jobs newest first without their stages and events", async () => {
    const h = new Harness();
    h.addWorker();
    const a = h.service.submit(collect());
    h.clock++;
    const b = h.service.submit(collect());
    await h.startPending();
    const list = h.service.list(10);
    assert.deepEqual(
      list.map((j) => [j.id, j.status]),
      [
        [b, "RUNNING"],
        [a, "RUNNING"],
      ],
    );
    assert.deepEqual([list[0]!.stages, list[0]!.failedTasks, list[0]!.events], [[], [], []]);
  });

  it("starts again a job whose start could not be stored, rather than leave it RUNNING with no run", async () => {
    const store = new FlakyStartStore();
    const h = new Harness(store);
    h.addWorker();
    const id = h.service.submit(collect());
    store.failStart = 1;
    await h.startPending();
    assert.deepEqual([h.status(id), h.rowStatus(id), h.scheduler.submitted.length], ["PENDING", "PENDING", 0], "a start that was not stored did not happen");
    h.clock += 1000;
    await h.startPending();
    assert.deepEqual(
      h.scheduler.submitted.map((s) => s.id),
      [id],
    );
    assert.equal(h.status(id), "RUNNING");
  });

  it("cancels, when tried again after its store write failed, that job and no other", async () => {
    const store = new FlakyEndStore();
    const h = new Harness(store);
    const a = h.service.submit(collect());
    h.clock++;
    const b = h.service.submit(collect());
    store.failEnd = 1;
    assert.throws(() => h.service.cancel(a), /SQLITE_FULL/);
    assert.equal(h.status(a), "PENDING", "a cancel that was not stored did not happen");
    assert.equal(h.service.cancel(a).status, "CANCELLED");
    h.addWorker();
    await h.startPending();
    assert.deepEqual(
      h.scheduler.submitted.map((s) => s.id),
      [b],
      "b, never cancelled, is still queued and starts",
    );
    assert.deepEqual([h.status(a), h.status(b)], ["CANCELLED", "RUNNING"]);
  });

  it("after a restart, ends a resumed commit whose end cannot be stored, and frees its path", async () => {
    const store = new FlakyEndStore();
    const before = new Harness(store);
    const id = before.service.submit(save());
    // The first master ran the job and stored its commit decision; then it died.
    store.startJob(id, before.clock, { stages: [], shuffles: [], resultStage: 0, action: { op: "save", params: { path: "out/x" } } } as unknown as JobPlan);
    store.saveCommitDecision({ job: id, path: "out/x", partitions: [{ partition: 0, attemptId: asAttemptId("a"), workerId: W }], value: { path: "out/x", files: ["part-00000"], records: 1 } });
    const after = new Harness(store);
    after.service.recover(0);
    after.addWorker();
    store.failEnd = 1;
    await after.startPending();
    await settle();
    assert.equal(after.status(id), "FAILED", "not RUNNING (FINISHING) for ever with no run and no commit under way");
    assert.match(after.service.view(id).error!, /^finishing the job's commit after a master restart failed: SQLITE_FULL/);
    const next = after.service.submit(save());
    await after.startPending();
    assert.equal(after.status(next), "RUNNING", "its output path was released");
  });
});

describe("jobs of an application", () => {
  /** A service with the master's application registry on the same store and clock, wired as master-process.ts wires it. */
  function withApps(store = new MemoryJobStore()) {
    const h = new Harness(store);
    const apps = new AppRegistry(store, () => h.clock, logger("apps"));
    apps.load();
    h.service.useApplications(apps);
    apps.onEnded((a) => h.service.applicationEnded(a.id, a.endReason!));
    return { h, apps };
  }

  it("records the application a job names, and cancels its queued job when it ends", () => {
    const { h, apps } = withApps();
    const app = apps.register({ name: "a" });
    const id = h.service.submit({ ...collect(), application: app.id });
    assert.equal(h.store.getJob(id)!.application, app.id);
    assert.equal(h.service.view(id).application, app.id);
    const other = h.service.submit(collect());
    apps.endByClient(asAppId(app.id));
    assert.deepEqual([h.status(id), h.service.view(id).error], ["CANCELLED", `application ${app.id} ended`]);
    assert.equal(h.status(other), "PENDING", "a job of no application stays queued");
    assert.equal(apps.get(asAppId(app.id)).jobs, 1);
  });

  it("refuses a job naming an application that is not ACTIVE, or any when there are no applications", () => {
    const { h, apps } = withApps();
    const app = apps.register({ name: "a" });
    apps.endByClient(asAppId(app.id));
    assert.throws(
      () => h.service.submit({ ...collect(), application: app.id }),
      (e: MinisparkError) => e.code === "INVALID_JOB_SPEC" && e.message === `invalid job spec: application ${app.id} is ENDED (application ${app.id} ended)`,
    );
    assert.throws(() => new Harness().service.submit({ ...collect(), application: app.id }), /this master keeps no applications/);
  });

  it("cancels a running job when the application's lease runs out, with the reason", async () => {
    const { h, apps } = withApps();
    const app = apps.register({ name: "a", leaseMs: 1000 });
    h.addWorker();
    const id = h.service.submit({ ...collect(), application: app.id });
    await h.startPending();
    assert.equal(h.status(id), "RUNNING");
    h.clock += 1001;
    apps.expire();
    await settle();
    assert.equal(h.status(id), "CANCELLED");
    assert.equal(h.service.view(id).error, `application ${app.id}'s lease ran out (no renewal for 1001 ms)`);
  });

  it("after a restart, cancels a job whose application ended before the last master could", () => {
    const store = new MemoryJobStore();
    const { h, apps } = withApps(store);
    const app = apps.register({ name: "a" });
    const id = h.service.submit({ ...collect(), application: app.id });
    // The end is stored; the master died before its listeners ran.
    store.saveApp({ ...store.getApp(asAppId(app.id))!, status: "ENDED", endedAt: h.clock, endReason: `application ${app.id} ended` });
    const after = withApps(store).h;
    after.service.recover(LEASE_MS);
    assert.deepEqual([after.status(id), after.service.view(id).error], ["CANCELLED", `application ${app.id} is ENDED (application ${app.id} ended)`]);
  });
});
