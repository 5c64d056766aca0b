// Golden tests for the stage planner (src/planner/stage-planner.ts): validated JobSpec → stages, shuffles and result stage.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { fileSourceNodes, planJob } from "../src/planner/stage-planner.js";
import { validateJobSpec } from "../src/planner/validate.js";
import type { InputSplit, JobPlan, Rdd } from "../src/plan/physical.js";
import { explain } from "../src/plan/explain.js";

function plan(spec: unknown, defaultParallelism = 2, splits: Record<string, InputSplit[]> = {}): JobPlan {
  return planJob(validateJobSpec(spec), { splits, defaultParallelism });
}

/** Each stage without its RDD tree: what the golden tables compare. */
function stages(p: JobPlan) {
  return p.stages.map((s) => ({ id: s.id as number, name: s.name, numTasks: s.numTasks, parents: s.parents as number[], output: s.output }));
}

function shuffles(p: JobPlan) {
  return p.shuffles.map((s) => ({ id: s.id as number, mapStage: s.mapStage as number, numPartitions: s.numPartitions, partitioner: s.partitioner, combine: s.combine }));
}

const nums = (id = "nums", extra: Record<string, unknown> = {}) => ({ id, op: "parallelize", data: [1, 2, 3, 4, 5, 6], ...extra });
const pairs = (input: string, id = "pairs") => ({ id, op: "map", input, fn: "x => [x % 3, x]" });
const sum = "(a, b) => a + b";
const splitsOf = (n: number, path = "in.txt"): InputSplit[] => Array.from({ length: n }, (_, i) => ({ path, start: i * 100, end: (i + 1) * 100, fileSize: n * 100 }));

describe("planJob: wordcount", () => {
  const spec = {
    name: "wordcount",
    nodes: [
      { id: "lines", op: "textFile", path: "inputs/*.txt", minPartitions: 4 },
      { id: "words", op: "flatMap", input: "lines", fn: "line => line.split(/\\s+/)" },
      { id: "pairs", op: "map", input: "words", fn: "w => [w, 1]" },
      { id: "counts", op: "reduceByKey", input: "pairs", fn: sum, numPartitions: 4 },
    ],
    action: { op: "save", input: "counts", path: "wordcount", format: "text" },
  };
  const splits = splitsOf(3);
  const p = plan(spec, 2, { lines: splits });

  it("has a map stage over the file splits and a result stage over the shuffle", () => {
    assert.deepEqual(stages(p), [
      { id: 0, name: "lines:textFile → words:flatMap → pairs:map → shuffle write", numTasks: 3, parents: [], output: { type: "shuffle", shuffle: 0 } },
      {
        id: 1,
        name: "counts:reduceByKey → result",
        numTasks: 4,
        parents: [0],
        output: { type: "result", action: { type: "save", path: "wordcount", format: "text", header: false, compression: null } },
      },
    ]);
    assert.deepEqual(shuffles(p), [{ id: 0, mapStage: 0, numPartitions: 4, partitioner: { type: "hash" }, combine: { type: "fn", fn: sum, env: {} } }]);
    assert.equal(p.resultStage, 1);
    assert.deepEqual(p.action, { op: "save", input: "counts", params: { path: "wordcount", format: "text" }, env: {} });
  });

  it("fuses the narrow ops over the file source into one RDD tree", () => {
    const file: Rdd = { kind: "file", node: "lines", format: "text", splits, firstSplit: 0, csv: null, numPartitions: 3 };
    const words: Rdd = { kind: "narrow", node: "words", op: "flatMap", fn: "line => line.split(/\\s+/)", env: {}, parent: file, numPartitions: 3 };
    assert.deepEqual(p.stages[0]!.rdd, { kind: "narrow", node: "pairs", op: "map", fn: "w => [w, 1]", env: {}, parent: words, numPartitions: 3 });
    assert.deepEqual(p.stages[1]!.rdd, { kind: "shuffled", node: "counts", op: "reduceByKey", shuffles: [0], read: { type: "reduceByKey", fn: sum, env: {} }, numPartitions: 4 });
  });

  it("lists the file sources that need splits", () => {
    assert.deepEqual(
      fileSourceNodes(validateJobSpec(spec)).map((n) => n.id),
      ["lines"],
    );
  });
});

