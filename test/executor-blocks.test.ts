// A worker's executor with real task threads (src/worker/executor.ts, task-thread.ts): a task reading a cached
// partition runs on the thread that holds it, DISK_ONLY blocks are read by any thread, and an ended application's
// blocks go from the threads' heaps and the block directory (HeartbeatReply.ended_apps' effect).
import { S3Service } from "../src/worker/s3-bridge.js";
import { S3Clients } from "../src/worker/s3-clients.js";
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { Executor, type ThreadReply } from "../src/worker/executor.js";
import { logger } from "../src/common/log.js";
import { planJob } from "../src/planner/stage-planner.js";
import { validateJobSpec } from "../src/planner/validate.js";
import { resolveLaunch, unresolved } from "../src/plan/resolution.js";
import { asJobId, asWorkerId, attemptIdOf } from "../src/common/ids.js";
import type { TaskLaunch } from "../src/plan/task.js";
import { PROTOCOL_VERSION } from "../src/common/version.js";

const root = fs.mkdtempSync(join(os.tmpdir(), "minispark-executor-blocks-"));
const blockDir = join(root, "blocks");
const executor = new Executor({
  slots: 2,
  dataDir: root,
  shuffleRoot: join(root, "shuffle"),
  spillDir: join(root, "spill"),
  blockDir,
  memoryBytes: 256 * 1024 * 1024,
  memoryFraction: 0.5,
  userCode: true,
  fetchRemote: async () => ({ ok: false, mapId: 0, message: "no remote blocks here" }),
  log: logger("test"),
  s3: new S3Service(new S3Clients()),
});
after(async () => {
  await executor.close();
  fs.rmSync(root, { recursive: true, force: true });
});

let jobs = 0;
/** A launch of partition `p` of a 2-partition persisted parallelize, counted, in application `app`. */
function launch(app: string, level: string, p: number): TaskLaunch {
  const plan = planJob(validateJobSpec({ application: app, nodes: [{ id: "n", op: "parallelize", data: [1, 2, 3, 4, 5, 6], numSlices: 2, persist: level }], action: { op: "collect", input: "n" } }), {
    splits: {},
    defaultParallelism: 2,
  });
  const jobId = asJobId(`job-${jobs++}`);
  const stage = plan.stages[0]!;
  return { protocol: PROTOCOL_VERSION, jobId, stageId: stage.id, partition: p, attemptId: attemptIdOf(jobId, stage.id, p, 0), attempt: 0, ...resolveLaunch(plan, unresolved(), stage, p, () => []) };
}

async function run(t: TaskLaunch): Promise<ThreadReply & { state: "FINISHED" }> {
  const reply = await executor.run(t, asWorkerId("w-test"))!;
  assert.equal(reply.state, "FINISHED", JSON.stringify(reply));
  return reply as ThreadReply & { state: "FINISHED" };
}

describe("the executor and its threads' blocks", () => {
  it("stores a partition once; later tasks read it on the holding thread, whichever thread is free", async () => {
    const first = await run(launch("app-00000000a-00000a", "MEMORY_ONLY", 0));
    assert.equal(first.outcome.stored.length, 1);
    assert.deepEqual(first.outcome.result, { type: "collect", records: [1, 2, 3] });
    // Eight reads in a row, two at a time: each lands on the holder (a read there stores nothing new).
    for (let i = 0; i < 4; i++) {
      const replies = await Promise.all([run(launch("app-00000000a-00000a", "MEMORY_ONLY", 0)), run(launch("app-00000000a-00000a", "MEMORY_ONLY", 0))]);
      for (const r of replies) {
        assert.deepEqual(r.outcome.stored, [], "read from the block, not computed again");
        assert.deepEqual(r.outcome.result, { type: "collect", records: [1, 2, 3] });
      }
    }
  });

  it("DISK_ONLY blocks are files any thread reads", async () => {
    assert.equal((await run(launch("app-00000000b-00000b", "DISK_ONLY", 1))).outcome.stored.length, 1);
    const replies = await Promise.all([run(launch("app-00000000b-00000b", "DISK_ONLY", 1)), run(launch("app-00000000b-00000b", "DISK_ONLY", 1))]);
    for (const r of replies) assert.deepEqual([r.outcome.stored, r.outcome.result], [[], { type: "collect", records: [4, 5, 6] }]);
    assert.ok(fs.existsSync(join(blockDir, "app_app-00000000b-00000b")));
  });

  it("an ended application's blocks go, in memory and on disk; other applications keep theirs; dropping again is harmless", async () => {
    executor.dropApplications(["app-00000000a-00000a", "app-00000000b-00000b", "../..", ""]);
    executor.dropApplications(["app-00000000a-00000a", "app-00000000b-00000b"]);
    assert.equal(fs.existsSync(join(blockDir, "app_app-00000000b-00000b")), false);
    assert.ok(fs.existsSync(root), "a hostile id removes nothing else");
    assert.equal((await run(launch("app-00000000a-00000a", "MEMORY_ONLY", 0))).outcome.stored.length, 1, "computed and stored again");
    assert.equal((await run(launch("app-00000000b-00000b", "DISK_ONLY", 1))).outcome.stored.length, 1);
    assert.equal((await run(launch("app-00000000c-00000c", "MEMORY_ONLY", 1))).outcome.stored.length, 1);
    executor.dropApplications(["app-00000000a-00000a"]);
    assert.deepEqual((await run(launch("app-00000000c-00000c", "MEMORY_ONLY", 1))).outcome.stored, [], "the third application's block stayed");
  });
});

