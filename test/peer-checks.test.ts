// The pure checks behind "peers are checked": a task report against its stage,
// worker credentials, the ids a worker accepts in a launch, a shuffle block
// response's frames, fetch batching by count, and the result budget.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MAX_RESULT_CEILING, checkValueSize, encodedBytes, reportBodyLimit, resultBudget } from "../src/plan/result-budget.js";
import { fetchFailureMismatch, resultMismatch } from "../src/master/report-check.js";
import { WorkerCredentials } from "../src/master/worker-credentials.js";
import { checkHeartbeat, checkTaskReport, credentialOf, workerIdOf } from "../src/master/worker-messages.js";
import type { JobPlan, Stage } from "../src/plan/physical.js";
import { batchesOf } from "../src/worker/block-fetch.js";
import { ENTRY_HEADER, MAX_BLOCKS_PER_FETCH, missingMap, parseBlockResponse } from "../src/worker/block-frames.js";
import { checkTaskLaunch } from "../src/worker/launch-check.js";
import { blockRange, writeMapOutput } from "../src/worker/shuffle-files.js";
import fs from "node:fs";
import os from "node:os";
import { join } from "node:path";
import type { WorkerId } from "../src/common/ids.js";
import type { TaskResult } from "../src/plan/task.js";
import { PROTOCOL_VERSION } from "../src/common/version.js";

const source = { kind: "range", start: 0, end: 10, numSlices: 2 };
const stage = (id: number, output: unknown, rdd: unknown = source): Stage => ({ id, name: `s${id}`, numTasks: 2, rdd, parents: [], output }) as unknown as Stage;
const mapStage = stage(0, { type: "shuffle", shuffle: 0 });
const sampleStage = stage(1, { type: "sample", shuffle: 0, perPartition: 20 });
const reduceRdd = { kind: "shuffled", shuffles: [0], read: { type: "groupByKey" }, numPartitions: 3 };
const resultOf = (action: unknown) => stage(2, { type: "result", action }, reduceRdd);
const plan = (result: Stage): JobPlan =>
  ({
    stages: [mapStage, sampleStage, result],
    shuffles: [{ id: 0, mapStage: 0, numPartitions: 3, partitioner: { type: "hash" }, combine: null }],
    resultStage: 2,
    action: { op: "collect" },
  }) as unknown as JobPlan;

describe("a report is checked against its stage", () => {
  const collect = resultOf({ type: "collect" });
  const p = plan(collect);
  const fits = (s: Stage, partition: number, r: unknown, pl = p) => resultMismatch(pl, s, partition, r as TaskResult);

  it("takes the result kind each stage output produces", () => {
    assert.equal(fits(mapStage, 0, { type: "mapStatus", sizes: [1, 2, 3], records: 3 }), null);
    assert.equal(fits(sampleStage, 0, { type: "sample", sample: { keys: [1, 2], total: 5 } }), null);
    assert.equal(fits(collect, 1, { type: "collect", records: [1] }), null);
    const save = resultOf({ type: "save", path: "x", format: "text", header: false, compression: null });
    assert.equal(fits(save, 7, { type: "saved", file: "part-00007", records: 4 }, plan(save)), null);
  });

  it("refuses another stage's kind, naming both", () => {
    assert.match(fits(mapStage, 0, { type: "collect", records: [] })!, /produces a "mapStatus" result, the report has "collect"/);
    assert.match(fits(sampleStage, 0, { type: "count", count: 1 })!, /"sample"/);
    const save = resultOf({ type: "save", path: "x", format: "text", header: false, compression: null });
    assert.match(fits(save, 0, { type: "count", count: 1 }, plan(save))!, /"saved"/);
  });

  it("refuses numbers that disagree with the plan", () => {
    assert.match(fits(mapStage, 0, { type: "mapStatus", sizes: [1], records: 1 })!, /3 block sizes/);
    assert.match(fits(mapStage, 0, { type: "mapStatus", sizes: [1, -1, 2], records: 1 })!, /whole numbers/);
    assert.match(fits(mapStage, 0, { type: "mapStatus", sizes: [1, 1e300, 2], records: 1 })!, /whole numbers/);
    assert.match(fits(sampleStage, 0, { type: "sample", sample: { keys: new Array(21).fill(0), total: 30 } })!, /at most 20 keys/);
    const save = resultOf({ type: "save", path: "x", format: "text", header: false, compression: null });
    assert.match(fits(save, 0, { type: "saved", file: "part-00001", records: 1 }, plan(save))!, /its own part file/);
    assert.match(fits(save, 0, { type: "saved", file: "../../etc/passwd", records: 1 }, plan(save))!, /its own part file/);
    const take = resultOf({ type: "take", num: 2 });
    assert.match(fits(take, 0, { type: "collect", records: [1, 2, 3] }, plan(take))!, /at most 2 records/);
    const hist = resultOf({ type: "histogram", edges: [0, 5, 10], buckets: 2 });
    assert.equal(fits(hist, 0, { type: "histogram", edges: [0, 5, 10], counts: [1, 2] }, plan(hist)), null);
    assert.match(fits(hist, 0, { type: "histogram", edges: [0, 5, 10], counts: [1, 2, 3] }, plan(hist))!, /2 buckets/);
    assert.match(fits(hist, 0, { type: "histogram", edges: [0, 6, 10], counts: [1, 2] }, plan(hist))!, /edges/);
  });

  it("a fetch failure must name a shuffle and map the stage reads", () => {
    const f = { shuffleId: 0, mapId: 1, workerId: "w", address: "h:1", message: "m" } as never;
    assert.equal(fetchFailureMismatch(p, collect, f), null);
    assert.match(fetchFailureMismatch(p, collect, { ...(f as object), shuffleId: 5 } as never)!, /reads no shuffle 5/);
    assert.match(fetchFailureMismatch(p, collect, { ...(f as object), mapId: 2 } as never)!, /maps 0 to 1/);
    assert.match(fetchFailureMismatch(p, mapStage, f)!, /reads no shuffle 0/);
  });

  it("result types are looked up as own keys only", () => {
    for (const type of ["constructor", "__proto__", "toString", "hasOwnProperty"]) {
      const r = { protocol: PROTOCOL_VERSION, worker_id: "w", attemptId: "a", metrics: null, state: "FINISHED", result: { type } };
      assert.throws(() => checkTaskReport(r, 0), /result must be one of/, type);
    }
  });
});

