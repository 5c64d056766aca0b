// Unit tests of the list of jobs waiting to start (src/master/waiting-jobs.ts):
// its order, and membership read from the phase it is given, never kept.
import assert from "node:assert/strict";
import { it } from "node:test";
import { asJobId, type JobId } from "../src/common/ids.js";
import { WaitingJobs, type WaitingPhase } from "../src/master/waiting-jobs.js";

it("keeps the order; which jobs wait, and how, is the phase's, so a job moved on is gone at once", () => {
  const phase = new Map<JobId, WaitingPhase>();
  const list = new WaitingJobs<{ id: JobId }>((id) => phase.get(id) ?? null);
  const [a, b, c, d] = ["a", "b", "c", "d"].map((n) => ({ id: asJobId(n) })) as [{ id: JobId }, { id: JobId }, { id: JobId }, { id: JobId }];
  for (const e of [a, b, c, d]) {
    phase.set(e.id, "QUEUED");
    list.add(e);
  }
  assert.equal(list.next(), a);
  phase.set(a.id, "WAITING_FOR_OUTPUT");
  list.toBack(a);
  phase.set(b.id, "WAITING_FOR_OUTPUT");
  list.toBack(b);
  assert.deepEqual([list.next(), list.parked()], [c, [a, b]]);
  phase.set(c.id, null); // started, or cancelled: nothing to remove by hand
  assert.deepEqual(list.all(), [d, a, b]);
  phase.set(b.id, "QUEUED");
  list.toFront([b]);
  assert.deepEqual([list.next(), list.parked(), list.all()], [b, [a], [b, d, a]]);
});
