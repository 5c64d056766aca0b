// The master's cached block locations (src/master/block-tracker.ts), the stored blocks a report may claim
// (src/master/report-check.ts storedBlocksMismatch), and the scheduler's preference for a block's holder with its
// locality wait (src/master/scheduler.ts).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { BlockTracker, datasetAbout } from "../src/master/block-tracker.js";
import { BlockReleases } from "../src/master/block-releases.js";
import { MAX_QUEUED_RELEASES } from "../src/cluster/protocol.js";
import { Scheduler } from "../src/master/scheduler.js";
import { WorkerRegistry } from "../src/master/worker-registry.js";
import { MapOutputTracker } from "../src/master/map-output-tracker.js";
import type { SchedulerCommand, SchedulerEvent } from "../src/master/scheduler-events.js";
import { asJobId, asWorkerId, type AppId, type WorkerId } from "../src/common/ids.js";
import { asDatasetId, type DatasetId } from "../src/plan/storage-level.js";
import { planJob } from "../src/planner/stage-planner.js";
import { validateJobSpec } from "../src/planner/validate.js";
import type { StoredBlock, TaskLaunch } from "../src/plan/task.js";
import { cachedReads } from "../src/plan/cached-reads.js";
import { PROTOCOL_VERSION } from "../src/common/version.js";
import { idleHeartbeat } from "./helpers/heartbeats.js";

const APP = "app-00000000a-000001" as AppId;
const W1 = asWorkerId("w1");
const W2 = asWorkerId("w2");
const ds = (c: string) => asDatasetId(`ds-${c.repeat(32)}`);
const block = (datasetId: DatasetId, partition: number): StoredBlock => ({ datasetId, partition, level: "MEMORY_ONLY", memoryBytes: 100, diskBytes: 0 });

describe("BlockTracker", () => {
  it("an evicted block is forgotten for its worker only, or kept as on disk; unknown ones change nothing", () => {
    const t = new BlockTracker();
    t.add(APP, W1, block(ds("e"), 0));
    t.add(APP, W2, block(ds("e"), 0));
    t.add(APP, W1, { ...block(ds("e"), 1), level: "MEMORY_AND_DISK", diskBytes: 70 });
    assert.equal(t.removeBlock(APP, W1, ds("e"), 0), true);
    assert.deepEqual(
      t.holders(APP, ds("e"), 0).map((h) => h.worker),
      [W2],
    );
    assert.equal(t.removeBlock(APP, W1, ds("e"), 0), false, "already gone");
    assert.equal(t.removeBlock(APP, W1, ds("f"), 0), false, "never there");
    assert.equal(t.removeBlock("app-00000000z-00000z" as AppId, W1, ds("e"), 0), false);
    t.movedToDisk(APP, W1, ds("e"), 1, 70);
    assert.deepEqual(
      t.holders(APP, ds("e"), 1).map((h) => [h.memoryBytes, h.diskBytes]),
      [[0, 70]],
    );
    assert.equal(t.cachedPartitions(APP, ds("e")), 2);
    t.removeBlock(APP, W2, ds("e"), 0);
    t.removeBlock(APP, W1, ds("e"), 1);
    assert.equal(t.hasBlocks(APP), false, "the last block takes the application with it");
    assert.deepEqual(t.cachedDatasets(), []);
  });

  it("knows every block's holders, and a lost worker costs only its blocks", () => {
    const t = new BlockTracker();
    t.add(APP, W1, block(ds("a"), 0));
    t.add(APP, W2, block(ds("a"), 0));
    t.add(APP, W2, block(ds("a"), 1));
    t.add("app-00000000b-000002" as AppId, W1, block(ds("a"), 1));
    assert.deepEqual(
      t.holders(APP, ds("a"), 0).map((h) => h.worker),
      [W1, W2],
    );
    assert.equal(t.cachedPartitions(APP, ds("a")), 2);
    assert.equal(t.removeWorker(W2), 2);
    assert.deepEqual(
      t.holders(APP, ds("a"), 0).map((h) => h.worker),
      [W1],
    );
    assert.equal(t.cachedPartitions(APP, ds("a")), 1, "partition 1 has no holder left");
    assert.deepEqual(t.holders("app-00000000b-000002" as AppId, ds("a"), 1)[0]?.worker, W1, "another application's block stays");
    assert.deepEqual(t.holders(APP, ds("b"), 0), []);
  });

  it("unpersist drops a dataset, an application's end all its datasets", () => {
    const t = new BlockTracker();
    t.add(APP, W1, block(ds("a"), 0));
    t.add(APP, W2, block(ds("a"), 1));
    t.add(APP, W2, block(ds("b"), 0));
    const removed = t.removeDataset(APP, ds("a"));
    assert.deepEqual([removed.workers.sort(), removed.partitions], [[W1, W2], 2]);
    assert.deepEqual(t.removeDataset(APP, ds("a")), { workers: [], partitions: 0 });
    assert.deepEqual(t.datasets(APP), [ds("b")]);
    t.removeApp(APP);
    assert.deepEqual(t.datasets(APP), []);
  });
});

