import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { checkHeartbeat, checkTaskReport, evictedBlocks } from "../src/master/worker-messages.js";
import { PROTOCOL_VERSION } from "../src/common/version.js";

const minimal = { worker_id: "w-1", address: "10.0.0.7:7078", status: "IDLE", active_tasks: 0, mem_usage_mb: 80, last_heartbeat: 1795800000, slots: 2 };

describe("worker messages", () => {
  it("accepts the heartbeat DESIGN.md requires and fills in the metrics it may leave out", () => {
    const hb = checkHeartbeat(minimal);
    assert.equal(hb.cpu_percent, 0);
    assert.equal(hb.spill_bytes, 0);
    assert.deepEqual(hb.running_attempts, []);
    assert.equal(checkHeartbeat({ ...minimal, address: "[::1]:7078", draining: true }).draining, true);
  });

  it("refuses heartbeats with a bad field, naming it", () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ ...minimal, worker_id: "a/b" }, /worker_id/],
      [{ ...minimal, address: "10.0.0.7" }, /address/],
      [{ ...minimal, address: "host:99999" }, /address/],
      [{ ...minimal, slots: 0 }, /slots/],
      [{ ...minimal, status: "ASLEEP" }, /status/],
      [{ ...minimal, mem_usage_mb: "80" }, /mem_usage_mb/],
      [{ ...minimal, cpu_percent: -1 }, /cpu_percent/],
      [{ ...minimal, running_attempts: [1] }, /running_attempts/],
      [{ ...minimal, draining: "yes" }, /draining/],
    ];
    for (const [hb, field] of cases)
      assert.throws(
        () => checkHeartbeat(hb),
        (e: Error) => field.test(e.message) && /invalid heartbeat/.test(e.message),
        JSON.stringify(hb),
      );
    assert.throws(() => checkHeartbeat([minimal]), /JSON object/);
  });

  it("checks task reports by state and result kind", () => {
    const base = { protocol: PROTOCOL_VERSION, worker_id: "w-1", attemptId: "a", metrics: null };
    assert.doesNotThrow(() => checkTaskReport({ ...base, state: "FINISHED", result: { type: "mapStatus", sizes: [1, 0], records: 3 } }, 0));
    assert.doesNotThrow(() => checkTaskReport({ ...base, state: "KILLED", error: "gone" }, 0));
    assert.throws(() => checkTaskReport({ ...base, state: "FINISHED", result: { type: "mapStatus", sizes: ["1"], records: 3 } }, 4), /task report 4: result/);
    assert.throws(() => checkTaskReport({ ...base, state: "FETCH_FAILED", error: "x" }, 0), /fetchFailure/);
    assert.throws(() => checkTaskReport({ ...base, state: "DONE" }, 0), /state/);
    assert.throws(() => checkTaskReport({ ...base, metrics: { durationMs: 1 }, state: "KILLED", error: "" }, 0), /metrics/);
    assert.throws(() => checkTaskReport(null, 1), /task report 1/);
  });
});

describe("a heartbeat's evicted blocks", () => {
  it("keeps well-formed entries and skips every other shape, and at most MAX_REPORTED_EVICTIONS", () => {
    const good = { application: "app-00000000a-000001", datasetId: `ds-${"a".repeat(32)}`, partition: 3, diskBytes: 0 };
    const list = [
      good,
      { ...good, partition: -1 },
      { ...good, partition: 1.5 },
      { ...good, partition: 2 ** 60 },
      { ...good, diskBytes: -5 },
      { ...good, diskBytes: "7" },
      { ...good, application: "../../etc" },
      { ...good, datasetId: "x".repeat(10_000) },
      null,
      "block",
      [good],
      { ...good, diskBytes: 1e9 },
    ];
    assert.deepEqual(evictedBlocks({ blocks_evicted: list }), [good, { ...good, diskBytes: 1e9 }]);
    assert.deepEqual(evictedBlocks({}), []);
    assert.deepEqual(evictedBlocks({ blocks_evicted: "all" }), []);
    assert.equal(evictedBlocks({ blocks_evicted: Array.from({ length: 20_000 }, () => good) }).length, 10_000);
  });
});
