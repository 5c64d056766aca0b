// Which stages run (src/master/stage-readiness.ts), given the map output and the
// cached blocks: a stage only cached datasets stand in for is SKIPPED, comes back
// when a block is gone, and probe stages above a cached dataset still run.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { asJobId, asWorkerId, type ShuffleId } from "../src/common/ids.js";
import { newJobRun, type JobRun } from "../src/master/job-run.js";
import { MapOutputTracker } from "../src/master/map-output-tracker.js";
import { moveTask } from "../src/master/stage-lifecycle.js";
import { refreshStages } from "../src/master/stage-readiness.js";
import type { DatasetId } from "../src/plan/storage-level.js";
import { planJob } from "../src/planner/stage-planner.js";
import { validateJobSpec } from "../src/planner/validate.js";

const APP = "app-00000000a-000001";
const LIMITS = { maxTaskRetries: 4, taskTimeoutMs: 0 };

function job(action: Record<string, unknown>, extra: Record<string, unknown>[] = []): JobRun {
  const spec = {
    application: APP,
    nodes: [
      {
        id: "edges",
        op: "parallelize",
        data: [
          [1, 2],
          [1, 3],
          [2, 3],
          [3, 1],
        ],
        numSlices: 2,
      },
      { id: "links", op: "groupByKey", input: "edges", numPartitions: 2, persist: "MEMORY_ONLY" },
      ...extra,
    ],
    action,
  };
  return newJobRun(asJobId("job-1"), "j", planJob(validateJobSpec(spec), { splits: {}, defaultParallelism: 2 }), LIMITS, 0);
}

const statuses = (j: JobRun) => j.stages.map((s) => s.status);

/** Finishes every task of a map stage, its output on one worker. */
function finishMaps(j: JobRun, tracker: MapOutputTracker, stageId: number): void {
  const stage = j.stages[stageId]!;
  const out = stage.stage.output as { shuffle: ShuffleId };
  for (const t of stage.tasks) {
    moveTask(stage, t, "RUNNING");
    moveTask(stage, t, "SUCCEEDED");
    tracker.register(j.id, out.shuffle, t.partition, { workerId: asWorkerId("w1"), address: "127.0.0.1:1", sizes: [1, 1] });
  }
}

describe("refreshStages with cached blocks", () => {
  it("skips the stage below a wholly cached dataset; brings it back, first, when a block is gone", () => {
    const j = job({ op: "collect", input: "links" });
    const tracker = new MapOutputTracker();
    let cached = true;
    const whollyCached = () => cached;
    refreshStages(j, tracker, 1, whollyCached);
    assert.deepEqual(statuses(j), ["SKIPPED", "RUNNING"]);
    cached = false;
    refreshStages(j, tracker, 2, whollyCached);
    assert.deepEqual(statuses(j), ["RUNNING", "WAITING"], "the map stage runs, and its reader waits for it");
    finishMaps(j, tracker, 0);
    refreshStages(j, tracker, 3, whollyCached);
    assert.deepEqual(statuses(j), ["COMPLETED", "RUNNING"]);
  });

  it("a dataset the job found a block of gone is computed for the rest of the job, whatever the blocks say", () => {
    const j = job({ op: "collect", input: "links" });
    const tracker = new MapOutputTracker();
    refreshStages(j, tracker, 1, () => true);
    assert.equal(j.stages[0]!.status, "SKIPPED");
    j.uncached.add(j.stages[1]!.stage.rdd.cache!.datasetId as DatasetId);
    refreshStages(j, tracker, 2, () => true);
    assert.deepEqual(statuses(j), ["RUNNING", "WAITING"]);
  });

  it("with nothing cached every stage runs in order, as before", () => {
    const j = job({ op: "collect", input: "links" });
    const tracker = new MapOutputTracker();
    refreshStages(j, tracker, 1);
    assert.deepEqual(statuses(j), ["RUNNING", "WAITING"]);
  });

  it("a sort over the cached dataset skips only the stage below it: its sample probe and its own shuffle run", () => {
    const j = job({ op: "collect", input: "sorted" }, [{ id: "sorted", op: "sortByKey", input: "links", numPartitions: 2 }]);
    const tracker = new MapOutputTracker();
    refreshStages(j, tracker, 1, () => true);
    const skipped = j.stages.filter((s) => s.status === "SKIPPED").map((s) => s.stage.id);
    assert.deepEqual(skipped, [0], JSON.stringify(j.stages.map((s) => [s.stage.id, s.stage.name, s.status])));
    assert.ok(
      j.stages.some((s) => s.status === "RUNNING"),
      "the stage reading the cached dataset runs",
    );
  });
});