describe("evictions the executor reports (Heartbeat.blocks_evicted)", () => {
  /** Partition 0 of the persisted parallelize, then a map over it that runs until killed. */
  function slowLaunch(app: string, level: string): TaskLaunch {
    const nodes = [
      { id: "n", op: "parallelize", data: [1, 2, 3, 4, 5, 6], numSlices: 2, persist: level },
      { id: "slow", op: "map", input: "n", fn: "x => { const end = Date.now() + 60000; while (Date.now() < end); return x; }" },
    ];
    const plan = planJob(validateJobSpec({ application: app, nodes, action: { op: "collect", input: "slow" } }), { splits: {}, defaultParallelism: 2 });
    const jobId = asJobId(`job-${jobs++}`);
    const stage = plan.stages[0]!;
    return { protocol: PROTOCOL_VERSION, jobId, stageId: stage.id, partition: 0, attemptId: attemptIdOf(jobId, stage.id, 0, 0), attempt: 0, ...resolveLaunch(plan, unresolved(), stage, 0, () => []) };
  }

  it("a thread that dies loses its heap's blocks: each is reported once, with its file's size when it is still on disk", async () => {
    executor.takeEvictions();
    const memoryOnly = "app-00000000d-00000d";
    const withDisk = "app-00000000e-00000e";
    await run(launch(memoryOnly, "MEMORY_ONLY", 0));
    const stored = await run(launch(withDisk, "MEMORY_AND_DISK", 0));
    assert.deepEqual(executor.takeEvictions(), [], "nothing was evicted yet");
    // A task over the MEMORY_ONLY block runs on its holder; killing it ends that thread and its heap.
    const slow = slowLaunch(memoryOnly, "MEMORY_ONLY");
    const ended = executor.run(slow, asWorkerId("w-test"))!;
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(executor.kill(slow.attemptId, "test"));
    assert.equal((await ended).state, "KILLED");
    const evicted = executor.takeEvictions();
    const mine = evicted.filter((e) => e.application === memoryOnly);
    assert.deepEqual(
      mine.map((e) => [e.partition, e.diskBytes]),
      [[0, 0]],
      JSON.stringify(evicted),
    );
    // The MEMORY_AND_DISK block went too if it shared the thread; it is then still on disk, with its size.
    for (const e of evicted.filter((x) => x.application === withDisk)) assert.equal(e.diskBytes, stored.outcome.stored[0]!.diskBytes);
    assert.deepEqual(executor.takeEvictions(), [], "each is reported once");
    executor.putBackEvictions(mine);
    assert.deepEqual(executor.takeEvictions(), mine, "a heartbeat that failed puts them back");
    // An ended application's blocks are dropped, not evicted.
    await run(launch(memoryOnly, "MEMORY_ONLY", 1));
    executor.dropApplications([memoryOnly, withDisk]);
    await run(launch("app-00000000f-00000f", "MEMORY_ONLY", 1));
    await run(launch("app-00000000f-00000f", "MEMORY_ONLY", 0));
    assert.deepEqual(executor.takeEvictions(), []);
  });
});