describe("planJob: file sources", () => {
  it("takes one partition per split and builds csv options with defaults", () => {
    const p = plan(
      {
        nodes: [
          { id: "a", op: "csv", path: "a.csv", header: true, delimiter: ";" },
          { id: "b", op: "jsonl", path: "b.jsonl" },
          { id: "c", op: "textFile", path: "c.txt" },
          { id: "u", op: "union", inputs: ["a", "b", "c"] },
        ],
        action: { op: "count", input: "u" },
      },
      8,
      { a: splitsOf(2, "a.csv"), b: splitsOf(1, "b.jsonl"), c: splitsOf(4, "c.txt") },
    );
    assert.deepEqual(stages(p), [{ id: 0, name: "a:csv → b:jsonl → c:textFile → u:union → result", numTasks: 7, parents: [], output: { type: "result", action: { type: "count" } } }]);
    const u = p.stages[0]!.rdd as Rdd & { kind: "union" };
    assert.deepEqual(
      u.parents.map((r) => [r.kind, r.numPartitions, r.kind === "file" ? r.csv : "x"]),
      [
        [
          "file",
          2,
          {
            delimiter: ";",
            quote: '"',
            escape: "\\",
            comment: "",
            nullValue: "",
            header: true,
            inferSchema: false,
            multiLine: false,
            maxColumns: 20480,
            mode: "PERMISSIVE",
            schema: null,
            columnNameOfCorruptRecord: "_corrupt_record",
            types: null,
          },
        ],
        ["file", 1, null],
        ["file", 4, null],
      ],
    );
  });

  it("probes a csv source with inferSchema over all its splits before any stage reads it; a schema needs no probe", () => {
    const spec = (extra: Record<string, unknown>) => ({
      nodes: [
        { id: "a", op: "csv", path: "a.csv", header: true, ...extra },
        { id: "k", op: "keyBy", input: "a", fn: "r => r.id" },
        { id: "g", op: "groupByKey", input: "k" },
      ],
      action: { op: "count", input: "g" },
    });
    const p = plan(spec({ inferSchema: true }), 8, { a: splitsOf(3, "a.csv") });
    assert.deepEqual(
      stages(p).map((s) => [s.name, s.numTasks, s.parents, s.output.type]),
      [
        ["a:csv → infer column types", 3, [], "csvProbe"],
        ["a:csv → k:keyBy → shuffle write", 3, [0], "shuffle"],
        ["g:groupByKey → result", 3, [1], "result"],
      ],
    );
    const typed = plan(spec({ inferSchema: true, schema: "id INT, name STRING" }), 8, { a: splitsOf(3, "a.csv") });
    assert.deepEqual(
      stages(typed).map((s) => s.output.type),
      ["shuffle", "result"],
    );
    assert.deepEqual((typed.stages[0]!.rdd as Rdd & { kind: "narrow" }).parent.kind === "file" && ((typed.stages[0]!.rdd as Rdd & { kind: "narrow" }).parent as Rdd & { kind: "file" }).csv?.schema, [
      { name: "id", type: "integer" },
      { name: "name", type: "string" },
    ]);
  });

  it("lists every file source node in topological order", () => {
    const job = validateJobSpec({
      nodes: [{ id: "u", op: "union", inputs: ["j", "p", "t"] }, { id: "j", op: "jsonl", path: "j" }, nums("p"), { id: "t", op: "read_csv", path: "t" }],
      action: "collect",
    });
    assert.deepEqual(
      fileSourceNodes(job).map((n) => [n.id, n.op]),
      [
        ["j", "jsonl"],
        ["t", "csv"],
      ],
    );
  });

  it("throws when a file source has no splits", () => {
    const spec = { nodes: [{ id: "lines", op: "textFile", path: "x" }], action: "collect" };
    assert.throws(() => plan(spec, 2, {}), /no input splits were listed for node "lines"/);
    assert.throws(() => plan(spec, 2, { lines: [] }), /no input splits were listed for node "lines"/);
  });
});

