// Unit tests for the master's scheduler (src/master/scheduler.ts), driven through its loop (scheduler-loop.ts) with a fake backend and clock, and for actionValue (src/master/action-value.ts).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { idleHeartbeat } from "./helpers/heartbeats.js";
import { LAUNCH_GRACE_MS, QUEUE_AHEAD_MS, Scheduler } from "../src/master/scheduler.js";
import { SchedulerLoop, type SchedulerBackend } from "../src/master/scheduler-loop.js";
import type { SchedulerCommand, SchedulerEvent } from "../src/master/scheduler-events.js";
import { WorkerRegistry, type WorkerInfo } from "../src/master/worker-registry.js";
import { MapOutputTracker } from "../src/master/map-output-tracker.js";
import { EmptyDatasetError, actionValue } from "../src/master/action-value.js";
import type { AttemptState, TaskMetrics } from "../src/common/api-types.js";
import { endJobRun, newJobRun, type JobRun, type StageRun, type TaskRun } from "../src/master/job-run.js";
import { IllegalTransition, transition } from "../src/master/transitions.js";
import { STAGE_TRANSITIONS, allSucceeded, endStageWithJob, moveStage, moveTask } from "../src/master/stage-lifecycle.js";
import { endAttempt, holdsSlot, isFailure, reportedFailure, retryAvoidsWorker } from "../src/master/attempt-state.js";
import { asAppId, asAttemptId, asJobId, asShuffleId, asWorkerId, type AttemptId } from "../src/common/ids.js";
import { QUEUED_TASKS_PER_SLOT, type TaskReport } from "../src/cluster/protocol.js";
import { planJob } from "../src/planner/stage-planner.js";
import { validateJobSpec } from "../src/planner/validate.js";
import type { ActionSpec } from "../src/plan/job-spec.js";
import { taskRdd } from "../src/plan/task-rdd.js";
import type { TaskLaunch, TaskResult } from "../src/plan/task.js";
import { PROTOCOL_VERSION } from "../src/common/version.js";

const LEASE_MS = 10_000;

interface Launch {
  worker: string;
  task: TaskLaunch;
}

/** A scheduler loop wired to a fake backend, a recording listener, a real registry and tracker, and a fake clock. */
class Harness {
  clock = 1_000;
  readonly registry = new WorkerRegistry(LEASE_MS);
  readonly tracker = new MapOutputTracker();
  readonly launches: Launch[] = [];
  readonly kills: string[] = [];
  readonly ended: JobRun[] = [];
  readonly released: string[] = [];
  readonly attemptEvents: string[] = [];
  readonly scheduler: SchedulerLoop;
  private readonly slots = new Map<string, number>();
  private readonly seenAttempts = new Set<string>();
  private taken = 0;

  constructor(workers: [string, number][]) {
    const backend: SchedulerBackend = {
      launch: (w: WorkerInfo, task: TaskLaunch) => {
        assert.ok(!this.seenAttempts.has(task.attemptId), `attempt id ${task.attemptId} was reused`);
        this.seenAttempts.add(task.attemptId);
        this.launches.push({ worker: w.id, task });
      },
      kill: (w: WorkerInfo, attemptId: AttemptId) => {
        this.kills.push(`${attemptId}@${w.id}`);
      },
    };
    this.scheduler = new SchedulerLoop(
      new Scheduler(this.registry, this.tracker),
      backend,
      {
        jobEnded: (job) => this.ended.push(job),
        shuffleFilesReleased: (jobs) => this.released.push(...jobs),
        attemptStarted: (_j, _s, _t, a) => this.attemptEvents.push(`start ${a.id}`),
        attemptEnded: (_j, _s, _t, a) => this.attemptEvents.push(`end ${a.id} ${a.state}`),
      },
      () => this.clock,
    );
    for (const [id, slots] of workers) this.addWorker(id, slots);
  }

  addWorker(id: string, slots: number): void {
    this.slots.set(id, slots);
    assert.equal(this.registry.heartbeat(idleHeartbeat(id, slots), this.clock), "registered");
    this.post({ type: "workerJoined", workerId: asWorkerId(id) });
  }

  post(event: SchedulerEvent): void {
    this.scheduler.post(event);
    this.checkSlots();
  }

  tick(): void {
    this.post({ type: "tick" });
  }

  submit(spec: unknown, id = "job-1", defaultParallelism = 2): JobRun {
    const job = validateJobSpec(spec);
    const plan = planJob(job, { splits: {}, defaultParallelism });
    this.post({ type: "jobSubmitted", jobId: asJobId(id), name: job.name, plan, limits: { maxTaskRetries: job.maxTaskRetries, taskTimeoutMs: job.taskTimeoutMs ?? 0 }, recovered: [] });
    return this.scheduler.job(asJobId(id))!;
  }

  /** New launches since the last call, as "stage.partition@worker". */
  take(): string[] {
    const out = this.launches.slice(this.taken).map((l) => `${l.task.stageId}.${l.task.partition}@${l.worker}`);
    this.taken = this.launches.length;
    return out;
  }

  /** The latest launch of a stage's partition. */
  launch(stage: number, partition: number): Launch {
    const l = this.launches.filter((x) => x.task.stageId === stage && x.task.partition === partition).at(-1);
    assert.ok(l, `stage ${stage} partition ${partition} was never launched`);
    return l;
  }

  running(): Launch[] {
    return this.launches.filter((l) => this.scheduler.isRunning(l.task.attemptId, asWorkerId(l.worker)));
  }

  /** Reports success with a result that fits the stage's output. */
  finish(l: Launch, result?: TaskResult): boolean {
    const out = l.task.stage.output;
    const r: TaskResult =
      result ??
      (out.type === "shuffle"
        ? { type: "mapStatus", sizes: Array.from({ length: l.task.outputShuffle!.numPartitions }, (_, i) => sizeOf(l, i)), records: 1 }
        : out.type === "sample"
          ? { type: "sample", sample: { keys: [], total: 0 } }
          : { type: "collect", records: [l.task.partition] });
    return this.report(l, { state: "FINISHED", result: r });
  }

  fail(l: Launch, error: string, worker = l.worker): boolean {
    return this.report(l, { state: "FAILED", error }, worker);
  }

  fetchFail(l: Launch, mapId: number, from: string, shuffle = 0): boolean {
    return this.report(l, {
      state: "FETCH_FAILED",
      error: `could not fetch map ${mapId}`,
      fetchFailure: { shuffleId: asShuffleId(shuffle), mapId, workerId: asWorkerId(from), address: `${from}:7000`, message: "connection refused" },
    });
  }

  report(l: Launch, body: Record<string, unknown>, worker = l.worker): boolean {
    // As the master does: a report its attempt's worker no longer runs is stale, and not posted.
    if (!this.scheduler.isRunning(l.task.attemptId, asWorkerId(worker))) return false;
    this.post({ type: "taskReported", report: { protocol: PROTOCOL_VERSION, worker_id: asWorkerId(worker), attemptId: l.task.attemptId, metrics: null, ...body } as never });
    return true;
  }

  /** Lets `id`'s lease run out while the others keep beating, then tells the scheduler. */
  loseWorker(id: string): void {
    this.clock += LEASE_MS + 1;
    for (const w of this.registry.alive()) if (w.id !== id) this.registry.heartbeat(idleHeartbeat(w.id, w.slots), this.clock);
    const dead = this.registry.expire(this.clock);
    assert.deepEqual(
      dead.map((w) => w.id),
      [id],
    );
    this.post({ type: "workerLost", workerId: asWorkerId(id), left: false });
  }

  statuses(id = "job-1"): string[] {
    return this.scheduler.job(asJobId(id))!.stages.map((s) => s.status);
  }

  /** Attempts running (or queued) on each worker. */
  inFlight(): Map<string, number> {
    const perWorker = new Map<string, number>();
    for (const l of this.running()) perWorker.set(l.worker, (perWorker.get(l.worker) ?? 0) + 1);
    return perWorker;
  }

  /** Never more attempts on a worker than its slots and its queue hold. */
  checkSlots(): void {
    for (const [w, n] of this.inFlight()) {
      const slots = this.slots.get(w)!;
      assert.ok(n <= slots * (1 + QUEUED_TASKS_PER_SLOT), `${w} holds ${n} tasks with ${slots} slots`);
    }
  }
}

/** Distinct, recognisable block sizes: map partition p, attempt a, reduce r. */
function sizeOf(l: Launch, reduce: number): number {
  return 1000 * (l.task.attempt + 1) + 100 * l.task.partition + reduce;
}

const nums = (numSlices: number) => ({ id: "nums", op: "parallelize", data: [1, 2, 3, 4, 5, 6], numSlices });
const pairs = { id: "pairs", op: "map", input: "nums", fn: "x => [x % 2, x]" };
const oneStage = (numSlices: number, extra: Record<string, unknown> = {}) => ({ ...extra, nodes: [nums(numSlices)], action: { op: "collect", input: "nums" } });
/** Two stages: a map stage of `maps` tasks writing shuffle 0, and a result stage of `reduces` tasks. */
const twoStages = (maps: number, reduces: number) => ({
  nodes: [nums(maps), pairs, { id: "sums", op: "reduceByKey", input: "pairs", fn: "(a, b) => a + b", numPartitions: reduces }],
  action: { op: "collect", input: "sums" },
});
/** Three stages: map (shuffle 0) → map (shuffle 1) → result. */
const threeStages = (maps: number) => ({
  nodes: [
    nums(maps),
    pairs,
    { id: "sums", op: "reduceByKey", input: "pairs", fn: "(a, b) => a + b", numPartitions: maps },
    { id: "swapped", op: "map", input: "sums", fn: "([k, v]) => [v, k]" },
    { id: "groups", op: "groupByKey", input: "swapped", numPartitions: 1 },
  ],
  action: { op: "collect", input: "groups" },
});

