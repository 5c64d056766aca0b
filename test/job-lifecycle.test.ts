// Unit tests of the job state machine (src/master/job-lifecycle.ts): every move
// its methods make is checked against the transition table, illegal ones
// throw and change nothing, the API's status and the store row follow it.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { asJobId, type JobId } from "../src/common/ids.js";
import { API_STATUS, JOB_TRANSITIONS, JobLifecycle, canMove, type JobPhase } from "../src/master/job-lifecycle.js";
import { IllegalTransition } from "../src/master/transitions.js";
import { MemoryJobStore } from "../src/master/memory-job-store.js";
import type { JobPlan } from "../src/plan/physical.js";

const PHASES = Object.keys(JOB_TRANSITIONS) as JobPhase[];
const PLAN = { stages: [], shuffles: [], resultStage: 0, action: { op: "count" } } as unknown as JobPlan;

/** The lifecycle's method that moves a job to `to`. */
function moveTo(l: JobLifecycle, id: JobId, to: JobPhase): void {
  switch (to) {
    case "QUEUED":
      return l.outputFree(id);
    case "WAITING_FOR_OUTPUT":
      return l.waitForOutput(id);
    case "RUNNING":
      return l.running(id, 2, PLAN);
    case "FINISHING":
      return l.finishing(id, "COMPLETED");
    default:
      return l.end(id, to, 3, null, null, null);
  }
}

/** A job brought to `phase` by legal moves. */
function jobIn(phase: JobPhase): { l: JobLifecycle; store: MemoryJobStore; id: JobId } {
  const store = new MemoryJobStore();
  const l = new JobLifecycle(store);
  const id = asJobId("job-1");
  l.submitted(id, "j", "{}", 1);
  const path: Record<JobPhase, JobPhase[]> = {
    QUEUED: [],
    WAITING_FOR_OUTPUT: ["WAITING_FOR_OUTPUT"],
    RUNNING: ["RUNNING"],
    FINISHING: ["RUNNING", "FINISHING"],
    COMPLETED: ["RUNNING", "FINISHING", "COMPLETED"],
    FAILED: ["FAILED"],
    CANCELLED: ["WAITING_FOR_OUTPUT", "CANCELLED"],
  };
  for (const p of path[phase]) moveTo(l, id, p);
  assert.equal(l.phase(store.getJob(id)!), phase);
  return { l, store, id };
}

describe("the job lifecycle", () => {
  it("makes exactly the moves of its table; any other throws and leaves the job as it was", () => {
    for (const from of PHASES) {
      for (const to of PHASES) {
        const { l, store, id } = jobIn(from);
        if (canMove(from, to)) {
          moveTo(l, id, to);
          assert.equal(l.phase(store.getJob(id)!), to, `${from} → ${to}`);
        } else {
          assert.throws(
            () => moveTo(l, id, to),
            (e) => e instanceof IllegalTransition && e.from === from && e.to === to,
            `${from} → ${to}`,
          );
          assert.equal(l.phase(store.getJob(id)!), from);
        }
      }
    }
  });

  it("ends every job in a final state, which has no way out; a running job ends only through FINISHING", () => {
    for (const end of ["COMPLETED", "FAILED", "CANCELLED"] as const) assert.deepEqual(JOB_TRANSITIONS[end], []);
    assert.deepEqual(JOB_TRANSITIONS.RUNNING, ["FINISHING"]);
    const reach = (p: JobPhase, seen = new Set<JobPhase>()): boolean => JOB_TRANSITIONS[p].length === 0 || JOB_TRANSITIONS[p].some((q) => !seen.has(q) && reach(q, new Set([...seen, p])));
    for (const p of PHASES) assert.ok(reach(p), `${p} can end`);
  });

  it("shows PENDING while the job waits and RUNNING until its end is stored", () => {
    const shown = Object.fromEntries(PHASES.map((p) => [p, API_STATUS[p]]));
    assert.deepEqual(shown, { QUEUED: "PENDING", WAITING_FOR_OUTPUT: "PENDING", RUNNING: "RUNNING", FINISHING: "RUNNING", COMPLETED: "COMPLETED", FAILED: "FAILED", CANCELLED: "CANCELLED" });
    for (const p of PHASES) {
      const { l, store, id } = jobIn(p);
      assert.equal(l.status(store.getJob(id)!), API_STATUS[p]);
    }
  });

  it("writes the row's status: PENDING when submitted, RUNNING with its plan once handed over, its end once ended", () => {
    assert.equal(jobIn("QUEUED").store.getJob(asJobId("job-1"))!.status, "PENDING");
    const running = jobIn("FINISHING").store.getJob(asJobId("job-1"))!;
    assert.deepEqual([running.status, running.startedAt, running.plan], ["RUNNING", 2, PLAN]);
    const ended = jobIn("CANCELLED");
    assert.deepEqual([ended.store.getJob(ended.id)!.status, ended.store.getJob(ended.id)!.finishedAt, ended.l.isLive(ended.id)], ["CANCELLED", 3, false]);
  });

  it("moves a job only once its store write is done: a write that throws leaves it where it was, to be tried again", () => {
    const { l, store, id } = jobIn("QUEUED");
    const full = () => {
      throw new Error("SQLITE_FULL: database or disk is full");
    };
    const { startJob, endJob } = store;
    store.startJob = full;
    store.endJob = full;
    assert.throws(() => l.running(id, 2, PLAN), /SQLITE_FULL/);
    assert.throws(() => l.end(id, "CANCELLED", 2, null, null, null), /SQLITE_FULL/);
    assert.deepEqual([l.phase(store.getJob(id)!), store.getJob(id)!.status], ["QUEUED", "PENDING"]);
    store.startJob = startJob;
    store.endJob = endJob;
    l.running(id, 2, PLAN);
    assert.deepEqual([l.phase(store.getJob(id)!), store.getJob(id)!.status], ["RUNNING", "RUNNING"]);
  });

  it("keeps the scheduler's outcome while finishing", () => {
    const { l, id } = jobIn("RUNNING");
    assert.equal(l.outcome(id), null);
    l.finishing(id, "CANCELLED");
    assert.equal(l.outcome(id), "CANCELLED");
  });

  it("takes back an earlier master's unfinished rows, refuses ended ones and a second submission of an id", () => {
    const store = new MemoryJobStore();
    const before = new JobLifecycle(store);
    const [a, b] = [asJobId("job-a"), asJobId("job-b")];
    before.submitted(a, "a", "{}", 1);
    before.submitted(b, "b", "{}", 1);
    before.running(a, 2, PLAN);
    before.end(b, "FAILED", 3, "x", null, null);
    const after = new JobLifecycle(store);
    assert.throws(() => after.phase(store.getJob(a)!), /job job-a is RUNNING in the store but unknown to this master/);
    after.recovered(store.getJob(a)!);
    assert.deepEqual([after.phase(store.getJob(a)!), after.status(store.getJob(a)!)], ["QUEUED", "PENDING"]);
    assert.throws(() => after.recovered(store.getJob(b)!), IllegalTransition);
    assert.throws(() => after.submitted(a, "a", "{}", 4), IllegalTransition);
  });
});