describe("planJob: default partition counts", () => {
  it("parallelize and range: numSlices, else top-level parallelism, else defaultParallelism", () => {
    const spec = (extra: Record<string, unknown>, parallelism?: number) => ({
      parallelism,
      nodes: [nums("a", extra), { id: "r", op: "range", start: 10, ...extra }, { id: "u", op: "union", inputs: ["a", "r"] }],
      action: "collect",
    });
    const counts = (p: JobPlan) => (p.stages[0]!.rdd as Rdd & { kind: "union" }).parents.map((r) => r.numPartitions);
    assert.deepEqual(counts(plan(spec({}), 5)), [5, 5]);
    assert.deepEqual(counts(plan(spec({}, 3), 5)), [3, 3]);
    assert.deepEqual(counts(plan(spec({ numSlices: 2 }, 3), 5)), [2, 2]);
    assert.equal(plan(spec({}), 5).stages[0]!.numTasks, 10);
  });

  it("range: a lone start is the end; step defaults to 1", () => {
    const p = plan({ nodes: [{ id: "r", op: "range", start: 10 }], action: "collect" }, 3);
    assert.deepEqual(p.stages[0]!.rdd, { kind: "range", node: "r", start: 0, end: 10, step: 1, numPartitions: 3 });
    const q = plan({ nodes: [{ id: "r", op: "range", start: 5, end: -5, step: -2, numSlices: 2 }], action: "collect" }, 3);
    assert.deepEqual(q.stages[0]!.rdd, { kind: "range", node: "r", start: 5, end: -5, step: -2, numPartitions: 2 });
  });

  it("shuffles: numPartitions, else top-level parallelism, else the largest parent", () => {
    const spec = (np: number | undefined, parallelism: number | undefined) => ({
      parallelism,
      nodes: [
        nums("a", { numSlices: 2 }),
        nums("b", { numSlices: 5 }),
        pairs("a", "pa"),
        pairs("b", "pb"),
        { id: "j", op: "join", inputs: ["pa", "pb"], ...(np === undefined ? {} : { numPartitions: np }) },
      ],
      action: "collect",
    });
    const np = (p: JobPlan) => p.shuffles.map((s) => s.numPartitions).concat(p.stages[p.resultStage]!.numTasks);
    assert.deepEqual(np(plan(spec(undefined, undefined), 9)), [5, 5, 5]);
    assert.deepEqual(np(plan(spec(undefined, 3), 9)), [3, 3, 3]);
    assert.deepEqual(np(plan(spec(7, 3), 9)), [7, 7, 7]);
  });

  it("union: the sum of its inputs", () => {
    const p = plan({
      nodes: [nums("a", { numSlices: 2 }), nums("b", { numSlices: 3 }), nums("c", { numSlices: 1 }), { id: "u", op: "union", inputs: ["a", "b", "c"] }],
      action: "collect",
    });
    assert.deepEqual(stages(p), [
      { id: 0, name: "a:parallelize → b:parallelize → c:parallelize → u:union → result", numTasks: 6, parents: [], output: { type: "result", action: { type: "collect" } } },
    ]);
  });

  it("union of shuffled inputs reads every shuffle and sums their partitions", () => {
    const p = plan({
      nodes: [
        pairs("a"),
        nums("a", { numSlices: 4 }),
        { id: "r", op: "reduceByKey", input: "pairs", fn: sum, numPartitions: 2 },
        { id: "g", op: "groupByKey", input: "pairs", numPartitions: 3 },
        { id: "u", op: "union", inputs: ["r", "g"] },
      ],
      action: "collect",
    });
    assert.deepEqual(stages(p), [
      { id: 0, name: "a:parallelize → pairs:map → shuffle write", numTasks: 4, parents: [], output: { type: "shuffle", shuffle: 0 } },
      { id: 1, name: "a:parallelize → pairs:map → shuffle write", numTasks: 4, parents: [], output: { type: "shuffle", shuffle: 1 } },
      { id: 2, name: "r:reduceByKey → g:groupByKey → u:union → result", numTasks: 5, parents: [0, 1], output: { type: "result", action: { type: "collect" } } },
    ]);
    assert.deepEqual(shuffles(p), [
      { id: 0, mapStage: 0, numPartitions: 2, partitioner: { type: "hash" }, combine: { type: "fn", fn: sum, env: {} } },
      { id: 1, mapStage: 1, numPartitions: 3, partitioner: { type: "hash" }, combine: null },
    ]);
  });
});