/** Two partitions of a persisted parallelize, counted, in application APP. */
const spec = { application: APP, nodes: [{ id: "n", op: "parallelize", data: [1, 2, 3, 4], numSlices: 2, persist: "MEMORY_ONLY" }], action: { op: "count", input: "n" } };
const plain = { nodes: [{ id: "x", op: "parallelize", data: [1], numSlices: 1 }], action: { op: "count", input: "x" } };

interface Launch {
  worker: WorkerId;
  task: TaskLaunch;
}

class Cluster {
  now = 1000;
  readonly registry = new WorkerRegistry(60_000);
  readonly scheduler: Scheduler;
  readonly all: Launch[] = [];
  private taken = 0;

  constructor(workers: string[], localityWaitMs = 3000) {
    this.scheduler = new Scheduler(this.registry, new MapOutputTracker(), "", { localityWaitMs });
    for (const w of workers) {
      this.registry.heartbeat(idleHeartbeat(w, 1), this.now);
      this.post({ type: "workerJoined", workerId: asWorkerId(w) });
    }
  }

  post(event: SchedulerEvent): void {
    const commands: SchedulerCommand[] = this.scheduler.handle(event, this.now);
    for (const c of commands) if (c.type === "launch") this.all.push({ worker: c.worker.id, task: c.task });
  }

  submit(s: unknown, id: string): void {
    const job = validateJobSpec(s);
    const plan = planJob(job, { splits: {}, defaultParallelism: 2 });
    this.post({ type: "jobSubmitted", jobId: asJobId(id), name: job.name, plan, limits: { maxTaskRetries: 3, taskTimeoutMs: 0 }, recovered: [] });
  }

  /** Launches since the last call. */
  take(): Launch[] {
    const out = this.all.slice(this.taken);
    this.taken = this.all.length;
    return out;
  }

  /** The same, as "job:partition@worker". */
  launchedNow(): string[] {
    return this.take().map((l) => `${l.task.jobId}:${l.task.partition}@${l.worker}`);
  }

  /** Reports success, with the blocks its stage's cached reads would store (or `blocksStored`). */
  finish(l: Launch, blocksStored?: StoredBlock[]): void {
    const stored = blocksStored ?? (l.task.application ? cachedReads(l.task.stage.rdd, l.task.partition).map((r) => block(r.datasetId, r.partition)) : []);
    this.post({
      type: "taskReported",
      report: { protocol: PROTOCOL_VERSION, worker_id: l.worker, attemptId: l.task.attemptId, metrics: null, state: "FINISHED", result: { type: "count", count: 2 }, blocksStored: stored },
    });
  }

  attempt(job: string, partition: number) {
    return this.scheduler.job(asJobId(job))!.stages[0]!.tasks[partition]!.attempts.at(-1)!;
  }
}

