// The two JobStore implementations (src/master/job-store.ts's SQLite one and
// src/master/memory-job-store.ts) given the same writes answer every read the
// same: rows, orders, conditional updates, upserts, what an end drops, the first
// commit decision standing.
import assert from "node:assert/strict";
import { it } from "node:test";
import { asAttemptId, asJobId, asWorkerId } from "../src/common/ids.js";
import type { Attempt } from "../src/master/job-run.js";
import type { JobStore } from "../src/master/job-store.js";
import { SqliteJobStore } from "../src/master/sqlite-job-store.js";
import { usableDrivers } from "./helpers/sqlite-drivers.js";
import { openSqlDatabase } from "../src/master/sql-database.js";
import { MemoryJobStore } from "../src/master/memory-job-store.js";
import type { JobPlan } from "../src/plan/physical.js";
import { unresolved, type PlanResolution } from "../src/plan/resolution.js";
import { PROTOCOL_VERSION } from "../src/common/version.js";

const PLAN = { stages: [], shuffles: [], resultStage: 0, action: { op: "count" } } as unknown as JobPlan;
const RESOLVED: PlanResolution = { bounds: { 0: [3, "k"] }, offsets: { z: [0, 4] }, edges: [0, 5, 10] };
const [A, B, C] = [asJobId("job-a"), asJobId("job-b"), asJobId("job-c")];
const W = asWorkerId("worker-1");

function attempt(id: string, n: number, state: Attempt["state"], finishedAt: number | null): Attempt {
  return { id: asAttemptId(id), n, workerId: W, startedAt: 10, finishedAt, state, error: state === "FAILED" ? "boom" : null, metrics: null };
}

/** Writes a history through `store`, and returns every read along the way as JSON. */
function story(store: JobStore): unknown[] {
  const reads: unknown[] = [];
  const read = (what: string, v: unknown) => reads.push([what, JSON.parse(JSON.stringify(v))]);
  store.insertJob(B, "b", '{"n":1}', 100);
  store.insertJob(A, "a", '{"n":2}', 100);
  store.insertJob(C, "c", '{"n":3}', 50);
  read("list", store.listJobs(10));
  read("list 2", store.listJobs(2));
  store.startJob(A, 110, PLAN);
  store.planningBegan(A, 105);
  read("unfinished", store.unfinishedJobs());
  store.planningEnded(A);
  store.saveResolution(A, RESOLVED);
  store.putMapOutput(A, 0, 1, { workerId: W, address: "w1:7000", sizes: [1, 2] });
  store.putMapOutput(A, 0, 0, { workerId: W, address: "w1:7000", sizes: [3] });
  store.putMapOutput(A, 0, 1, { workerId: W, address: "w2:7000", sizes: [4] });
  store.putMapOutput(A, 1, 0, { workerId: W, address: "w1:7000", sizes: [5] });
  store.dropMapOutput(A, 1, 0);
  read("map outputs", store.mapOutputs(A));
  store.saveAttempt(A, 0, 1, attempt("a-1-0", 0, "RUNNING", null));
  store.saveAttempt(A, 0, 0, attempt("a-0-1", 1, "FINISHED", 30));
  store.saveAttempt(A, 0, 0, attempt("a-0-0", 0, "FAILED", 20));
  store.saveAttempt(A, 0, 1, { ...attempt("a-1-0", 0, "FINISHED", 40), startedAt: 99 });
  store.saveAttempt(A, 1, 0, attempt("a-s1", 0, "FINISHED", 50));
  read("attempts", store.stageAttempts(A, 0, 10));
  read("attempts limited", store.stageAttempts(A, 0, 2));
  store.event(1, A, "job started", { stages: 1 });
  store.event(2, null, "worker lost", { worker: "w" });
  store.event(3, A, "job ended");
  read("events", store.events(A));
  const decision = { job: A, path: "out", partitions: [{ partition: 0, attemptId: asAttemptId("a-0-1"), workerId: W }], value: { path: "out", files: ["part-00000"], records: 1 } };
  read("decision", store.saveCommitDecision(decision));
  read("second decision", store.saveCommitDecision({ ...decision, path: "elsewhere" }));
  read("job a", store.getJob(A));
  store.endJob(A, "COMPLETED", 200, null, { action: "count", value: 3 }, null);
  store.startJob(A, 300, PLAN);
  read("ended a", store.getJob(A));
  read("outputs after end", store.mapOutputs(A));
  read("decision after end", store.commitDecision(A));
  store.endJob(C, "FAILED", 210, "bad", null, {
    id: C,
    name: "c",
    status: "FAILED",
    progress: 0,
    submittedAt: "",
    startedAt: null,
    finishedAt: null,
    error: "bad",
    action: null,
    stages: [],
    failedTasks: [],
    metrics: { durationMs: null },
    application: null,
  });
  read("c", store.getJob(C));
  read("unfinished after", store.unfinishedJobs());
  read("unknown", store.getJob(asJobId("job-x")));
  return reads;
}