describe("planJob: wide ops", () => {
  it("join: one map stage per input, an inner join read", () => {
    const p = plan({
      nodes: [nums("a", { numSlices: 2 }), nums("b", { numSlices: 3 }), { id: "j", op: "join", inputs: ["a", "b"] }],
      action: "collect",
    });
    assert.deepEqual(stages(p), [
      { id: 0, name: "a:parallelize → shuffle write", numTasks: 2, parents: [], output: { type: "shuffle", shuffle: 0 } },
      { id: 1, name: "b:parallelize → shuffle write", numTasks: 3, parents: [], output: { type: "shuffle", shuffle: 1 } },
      { id: 2, name: "j:join → result", numTasks: 3, parents: [0, 1], output: { type: "result", action: { type: "collect" } } },
    ]);
    assert.deepEqual(shuffles(p), [
      { id: 0, mapStage: 0, numPartitions: 3, partitioner: { type: "hash" }, combine: null },
      { id: 1, mapStage: 1, numPartitions: 3, partitioner: { type: "hash" }, combine: null },
    ]);
    assert.deepEqual(p.stages[2]!.rdd, { kind: "shuffled", node: "j", op: "join", shuffles: [0, 1], read: { type: "cogroup", emit: "inner" }, numPartitions: 3 });
  });

  it("leftOuterJoin: a left join read, labelled as such", () => {
    const p = plan({ nodes: [nums("a"), nums("b"), { id: "j", op: "leftOuterJoin", inputs: ["a", "b"] }], action: "collect" });
    assert.equal(p.stages[2]!.name, "j:leftOuterJoin → result");
    assert.deepEqual((p.stages[2]!.rdd as Rdd & { kind: "shuffled" }).read, { type: "cogroup", emit: "left" });
  });

  it("distinct: keys records with null and combines by keeping the first", () => {
    const p = plan({ nodes: [nums("a", { numSlices: 3 }), { id: "d", op: "distinct", input: "a" }], action: "count" });
    assert.deepEqual(stages(p), [
      { id: 0, name: "a:parallelize → shuffle write", numTasks: 3, parents: [], output: { type: "shuffle", shuffle: 0 } },
      { id: 1, name: "d:distinct → result", numTasks: 3, parents: [0], output: { type: "result", action: { type: "count" } } },
    ]);
    assert.deepEqual(shuffles(p)[0]!.combine, { type: "first" });
    const map = p.stages[0]!.rdd as Rdd & { kind: "narrow" };
    assert.deepEqual([map.node, map.op, map.fn, map.parent.kind], ["", "pairWithNull", null, "parallelize"]);
  });

  it("chains shuffles: each map stage names the one it reads as parent", () => {
    const p = plan({
      nodes: [
        nums("a", { numSlices: 4 }),
        pairs("a"),
        { id: "counts", op: "reduceByKey", input: "pairs", fn: sum },
        { id: "swapped", op: "map", input: "counts", fn: "([k, v]) => [v, k]" },
        { id: "grouped", op: "groupByKey", input: "swapped", numPartitions: 2 },
      ],
      action: { op: "take", input: "grouped", num: 5 },
    });
    assert.deepEqual(stages(p), [
      { id: 0, name: "a:parallelize → pairs:map → shuffle write", numTasks: 4, parents: [], output: { type: "shuffle", shuffle: 0 } },
      { id: 1, name: "counts:reduceByKey → swapped:map → shuffle write", numTasks: 4, parents: [0], output: { type: "shuffle", shuffle: 1 } },
      { id: 2, name: "grouped:groupByKey → result", numTasks: 2, parents: [1], output: { type: "result", action: { type: "take", num: 5 } } },
    ]);
    assert.deepEqual(
      shuffles(p).map((s) => [s.mapStage, s.numPartitions, s.combine?.type ?? null]),
      [
        [0, 4, "fn"],
        [1, 2, null],
      ],
    );
  });
});