describe("worker credentials", () => {
  it("are issued at registration and checked for every later message", () => {
    const c = new WorkerCredentials();
    const a = "worker-a" as WorkerId;
    const secret = c.issue(a);
    assert.ok(secret.length >= 40);
    c.check(a, secret);
    assert.throws(
      () => c.check(a, undefined),
      (e: Error & { code?: string }) => e.code === "FORBIDDEN",
    );
    assert.throws(() => c.check(a, secret.slice(1)), /speak only for itself/);
    assert.throws(() => c.check("worker-b" as WorkerId, secret), /speak only for itself/);
    // Registering again (a restarted master, or a lost reply) replaces the old one.
    const again = c.issue(a);
    assert.throws(() => c.check(a, secret));
    c.check(a, again);
  });

  it("travel beside a heartbeat, never stored with it", () => {
    const hb = { worker_id: "w-1", address: "10.0.0.7:7078", status: "IDLE", active_tasks: 0, mem_usage_mb: 80, last_heartbeat: 1795800000, slots: 2, credential: "s3cret" };
    assert.equal("credential" in checkHeartbeat(hb), false);
    assert.equal(credentialOf(hb), "s3cret");
    assert.equal(credentialOf({ worker_id: "w" }), undefined);
    assert.throws(() => credentialOf({ credential: 5 }), /credential must be a string/);
    assert.throws(() => credentialOf({ credential: "x".repeat(300) }), /credential must be a string/);
    assert.throws(() => workerIdOf({ worker_id: "../w" }), /worker_id/);
  });
});

describe("a worker's launch check", () => {
  const task = {
    protocol: PROTOCOL_VERSION,
    jobId: "job-1",
    stageId: 0,
    partition: 0,
    attemptId: "job-1.0.0.0@ab12",
    attempt: 0,
    stage: { output: { type: "result", action: { type: "count" } }, rdd: reduceRdd },
    outputShuffle: null,
    inputs: { "0/0": [{ mapId: 0, workerId: "w", address: "h:1", bytes: 10 }] },
    application: null,
  };

  it("takes a well-formed task", () => {
    assert.equal(checkTaskLaunch(task, 0).jobId, "job-1");
    assert.equal(checkTaskLaunch({ ...task, application: "app-0m4x1k2qz-3f9a1c" }, 0).application, "app-0m4x1k2qz-3f9a1c");
  });

  it("refuses every id that would leave its directory or is not a number in range", () => {
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ jobId: "../../.." }, /jobId/],
      [{ jobId: ".." }, /jobId/],
      [{ jobId: "a/b" }, /jobId/],
      [{ jobId: "" }, /jobId/],
      [{ attemptId: "x/../../y" }, /attemptId/],
      [{ partition: -1 }, /partition/],
      [{ stageId: 1.5 }, /stageId/],
      [{ attempt: "0" }, /attempt/],
      [{ stage: { output: { type: "shuffle", shuffle: -1 }, rdd: source } }, /output shuffle/],
      [{ stage: { output: { type: "result" }, rdd: { kind: "shuffled", shuffles: ["../x"] } } }, /shuffles an rdd reads/],
      [{ stage: { output: { type: "result" }, rdd: { kind: "narrow", parent: { kind: "shuffled", shuffles: [-3] } } } }, /shuffles an rdd reads/],
      [{ inputs: { "../0": [] } }, /input key/],
      [{ inputs: { "0/0": [{ mapId: -1, workerId: "w", address: "h:1", bytes: 1 }] } }, /locations/],
      [{ outputShuffle: { id: "x" } }, /outputShuffle/],
      [{ application: "../app" }, /application/],
      [{ application: 7 }, /application/],
      [{ application: undefined }, /application/],
    ];
    for (const [patch, re] of bad)
      assert.throws(
        () => checkTaskLaunch({ ...task, ...patch }, 3),
        (e: Error) => re.test(e.message) && /task 3/.test(e.message),
        JSON.stringify(patch),
      );
  });
});