describe("Scheduler: placement", () => {
  it("hands tasks round-robin to workers, never past their slots", () => {
    const h = new Harness([
      ["w1", 2],
      ["w2", 1],
    ]);
    h.submit(oneStage(5));
    assert.deepEqual(h.take(), ["0.0@w1", "0.1@w2", "0.2@w1"]);
    assert.equal(h.finish(h.launch(0, 1)), true);
    assert.deepEqual(h.take(), ["0.3@w2"]);
    h.finish(h.launch(0, 0));
    assert.deepEqual(h.take(), ["0.4@w1"]);
    h.finish(h.launch(0, 3));
    assert.deepEqual(h.take(), [], "nothing is left to launch");
    assert.deepEqual(
      h.running().map((l) => `${l.task.partition}@${l.worker}`),
      ["2@w1", "4@w1"],
    );
  });

  it("spreads evenly over equal workers and picks up a worker that joins later", () => {
    const h = new Harness([
      ["w1", 1],
      ["w2", 1],
      ["w3", 1],
    ]);
    h.submit(oneStage(6));
    assert.deepEqual(h.take(), ["0.0@w1", "0.1@w2", "0.2@w3"]);
    h.addWorker("w4", 2);
    assert.deepEqual(h.take(), ["0.3@w4", "0.4@w4"]);
    h.finish(h.launch(0, 1));
    assert.deepEqual(h.take(), ["0.5@w2"]);
  });

  it("launches nothing while no worker is alive, then everything it can", () => {
    const h = new Harness([]);
    h.submit(oneStage(3));
    assert.deepEqual(h.take(), []);
    h.addWorker("w1", 4);
    assert.deepEqual(h.take(), ["0.0@w1", "0.1@w1", "0.2@w1"]);
  });

  it("sends the task description, cut down to its own partition, with each launch", () => {
    const h = new Harness([["w1", 4]]);
    const job = h.submit(twoStages(2, 3));
    const l = h.launch(0, 1);
    assert.deepEqual(
      { ...l.task, stage: l.task.stage.id },
      {
        protocol: PROTOCOL_VERSION,
        jobId: "job-1",
        stageId: 0,
        partition: 1,
        attemptId: "job-1.0.1.0",
        attempt: 0,
        stage: 0,
        outputShuffle: job.plan.shuffles[0],
        inputs: {},
        application: null,
      },
    );
    assert.deepEqual(l.task.stage, { ...job.plan.stages[0]!, rdd: taskRdd(job.plan.stages[0]!.rdd, 1) }, "the stage, cut down to the task's own partition");
    assert.deepEqual(job.plan.shuffles[0], { id: 0, mapStage: 0, numPartitions: 3, partitioner: { type: "hash" }, combine: { type: "fn", fn: "(a, b) => a + b", env: {} }, lineage: null });
  });
});

describe("Scheduler: stages and map outputs", () => {
  it("starts a stage only after all its parents completed, and gives reducers every map block", () => {
    const h = new Harness([
      ["w1", 2],
      ["w2", 2],
    ]);
    const job = h.submit(twoStages(2, 3));
    assert.deepEqual(h.statuses(), ["RUNNING", "WAITING"]);
    assert.deepEqual(h.take(), ["0.0@w1", "0.1@w2"]);
    h.finish(h.launch(0, 0));
    assert.deepEqual(h.take(), [], "the reduce stage waits for the last map task");
    assert.deepEqual(h.statuses(), ["RUNNING", "WAITING"]);
    h.finish(h.launch(0, 1));
    assert.deepEqual(h.statuses(), ["COMPLETED", "RUNNING"]);
    assert.deepEqual(h.take(), ["1.0@w1", "1.1@w2", "1.2@w1"]);
    assert.deepEqual(h.tracker.missing(job.id, 0, 2), []);
    for (let r = 0; r < 3; r++) {
      const l = h.launch(1, r);
      assert.equal(l.task.outputShuffle, null);
      assert.deepEqual(l.task.inputs, {
        [`0/${r}`]: [
          { mapId: 0, workerId: "w1", address: "w1:7000", bytes: 1000 + r },
          { mapId: 1, workerId: "w2", address: "w2:7000", bytes: 1100 + r },
        ],
      });
    }
  });

  it("runs independent map stages together and the join stage after both", () => {
    const h = new Harness([["w1", 8]]);
    h.submit({
      nodes: [nums(2), { id: "other", op: "parallelize", data: [[1, "a"]], numSlices: 1 }, pairs, { id: "j", op: "join", inputs: ["pairs", "other"] }],
      action: { op: "count", input: "j" },
    });
    assert.deepEqual(h.take(), ["0.0@w1", "0.1@w1", "1.0@w1"]);
    h.finish(h.launch(1, 0));
    h.finish(h.launch(0, 0));
    assert.deepEqual(h.take(), []);
    h.finish(h.launch(0, 1));
    assert.deepEqual(h.take(), ["2.0@w1", "2.1@w1"]);
    assert.deepEqual(Object.keys(h.launch(2, 1).task.inputs), ["0/1", "1/1"]);
    assert.equal(h.launch(2, 1).task.inputs["1/1"]!.length, 1);
  });

  it("completes a job when its result stage completes, calling jobEnded once", () => {
    const h = new Harness([["w1", 2]]);
    const job = h.submit(oneStage(3));
    h.finish(h.launch(0, 1), { type: "collect", records: [3, 4] });
    h.finish(h.launch(0, 0), { type: "collect", records: [1, 2] });
    assert.equal(job.status, "RUNNING");
    assert.equal(h.ended.length, 0);
    h.clock = 5_000;
    h.finish(h.launch(0, 2), { type: "collect", records: [5, 6] });
    assert.equal(job.status, "COMPLETED");
    assert.equal(job.finishedAt, 5_000);
    assert.equal(job.error, null);
    assert.deepEqual(h.statuses(), ["COMPLETED"]);
    assert.deepEqual(h.ended, [job]);
    assert.deepEqual(
      actionValue(
        job.plan.action,
        job.stages[0]!.tasks.map((t) => t.result!),
      ),
      [1, 2, 3, 4, 5, 6],
    );
    assert.equal(h.finish(h.launch(0, 2)), false, "a second report of a finished attempt is stale");
    assert.equal(h.ended.length, 1);
    assert.deepEqual(h.attemptEvents, ["start job-1.0.0.0", "start job-1.0.1.0", "end job-1.0.1.0 FINISHED", "start job-1.0.2.0", "end job-1.0.0.0 FINISHED", "end job-1.0.2.0 FINISHED"]);
  });

  it("resolves the range bounds of a sort shuffle from its sample stage, leaving the plan as planned", () => {
    const h = new Harness([["w1", 4]]);
    const job = h.submit({ nodes: [nums(2), { id: "s", op: "sortBy", input: "nums", fn: "x => x", numPartitions: 2 }], action: "collect" });
    assert.deepEqual(
      job.plan.stages.map((s) => s.output.type),
      ["sample", "shuffle", "result"],
    );
    assert.deepEqual(h.take(), ["0.0@w1", "0.1@w1"]);
    assert.equal(h.launch(0, 0).task.outputShuffle, null);
    h.finish(h.launch(0, 0), { type: "sample", sample: { keys: [5, 1, 3], total: 3 } });
    assert.deepEqual(job.resolution.bounds, {});
    assert.deepEqual(h.take(), []);
    h.finish(h.launch(0, 1), { type: "sample", sample: { keys: [2, 6, 4], total: 3 } });
    assert.deepEqual(job.resolution.bounds, { 0: [3] });
    assert.deepEqual(job.plan.shuffles[0]!.partitioner, { type: "range", ascending: true, bounds: null, keyIsRecord: true }, "the plan is not changed");
    assert.deepEqual(h.take(), ["1.0@w1", "1.1@w1"]);
    assert.deepEqual(h.launch(1, 0).task.outputShuffle!.partitioner, { type: "range", ascending: true, bounds: [3], keyIsRecord: true });
    h.finish(h.launch(1, 0));
    h.finish(h.launch(1, 1));
    assert.deepEqual(h.take(), ["2.0@w1", "2.1@w1"]);
  });

  it("a job resumed with its resolution does not run its probes again: the map stage starts at once, with the bounds found before", () => {
    const h = new Harness([["w1", 4]]);
    const job = validateJobSpec({ nodes: [nums(2), { id: "s", op: "sortBy", input: "nums", fn: "x => x", numPartitions: 2 }], action: "collect" });
    const plan = planJob(job, { splits: {}, defaultParallelism: 2 });
    const resolution = { bounds: { 0: [3] }, offsets: {}, edges: null };
    h.post({ type: "jobSubmitted", jobId: asJobId("job-1"), name: job.name, plan, resolution, limits: { maxTaskRetries: 3, taskTimeoutMs: 0 }, recovered: [] });
    assert.deepEqual(h.take(), ["1.0@w1", "1.1@w1"]);
    assert.deepEqual(h.launch(1, 0).task.outputShuffle!.partitioner, { type: "range", ascending: true, bounds: [3], keyIsRecord: true });
    assert.equal(h.scheduler.job(asJobId("job-1"))!.resolution, resolution);
  });
});