describe("planJob: sorts", () => {
  it("sortBy with numPartitions > 1 adds a sample stage before the map stage", () => {
    const p = plan({
      nodes: [nums("a", { numSlices: 4 }), { id: "s", op: "sortBy", input: "a", fn: "x => -x", ascending: false, numPartitions: 3 }],
      action: "collect",
    });
    assert.deepEqual(stages(p), [
      { id: 0, name: "a:parallelize → sample keys", numTasks: 4, parents: [], output: { type: "sample", shuffle: 0, perPartition: 45 } },
      { id: 1, name: "a:parallelize → shuffle write", numTasks: 4, parents: [0], output: { type: "shuffle", shuffle: 0 } },
      { id: 2, name: "s:sortBy → result", numTasks: 3, parents: [1], output: { type: "result", action: { type: "collect" } } },
    ]);
    assert.deepEqual(shuffles(p), [{ id: 0, mapStage: 1, numPartitions: 3, partitioner: { type: "range", ascending: false, bounds: null }, combine: null }]);
    const keyed: Rdd = {
      kind: "narrow",
      node: "",
      op: "keyBy",
      fn: "x => -x",
      env: {},
      parent: { kind: "parallelize", node: "a", data: [1, 2, 3, 4, 5, 6], dataOffset: 0, dataLength: 6, numPartitions: 4 },
      numPartitions: 4,
    };
    assert.deepEqual(p.stages[0]!.rdd, keyed);
    assert.deepEqual(p.stages[1]!.rdd, keyed);
    assert.deepEqual(p.stages[2]!.rdd, { kind: "shuffled", node: "s", op: "sortBy", shuffles: [0], read: { type: "sort", ascending: false }, numPartitions: 3 });
  });

  it("sortBy defaults to its parent partition count, ignoring parallelism", () => {
    const p = plan({ parallelism: 7, nodes: [nums("a", { numSlices: 5 }), { id: "s", op: "sortBy", input: "a", fn: "x => x" }], action: "collect" });
    assert.equal(p.shuffles[0]!.numPartitions, 5);
    // The record is its own key: shipped alone, with no keyBy step before the shuffle.
    assert.deepEqual(p.shuffles[0]!.partitioner, { type: "range", ascending: true, bounds: null, keyIsRecord: true });
    assert.deepEqual(
      stages(p).map((s) => [s.numTasks, s.parents, s.output.type]),
      [
        [5, [], "sample"],
        [5, [0], "shuffle"],
        [5, [1], "result"],
      ],
    );
    assert.deepEqual(p.stages[0]!.output, { type: "sample", shuffle: 0, perPartition: 60, keyIsRecord: true });
    const keyed = plan({ nodes: [nums("a", { numSlices: 5 }), { id: "s", op: "sortBy", input: "a", fn: "x => -x" }], action: "collect" });
    assert.deepEqual([keyed.shuffles[0]!.partitioner, keyed.stages[0]!.rdd.kind], [{ type: "range", ascending: true, bounds: null }, "narrow"], "any other key function ships [key, record]");
  });

  it("a sort into one partition needs no sample stage", () => {
    const p = plan({ nodes: [nums("a", { numSlices: 3 }), { id: "s", op: "sortByKey", input: "a", numPartitions: 1 }], action: "collect" });
    assert.deepEqual(stages(p), [
      { id: 0, name: "a:parallelize → shuffle write", numTasks: 3, parents: [], output: { type: "shuffle", shuffle: 0 } },
      { id: 1, name: "s:sortByKey → result", numTasks: 1, parents: [0], output: { type: "result", action: { type: "collect" } } },
    ]);
    const q = plan({ nodes: [nums("a", { numSlices: 1 }), { id: "s", op: "sortBy", input: "a", fn: "x => x" }], action: "collect" });
    assert.deepEqual(
      stages(q).map((s) => s.output.type),
      ["shuffle", "result"],
    );
  });

  it("sortByKey keys each pair by its key function, and samples after upstream shuffles", () => {
    const p = plan({
      nodes: [
        nums("a", { numSlices: 2 }),
        pairs("a"),
        { id: "r", op: "reduceByKey", input: "pairs", fn: sum, numPartitions: 4 },
        { id: "s", op: "sortByKey", input: "r", fn: "k => -k", env: { x: 1 }, numPartitions: 2 },
      ],
      action: { op: "first", input: "s" },
    });
    assert.deepEqual(stages(p), [
      { id: 0, name: "a:parallelize → pairs:map → shuffle write", numTasks: 2, parents: [], output: { type: "shuffle", shuffle: 0 } },
      { id: 1, name: "r:reduceByKey → sample keys", numTasks: 4, parents: [0], output: { type: "sample", shuffle: 1, perPartition: 30 } },
      { id: 2, name: "r:reduceByKey → shuffle write", numTasks: 4, parents: [0, 1], output: { type: "shuffle", shuffle: 1 } },
      { id: 3, name: "s:sortByKey → result", numTasks: 2, parents: [2], output: { type: "result", action: { type: "take", num: 1 } } },
    ]);
    const keyed = p.stages[2]!.rdd as Rdd & { kind: "narrow" };
    assert.deepEqual([keyed.node, keyed.op, keyed.fn, keyed.env, keyed.parent.kind], ["", "sortKeyOfPair", "k => -k", { x: 1 }, "shuffled"]);
    assert.equal((p.stages[0]!.rdd as Rdd & { kind: "narrow" }).op, "map");
  });

  it("names the sort stage after the node op", () => {
    const p = plan({ nodes: [nums("a", { numSlices: 1 }), { id: "s", op: "sortByKey", input: "a" }], action: "collect" });
    assert.equal(p.stages[1]!.name, "s:sortByKey → result");
  });
});

