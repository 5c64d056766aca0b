// What keeps shuffle output for an application's later jobs (pure), and which
// shuffles the planner says are the same computation: the lineage ids that
// decide reuse, tried on what must and must not match.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { asAppId, asJobId, asWorkerId, type JobId } from "../src/common/ids.js";
import type { MapStatus } from "../src/master/map-output-tracker.js";
import { MAX_RETAINED_SHUFFLES, RetainedShuffles } from "../src/master/retained-shuffles.js";
import type { InputSplit } from "../src/plan/physical.js";
import { planJob } from "../src/planner/stage-planner.js";
import { validateJobSpec } from "../src/planner/validate.js";

const app = asAppId("app-1");
const status = (job: string, worker: string, bytes = 10): MapStatus => ({ workerId: asWorkerId(worker), address: `${worker}:1`, sizes: [bytes], writtenBy: { job: asJobId(job), shuffle: 0 } });

describe("RetainedShuffles", () => {
  it("hands back what was kept, and a job's directory goes only when nothing kept is in it", () => {
    const r = new RetainedShuffles();
    assert.deepEqual(r.keep(app, "a", [status("j1", "w1"), status("j1", "w2")]), []);
    assert.deepEqual(r.keep(app, "b", [status("j1", "w1")]), []);
    assert.equal(r.take(app, "a")?.length, 2);
    assert.equal(r.take(app, "zzz"), null);
    assert.equal(r.take(asAppId("other"), "a"), null, "another application's shuffles are not its");
    assert.ok(r.holdsFilesOf(asJobId("j1")));
    // Job j2 reused "a" but wrote map 1 again: j1 still holds "b" and map 0 of "a".
    assert.deepEqual(r.keep(app, "a", [status("j1", "w1"), status("j2", "w2")]), []);
    assert.deepEqual(r.dropApplication(app).sort(), ["j1", "j2"]);
    assert.ok(!r.holdsFilesOf(asJobId("j1")) && !r.holdsFilesOf(asJobId("j2")));
    assert.deepEqual(r.dropApplication(app), [], "dropping twice releases nothing");
  });

  it("a lost worker takes only its part; a shuffle with nothing left goes", () => {
    const r = new RetainedShuffles();
    r.keep(app, "a", [status("j1", "w1"), status("j2", "w2")]);
    r.keep(app, "b", [status("j3", "w1")]);
    assert.deepEqual(r.removeWorker(asWorkerId("w1")).sort(), ["j1", "j3"]);
    const a = r.take(app, "a")!;
    assert.equal(a[0], undefined);
    assert.equal(a[1]?.workerId, "w2");
    assert.equal(r.take(app, "b"), null);
  });

  it("past MAX_RETAINED_SHUFFLES the least recently used go first", () => {
    const r = new RetainedShuffles();
    const released: JobId[] = [];
    for (let i = 0; i <= MAX_RETAINED_SHUFFLES; i++) {
      if (i === MAX_RETAINED_SHUFFLES) r.take(app, "s0");
      released.push(...r.keep(app, `s${i}`, [status(`j${i}`, "w1")]));
    }
    assert.deepEqual(released, ["j1"], "s0 was used last but one, so s1 was the least recent");
    assert.notEqual(r.take(app, "s0"), null);
    assert.equal(r.take(app, "s1"), null);
  });

  it("one shuffle bigger than the byte bound is not kept at all", () => {
    const r = new RetainedShuffles();
    assert.deepEqual(r.keep(app, "huge", [status("j1", "w1", 9 * 2 ** 30)]), ["j1"]);
    assert.equal(r.take(app, "huge"), null);
  });
});

describe("shuffle lineage", () => {
  const splits = (size: number): Record<string, InputSplit[]> => ({ lines: [{ path: "in.txt", start: 0, end: size, fileSize: size }] });
  const spec = (over: { application?: string | null; ids?: [string, string, string]; fn?: string; sort?: boolean; partitions?: number } = {}) => {
    const [a, b, c] = over.ids ?? ["lines", "pairs", "counts"];
    return validateJobSpec({
      ...(over.application === null ? {} : { application: over.application ?? "app-abcdefghi-a1b2c3" }),
      nodes: [
        { id: a, op: "textFile", path: "in.txt" },
        { id: b, op: "map", input: a, fn: over.fn ?? "l => [l, 1]" },
        over.sort ? { id: c, op: "sortByKey", input: b } : { id: c, op: "reduceByKey", input: b, fn: "(x, y) => x + y", numPartitions: over.partitions ?? 3 },
      ],
      action: { op: "count", input: c },
    });
  };
  const lineages = (job: ReturnType<typeof spec>, size = 100) =>
    planJob(job, { splits: Object.fromEntries(job.nodes.filter((n) => n.op === "textFile").map((n) => [n.id, splits(size).lines!])), defaultParallelism: 2 }).shuffles.map((s) => s.lineage);

  it("is the same for the same computation, whatever the nodes are named", () => {
    const [l] = lineages(spec());
    assert.match(l!, /^sh-[0-9a-f]{32}$/);
    assert.deepEqual(lineages(spec({ ids: ["a", "b", "c"] })), [l]);
  });

  it("differs when a function, an input's size or the partition count differs", () => {
    const [l] = lineages(spec());
    assert.notEqual(lineages(spec({ fn: "l => [l, 2]" }))[0], l);
    assert.notEqual(lineages(spec(), 101)[0], l, "a file that grew is another input");
    assert.notEqual(lineages(spec({ partitions: 4 }))[0], l);
  });

  it("is null outside an application, and for a range partitioner (each job samples its own bounds)", () => {
    assert.deepEqual(lineages(spec({ application: null })), [null]);
    assert.ok(lineages(spec({ sort: true })).every((l) => l === null));
  });
});