describe("the scheduler prefers a cached partition's holder", () => {
  /** Job 1 cached its two partitions, one on each worker (whichever way round-robin put them); returns where each is. */
  function cached(c: Cluster): Map<number, WorkerId> {
    c.submit(spec, "job-1");
    const where = new Map<number, WorkerId>();
    for (const l of c.take()) {
      where.set(l.task.partition, l.worker);
      c.finish(l);
    }
    assert.equal(new Set(where.values()).size, 2);
    assert.equal(c.scheduler.blocks.cachedPartitions(APP, cachedReads(c.all[0]!.task.stage.rdd, 0)[0]!.datasetId), 2);
    return where;
  }

  /** Another job takes one worker's only slot; returns that worker and the other. */
  function block1(c: Cluster): { busy: WorkerId; free: WorkerId; blocker: Launch } {
    c.submit(plain, "job-b");
    const [blocker] = c.take();
    return { busy: blocker!.worker, free: blocker!.worker === W1 ? W2 : W1, blocker: blocker! };
  }

  it("runs each task on its holder, waits for a busy holder, and runs elsewhere after the locality wait", () => {
    const c = new Cluster(["w1", "w2"], 3000);
    const where = cached(c);
    const { busy, free } = block1(c);
    const waiting = [...where].find(([, w]) => w === busy)![0];
    const local = 1 - waiting;
    c.submit(spec, "job-2");
    const [first] = c.take();
    assert.deepEqual([first!.task.partition, first!.worker], [local, free], "the partition whose holder is free runs there; the other waits");
    c.finish(first!);
    c.now += 2999;
    c.post({ type: "tick" });
    assert.deepEqual(c.launchedNow(), [], "within the wait the free worker does not take it");
    c.now += 1;
    c.post({ type: "tick" });
    assert.deepEqual(c.launchedNow(), [`job-2:${waiting}@${free}`], "after it, the task runs on a worker without the block");
  });

  it("a holder that comes free within the wait gets its task", () => {
    const c = new Cluster(["w1", "w2"], 3000);
    const where = cached(c);
    const { busy, blocker } = block1(c);
    const waiting = [...where].find(([, w]) => w === busy)![0];
    c.submit(spec, "job-2");
    for (const l of c.take()) c.finish(l);
    c.now += 1000;
    c.finish(blocker);
    assert.deepEqual(c.launchedNow(), [`job-2:${waiting}@${busy}`]);
  });

  it("a lost holder's blocks are gone: its task runs anywhere at once", () => {
    const c = new Cluster(["w1", "w2"], 3000);
    const where = cached(c);
    const lostPartition = [...where].find(([, w]) => w === W1)![0];
    c.registry.leave(W1);
    c.post({ type: "workerLost", workerId: W1, left: false });
    const datasetId = cachedReads(c.all[0]!.task.stage.rdd, 0)[0]!.datasetId;
    assert.deepEqual(c.scheduler.blocks.holders(APP, datasetId, lostPartition), []);
    assert.equal(c.scheduler.blocks.cachedPartitions(APP, datasetId), 1, "only its blocks");
    c.submit(spec, "job-2");
    const [first] = c.take();
    assert.equal(first!.worker, W2);
    c.finish(first!);
    assert.deepEqual(
      c.take().map((l) => l.task.partition),
      [1 - first!.task.partition],
      "no wait for a holder that is gone",
    );
  });

  it("with no wait, nothing waits", () => {
    const c = new Cluster(["w1", "w2"], 0);
    cached(c);
    const { free } = block1(c);
    c.submit(spec, "job-2");
    const [first, ...rest] = c.take();
    assert.deepEqual([first!.task.partition, first!.worker, rest.length], [0, free, 0], "the head of the queue runs on the free worker, holder or not");
    c.finish(first!);
    assert.deepEqual(c.launchedNow(), [`job-2:1@${free}`]);
  });

  it("a report claiming a block its task cannot have stored fails the attempt, and is not recorded", () => {
    const c = new Cluster(["w1"], 3000);
    c.submit(spec, "job-1");
    const [l] = c.take();
    const other = ds("c");
    c.finish(l!, [block(other, 0)]);
    assert.equal(c.attempt("job-1", l!.task.partition).state, "FAILED");
    assert.match(c.attempt("job-1", l!.task.partition).error!, /invalid task report: partition \d of stage 0 stores no block of dataset ds-c+ partition 0 at MEMORY_ONLY/);
    assert.deepEqual(c.scheduler.blocks.datasets(APP), []);
    const [retry] = c.take();
    c.finish(retry!, [{ ...block(cachedReads(retry!.task.stage.rdd, retry!.task.partition)[0]!.datasetId, retry!.task.partition), memoryBytes: -1 }]);
    assert.match(c.attempt("job-1", retry!.task.partition).error!, /sizes must be whole numbers/);
  });
});

describe("BlockReleases", () => {
  it("hands each worker its releases once, without duplicates, at most MAX_QUEUED_RELEASES, the oldest dropped first", () => {
    const r = new BlockReleases();
    r.add([W1, W2], { application: APP, datasetId: ds("a") });
    r.add([W1], { application: APP, datasetId: ds("a") });
    assert.deepEqual(r.take(W1), [{ application: APP, datasetId: ds("a") }]);
    assert.deepEqual(r.take(W1), []);
    assert.equal(r.take(W2).length, 1);
    for (let i = 0; i < MAX_QUEUED_RELEASES + 5; i++) r.add([W1], { application: `app-${i}` as AppId, datasetId: ds("b") });
    const list = r.take(W1);
    assert.equal(list.length, MAX_QUEUED_RELEASES);
    assert.equal(list[0]!.application, "app-5");
  });
});

