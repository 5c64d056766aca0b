// Review findings on the job service (issue 16, items 3-4): each test shows a
// behaviour of d5720c4 the merge lost. They fail on ff502a5.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { JobId } from "../src/common/ids.js";
import { asWorkerId } from "../src/common/ids.js";
import { configureLogging, logger } from "../src/common/log.js";
import { newJobRun, type JobRun } from "../src/master/job-run.js";
import { JobService, type JobScheduler, type JobWorkerCalls } from "../src/master/job-service.js";
import { MapOutputTracker } from "../src/master/map-output-tracker.js";
import { MemoryJobStore } from "../src/master/memory-job-store.js";
import type { SchedulerEvent } from "../src/master/scheduler-events.js";
import { WorkerRegistry } from "../src/master/worker-registry.js";
import type { JobPlan } from "../src/plan/physical.js";
import { idleHeartbeat } from "./helpers/heartbeats.js";

configureLogging({ sink: { write: () => {} } });

/** A store whose startJob fails once (a full disk, a locked database), as SQLite's can. */
class FlakyStartStore extends MemoryJobStore {
  failStart = 1;
  override startJob(id: JobId, now: number, plan: JobPlan): void {
    if (this.failStart-- > 0) throw new Error("SQLITE_FULL: database or disk is full");
    super.startJob(id, now, plan);
  }
}

class Sched implements JobScheduler {
  readonly runs = new Map<JobId, JobRun>();
  constructor(private readonly now: () => number) {}
  job(id: JobId): JobRun | undefined {
    return this.runs.get(id);
  }
  post(e: SchedulerEvent): void {
    if (e.type === "jobSubmitted") this.runs.set(e.jobId, newJobRun(e.jobId, e.name, e.plan, e.limits, this.now()));
  }
}

/** A store whose endJob fails once, as SQLite's can (SQLITE_FULL, SQLITE_BUSY). */
class FlakyEndStore extends MemoryJobStore {
  failEnd = 0;
  override endJob(...args: Parameters<MemoryJobStore["endJob"]>): void {
    if (this.failEnd-- > 0) throw new Error("SQLITE_FULL: database or disk is full");
    super.endJob(...args);
  }
}

const noWorkers = {} as JobWorkerCalls;
const collect = { name: "t", nodes: [{ id: "p", op: "parallelize", data: [1, 2], numSlices: 2 }], action: { op: "collect", input: "p" } };

describe("review: job service", () => {
  it("a job whose start could not be stored is tried again, not left RUNNING with no run (as at d5720c4)", async () => {
    let clock = 1_000_000;
    const store = new FlakyStartStore();
    const registry = new WorkerRegistry(10_000);
    registry.heartbeat(idleHeartbeat(asWorkerId("w"), 2), clock);
    const service = new JobService(store, registry, new MapOutputTracker(), noWorkers, logger("jobs"), () => clock, {}, { taskTimeoutMs: 0, maxResultBytes: 1 << 20 });
    const sched = new Sched(() => clock);
    service.attach(sched);
    const id = service.submit(collect);
    await new Promise((r) => setImmediate(r));
    clock += 1000;
    await service.startPending();
    await new Promise((r) => setImmediate(r));
    // At ff502a5: the lifecycle moved to RUNNING before the write that threw, so the
    // catch took it for "the scheduler's to end": it shows RUNNING, the scheduler never
    // had it, a cancel posts to a scheduler that does not know it, and it never ends.
    const cancelled = service.cancel(id);
    assert.ok(sched.job(id) !== undefined || cancelled.status === "CANCELLED", `job is ${cancelled.status} with no run in the scheduler, and cancel did not end it`);
  });

  it("a cancel whose store write fails, tried again, cancels that job and no other", async () => {
    let clock = 1_000_000;
    const store = new FlakyEndStore();
    const registry = new WorkerRegistry(10_000);
    const service = new JobService(store, registry, new MapOutputTracker(), noWorkers, logger("jobs"), () => clock, {}, { taskTimeoutMs: 0, maxResultBytes: 1 << 20 });
    const sched = new Sched(() => clock);
    service.attach(sched);
    const a = service.submit(collect);
    clock++;
    const b = service.submit(collect);
    store.failEnd = 1;
    assert.throws(() => service.cancel(a), /SQLITE_FULL/);
    // The user (or the CLI) tries again. At ff502a5 the first try had already taken a out
    // of the queue, so the second finds no entry: splice(-1, 1) drops b, the last queued job.
    service.cancel(a);
    registry.heartbeat(idleHeartbeat(asWorkerId("w"), 2), clock);
    await service.startPending();
    await new Promise((r) => setImmediate(r));
    assert.equal(service.view(a).status, "CANCELLED");
    assert.equal(service.view(b).status, "RUNNING", "b, never cancelled, was dropped from the queue and never starts");
  });

  it("a restarted master whose stored commit cannot be recorded as ended does not keep the job finishing, and its path held, forever", async () => {
    let clock = 1_000_000;
    const store = new FlakyEndStore();
    const W = asWorkerId("w");
    const saveSpec = (mode?: string) => ({ name: "s", nodes: [{ id: "p", op: "parallelize", data: [1, 2], numSlices: 2 }], action: { op: "save", input: "p", path: "out/x", ...(mode ? { mode } : {}) } });
    const workers = {
      prepareOutput: async () => {},
      publishOutput: async () => {},
      finalizeOutput: async () => {},
      abortOutput: async () => {},
      dropShuffle: async () => {},
      listSplits: async () => ({ splits: {} }),
    } as unknown as JobWorkerCalls;
    // The first master: the job ran and its commit decision was stored; then it died.
    const first = new JobService(store, new WorkerRegistry(10_000), new MapOutputTracker(), workers, logger("jobs"), () => clock, {}, { taskTimeoutMs: 0, maxResultBytes: 1 << 20 });
    first.attach(new Sched(() => clock));
    const id = first.submit(saveSpec());
    store.startJob(id, clock, { stages: [], shuffles: [], resultStage: 0, action: { op: "save", params: { path: "out/x" } } } as unknown as JobPlan);
    store.saveCommitDecision({ job: id, path: "out/x", partitions: [{ partition: 0, attemptId: "a" as never, workerId: W }], value: { path: "out/x", files: ["part-00000"], records: 1 } } as never);
    // The second master on the same store.
    const registry = new WorkerRegistry(10_000);
    const second = new JobService(store, registry, new MapOutputTracker(), workers, logger("jobs"), () => clock, {}, { taskTimeoutMs: 0, maxResultBytes: 1 << 20 });
    second.attach(new Sched(() => clock));
    second.recover(0);
    registry.heartbeat(idleHeartbeat(W, 2), clock);
    store.failEnd = 1;
    await second.startPending();
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    // At ff502a5 start()'s catch sees FINISHING, takes it for "the scheduler's to end" (the
    // scheduler never had it) and gives up: RUNNING for ever, cancel refused, path held.
    clock += 1000;
    await second.startPending();
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    const view = second.view(id);
    assert.notEqual(view.status, "RUNNING", "the job stays RUNNING (FINISHING) with no run and no commit under way");
  });
});