describe("planJob: actions", () => {
  const single = (action: unknown) => plan({ nodes: [nums("a", { numSlices: 3 })], action }).stages.at(-1)!.output;

  it("count, take, first, collect and save become result stages", () => {
    assert.deepEqual(single({ op: "count", input: "a" }), { type: "result", action: { type: "count" } });
    assert.deepEqual(single({ op: "take", input: "a", num: 4 }), { type: "result", action: { type: "take", num: 4 } });
    assert.deepEqual(single({ op: "first", input: "a" }), { type: "result", action: { type: "take", num: 1 } });
    assert.deepEqual(single({ op: "collect", input: "a" }), { type: "result", action: { type: "collect" } });
    assert.deepEqual(single({ op: "save", input: "a", path: "o", format: "csv", header: true }), {
      type: "result",
      action: { type: "save", path: "o", format: "csv", header: true, compression: null },
    });
    assert.deepEqual(single({ op: "save", input: "a", path: "o", compression: "gzip" }), {
      type: "result",
      action: { type: "save", path: "o", format: "text", header: false, compression: "gzip" },
    });
    assert.deepEqual(single({ op: "save", input: "a", path: "o", compression: "none" }), {
      type: "result",
      action: { type: "save", path: "o", format: "text", header: false, compression: null },
    });
  });

  it("reduce adds a shuffle into one partition under a null key", () => {
    const p = plan({ nodes: [nums("a", { numSlices: 3 })], action: { op: "reduce", input: "a", fn: sum, env: { e: 1 } } });
    assert.deepEqual(stages(p), [
      { id: 0, name: "a:parallelize → shuffle write", numTasks: 3, parents: [], output: { type: "shuffle", shuffle: 0 } },
      { id: 1, name: "result", numTasks: 1, parents: [0], output: { type: "result", action: { type: "collect" } } },
    ]);
    assert.deepEqual(shuffles(p), [{ id: 0, mapStage: 0, numPartitions: 1, partitioner: { type: "hash" }, combine: { type: "fn", fn: sum, env: { e: 1 } } }]);
    assert.equal((p.stages[0]!.rdd as Rdd & { kind: "narrow" }).op, "pairUnderNull");
    assert.deepEqual(p.stages[1]!.rdd, { kind: "shuffled", node: "", op: "reduce", shuffles: [0], read: { type: "reduceValues", fn: sum, env: { e: 1 } }, numPartitions: 1 });
  });

  it("countByValue adds a summing shuffle sized like a default shuffle", () => {
    const p = plan({ parallelism: 2, nodes: [nums("a", { numSlices: 3 })], action: { op: "countByValue", input: "a" } });
    assert.deepEqual(stages(p), [
      { id: 0, name: "a:parallelize → shuffle write", numTasks: 3, parents: [], output: { type: "shuffle", shuffle: 0 } },
      { id: 1, name: "result", numTasks: 2, parents: [0], output: { type: "result", action: { type: "collect" } } },
    ]);
    assert.deepEqual(shuffles(p), [{ id: 0, mapStage: 0, numPartitions: 2, partitioner: { type: "hash" }, combine: { type: "sum" } }]);
    assert.equal((p.stages[0]!.rdd as Rdd & { kind: "narrow" }).op, "pairWithOne");
    assert.deepEqual((p.stages[1]!.rdd as Rdd & { kind: "shuffled" }).read, { type: "sum" });
    const q = plan({ nodes: [nums("a", { numSlices: 3 })], action: { op: "countByValue", input: "a" } });
    assert.equal(q.shuffles[0]!.numPartitions, 3);
  });

  it("reduce after a shuffle: the extra stage reads it and the result stage follows", () => {
    const p = plan({
      nodes: [nums("a", { numSlices: 2 }), pairs("a"), { id: "r", op: "reduceByKey", input: "pairs", fn: sum, numPartitions: 4 }],
      action: { op: "reduce", input: "r", fn: "(x, y) => x" },
    });
    assert.deepEqual(
      stages(p).map((s) => [s.id, s.name, s.numTasks, s.output.type]),
      [
        [0, "a:parallelize → pairs:map → shuffle write", 2, "shuffle"],
        [1, "r:reduceByKey → shuffle write", 4, "shuffle"],
        [2, "result", 1, "result"],
      ],
    );
    assert.deepEqual(p.stages[1]!.parents, [0]);
    assert.deepEqual(
      shuffles(p).map((s) => [s.mapStage, s.numPartitions]),
      [
        [0, 4],
        [1, 1],
      ],
    );
  });

  it("the final stage of reduce/countByValue lists only the stage it reads as parent", () => {
    for (const action of [
      { op: "reduce", input: "r", fn: sum },
      { op: "countByValue", input: "r" },
    ]) {
      const p = plan({ nodes: [nums("a", { numSlices: 2 }), pairs("a"), { id: "r", op: "reduceByKey", input: "pairs", fn: sum }], action });
      assert.deepEqual(p.stages[2]!.parents, [1], action.op);
    }
  });
});