describe("a shuffle block response's frames", () => {
  const entry = (mapId: number, length: number, bytes = Math.max(0, length)) => {
    const b = Buffer.alloc(ENTRY_HEADER + bytes);
    b.writeUInt32LE(mapId, 0);
    b.writeDoubleLE(length, 4);
    return b;
  };

  it("reads entries in the order asked for", () => {
    const body = Buffer.concat([entry(3, 5), entry(1, 0), entry(2, 7)]);
    const r = parseBlockResponse(body, [3, 1, 2]);
    assert.ok(r.ok);
    assert.deepEqual(
      r.entries.map((e) => [e.mapId, e.offset, e.length]),
      [
        [3, 12, 5],
        [1, 29, 0],
        [2, 41, 7],
      ],
    );
  });

  it("fails on every malformed length, count or map id, and never loops", () => {
    const cases: [Buffer, number[], RegExp][] = [
      [entry(0, -12, 0), [0], /length -12/],
      [entry(0, 1e15, 8), [0], /length 1000000000000000/],
      [entry(0, Number.NaN, 0), [0], /length NaN/],
      [entry(0, 0.5, 1), [0], /length 0.5/],
      [entry(0, 10, 4), [0], /length 10/],
      [entry(0, 4).subarray(0, 8), [0], /missing/],
      [entry(5, 4), [0], /for map 5, map 0 was asked for/],
      [Buffer.concat([entry(0, 1), entry(1, 1)]), [0], /past the last entry/],
      [entry(0, 1), [0, 1], /entry of map 1 is missing/],
      [Buffer.alloc(0), [0], /missing/],
    ];
    for (const [body, maps, re] of cases) {
      const r = parseBlockResponse(body, maps);
      assert.ok(!r.ok, re.source);
      assert.match(r.message, re);
      assert.ok(maps.includes(r.mapId));
    }
  });

  it("names a missing map only if it was asked for", () => {
    assert.equal(missingMap("2", [1, 2]), 2);
    assert.equal(missingMap("9", [1, 2]), 1);
    assert.equal(missingMap("-1", [1, 2]), 1);
    assert.equal(missingMap(undefined, [4]), 4);
  });

  it("fetches are cut by count as well as bytes", () => {
    const locs = Array.from({ length: 3000 }, (_, i) => ({ mapId: i, workerId: "w" as WorkerId, address: "h:1", bytes: 10 }));
    const batches = [...batchesOf(locs, 32 * 1024 * 1024, MAX_BLOCKS_PER_FETCH)];
    assert.ok(batches.every((b) => b.length <= MAX_BLOCKS_PER_FETCH));
    assert.equal(batches.flat().length, 3000);
    // A query of that many ids stays far below Node's 16 KiB header limit.
    assert.ok(batches[0]!.map((l) => l.mapId + 1e8).join(",").length < 8 * 1024);
    assert.deepEqual(
      [...batchesOf(locs.slice(0, 3), 15, 100)].map((b) => b.length),
      [1, 1, 1],
    );
  });
});

describe("a map output's index", () => {
  it("is checked against the file's data before anyone reads a range from it", () => {
    const dir = fs.mkdtempSync(join(os.tmpdir(), "peer-checks-"));
    try {
      const path = join(dir, "m0.data");
      writeMapOutput(path, [[Buffer.from("abc")], [Buffer.from("defg")]], "t");
      const fd = fs.openSync(path, "r+");
      try {
        assert.deepEqual(blockRange(fd, 1), [3, 7]);
        const size = fs.fstatSync(fd).size;
        // The index: 3 offsets of 8 bytes, then the trailer; make partition 1 end past the data.
        const bad = Buffer.alloc(8);
        bad.writeDoubleLE(1e12, 0);
        fs.writeSync(fd, bad, 0, 8, size - 8 - 8);
        assert.throws(() => blockRange(fd, 1), /outside its 7 data bytes/);
        bad.writeDoubleLE(-5, 0);
        fs.writeSync(fd, bad, 0, 8, size - 8 - 24);
        assert.throws(() => blockRange(fd, 0), /outside/);
      } finally {
        fs.closeSync(fd);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the result budget", () => {
  it("never passes V8's string limit, and measures what it stores", () => {
    assert.equal(resultBudget(64 * 1024), 64 * 1024);
    assert.equal(resultBudget(8 * 1024 ** 3), MAX_RESULT_CEILING);
    assert.ok(reportBodyLimit(resultBudget(Infinity)) < 2 ** 29 - 24, "a report body fits one string");
    assert.equal(encodedBytes([1, "é"]), 8);
    assert.throws(() => checkValueSize("collect", ["x".repeat(100)], 50), /collect\(\) are larger than the master's limit \(--max-result-size 50 bytes\)/);
    checkValueSize("collect", ["x"], 50);
  });
});