it("the in-memory job store answers as the SQLite one, on every SQLite driver this Node can use", () => {
  const expected = story(new MemoryJobStore());
  for (const driver of usableDrivers()) {
    const sqlite = new SqliteJobStore(":memory:", driver);
    try {
      assert.deepEqual(story(sqlite), expected, driver);
    } finally {
      sqlite.close();
    }
  }
});

it("resumes only a plan stored by this protocol: one from an older master (unstamped, or another version) reads as none, so the job is planned again", async () => {
  const { mkdtempSync } = await import("node:fs");
  const { join } = await import("node:path");
  const { tmpdir } = await import("node:os");
  const file = join(mkdtempSync(join(tmpdir(), "minispark-store-")), "jobs.db");
  const store = new SqliteJobStore(file);
  store.insertJob(A, "a", "{}", 1);
  store.insertJob(B, "b", "{}", 1);
  store.insertJob(C, "c", "{}", 1);
  for (const id of [A, B, C]) store.startJob(id, 2, PLAN);
  store.close();
  const db = openSqlDatabase(file);
  db.prepare("UPDATE jobs SET plan_json = ? WHERE id = ?").run(JSON.stringify(PLAN), B);
  db.prepare("UPDATE jobs SET plan_json = ? WHERE id = ?").run(JSON.stringify({ protocol: PROTOCOL_VERSION - 1, plan: PLAN }), C);
  db.close();
  const reopened = new SqliteJobStore(file);
  assert.deepEqual(reopened.getJob(A)!.plan, PLAN);
  assert.equal(reopened.getJob(B)!.plan, null);
  assert.equal(reopened.getJob(C)!.plan, null);
  reopened.close();
});

it("keeps a job's resolution beside its plan: saved as probes finish, handed back on a resume, none for a job started afresh", async () => {
  const { mkdtempSync } = await import("node:fs");
  const { join } = await import("node:path");
  const { tmpdir } = await import("node:os");
  const file = join(mkdtempSync(join(tmpdir(), "minispark-store-")), "jobs.db");
  for (const [name, store, reopen] of [
    ["sqlite", new SqliteJobStore(file), () => new SqliteJobStore(file)],
    ["memory", new MemoryJobStore(), null],
  ] as const) {
    store.insertJob(A, "a", "{}", 1);
    store.startJob(A, 2, PLAN);
    assert.deepEqual(store.getJob(A)!.resolution, unresolved(), `${name}: nothing resolved at the start`);
    store.saveResolution(A, RESOLVED);
    let read: JobStore = store;
    if (reopen) {
      store.close();
      read = reopen();
    }
    assert.deepEqual(read.getJob(A)!.resolution, RESOLVED, `${name}: what the probes found survives`);
    read.startJob(A, 3, PLAN, read.getJob(A)!.resolution);
    assert.deepEqual(read.getJob(A)!.resolution, RESOLVED, `${name}: a resumed job keeps it`);
    read.startJob(A, 4, PLAN);
    assert.deepEqual(read.getJob(A)!.resolution, unresolved(), `${name}: a job planned again starts unresolved`);
    read.close();
  }
});