describe("planJob: invariants", () => {
  it("stage ids are indices, parents come first, and each shuffle is written by exactly one map stage", () => {
    const p = plan({
      nodes: [
        nums("a", { numSlices: 3 }),
        nums("b", { numSlices: 2 }),
        pairs("a", "pa"),
        pairs("b", "pb"),
        { id: "j", op: "join", inputs: ["pa", "pb"] },
        { id: "s", op: "sortByKey", input: "j", numPartitions: 2 },
        { id: "d", op: "distinct", input: "s" },
      ],
      action: { op: "countByValue", input: "d" },
    });
    p.stages.forEach((s, i) => {
      assert.equal(s.id, i);
      for (const parent of s.parents) assert.ok(parent < i, `stage ${i} has parent ${parent}`);
      assert.deepEqual(
        s.parents,
        [...new Set(s.parents)].sort((x, y) => x - y),
      );
    });
    p.shuffles.forEach((d, i) => {
      assert.equal(d.id, i);
      const writers = p.stages.filter((s) => s.output.type === "shuffle" && s.output.shuffle === i).map((s) => s.id);
      assert.deepEqual(writers, [d.mapStage]);
    });
    assert.equal(p.resultStage, p.stages.length - 1);
    assert.deepEqual(
      stages(p).map((s) => s.output.type),
      ["shuffle", "shuffle", "sample", "shuffle", "shuffle", "shuffle", "result"],
    );
  });
});

describe("planJob: shared shuffles", () => {
  it("a wide node read by two branches is one shuffle with one map stage", () => {
    const p = plan({
      nodes: [
        nums("a", { numSlices: 2 }),
        { id: "k", op: "map", input: "a", fn: "x => [x % 3, x]" },
        { id: "c", op: "reduceByKey", input: "k", fn: "(x, y) => x + y" },
        { id: "l", op: "mapValues", input: "c", fn: "v => v * 2" },
        { id: "r", op: "mapValues", input: "c", fn: "v => v + 1" },
        { id: "j", op: "join", inputs: ["l", "r"] },
      ],
      action: "collect",
    });
    assert.deepEqual(
      p.stages.map((s) => [s.id, s.name, s.parents]),
      [
        [0, "a:parallelize → k:map → shuffle write", []],
        [1, "c:reduceByKey → l:mapValues → shuffle write", [0]],
        [2, "c:reduceByKey → r:mapValues → shuffle write", [0]],
        [3, "j:join → result", [1, 2]],
      ],
    );
    assert.equal(p.shuffles.length, 3);
  });
});

