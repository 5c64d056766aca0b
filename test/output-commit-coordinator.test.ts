// The master's output commit coordinator without processes: path ownership
// (overlapping paths, waiting and refusing, ownership freed by a job that ended
// without releasing) and the commit decision (the attempt the scheduler
// accepted, never a later duplicate or a lost attempt).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { AttemptId, JobId, WorkerId } from "../src/common/ids.js";
import type { Attempt, TaskRun } from "../src/master/job-run.js";
import { SqliteJobStore } from "../src/master/sqlite-job-store.js";
import { OutputCommitCoordinator, decideCommit, overlaps, partsByWorker, pathKey } from "../src/master/output-commit-coordinator.js";

const A = "job-a" as JobId;
const B = "job-b" as JobId;
const C = "job-c" as JobId;
const live = () => true;

describe("output path ownership", () => {
  it("one path, spelled many ways, is one key; a path and one inside it overlap, siblings do not", () => {
    assert.deepEqual(pathKey("a//b/./c/"), ["a", "b", "c"]);
    assert.ok(overlaps("a/b", "a//b/"));
    assert.ok(overlaps("a", "a/b/c"));
    assert.ok(overlaps("a/b/c", "a"));
    assert.ok(overlaps("s3a://bucket/out", "s3://bucket/out/inner/"), "s3a:// and s3:// name one prefix");
    assert.ok(!overlaps("s3://bucket/out", "s3://other/out"));
    assert.ok(!overlaps("a/b", "a/bc"));
    assert.ok(!overlaps("a/b", "a/c"));
  });

  it("a second writer waits in mode overwrite and is refused in mode error, naming the holder", () => {
    const c = new OutputCommitCoordinator();
    assert.deepEqual(c.claim("out", A, "error", live), { kind: "granted" });
    assert.deepEqual(c.claim("out/", B, "overwrite", live), { kind: "wait", holder: A });
    assert.deepEqual(c.claim("./out", C, "error", live), { kind: "refused", holder: A });
    assert.deepEqual(c.claim("out/inner", C, "overwrite", live), { kind: "wait", holder: A });
    assert.deepEqual(c.claim("elsewhere", C, "error", live), { kind: "granted" });
    assert.deepEqual(c.claim("out", A, "error", live), { kind: "granted" }, "the holder claiming again (a restarted start) keeps it");
  });

  it("release frees every path of the job; a holder that ended without releasing frees them too", () => {
    const c = new OutputCommitCoordinator();
    c.claim("x", A, "error", live);
    c.claim("y", A, "error", live);
    c.release(A);
    assert.equal(c.holder("x"), null);
    assert.equal(c.holder("y"), null);
    c.claim("x", B, "error", live);
    assert.deepEqual(
      c.claim("x", C, "overwrite", (j) => j !== B),
      { kind: "granted" },
    );
    assert.equal(c.holder("x"), C);
  });
});

function attempt(id: string, worker: string, state: Attempt["state"]): Attempt {
  return { id: id as AttemptId, n: 0, workerId: worker as WorkerId, startedAt: 0, finishedAt: 1, state, error: null, metrics: null };
}

function task(partition: number, attempts: Attempt[], accepted: string | undefined, records = 3): TaskRun {
  return {
    partition,
    status: "SUCCEEDED",
    attempts,
    failures: 0,
    lost: 0,
    result: { type: "saved", file: `part-0000${partition}`, records },
    resultAttempt: accepted as AttemptId | undefined,
  };
}

describe("the commit decision", () => {
  it("names, per partition, the attempt whose result was accepted, not the first finished one", () => {
    const tasks = [
      task(0, [attempt("j.0.0.0", "w1", "LOST"), attempt("j.0.0.1", "w2", "FINISHED")], "j.0.0.1"),
      // Two attempts finished; the second to be launched finished first and was taken.
      task(1, [attempt("j.0.1.0", "w1", "FINISHED"), attempt("j.0.1.1", "w2", "FINISHED")], "j.0.1.1", 4),
    ];
    const d = decideCommit(A, "out", tasks);
    assert.deepEqual(d.partitions, [
      { partition: 0, attemptId: "j.0.0.1", workerId: "w2" },
      { partition: 1, attemptId: "j.0.1.1", workerId: "w2" },
    ]);
    assert.deepEqual(d.value, { path: "out", files: ["part-00000", "part-00001"], records: 7 });
    assert.deepEqual(
      [...partsByWorker(d)],
      [
        [
          "w2",
          [
            { partition: 0, attemptId: "j.0.0.1" },
            { partition: 1, attemptId: "j.0.1.1" },
          ],
        ],
      ],
    );
  });

  it("leaves out parts without records when asked, keeping one when all are empty", () => {
    const tasks = (counts: number[]) => counts.map((n, p) => task(p, [attempt(`j.0.${p}.0`, "w1", "FINISHED")], `j.0.${p}.0`, n));
    const some = decideCommit(A, "out", tasks([0, 3, 0, 2]), true);
    assert.deepEqual(
      some.partitions.map((p) => p.partition),
      [1, 3],
    );
    assert.deepEqual(some.value, { path: "out", files: ["part-00001", "part-00003"], records: 5 });
    assert.deepEqual(
      decideCommit(A, "out", tasks([0, 0, 0]), true).partitions.map((p) => p.partition),
      [0],
    );
    assert.equal(decideCommit(A, "out", tasks([0, 3, 0]), false).partitions.length, 3, "kept unless asked");
  });

  it("refuses a partition without an accepted, finished attempt", () => {
    assert.throws(() => decideCommit(A, "out", [task(0, [attempt("j.0.0.0", "w1", "LOST")], "j.0.0.0")]), /partition 0 has no finished attempt/);
    assert.throws(() => decideCommit(A, "out", [task(0, [attempt("j.0.0.0", "w1", "FINISHED")], undefined)]), /partition 0/);
  });

  it("groups parts by the worker that staged them", () => {
    const d = decideCommit(A, "out", [
      task(0, [attempt("j.0.0.0", "w1", "FINISHED")], "j.0.0.0"),
      task(1, [attempt("j.0.1.0", "w2", "FINISHED")], "j.0.1.0"),
      task(2, [attempt("j.0.2.0", "w1", "FINISHED")], "j.0.2.0"),
    ]);
    const by = partsByWorker(d);
    assert.deepEqual(
      by.get("w1" as WorkerId)!.map((p) => p.partition),
      [0, 2],
    );
    assert.deepEqual(
      by.get("w2" as WorkerId)!.map((p) => p.partition),
      [1],
    );
  });

  it("is stored once, read back by a restarted master, and dropped when the job ends", () => {
    const store = new SqliteJobStore(":memory:");
    store.insertJob(A, "save", "{}", 0);
    const d = decideCommit(A, "out", [task(0, [attempt("j.0.0.0", "w1", "FINISHED")], "j.0.0.0")]);
    assert.deepEqual(store.saveCommitDecision(d), d);
    const other = { ...d, partitions: [{ ...d.partitions[0]!, attemptId: "j.0.0.9" as AttemptId }] };
    assert.deepEqual(store.saveCommitDecision(other), d, "the first decision stands");
    assert.deepEqual(store.commitDecision(A), d);
    store.endJob(A, "COMPLETED", 1, null, { action: "save", value: d.value }, null);
    assert.equal(store.commitDecision(A), null);
    store.close();
  });
});