describe("BlockTracker.cachedDatasets (GET /api/v1/storage)", () => {
  const about = { node: "points", level: "MEMORY_AND_DISK" as const, numPartitions: 3 };
  const sized = (datasetId: DatasetId, partition: number, memoryBytes: number, diskBytes: number): StoredBlock => ({ datasetId, partition, level: "MEMORY_AND_DISK", memoryBytes, diskBytes });

  it("sums each dataset's blocks in all and per worker, counts a partition once however many hold it, and keeps the job's naming", () => {
    const t = new BlockTracker();
    t.add(APP, W1, sized(ds("a"), 0, 1_000_000_000, 0), about);
    t.add(APP, W2, sized(ds("a"), 0, 0, 700), about);
    t.add(APP, W2, sized(ds("a"), 2, 2_000_000_000, 5), about);
    t.add(APP, W1, block(ds("b"), 0));
    assert.deepEqual(t.cachedDatasets(), [
      {
        application: APP,
        datasetId: ds("a"),
        node: "points",
        level: "MEMORY_AND_DISK",
        numPartitions: 3,
        cachedPartitions: 2,
        memoryBytes: 3_000_000_000,
        diskBytes: 705,
        workers: [
          { worker: W1, partitions: 1, memoryBytes: 1_000_000_000, diskBytes: 0 },
          { worker: W2, partitions: 2, memoryBytes: 2_000_000_000, diskBytes: 705 },
        ],
      },
      // No job named it: the block's own level, and no node or partition count rather than a guess.
      {
        application: APP,
        datasetId: ds("b"),
        node: null,
        level: "MEMORY_ONLY",
        numPartitions: null,
        cachedPartitions: 1,
        memoryBytes: 100,
        diskBytes: 0,
        workers: [{ worker: W1, partitions: 1, memoryBytes: 100, diskBytes: 0 }],
      },
    ]);
    t.add(APP, W1, sized(ds("a"), 1, 1, 0), { ...about, node: "renamed" });
    assert.equal(t.cachedDatasets()[0]!.node, "renamed", "the latest job's naming");
  });

  it("forgets a dataset's naming with its last block: lost workers, unpersist and the application's end", () => {
    const t = new BlockTracker();
    t.add(APP, W1, sized(ds("a"), 0, 10, 0), about);
    t.removeWorker(W1);
    assert.deepEqual(t.cachedDatasets(), []);
    t.add(APP, W2, block(ds("a"), 0));
    assert.equal(t.cachedDatasets()[0]!.node, null, "a block stored again without a job's naming is not given the old one");
    t.add(APP, W2, block(ds("a"), 1), about);
    t.removeDataset(APP, ds("a"));
    t.add(APP, W2, block(ds("a"), 0));
    assert.equal(t.cachedDatasets()[0]!.node, null, "unpersist forgot it");
    t.add(APP, W2, block(ds("c"), 0), about);
    t.removeApp(APP);
    assert.deepEqual(t.cachedDatasets(), []);
    t.add(APP, W2, block(ds("c"), 0));
    assert.equal(t.cachedDatasets()[0]!.node, null, "the application's end forgot it");
  });

  it("datasetAbout finds the persisted RDD below a stage's root, and nothing for a dataset the stage does not persist", () => {
    const plan = planJob(
      validateJobSpec({
        application: APP,
        nodes: [
          { id: "n", op: "parallelize", data: [1, 2, 3], numSlices: 3, persist: "DISK_ONLY" },
          { id: "m", op: "map", input: "n", fn: "x => x + 1" },
        ],
        action: { op: "count", input: "m" },
      }),
      { splits: {}, defaultParallelism: 2 },
    );
    const rdd = plan.stages.at(-1)!.rdd;
    const id = cachedReads(rdd, 0)[0]!.datasetId;
    assert.notEqual(rdd.cache?.datasetId, id, "the stage's root is not the persisted RDD");
    assert.deepEqual(datasetAbout(rdd, id), { node: "n", level: "DISK_ONLY", numPartitions: 3 });
    assert.equal(datasetAbout(rdd, ds("f")), undefined);
  });

  it("the scheduler names each stored block's dataset by its persisted node and partition count", () => {
    const c = new Cluster(["w1", "w2"]);
    c.submit(spec, "job-1");
    for (const l of c.take()) c.finish(l);
    const [d] = c.scheduler.blocks.cachedDatasets();
    assert.deepEqual(
      { node: d!.node, level: d!.level, numPartitions: d!.numPartitions, cachedPartitions: d!.cachedPartitions, workers: d!.workers.length },
      { node: "n", level: "MEMORY_ONLY", numPartitions: 2, cachedPartitions: 2, workers: 2 },
    );
  });
});