describe("explain: the plan as text", () => {
  it("a word count: the map stage fused over the file splits, the result stage over the shuffle", () => {
    const p = plan(
      {
        nodes: [
          { id: "lines", op: "textFile", path: "inputs/*.txt", minPartitions: 4 },
          { id: "words", op: "flatMap", input: "lines", fn: "line => line.split(/\\s+/)" },
          { id: "pairs", op: "map", input: "words", fn: "w => [w, 1]" },
          { id: "counts", op: "reduceByKey", input: "pairs", fn: sum, numPartitions: 4 },
        ],
        action: { op: "save", input: "counts", path: "wordcount", format: "text" },
      },
      2,
      { lines: splitsOf(3) },
    );
    assert.equal(
      explain(p),
      `job: save of "counts", 2 stages
stage 0: shuffle write → shuffle 0 (4 partitions, hash, combine with (a, b) => a + b), 3 tasks
  (3) pairs: map w => [w, 1]
    (3) words: flatMap line => line.split(/\\s+/)
      (3) lines: textFile 3 splits
stage 1: result: save "wordcount" as text, 4 tasks, after stage 0
  (4) counts: reduceByKey ← shuffle 0 (merge by key with (a, b) => a + b)
`,
    );
  });

  it("a sort then zipWithIndex: what the sample and count probes find is named with the stage that finds it", () => {
    const p = plan({
      nodes: [nums("a", { numSlices: 3 }), { id: "s", op: "sortBy", input: "a", fn: "x => -x", numPartitions: 2 }, { id: "z", op: "zipWithIndex", input: "s" }],
      action: { op: "take", input: "z", num: 2 },
    });
    assert.equal(
      explain(p),
      `job: take of "z", 4 stages
stage 0: sample 40 keys per task for shuffle 0's bounds, 3 tasks
  (3) keyBy x => -x
    (3) a: parallelize 6 elements
stage 1: shuffle write → shuffle 0 (2 partitions, range ascending, bounds from stage 0), 3 tasks, after stage 0
  (3) keyBy x => -x
    (3) a: parallelize 6 elements
stage 2: count each partition of "z" for its indices, 2 tasks, after stage 1
  (2) s: sortBy ← shuffle 0 (sort ascending)
stage 3: result: take 2, 2 tasks, after stages 1, 2
  (2) z: zipWithIndex (offsets from stage 2)
    (2) s: sortBy ← shuffle 0 (sort ascending)
`,
    );
  });

  it("a histogram by bucket count over a cartesian product and a sample: the typed arguments of a planner step are shown", () => {
    const p = plan({
      nodes: [
        nums("a", { numSlices: 2 }),
        nums("b", { numSlices: 2 }),
        { id: "c", op: "cartesian", inputs: ["a", "b"] },
        { id: "m", op: "map", input: "c", fn: "([x, y]) => x * y" },
        { id: "s", op: "sample", input: "m", withReplacement: false, fraction: 0.5, seed: 7 },
      ],
      action: { op: "histogram", input: "s", buckets: 4 },
    });
    assert.equal(
      explain(p),
      `job: histogram of "s", 2 stages
stage 0: find min and max for the histogram's edges, 4 tasks
  (4) s: sample {"withReplacement":false,"fraction":0.5,"seed":7}
    (4) m: map ([x, y]) => x * y
      (4) c: cartesian
        (2) a: parallelize 6 elements
        (2) b: parallelize 6 elements
stage 1: result: histogram of 4 buckets (edges from the min and max), 4 tasks, after stage 0
  (4) s: sample {"withReplacement":false,"fraction":0.5,"seed":7}
    (4) m: map ([x, y]) => x * y
      (4) c: cartesian
        (2) a: parallelize 6 elements
        (2) b: parallelize 6 elements
`,
    );
  });

  it("a fold after a join: the final shuffle that keeps user code off the master, and long sources cut", () => {
    const long = `(a, b) => ${"a + b + ".repeat(20)}0`;
    const p = plan({
      nodes: [nums("a"), nums("b"), { id: "j", op: "join", inputs: ["a", "b"] }],
      action: { op: "fold", input: "j", zeroValue: 0, fn: long },
    });
    assert.equal(
      explain(p),
      `job: fold of "j", 4 stages
stage 0: shuffle write → shuffle 0 (2 partitions, hash), 2 tasks
  (2) a: parallelize 6 elements
stage 1: shuffle write → shuffle 1 (2 partitions, hash), 2 tasks
  (2) b: parallelize 6 elements
stage 2: shuffle write → shuffle 2 (1 partition, hash), 2 tasks, after stages 0, 1
  (2) foldPartition ${long.slice(0, 59)}… {"zero":0}
    (2) j: join ← shuffle 0, 1 (cogroup, emit inner)
stage 3: result: collect, 1 task, after stage 2
  (1) fold ← shuffle 2 (fold all values from 0 with ${long.slice(0, 59)}…)
`,
    );
  });
});