describe("Scheduler: failures and retries", () => {
  it("retries a failed task until maxTaskRetries failed attempts, then fails the job naming task, attempts and error", () => {
    const h = new Harness([
      ["w1", 1],
      ["w2", 1],
    ]);
    const job = h.submit(oneStage(1));
    assert.equal(job.maxTaskRetries, 3);
    assert.equal(h.fail(h.launch(0, 0), "boom 1"), true);
    assert.equal(job.status, "RUNNING");
    assert.equal(h.fail(h.launch(0, 0), "boom 2"), true);
    assert.equal(job.status, "RUNNING");
    assert.deepEqual(h.take(), ["0.0@w1", "0.0@w2", "0.0@w1"]);
    h.clock = 9_000;
    assert.equal(h.fail(h.launch(0, 0), "boom 3"), true);
    assert.equal(job.status, "FAILED");
    assert.equal(job.error, "task 0 of stage 0 (nums:parallelize → result) failed 3 times (attempts: #0 on w1: FAILED, #1 on w2: FAILED, #2 on w1: FAILED); last error: boom 3");
    assert.equal(job.finishedAt, 9_000);
    assert.deepEqual(h.statuses(), ["FAILED"]);
    assert.equal(job.stages[0]!.tasks[0]!.status, "FAILED");
    assert.deepEqual(
      job.stages[0]!.tasks[0]!.attempts.map((a) => [a.id, a.state, a.error]),
      [
        ["job-1.0.0.0", "FAILED", "boom 1"],
        ["job-1.0.0.1", "FAILED", "boom 2"],
        ["job-1.0.0.2", "FAILED", "boom 3"],
      ],
    );
    assert.deepEqual(h.ended, [job]);
    h.tick();
    assert.deepEqual(h.take(), []);
  });

  it("honours the job maxTaskRetries and kills the other running attempts when the job fails", () => {
    const h = new Harness([
      ["w1", 1],
      ["w2", 1],
    ]);
    const job = h.submit(oneStage(3, { maxTaskRetries: 1 }));
    assert.deepEqual(h.take(), ["0.0@w1", "0.1@w2"]);
    h.fail(h.launch(0, 1), "bad record");
    assert.equal(job.status, "FAILED");
    assert.match(job.error!, /^task 1 of stage 0 \(.*\) failed 1 times \(attempts: #0 on w2: FAILED\); last error: bad record$/);
    assert.deepEqual(h.kills, ["job-1.0.0.0@w1"]);
    assert.equal(job.stages[0]!.tasks[0]!.attempts[0]!.state, "KILLED");
    assert.deepEqual(h.take(), [], "the pending task is dropped");
    assert.equal(h.finish(h.launch(0, 0)), false);
  });

  it("counts failures per task, not per stage", () => {
    const h = new Harness([["w1", 2]]);
    const job = h.submit(oneStage(2));
    h.fail(h.launch(0, 0), "a");
    h.fail(h.launch(0, 1), "b");
    h.fail(h.launch(0, 0), "c");
    h.fail(h.launch(0, 1), "d");
    assert.equal(job.status, "RUNNING");
    assert.deepEqual(
      job.stages[0]!.tasks.map((t) => t.failures),
      [2, 2],
    );
    h.finish(h.launch(0, 0));
    h.finish(h.launch(0, 1));
    assert.equal(job.status, "COMPLETED");
  });

  it("ignores stale reports: unknown attempt, wrong worker, already finished, superseded attempt", () => {
    const h = new Harness([
      ["w1", 1],
      ["w2", 1],
    ]);
    const job = h.submit(oneStage(2));
    const first = h.launch(0, 0);
    const unknown = { worker: "w1", task: { ...first.task, attemptId: asAttemptId("job-1.0.0.9") } };
    assert.equal(h.finish(unknown), false);
    assert.equal(h.fail(first, "not mine", "w2"), false);
    assert.equal(h.scheduler.isRunning(first.task.attemptId, asWorkerId("w1")), true);
    assert.equal(h.finish(first), true);
    assert.equal(h.finish(first), false);
    assert.equal(h.fail(first, "late"), false);
    assert.equal(job.stages[0]!.tasks[0]!.status, "SUCCEEDED");
    assert.equal(job.stages[0]!.tasks[0]!.failures, 0);
    assert.equal(job.stages[0]!.succeeded, 1);

    const old = h.launch(0, 1);
    h.fail(old, "flaky");
    const retry = h.launch(0, 1);
    assert.notEqual(retry.task.attemptId, old.task.attemptId);
    assert.equal(h.finish(old), false, "the first attempt of the task is over");
    assert.equal(job.status, "RUNNING");
    assert.equal(h.finish(retry), true);
    assert.equal(job.status, "COMPLETED");
    assert.equal(h.fail(retry, "after the end"), false);
    assert.equal(h.ended.length, 1);
  });

  it("requeues a task whose launch failed without counting a failure", () => {
    const h = new Harness([["w1", 1]]);
    const job = h.submit(oneStage(1));
    const l = h.launch(0, 0);
    h.post({ type: "launchFailed", attemptId: l.task.attemptId, error: "connection refused", refused: false });
    const task = job.stages[0]!.tasks[0]!;
    assert.deepEqual([task.status, task.failures, task.attempts[0]!.state, task.attempts[0]!.error], ["PENDING", 0, "LAUNCH_FAILED", "connection refused"]);
    h.tick();
    assert.deepEqual(h.take(), ["0.0@w1", "0.0@w1"]);
    assert.equal(h.launch(0, 0).task.attemptId, "job-1.0.0.1");
  });

  it("a launch the worker refuses counts as a failed attempt", () => {
    const h = new Harness([["w1", 1]]);
    const job = h.submit(oneStage(1));
    for (let i = 0; i < 3; i++) {
      h.tick();
      h.post({ type: "launchFailed", attemptId: h.launch(0, 0).task.attemptId, error: "PAYLOAD_TOO_LARGE", refused: true });
    }
    assert.equal(job.status, "FAILED");
    assert.match(job.error!, /failed 3 times .* last error: the worker refused the task: PAYLOAD_TOO_LARGE/);
  });
});

/** What a worker reports for a task that ran `durationMs`. */
function ranFor(durationMs: number): TaskMetrics {
  return { durationMs, recordsIn: 0, recordsOut: 1, bytesRead: 0, shuffleBytesWritten: 0, shuffleBytesRead: 0, shuffleBytesFetchedRemote: 0, spillCount: 0, spillBytes: 0 };
}

describe("Scheduler: queueing ahead on workers", () => {
  const finishIn = (h: Harness, l: Launch, ms: number) => h.report(l, { state: "FINISHED", result: { type: "collect", records: [l.task.partition] }, metrics: ranFor(ms) });

  it("sends one task per slot until two of the stage's tasks are measured, then queues QUEUE_AHEAD_MS of work per slot", () => {
    const h = new Harness([
      ["w1", 1],
      ["w2", 2],
    ]);
    h.submit(oneStage(400));
    assert.deepEqual(h.take(), ["0.0@w1", "0.1@w2", "0.2@w2"]);
    finishIn(h, h.launch(0, 0), 5);
    assert.deepEqual(h.take(), ["0.3@w1"], "one measured task is not enough to queue on");
    const perSlot = 1 + Math.floor(QUEUE_AHEAD_MS / 5);
    assert.ok(perSlot > 1 && perSlot <= 1 + QUEUED_TASKS_PER_SLOT);
    finishIn(h, h.launch(0, 1), 5);
    assert.deepEqual(Object.fromEntries(h.inFlight()), { w1: perSlot, w2: 2 * perSlot });
    // Later tasks were queued behind earlier ones, in partition order.
    assert.deepEqual(h.take().slice(0, 3), ["0.4@w2", "0.5@w1", "0.6@w2"]);
  });

  it("counts a queued task's timeout from when it gets its slot, not from its launch", () => {
    const h = new Harness([["w1", 1]]);
    h.submit(oneStage(100, { taskTimeoutMs: 1000 }));
    finishIn(h, h.launch(0, 0), 1);
    finishIn(h, h.launch(0, 1), 1);
    const queued = h.running().map((l) => l.task.partition);
    assert.ok(queued.length > 2, "tasks were queued");
    h.clock += 900;
    finishIn(h, h.launch(0, queued[0]!), 1); // the next in line gets the slot now
    h.clock += 900;
    h.tick();
    assert.deepEqual(h.kills, [], "the task that waited 900 ms in the queue has run only 900 ms");
    h.clock += 200;
    h.tick();
    assert.equal(h.kills.length, 1, "after 1,100 ms on its slot it is stopped");
    assert.match(h.kills[0]!, new RegExp(`^${h.launch(0, queued[1]!).task.attemptId}@w1$`));
  });

  it("stops queueing when the stage turns out to have long tasks", () => {
    const h = new Harness([["w1", 1]]);
    h.submit(oneStage(50));
    assert.deepEqual(h.take(), ["0.0@w1"]);
    finishIn(h, h.launch(0, 0), 1);
    finishIn(h, h.launch(0, 1), 1);
    const queued = h.take();
    assert.equal(queued.length, 2 + Math.min(QUEUED_TASKS_PER_SLOT, QUEUE_AHEAD_MS));
    // A long task brings the mean above QUEUE_AHEAD_MS: the slot gets one task at a time again.
    finishIn(h, h.launch(0, 2), 100 * QUEUE_AHEAD_MS);
    for (const l of h.running()) finishIn(h, l, 0);
    assert.equal(h.inFlight().get("w1"), 1);
  });

  it("caps the queue at QUEUED_TASKS_PER_SLOT per slot however short the tasks", () => {
    const h = new Harness([["w1", 2]]);
    h.submit(oneStage(1000));
    finishIn(h, h.launch(0, 0), 0);
    finishIn(h, h.launch(0, 1), 0);
    assert.equal(h.inFlight().get("w1"), 2 * (1 + QUEUED_TASKS_PER_SLOT));
  });
});

describe("Scheduler: task timeouts", () => {
  it("stops an attempt past its timeout, counts it as failed and retries it on another worker", () => {
    const h = new Harness([
      ["w1", 1],
      ["w2", 1],
    ]);
    const job = h.submit({ taskTimeoutMs: 1000, nodes: [nums(1)], action: { op: "count", input: "nums" } });
    const first = h.launch(0, 0);
    assert.equal(first.worker, "w1");
    h.clock += 999;
    h.tick();
    assert.equal(job.stages[0]!.tasks[0]!.status, "RUNNING");
    h.clock += 2;
    h.tick();
    const task = job.stages[0]!.tasks[0]!;
    assert.deepEqual([task.attempts[0]!.state, task.attempts[0]!.error, task.failures], ["TIMED_OUT", "timed out after 1000 ms", 1]);
    assert.deepEqual(h.kills, [`${first.task.attemptId}@w1`]);
    assert.equal(h.launch(0, 0).worker, "w2", "the retry goes to another worker");
  });
});

describe("Scheduler: reconciling with heartbeats", () => {
  it("an attempt two heartbeats do not list, past the launch grace, is lost and runs again", () => {
    const h = new Harness([["w1", 1]]);
    const job = h.submit(oneStage(1));
    const l = h.launch(0, 0);
    h.post({ type: "workerSeen", workerId: asWorkerId("w1"), running: [] });
    assert.equal(job.stages[0]!.tasks[0]!.status, "RUNNING", "within the grace period a launch may still be on its way");
    h.clock += LAUNCH_GRACE_MS;
    h.post({ type: "workerSeen", workerId: asWorkerId("w1"), running: [l.task.attemptId] });
    h.post({ type: "workerSeen", workerId: asWorkerId("w1"), running: [] });
    assert.equal(job.stages[0]!.tasks[0]!.status, "RUNNING", "one missed heartbeat is not enough");
    h.post({ type: "workerSeen", workerId: asWorkerId("w1"), running: [] });
    const task = job.stages[0]!.tasks[0]!;
    assert.deepEqual([task.attempts[0]!.state, task.failures, task.lost], ["LOST", 0, 1]);
    assert.equal(h.finish(l), false, "its late report is ignored");
    assert.equal(h.launch(0, 0).task.attemptId, "job-1.0.0.1");
  });
});

describe("Scheduler: lost map output", () => {
  it("FETCH_FAILED requeues the reducer without a failure and re-runs exactly the lost map task first", () => {
    const h = new Harness([
      ["w1", 2],
      ["w2", 2],
    ]);
    const job = h.submit(twoStages(2, 2));
    h.finish(h.launch(0, 0));
    h.finish(h.launch(0, 1));
    assert.deepEqual(h.take(), ["0.0@w1", "0.1@w2", "1.0@w1", "1.1@w2"]);

    assert.equal(h.fetchFail(h.launch(1, 0), 1, "w2"), true);
    const reducer = job.stages[1]!.tasks[0]!;
    assert.deepEqual([reducer.status, reducer.failures, reducer.attempts[0]!.state], ["PENDING", 0, "FETCH_FAILED"]);
    assert.equal(job.stages[1]!.fetchFailures, 1);
    assert.deepEqual(h.tracker.missing(job.id, 0, 2), [1]);
    assert.deepEqual(h.statuses(), ["RUNNING", "WAITING"]);
    assert.deepEqual(h.take(), ["0.1@w1"], "only the lost map task runs; the reducer waits");

    h.finish(h.launch(0, 1));
    assert.deepEqual(h.statuses(), ["COMPLETED", "RUNNING"]);
    assert.deepEqual(h.take(), ["1.0@w2"]);
    assert.deepEqual(h.launch(1, 0).task.inputs, {
      "0/0": [
        { mapId: 0, workerId: "w1", address: "w1:7000", bytes: 1000 },
        { mapId: 1, workerId: "w1", address: "w1:7000", bytes: 2100 },
      ],
    });

    // The other reducer was launched with the old location; its fetch failure finds the output already re-made.
    assert.equal(h.fetchFail(h.launch(1, 1), 1, "w2"), true);
    assert.deepEqual(h.take(), ["1.1@w1"], "no map task re-runs for an output that moved");
    assert.equal(job.stages[1]!.fetchFailures, 1, "a reader that meets a loss already known does not count toward the bound again");
    assert.equal(h.launch(1, 1).task.inputs["0/1"]![1]!.workerId, "w1");
    assert.deepEqual(h.statuses(), ["COMPLETED", "RUNNING"]);

    h.finish(h.launch(1, 0));
    h.finish(h.launch(1, 1));
    assert.equal(job.status, "COMPLETED");
    assert.deepEqual(h.ended, [job]);
    assert.deepEqual(
      job.stages.flatMap((s) => s.tasks.map((t) => t.failures)),
      [0, 0, 0, 0],
    );
  });

  it("fails the job after too many fetch failures in one stage", () => {
    const h = new Harness([["w1", 2]]);
    const job = h.submit(twoStages(1, 1));
    h.finish(h.launch(0, 0));
    for (let i = 0; i < 9 && job.status === "RUNNING"; i++) {
      h.fetchFail(h.launch(1, 0), 0, "w1");
      if (job.status === "RUNNING") h.finish(h.launch(0, 0));
    }
    assert.equal(job.status, "FAILED");
    assert.equal(job.stages[1]!.fetchFailures, 9);
    assert.equal(job.error, "stage 1 (sums:reduceByKey → result) could not fetch its input 9 times; last: could not fetch map 0");
  });

  it("onWorkerLost requeues its running attempts and re-runs the map tasks whose output it held", () => {
    const h = new Harness([
      ["w1", 2],
      ["w2", 2],
    ]);
    const job = h.submit(twoStages(2, 2));
    h.finish(h.launch(0, 0));
    h.finish(h.launch(0, 1));
    assert.deepEqual(h.take(), ["0.0@w1", "0.1@w2", "1.0@w1", "1.1@w2"]);
    h.attemptEvents.length = 0;

    h.loseWorker("w2");
    const lostReducer = job.stages[1]!.tasks[1]!;
    assert.deepEqual([lostReducer.status, lostReducer.lost, lostReducer.failures], ["PENDING", 1, 0]);
    assert.deepEqual(
      lostReducer.attempts.map((a) => [a.state, a.error]),
      [["LOST", "worker w2 was lost"]],
    );
    assert.deepEqual(h.attemptEvents, ["end job-1.1.1.0 LOST", "start job-1.0.1.1"]);
    assert.deepEqual(h.tracker.missing(job.id, 0, 2), [1]);
    assert.deepEqual(h.statuses(), ["RUNNING", "WAITING"]);
    assert.deepEqual(h.take(), ["0.1@w1"], "the lost map output is re-made before the reducer runs again");
    assert.equal(h.scheduler.isRunning(h.launch(1, 0).task.attemptId, asWorkerId("w1")), true, "the reducer on w1 keeps running");

    h.finish(h.launch(0, 1));
    assert.deepEqual(h.take(), ["1.1@w1"]);
    assert.deepEqual(
      h.launch(1, 1).task.inputs["0/1"]!.map((b) => b.workerId),
      ["w1", "w1"],
    );
    h.finish(h.launch(1, 0));
    h.finish(h.launch(1, 1));
    assert.equal(job.status, "COMPLETED");
    assert.deepEqual(h.ended, [job]);
  });

  it("a late report from an attempt lost with its worker is ignored", () => {
    const h = new Harness([
      ["w1", 1],
      ["w2", 1],
    ]);
    const job = h.submit(oneStage(2));
    const onW2 = h.launch(0, 1);
    h.loseWorker("w2");
    assert.equal(h.finish(onW2), false);
    assert.equal(job.stages[0]!.tasks[1]!.status, "PENDING");
    h.finish(h.launch(0, 0));
    assert.deepEqual(h.take(), ["0.0@w1", "0.1@w2", "0.1@w1"]);
  });

  it("does not re-run lost map output that no unfinished stage needs", () => {
    const h = new Harness([
      ["w1", 1],
      ["w2", 1],
    ]);
    const job = h.submit(threeStages(1));
    h.finish(h.launch(0, 0));
    h.finish(h.launch(1, 0));
    assert.deepEqual(h.take(), ["0.0@w1", "1.0@w2", "2.0@w1"]);
    h.loseWorker("w1");
    assert.deepEqual(h.tracker.missing(job.id, 0, 1), [0], "shuffle 0 was on w1");
    assert.deepEqual(h.statuses(), ["COMPLETED", "COMPLETED", "RUNNING"]);
    assert.deepEqual(h.take(), ["2.0@w2"]);
    assert.deepEqual(h.launch(2, 0).task.inputs, { "1/0": [{ mapId: 0, workerId: "w2", address: "w2:7000", bytes: 1000 }] });
    h.finish(h.launch(2, 0));
    assert.equal(job.status, "COMPLETED");
  });

  it("when a re-run map task reads output lost with the same worker, that output is re-made first", () => {
    const h = new Harness([
      ["w1", 2],
      ["w2", 1],
    ]);
    const job = h.submit(threeStages(2));
    h.finish(h.launch(0, 0));
    h.finish(h.launch(0, 1));
    h.finish(h.launch(1, 0));
    h.finish(h.launch(1, 1));
    assert.deepEqual(h.take(), ["0.0@w1", "0.1@w2", "1.0@w1", "1.1@w2", "2.0@w1"]);
    // w2 held map 1 of shuffle 0 and map 1 of shuffle 1; re-running the latter needs the former.
    assert.doesNotThrow(() => h.loseWorker("w2"));
    assert.deepEqual(h.statuses(), ["RUNNING", "WAITING", "WAITING"]);
    assert.deepEqual(h.take(), ["0.1@w1"]);
    h.finish(h.launch(0, 1));
    assert.deepEqual(h.take(), ["1.1@w1"]);
    h.finish(h.launch(1, 1));
    assert.equal(job.status, "RUNNING");
  });
});

describe("Scheduler: cancel", () => {
  it("kills running attempts, drops pending ones and ends the job CANCELLED once", () => {
    const h = new Harness([
      ["w1", 1],
      ["w2", 1],
    ]);
    const job = h.submit(twoStages(3, 2));
    assert.deepEqual(h.take(), ["0.0@w1", "0.1@w2"]);
    h.clock = 7_000;
    h.post({ type: "jobCancelled", jobId: job.id });
    assert.equal(job.status, "CANCELLED");
    assert.equal(job.error, null);
    assert.equal(job.finishedAt, 7_000);
    assert.deepEqual(h.kills, ["job-1.0.0.0@w1", "job-1.0.1.0@w2"]);
    assert.deepEqual(h.statuses(), ["CANCELLED", "CANCELLED"]);
    assert.deepEqual(
      job.stages.map((s) => [...s.pending]),
      [[], []],
    );
    assert.deepEqual(
      job.stages[0]!.tasks.flatMap((t) => t.attempts.map((a) => [a.state, a.error])),
      [
        ["KILLED", "job cancelled"],
        ["KILLED", "job cancelled"],
      ],
    );
    assert.deepEqual(h.ended, [job]);

    assert.equal(h.finish(h.launch(0, 0)), false, "a report from a killed attempt is stale");
    h.post({ type: "jobCancelled", jobId: job.id });
    h.tick();
    assert.deepEqual(h.take(), []);
    assert.equal(h.ended.length, 1);
    assert.deepEqual(h.kills.length, 2);

    // The killed attempts gave their slots back.
    h.submit(oneStage(2), "job-2");
    assert.deepEqual(h.take(), ["0.0@w1", "0.1@w2"]);
    assert.equal(h.launch(0, 0).task.jobId, "job-2");
  });

  it("does not kill on a dead worker and ignores cancelling an unknown or finished job", () => {
    const h = new Harness([
      ["w1", 1],
      ["w2", 1],
    ]);
    const job = h.submit(oneStage(3));
    h.post({ type: "jobCancelled", jobId: asJobId("nope") });
    h.loseWorker("w2");
    h.post({ type: "jobCancelled", jobId: job.id });
    assert.deepEqual(h.kills, ["job-1.0.0.0@w1"]);
    h.post({ type: "jobCancelled", jobId: job.id });
    assert.equal(h.ended.length, 1);
  });
});

describe("Scheduler: attempt ids", () => {
  it("gives every attempt its own id: <job>.<stage>.<partition>.<n>", () => {
    const h = new Harness([
      ["w1", 2],
      ["w2", 2],
    ]);
    h.submit(twoStages(2, 2));
    h.fail(h.launch(0, 0), "x");
    const retried = h.launch(0, 0);
    h.finish(retried);
    h.finish(h.launch(0, 1));
    h.fetchFail(h.launch(1, 1), 0, retried.worker);
    h.finish(h.launch(0, 0));
    h.submit(oneStage(1), "job-2");
    const ids = h.launches.map((l) => l.task.attemptId as string);
    assert.deepEqual([...ids].sort(), ["job-1.0.0.0", "job-1.0.0.1", "job-1.0.0.2", "job-1.0.1.0", "job-1.1.0.0", "job-1.1.1.0", "job-1.1.1.1", "job-2.0.0.0"]);
    assert.equal(new Set(ids).size, ids.length);
    assert.deepEqual(
      h.launches.map((l) => l.task.attempt),
      ids.map((id) => Number(id.split(".").pop())),
    );
  });
});

/** A bare scheduler fed events by hand: the commands it returns are all it decides. */
class Bare {
  readonly registry = new WorkerRegistry(LEASE_MS);
  readonly tracker = new MapOutputTracker();
  readonly scheduler = new Scheduler(this.registry, this.tracker);
  clock = 1_000;

  constructor(workers: [string, number][]) {
    for (const [id, slots] of workers) this.registry.heartbeat(idleHeartbeat(id, slots), this.clock);
  }

  handle(event: SchedulerEvent): string[] {
    return this.scheduler.handle(event, this.clock).map(describeCommand);
  }

  submit(spec: unknown, id = "job-1"): string[] {
    const job = validateJobSpec(spec);
    const plan = planJob(job, { splits: {}, defaultParallelism: 2 });
    return this.handle({ type: "jobSubmitted", jobId: asJobId(id), name: job.name, plan, limits: { maxTaskRetries: job.maxTaskRetries, taskTimeoutMs: job.taskTimeoutMs ?? 0 }, recovered: [] });
  }

  finish(attemptId: string, worker: string, records: unknown[] = []): string[] {
    const report = { protocol: PROTOCOL_VERSION, worker_id: asWorkerId(worker), attemptId: asAttemptId(attemptId), metrics: null, state: "FINISHED", result: { type: "collect", records } } as const;
    return this.handle({ type: "taskReported", report: report as never });
  }
}

function describeCommand(c: SchedulerCommand): string {
  switch (c.type) {
    case "launch":
      return `launch ${c.task.attemptId}@${c.worker.id}`;
    case "kill":
      return `kill ${c.attemptId}@${c.worker.id}`;
    case "attemptStarted":
      return `started ${c.attempt.id}`;
    case "attemptEnded":
      return `ended ${c.attempt.id} ${c.attempt.state}`;
    case "jobEnded":
      return `jobEnded ${c.job.id} ${c.job.status}`;
    case "mapOutputAdded":
      return `mapOutputAdded ${c.job.id} ${c.shuffle}.${c.mapId}`;
    case "mapOutputLost":
      return `mapOutputLost ${c.jobId} ${c.shuffle}.${c.mapId}`;
    case "resolutionChanged":
      return `resolutionChanged ${c.job.id}`;
    case "shuffleFilesReleased":
      return `shuffleFilesReleased ${c.jobs.join(",")}`;
  }
}

describe("Scheduler: one event loop", () => {
  it("jobSubmitted: the job starts and its tasks launch in the same event, each attempt announced before it is sent", () => {
    const b = new Bare([["w1", 1]]);
    assert.deepEqual(b.submit(oneStage(2)), ["started job-1.0.0.0", "launch job-1.0.0.0@w1"]);
    assert.equal(b.scheduler.job(asJobId("job-1"))!.status, "RUNNING");
  });

  it("taskReported: the freed slot takes the next task; the last task ends the job before its attempt is recorded", () => {
    const b = new Bare([["w1", 1]]);
    b.submit(oneStage(2));
    assert.deepEqual(b.finish("job-1.0.0.0", "w1"), ["ended job-1.0.0.0 FINISHED", "started job-1.0.1.0", "launch job-1.0.1.0@w1"]);
    assert.deepEqual(b.finish("job-1.0.1.0", "w1"), ["jobEnded job-1 COMPLETED", "ended job-1.0.1.0 FINISHED"]);
    assert.deepEqual(b.finish("job-1.0.1.0", "w1"), [], "a stale report decides nothing");
  });

  it("taskReported for a map task: its output is registered, and the next stage starts in the same event", () => {
    const b = new Bare([["w1", 1]]);
    const job = validateJobSpec(twoStages(1, 1));
    const plan = planJob(job, { splits: {}, defaultParallelism: 2 });
    b.handle({ type: "jobSubmitted", jobId: asJobId("job-1"), name: job.name, plan, limits: { maxTaskRetries: 3, taskTimeoutMs: 0 }, recovered: [] });
    const report = {
      protocol: PROTOCOL_VERSION,
      worker_id: asWorkerId("w1"),
      attemptId: asAttemptId("job-1.0.0.0"),
      metrics: null,
      state: "FINISHED",
      result: { type: "mapStatus", sizes: [1], records: 1 },
    };
    assert.deepEqual(b.handle({ type: "taskReported", report: report as never }), ["mapOutputAdded job-1 0.0", "ended job-1.0.0.0 FINISHED", "started job-1.1.0.0", "launch job-1.1.0.0@w1"]);
  });

  it("launchFailed, refused: counts as a failure, and the slot it freed is used in the same event", () => {
    const b = new Bare([["w1", 1]]);
    b.submit(oneStage(2));
    assert.deepEqual(b.handle({ type: "launchFailed", attemptId: asAttemptId("job-1.0.0.0"), error: "PAYLOAD_TOO_LARGE", refused: true }), [
      "ended job-1.0.0.0 LAUNCH_FAILED",
      "started job-1.0.1.0",
      "launch job-1.0.1.0@w1",
    ]);
    assert.equal(b.scheduler.job(asJobId("job-1"))!.stages[0]!.tasks[0]!.failures, 1);
  });

  it("launchFailed, not reached: the task goes back in line, and that worker gets nothing more until the next tick", () => {
    const b = new Bare([
      ["w1", 1],
      ["w2", 1],
    ]);
    b.submit(oneStage(3));
    assert.deepEqual(b.handle({ type: "launchFailed", attemptId: asAttemptId("job-1.0.0.0"), error: "connection refused", refused: false }), ["ended job-1.0.0.0 LAUNCH_FAILED"]);
    assert.equal(b.scheduler.job(asJobId("job-1"))!.stages[0]!.tasks[0]!.failures, 0);
    assert.deepEqual(b.finish("job-1.0.1.0", "w2"), ["ended job-1.0.1.0 FINISHED", "started job-1.0.2.0", "launch job-1.0.2.0@w2"], "other workers go on");
    assert.deepEqual(b.handle({ type: "tick" }), ["started job-1.0.0.1", "launch job-1.0.0.1@w1"]);
  });

  it("workerJoined: its slots are filled at once", () => {
    const b = new Bare([]);
    assert.deepEqual(b.submit(oneStage(1)), []);
    b.registry.heartbeat(idleHeartbeat("w1", 1), b.clock);
    assert.deepEqual(b.handle({ type: "workerJoined", workerId: asWorkerId("w1") }), ["started job-1.0.0.0", "launch job-1.0.0.0@w1"]);
  });

  it("workerSeen: an attempt its heartbeats keep leaving out is lost and runs again in the same event", () => {
    const b = new Bare([["w1", 1]]);
    b.submit(oneStage(1));
    b.clock += LAUNCH_GRACE_MS;
    const seen: SchedulerEvent = { type: "workerSeen", workerId: asWorkerId("w1"), running: [] };
    assert.deepEqual(b.handle(seen), []);
    assert.deepEqual(b.handle(seen), ["ended job-1.0.0.0 LOST", "started job-1.0.0.1", "launch job-1.0.0.1@w1"]);
  });

  it("workerLost: its map output is forgotten and re-made on the worker that is left, in the same event", () => {
    const b = new Bare([
      ["w1", 2],
      ["w2", 1],
    ]);
    const job = validateJobSpec(twoStages(2, 1));
    const plan = planJob(job, { splits: {}, defaultParallelism: 2 });
    b.handle({ type: "jobSubmitted", jobId: asJobId("job-1"), name: job.name, plan, limits: { maxTaskRetries: 3, taskTimeoutMs: 0 }, recovered: [] });
    const mapDone = (attempt: string, worker: string) =>
      b.handle({
        type: "taskReported",
        report: {
          protocol: PROTOCOL_VERSION,
          worker_id: asWorkerId(worker),
          attemptId: asAttemptId(attempt),
          metrics: null,
          state: "FINISHED",
          result: { type: "mapStatus", sizes: [1], records: 1 },
        } as never,
      });
    mapDone("job-1.0.0.0", "w1");
    mapDone("job-1.0.1.0", "w2");
    b.registry.leave(asWorkerId("w2"));
    assert.deepEqual(b.handle({ type: "workerLost", workerId: asWorkerId("w2"), left: true }), ["mapOutputLost job-1 0.1", "started job-1.0.1.1", "launch job-1.0.1.1@w1"]);
    assert.deepEqual(
      b.scheduler.job(asJobId("job-1"))!.stages.map((s) => s.status),
      ["RUNNING", "WAITING"],
      "the reducer on w1 waits for the input it lost",
    );
  });

  it("jobCancelled: kills what runs, ends the job, and gives the freed slots to the next job in the same event", () => {
    const b = new Bare([["w1", 1]]);
    b.submit(oneStage(1), "job-1");
    assert.deepEqual(b.submit(oneStage(1), "job-2"), [], "no slot for job-2 yet");
    assert.deepEqual(b.handle({ type: "jobCancelled", jobId: asJobId("job-1") }), [
      "kill job-1.0.0.0@w1",
      "ended job-1.0.0.0 KILLED",
      "jobEnded job-1 CANCELLED",
      "started job-2.0.0.0",
      "launch job-2.0.0.0@w1",
    ]);
  });

  it("jobAborted: fails a running job with the reason given; nothing for a job not running", () => {
    const b = new Bare([["w1", 1]]);
    b.submit(oneStage(1));
    assert.deepEqual(b.handle({ type: "jobAborted", jobId: asJobId("job-1"), error: "results too large" }), ["kill job-1.0.0.0@w1", "ended job-1.0.0.0 KILLED", "jobEnded job-1 FAILED"]);
    assert.equal(b.scheduler.job(asJobId("job-1"))!.error, "results too large");
    assert.deepEqual(b.handle({ type: "jobAborted", jobId: asJobId("job-1"), error: "again" }), []);
  });

  it("jobForgotten: drops an ended job and its attempts, never a running one", () => {
    const b = new Bare([["w1", 1]]);
    b.submit(oneStage(1));
    assert.deepEqual(b.handle({ type: "jobForgotten", jobId: asJobId("job-1") }), []);
    assert.ok(b.scheduler.job(asJobId("job-1")), "a running job is kept");
    b.finish("job-1.0.0.0", "w1");
    b.handle({ type: "jobForgotten", jobId: asJobId("job-1") });
    assert.equal(b.scheduler.job(asJobId("job-1")), undefined);
    assert.equal(b.scheduler.jobOf(asAttemptId("job-1.0.0.0")), undefined);
  });

  it("jobForgotten: drops where the job's map output is, which nothing reads once the job has ended", () => {
    const b = new Bare([["w1", 1]]);
    b.submit(twoStages(1, 1));
    const report = {
      protocol: PROTOCOL_VERSION,
      worker_id: asWorkerId("w1"),
      attemptId: asAttemptId("job-1.0.0.0"),
      metrics: null,
      state: "FINISHED",
      result: { type: "mapStatus", sizes: [1], records: 1 },
    };
    b.handle({ type: "taskReported", report: report as never });
    b.finish("job-1.1.0.0", "w1");
    assert.ok(b.tracker.holdsOutputs(asWorkerId("w1")), "kept while the job settles");
    b.handle({ type: "jobForgotten", jobId: asJobId("job-1") });
    assert.equal(b.tracker.holdsOutputs(asWorkerId("w1")), false);
  });

  it("tick: stops an attempt past its timeout and runs the task again in the same event", () => {
    const b = new Bare([["w1", 1]]);
    b.submit(oneStage(1, { taskTimeoutMs: 100 }));
    b.clock += 101;
    assert.deepEqual(b.handle({ type: "tick" }), ["kill job-1.0.0.0@w1", "ended job-1.0.0.0 TIMED_OUT", "started job-1.0.0.1", "launch job-1.0.0.1@w1"]);
  });

  it("tick: a timeout that fails the job closes every other late attempt once (the job end killed them)", () => {
    const b = new Bare([["w1", 2]]);
    b.submit(oneStage(2, { taskTimeoutMs: 100, maxTaskRetries: 1 }));
    b.clock += 101;
    const out = b.handle({ type: "tick" });
    assert.equal(out.filter((c) => c.startsWith("ended job-1.0.1.0")).length, 1, out.join("\n"));
    assert.equal(out.filter((c) => c === "kill job-1.0.1.0@w1").length, 1, out.join("\n"));
  });

  it("the loop carries out commands in order and runs an event posted from a command after them", () => {
    const calls: string[] = [];
    const registry = new WorkerRegistry(LEASE_MS);
    registry.heartbeat(idleHeartbeat("w1", 1), 1_000);
    const spec = validateJobSpec(oneStage(1));
    const plan = planJob(spec, { splits: {}, defaultParallelism: 2 });
    const submitted = (id: string): SchedulerEvent => ({ type: "jobSubmitted", jobId: asJobId(id), name: id, plan, limits: { maxTaskRetries: 3, taskTimeoutMs: 0 }, recovered: [] });
    const loop: SchedulerLoop = new SchedulerLoop(
      new Scheduler(registry, new MapOutputTracker()),
      { launch: (w, t) => calls.push(`launch ${t.attemptId}@${w.id}`), kill: (w, a) => calls.push(`kill ${a}@${w.id}`) },
      {
        // As the job service does: a job's end starts the next job.
        jobEnded: (job) => {
          calls.push(`jobEnded ${job.id}`);
          if (job.id === "job-1") loop.post(submitted("job-2"));
        },
        attemptEnded: (_j, _s, _t, a) => calls.push(`ended ${a.id}`),
      },
      () => 1_000,
    );
    loop.post(submitted("job-1"));
    loop.post({
      type: "taskReported",
      report: { protocol: PROTOCOL_VERSION, worker_id: asWorkerId("w1"), attemptId: asAttemptId("job-1.0.0.0"), metrics: null, state: "FINISHED", result: { type: "collect", records: [] } },
    });
    assert.deepEqual(calls, ["launch job-1.0.0.0@w1", "jobEnded job-1", "ended job-1.0.0.0", "launch job-2.0.0.0@w1"]);
  });

  it("an event that throws hands none of what it had decided to the next event", () => {
    const registry = new WorkerRegistry(LEASE_MS);
    registry.heartbeat(idleHeartbeat("w1", 1), 1_000);
    let broken = false;
    const tracker = new (class extends MapOutputTracker {
      override locations(...args: Parameters<MapOutputTracker["locations"]>) {
        if (broken) throw new Error("tracker bug");
        return super.locations(...args);
      }
    })();
    const scheduler = new Scheduler(registry, tracker);
    const plan = planOf(twoStages(1, 1));
    scheduler.handle({ type: "jobSubmitted", jobId: asJobId("job-1"), name: "j", plan, limits: { maxTaskRetries: 3, taskTimeoutMs: 0 }, recovered: [] }, 1_000);
    broken = true;
    const report = {
      protocol: PROTOCOL_VERSION,
      worker_id: asWorkerId("w1"),
      attemptId: asAttemptId("job-1.0.0.0"),
      metrics: null,
      state: "FINISHED",
      result: { type: "mapStatus", sizes: [1], records: 1 },
    };
    // The map output is registered and the reducer announced before its launch's inputs throw.
    assert.throws(() => scheduler.handle({ type: "taskReported", report: report as never }, 1_000), /tracker bug/);
    broken = false;
    assert.deepEqual(scheduler.handle({ type: "tick" }, 1_001).map(describeCommand), []);
  });

  it("an event that throws does not stop the events queued behind it; its error comes out after them", () => {
    const launched: string[] = [];
    const registry = new WorkerRegistry(LEASE_MS);
    registry.heartbeat(idleHeartbeat("w1", 1), 1_000);
    const plan = planOf(oneStage(1));
    const submitted = (id: string): SchedulerEvent => ({ type: "jobSubmitted", jobId: asJobId(id), name: id, plan, limits: { maxTaskRetries: 3, taskTimeoutMs: 0 }, recovered: [] });
    const loop: SchedulerLoop = new SchedulerLoop(
      new Scheduler(registry, new MapOutputTracker()),
      { launch: (_w, t) => launched.push(t.attemptId), kill: () => {} },
      {
        // Two events posted from a command wait their turn; the first throws when its turn comes.
        jobEnded: () => {
          loop.post({ type: "bogus" } as never);
          loop.post(submitted("job-2"));
        },
      },
      () => 1_000,
    );
    loop.post(submitted("job-1"));
    const report: TaskReport = {
      protocol: PROTOCOL_VERSION,
      worker_id: asWorkerId("w1"),
      attemptId: asAttemptId("job-1.0.0.0"),
      metrics: null,
      state: "FINISHED",
      result: { type: "collect", records: [] },
    };
    assert.throws(() => loop.post({ type: "taskReported", report }), /unknown scheduler event bogus/);
    assert.deepEqual(launched, ["job-1.0.0.0", "job-2.0.0.0"], "job-2 was started in the same post, not left in the queue");
    loop.post({ type: "tick" });
    assert.deepEqual(launched, ["job-1.0.0.0", "job-2.0.0.0"]);
  });

  it("a command that throws does not stop the others decided with it; the error comes out after them", () => {
    const launched: string[] = [];
    const registry = new WorkerRegistry(LEASE_MS);
    registry.heartbeat(idleHeartbeat("w1", 2), 1_000);
    const spec = validateJobSpec(oneStage(2));
    const plan = planJob(spec, { splits: {}, defaultParallelism: 2 });
    const loop = new SchedulerLoop(
      new Scheduler(registry, new MapOutputTracker()),
      { launch: (_w, t) => launched.push(t.attemptId), kill: () => {} },
      {
        jobEnded: () => {},
        attemptStarted: () => {
          throw new Error("disk full");
        },
      },
      () => 1_000,
    );
    assert.throws(() => loop.post({ type: "jobSubmitted", jobId: asJobId("job-1"), name: "j", plan, limits: { maxTaskRetries: 3, taskTimeoutMs: 0 }, recovered: [] }), /disk full/);
    assert.deepEqual(launched, ["job-1.0.0.0", "job-1.0.1.0"]);
  });
});

describe("Run lifecycles", () => {
  const stageOf = (numSlices: number): StageRun => newJobRun(asJobId("job-1"), "j", planOf(oneStage(numSlices)), { maxTaskRetries: 3, taskTimeoutMs: 0 }, 0).stages[0]!;

  it("throws on a move its table does not have, and leaves the state as it was", () => {
    const stage = stageOf(1);
    moveStage(stage, "RUNNING", 5);
    moveStage(stage, "FAILED", 6);
    assert.throws(
      () => moveStage(stage, "RUNNING", 7),
      (e: unknown) => e instanceof IllegalTransition && e.message === "illegal stage transition FAILED -> RUNNING",
    );
    assert.equal(stage.status, "FAILED");
    assert.throws(() => moveTask(stage, stage.tasks[0]!, "FAILED"), /illegal task transition PENDING -> FAILED/);
    const job = newJobRun(asJobId("job-1"), "j", planOf(oneStage(1)), { maxTaskRetries: 3, taskTimeoutMs: 0 }, 0);
    endJobRun(job, "CANCELLED", null, 9);
    assert.throws(() => endJobRun(job, "COMPLETED", null, 10), /illegal job run transition CANCELLED -> COMPLETED/);
    assert.deepEqual([job.status, job.finishedAt], ["CANCELLED", 9]);
    assert.throws(() => transition(STAGE_TRANSITIONS, "stage", "RUNNING", "RUNNING"), IllegalTransition, "staying put is not a move");
  });

  it("ends an attempt once: a second end throws and changes nothing", () => {
    const attempt = { id: asAttemptId("job-1.0.0.0"), n: 0, workerId: asWorkerId("w1"), startedAt: 1, finishedAt: null, state: "RUNNING" as AttemptState, error: null, metrics: null };
    endAttempt(attempt, "LOST", "worker gone", 5);
    assert.throws(
      () => endAttempt(attempt, "KILLED", "job cancelled", 6),
      (e: unknown) => e instanceof IllegalTransition && e.message === "illegal attempt transition LOST -> KILLED",
    );
    assert.deepEqual([attempt.state, attempt.error, attempt.finishedAt], ["LOST", "worker gone", 5]);
  });

  it("keeps a stage's succeeded count and pending queue in step with its tasks' statuses", () => {
    const stage = stageOf(3);
    const [t0, t1, t2] = stage.tasks as [TaskRun, TaskRun, TaskRun];
    moveTask(stage, t1, "SUCCEEDED"); // recovered: leaves the queue from its middle
    assert.deepEqual([stage.succeeded, [...stage.pending]], [1, [0, 2]]);
    moveTask(stage, t0, "RUNNING");
    moveTask(stage, t0, "PENDING");
    assert.deepEqual([...stage.pending], [2, 0], "a retry goes to the back of the line");
    moveTask(stage, t1, "PENDING");
    assert.deepEqual([stage.succeeded, [...stage.pending]], [0, [2, 0, 1]]);
    for (const t of [t2, t0, t1]) moveTask(stage, t, "RUNNING");
    for (const t of [t2, t0, t1]) moveTask(stage, t, "SUCCEEDED");
    assert.deepEqual([stage.succeeded, [...stage.pending], allSucceeded(stage)], [3, [], true]);
  });

  it("stamps a stage: its first start kept, an end time that a reopening clears; a stage its job closes gets none", () => {
    const stage = stageOf(1);
    moveStage(stage, "RUNNING", 5);
    moveStage(stage, "WAITING", 6);
    moveStage(stage, "RUNNING", 7);
    moveStage(stage, "COMPLETED", 8);
    assert.deepEqual([stage.startedAt, stage.finishedAt], [5, 8]);
    moveStage(stage, "WAITING", 9);
    assert.equal(stage.finishedAt, null);
    endStageWithJob(stage, "FAILED");
    assert.deepEqual([stage.status, stage.finishedAt, [...stage.pending]], ["CANCELLED", null, []]);
  });
});

describe("attempt states", () => {
  it("answers each question about an attempt in one place", () => {
    const states: AttemptState[] = ["RUNNING", "FINISHED", "FAILED", "FETCH_FAILED", "KILLED", "LOST", "LAUNCH_FAILED", "TIMED_OUT"];
    const table = Object.fromEntries(states.map((s) => [s, [holdsSlot(s), isFailure(s), reportedFailure(s), retryAvoidsWorker(s)].map(Number).join("")]));
    assert.deepEqual(table, {
      //             slot, failure, reported, avoid
      RUNNING: "1000",
      FINISHED: "0000",
      FAILED: "0111",
      FETCH_FAILED: "0111",
      KILLED: "0001",
      LOST: "0100",
      LAUNCH_FAILED: "0101",
      TIMED_OUT: "0101",
    });
  });
});

function planOf(spec: unknown) {
  return planJob(validateJobSpec(spec), { splits: {}, defaultParallelism: 2 });
}

describe("actionValue", () => {
  const action = (op: string, params: Record<string, unknown> = {}): ActionSpec => ({ op, input: "x", params: params as ActionSpec["params"], env: {} });
  const collect = (...records: unknown[]): TaskResult => ({ type: "collect", records: records as never });

  it("count sums the per-partition counts", () => {
    assert.equal(
      actionValue(action("count"), [
        { type: "count", count: 3 },
        { type: "count", count: 0 },
        { type: "count", count: 4 },
      ]),
      7,
    );
    assert.equal(actionValue(action("count"), []), 0);
  });

  it("collect and countByValue concatenate records in partition order", () => {
    assert.deepEqual(actionValue(action("collect"), [collect(1, 2), collect(), collect("a", [1])]), [1, 2, "a", [1]]);
    assert.deepEqual(actionValue(action("countByValue"), [collect([1, 2]), collect(["a", 1])]), [
      [1, 2],
      ["a", 1],
    ]);
  });

  it("take keeps the first num records across partitions", () => {
    assert.deepEqual(actionValue(action("take", { num: 3 }), [collect(1, 2), collect(3, 4), collect(5)]), [1, 2, 3]);
    assert.deepEqual(actionValue(action("take", { num: 10 }), [collect(1), collect()]), [1]);
    assert.deepEqual(actionValue(action("take", { num: 0 }), [collect(1)]), []);
  });

  it("first and reduce return the first record, even a null one", () => {
    assert.equal(actionValue(action("first"), [collect(), collect(7, 8)]), 7);
    assert.equal(actionValue(action("first"), [collect(null)]), null);
    assert.equal(actionValue(action("reduce", { fn: "(a, b) => a + b" }), [collect(21)]), 21);
  });

  it("first and reduce on an empty dataset throw EmptyDatasetError", () => {
    assert.throws(
      () => actionValue(action("first"), [collect(), collect()]),
      (e: unknown) => {
        assert.ok(e instanceof EmptyDatasetError);
        assert.equal((e as Error).message, "first() has no value on an empty dataset");
        return true;
      },
    );
    assert.throws(
      () => actionValue(action("reduce", { fn: "x => x" }), []),
      (e: unknown) => {
        assert.ok(e instanceof EmptyDatasetError);
        assert.equal((e as Error).message, "reduce() has no value on an empty dataset");
        return true;
      },
    );
  });

  it("save reports the path, the part files and the record count", () => {
    const results: TaskResult[] = [
      { type: "saved", file: "part-00000", records: 3 },
      { type: "saved", file: "part-00001", records: 0 },
      { type: "saved", file: "part-00002", records: 5 },
    ];
    assert.deepEqual(actionValue(action("save", { path: "out/wc" }), results), { path: "out/wc", files: ["part-00000", "part-00001", "part-00002"], records: 8 });
  });
});

describe("WorkerRegistry: load history", () => {
  it("keeps the last 60 heartbeats of load per worker", () => {
    const r = new WorkerRegistry(LEASE_MS);
    for (let i = 0; i < 70; i++) r.heartbeat({ ...idleHeartbeat("w1", 2), cpu_percent: i, active_tasks: i % 3 }, 1000 + i);
    const h = r.get(asWorkerId("w1"))!.history;
    assert.equal(h.length, 60);
    assert.deepEqual(h[0], { at: 1010, cpu_percent: 10, mem_usage_mb: 0, active_tasks: 1 });
    assert.equal(h.at(-1)!.cpu_percent, 69);
  });
});

describe("Scheduler: accumulators merge each partition once per job", () => {
  const counter = { $accumulator: { id: "bad", merge: "sum" } };
  /** twoStages with the accumulator in the map stage's step and the result stage's fold. */
  const counted = (maps: number, reduces: number) => ({
    nodes: [
      nums(maps),
      { ...pairs, env: { bad: counter } },
      { id: "sums", op: "reduceByKey", input: "pairs", fn: "(a, b) => a + b", numPartitions: reduces },
      { id: "out", op: "map", input: "sums", fn: "(x, env) => x", env: { bad: counter } },
    ],
    action: { op: "collect", input: "out" },
  });
  const value = (job: JobRun) => job.accumulators.view()![0]!;
  const finishWith = (h: Harness, l: Launch, n: number) => {
    const out = l.task.stage.output;
    const result: TaskResult =
      out.type === "shuffle" ? { type: "mapStatus", sizes: Array.from({ length: l.task.outputShuffle!.numPartitions }, () => 10), records: 1 } : { type: "collect", records: [] };
    return h.report(l, { state: "FINISHED", result, accumulators: { bad: n } });
  };
  /** Posts a report as a worker would send it, without the harness's staleness filter: the scheduler itself must ignore it. */
  const postRaw = (h: Harness, l: Launch, n: number) =>
    h.post({
      type: "taskReported",
      report: {
        protocol: PROTOCOL_VERSION,
        worker_id: asWorkerId(l.worker),
        attemptId: l.task.attemptId,
        metrics: null,
        state: "FINISHED",
        result: { type: "collect", records: [] },
        accumulators: { bad: n },
      },
    });

  it("a retried task counts its accepted attempt only; a duplicate or late report of any attempt adds nothing", () => {
    const h = new Harness([["w1", 2]]);
    const job = h.submit({ nodes: [nums(2), { id: "m", op: "map", input: "nums", fn: "(x, env) => x", env: { bad: counter } }], action: { op: "collect", input: "m" } });
    const first = h.launch(0, 0);
    h.fail(first, "flaky");
    const retry = h.launch(0, 0);
    assert.notEqual(retry.task.attemptId, first.task.attemptId);
    assert.equal(finishWith(h, retry, 3), true);
    postRaw(h, retry, 3);
    postRaw(h, first, 100);
    assert.deepEqual(value(job), { id: "bad", name: null, merge: "sum", value: 3, partitions: 1 });
    finishWith(h, h.launch(0, 1), 4);
    assert.equal(job.status, "COMPLETED");
    assert.deepEqual([value(job).value, value(job).partitions], [7, 2]);
  });

  it("a late report from an attempt lost with its worker adds nothing once its re-run counted", () => {
    const h = new Harness([
      ["w1", 1],
      ["w2", 1],
    ]);
    const job = h.submit({ nodes: [nums(2), { id: "m", op: "map", input: "nums", fn: "(x, env) => x", env: { bad: counter } }], action: { op: "collect", input: "m" } });
    const onW2 = h.launch(0, 1);
    h.loseWorker("w2");
    finishWith(h, h.launch(0, 0), 1);
    finishWith(h, h.launch(0, 1), 2);
    postRaw(h, onW2, 50);
    assert.equal(job.status, "COMPLETED");
    assert.deepEqual([value(job).value, value(job).partitions], [3, 2]);
  });

  it("a map task re-run after a fetch failure lost its output is not merged again, nor are the reducers' retries", () => {
    const h = new Harness([
      ["w1", 2],
      ["w2", 2],
    ]);
    const job = h.submit(counted(2, 2));
    finishWith(h, h.launch(0, 0), 1);
    finishWith(h, h.launch(0, 1), 1);
    assert.equal(value(job).value, 2);
    h.fetchFail(h.launch(1, 0), 1, "w2");
    assert.deepEqual(h.take(), ["0.0@w1", "0.1@w2", "1.0@w1", "1.1@w2", "0.1@w1"], "the lost map task runs again");
    finishWith(h, h.launch(0, 1), 1);
    assert.equal(value(job).value, 2, "the re-run map task's delta is not merged a second time");
    finishWith(h, h.launch(1, 0), 10);
    finishWith(h, h.launch(1, 1), 10);
    assert.equal(job.status, "COMPLETED");
    assert.deepEqual([value(job).value, value(job).partitions], [22, 4]);
  });

  it("map tasks re-run because their worker was lost are not merged again", () => {
    const h = new Harness([
      ["w1", 2],
      ["w2", 2],
    ]);
    const job = h.submit(counted(2, 1));
    finishWith(h, h.launch(0, 0), 1);
    finishWith(h, h.launch(0, 1), 1);
    h.loseWorker("w2");
    finishWith(h, h.launch(0, 1), 1);
    finishWith(h, h.launch(1, 0), 5);
    assert.equal(job.status, "COMPLETED");
    assert.deepEqual([value(job).value, value(job).partitions], [7, 3]);
  });

  it("a sort's key-sample stage computes its input again later: its deltas are not merged, the map stage's are", () => {
    const h = new Harness([["w1", 2]]);
    const job = h.submit({
      nodes: [nums(2), { id: "m", op: "map", input: "nums", fn: "(x, env) => x", env: { bad: counter } }, { id: "s", op: "sortBy", input: "m", fn: "x => x", numPartitions: 2 }],
      action: { op: "collect", input: "s" },
    });
    assert.equal(job.stages[0]!.stage.output.type, "sample");
    for (const p of [0, 1]) h.report(h.launch(0, p), { state: "FINISHED", result: { type: "sample", sample: { keys: [p], total: 1 } }, accumulators: { bad: 100 } });
    assert.equal(value(job).value, 0, "the sample stage counted nothing");
    for (const p of [0, 1]) finishWith(h, h.launch(1, p), 1);
    for (const p of [0, 1]) finishWith(h, h.launch(2, p), 0);
    assert.equal(job.status, "COMPLETED");
    assert.deepEqual([value(job).value, value(job).partitions], [2, 4]);
  });

  it("a job resumed after a master restart marks the reused map partitions' deltas unknown, and merges one that runs again once", () => {
    const h = new Harness([["w1", 2]]);
    const spec = validateJobSpec(counted(2, 1));
    const plan = planJob(spec, { splits: {}, defaultParallelism: 2 });
    const status = { workerId: asWorkerId("w1"), address: "w1:7000", sizes: [10] };
    h.post({ type: "jobSubmitted", jobId: asJobId("job-r"), name: "r", plan, limits: { maxTaskRetries: 3, taskTimeoutMs: 0 }, recovered: [{ shuffle: 0, mapId: 0, status }] });
    const job = h.scheduler.job(asJobId("job-r"))!;
    assert.deepEqual(h.take(), ["0.1@w1"], "only the map task not recovered runs");
    finishWith(h, h.launch(0, 1), 1);
    assert.deepEqual(value(job), { id: "bad", name: null, merge: "sum", value: 1, partitions: 1, unknownPartitions: 1 });
    // The recovered output is lost after all: its map task runs again and is merged, once.
    h.fetchFail(h.launch(1, 0), 0, "w1");
    finishWith(h, h.launch(0, 0), 1);
    finishWith(h, h.launch(1, 0), 0);
    assert.equal(job.status, "COMPLETED");
    assert.deepEqual(value(job), { id: "bad", name: null, merge: "sum", value: 2, partitions: 3 });
  });

  it("a report whose deltas do not fit the job fails its attempt as invalid; one past the bound fails the job naming the accumulator", () => {
    const h = new Harness([["w1", 1]]);
    const job = h.submit({
      nodes: [nums(1), { id: "m", op: "map", input: "nums", fn: "(x, env) => x", env: { l: { $accumulator: { id: "seen", merge: "list" } } } }],
      action: { op: "collect", input: "m" },
    });
    const l = h.launch(0, 0);
    h.report(l, { state: "FINISHED", result: { type: "collect", records: [] }, accumulators: { nope: 1 } });
    assert.equal(job.stages[0]!.tasks[0]!.attempts[0]!.error, 'invalid task report: the job has no accumulator "nope"');
    const big = "x".repeat(9 * 1024 * 1024);
    h.report(h.launch(0, 0), { state: "FINISHED", result: { type: "collect", records: [] }, accumulators: { seen: [big, big] } });
    assert.equal(job.status, "FAILED");
    assert.match(job.error!, /accumulator "seen" holds over 16777216 bytes of JSON/);
  });
});

describe("Scheduler: shuffle output kept for the application", () => {
  const APP = "app-abcdefghi-a1b2c3";
  const appJob = (maps: number, reduces: number) => ({ ...twoStages(maps, reduces), application: APP });
  const runAll = (h: Harness, stage: number, n: number) => {
    for (let p = 0; p < n; p++) h.finish(h.launch(stage, p));
  };

  it("a later job of the same lineage launches no map task and reads the earlier job's files; a lost worker's part is written again", () => {
    const h = new Harness([
      ["w1", 2],
      ["w2", 2],
    ]);
    h.submit(appJob(2, 2), "job-1");
    runAll(h, 0, 2);
    runAll(h, 1, 2);
    assert.equal(h.ended.at(-1)!.status, "COMPLETED");
    assert.equal(h.ended.at(-1)!.filesRetained, true, "its shuffle directories stay");
    h.take();

    const second = h.submit(appJob(2, 2), "job-2");
    assert.deepEqual(h.statuses("job-2"), ["SKIPPED", "RUNNING"]);
    assert.deepEqual(h.take(), ["1.0@w1", "1.1@w2"], "only the reducers run");
    const inputs = h.launches.at(-1)!.task.inputs["0/1"]!;
    assert.deepEqual(
      inputs.map((l) => l.writtenBy),
      [
        { job: "job-1", shuffle: 0 },
        { job: "job-1", shuffle: 0 },
      ],
    );
    runAll(h, 1, 2);
    assert.equal(second.status, "COMPLETED");
    assert.equal(second.filesRetained, false, "it wrote no shuffle files of its own that are kept");

    // A job outside the application reuses nothing.
    h.submit(twoStages(2, 2), "job-3");
    assert.deepEqual(h.statuses("job-3"), ["RUNNING", "WAITING"]);
    runAll(h, 0, 2);
    runAll(h, 1, 2);

    h.loseWorker("w2");
    h.take();
    const fourth = h.submit(appJob(2, 2), "job-4");
    assert.deepEqual(h.take(), ["0.1@w1"], "only the map output the lost worker held is written again");
    assert.equal(fourth.stages[0]!.tasks[0]!.status, "SUCCEEDED");
    runAll(h, 0, 2);
    h.finish(h.launch(0, 1));
    assert.deepEqual(h.statuses("job-4"), ["COMPLETED", "RUNNING"]);
    runAll(h, 1, 2);
    assert.equal(fourth.status, "COMPLETED");
  });

  it("the application's end releases the kept files' jobs", () => {
    const h = new Harness([["w1", 2]]);
    h.submit(appJob(1, 1), "job-1");
    runAll(h, 0, 1);
    runAll(h, 1, 1);
    assert.deepEqual(h.released, []);
    h.post({ type: "applicationEnded", app: asAppId(APP) });
    assert.deepEqual(h.released, ["job-1"]);
    h.submit(appJob(1, 1), "job-2");
    assert.deepEqual(h.statuses("job-2"), ["RUNNING", "WAITING"], "nothing is kept for an ended application");
  });
});
