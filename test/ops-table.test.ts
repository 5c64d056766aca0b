// Every op and action of DESIGN.md 3.2–3.4 as ONE table of JobSpecs with the
// value Spark's documented semantics give (most cases are the PySpark docs'
// own examples, worked out by hand), run twice: in-process through runInline,
// and on one shared real cluster (a master and 2 workers × 1 slot). Order-free
// results are compared as sorted canonical JSON; grouped values have their
// inner lists sorted too, since Spark promises no order inside a group. The
// empty-dataset cases check that first/reduce/min/max/mean/histogram(count)
// fail with "has no value on an empty dataset" while count, take, isEmpty,
// fold, sum and stats answer. A case whose engine value differs from Spark's
// is kept with Spark's answer.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { JobFailedError } from "../src/client/rest-client.js";
import { runInline } from "../src/inline/inline-runner.js";
import { opNames } from "../src/ops/registry.js";
import { canonicalJson } from "../src/plan/keys.js";
import { readParts, startTestCluster, writeFile, type TestCluster } from "./helpers/cluster.js";
import { pipe as pipeAs, type Node, type Spec } from "./helpers/pipe.js";
import { SAMPLE_PARQUET_BASE64, SAMPLE_PARQUET_ROWS } from "./helpers/parquet-sample.js";

// ---- the table's shape and helpers ---------------------------------------------

interface Ctx {
  runner: "inline" | "inline-spill" | "cluster";
  dataDir: string;
  spec: Spec;
  /** The same spec (or another) run in-process, for determinism checks across runners. */
  inline(spec: Spec): unknown;
}

type Compare = "exact" | "unordered" | ((actual: unknown, ctx: Ctx) => void);

interface Case {
  /** The op or action under test: cases are grouped by it. */
  op: string;
  name: string;
  spec: Spec;
  expected?: unknown;
  compare?: Compare;
  /** The job must fail with a message matching this. */
  error?: RegExp;
}

const pipe = (nodes: Node[], action: Node): Spec => pipeAs("ops-table", nodes, action);

const par = (data: unknown[], numSlices?: number, id?: string): Node => ({
  ...(id ? { id } : {}),
  op: "parallelize",
  data,
  ...(numSlices !== undefined ? { numSlices } : {}),
});
const collect = { op: "collect" };
const glom = { op: "glom" };
const numParts = { op: "getNumPartitions" };

const canon = (x: unknown): string => canonicalJson(x);
const sortCanon = (xs: unknown): unknown[] => {
  assert.ok(Array.isArray(xs), `expected an array, got ${JSON.stringify(xs)}`);
  return [...xs].sort((a, b) => (canon(a) < canon(b) ? -1 : canon(a) > canon(b) ? 1 : 0));
};
/** [k, [v…]] records: values sorted inside each group, then the records sorted. */
const sortGroups = (xs: unknown): unknown[] => sortCanon((xs as [unknown, unknown[]][]).map(([k, vs]) => [k, sortCanon(vs)]));
/** Compares [k, [v…]] records ignoring the order of records and of values inside a group. */
const groupsUnordered = (expected: unknown) => (actual: unknown) => assert.deepStrictEqual(sortGroups(actual), sortGroups(expected));

function close(actual: unknown, expected: number, what: string): void {
  assert.equal(typeof actual, "number", `${what}: ${JSON.stringify(actual)} is not a number`);
  assert.ok(Math.abs((actual as number) - expected) <= 1e-9 * Math.max(1, Math.abs(expected)), `${what}: ${actual} ≠ ${expected}`);
}

/** stats(): exact count/sum/min/max, the floating fields within 1e-9. */
const statsOf = (expected: Record<string, number | null>) => (actual: unknown) => {
  const a = actual as Record<string, unknown>;
  assert.deepStrictEqual(Object.keys(a).sort(), Object.keys(expected).sort());
  for (const [k, v] of Object.entries(expected)) {
    if (v === null) assert.equal(a[k], null, `${k} should be null (Spark's NaN)`);
    else if (["count", "sum", "min", "max"].includes(k)) assert.equal(a[k], v, k);
    else close(a[k], v, k);
  }
};

/** Partitions (glom) whose flattened records equal `all` in any order. */
function sameRecords(parts: unknown[][], all: unknown[]): void {
  assert.deepStrictEqual(sortCanon(parts.flat()), sortCanon(all));
}

const range = (a: number, b: number): number[] => Array.from({ length: b - a }, (_, i) => a + i);

/** Sample checks: deterministic for the seed (here and in-process), a plausible size, only input records. */
const sampled = (opts: { min: number; max: number; input: number[]; replacement: boolean }) => (actual: unknown, ctx: Ctx) => {
  const xs = actual as number[];
  assert.deepStrictEqual(xs, ctx.inline(ctx.spec), "the same seed samples the same records on every run and runner");
  assert.ok(xs.length >= opts.min && xs.length <= opts.max, `sample size ${xs.length} outside [${opts.min}, ${opts.max}]`);
  const input = new Set(opts.input);
  assert.ok(
    xs.every((x) => input.has(x)),
    "every sampled record comes from the input",
  );
  // Sampling keeps the input's order (copies of a record are adjacent with replacement).
  for (let i = 1; i < xs.length; i++) {
    assert.ok(opts.replacement ? xs[i - 1]! <= xs[i]! : xs[i - 1]! < xs[i]!, `order kept at ${i}: ${xs[i - 1]} then ${xs[i]}`);
  }
  if (opts.replacement) assert.ok(new Set(xs).size < xs.length, "with replacement some record is drawn twice");
};

/** takeSample checks: the size, only input records (distinct without replacement), the same for the seed here and in-process. */
const takenSample = (opts: { size: number; input: number[]; distinct: boolean }) => (actual: unknown, ctx: Ctx) => {
  const xs = actual as number[];
  assert.equal(xs.length, opts.size);
  const input = new Set(opts.input);
  assert.ok(
    xs.every((x) => input.has(x)),
    "every sampled record comes from the input",
  );
  if (opts.distinct) assert.equal(new Set(xs).size, xs.length, "without replacement no record is drawn twice");
  assert.deepStrictEqual(xs, ctx.inline(ctx.spec), "the same seed takes the same sample on every run and runner");
};

/** A saved output: the action's value, the files of the directory and each part file's lines. */
const savedAs =
  (path: string, parts: string[][], records = parts.reduce((n, p) => n + p.length, 0)) =>
  (actual: unknown, ctx: Ctx) => {
    const files = parts.map((_, i) => `part-${String(i).padStart(5, "0")}`);
    assert.deepStrictEqual(actual, { path, files, records });
    const dir = join(ctx.dataDir, "outputs", path);
    assert.deepStrictEqual(fs.readdirSync(dir).sort(), ["_SUCCESS", ...files].sort());
    parts.forEach((lines, i) => {
      const text = fs.readFileSync(join(dir, files[i]!), "utf8");
      assert.deepStrictEqual(text === "" ? [] : text.replace(/\n$/, "").split("\n"), lines, `${files[i]}`);
    });
    assert.deepStrictEqual(readParts(ctx.dataDir, path).lines, parts.flat());
  };

/** A count within (lo, hi), as the PySpark docs bound approximate answers. */
const between = (lo: number, hi: number) => (actual: unknown) => {
  assert.equal(typeof actual, "number");
  assert.ok((actual as number) > lo && (actual as number) < hi, `${actual} outside (${lo}, ${hi})`);
};

/** Partitions (glom) as expected up to the order of records with equal keys, which Spark's sort does not fix either. */
const sortedParts = (expected: [unknown, unknown][][]) => (actual: unknown) => {
  const parts = actual as [unknown, unknown][][];
  assert.deepStrictEqual(
    parts.map((p) => p.map((r) => r[0])),
    expected.map((p) => p.map((r) => r[0])),
    "the keys of each partition, in order",
  );
  assert.deepStrictEqual(parts.map(sortCanon), expected.map(sortCanon));
};

const emptyError = (op: string) => new RegExp(`${op}\\(\\).*has no value on an empty dataset`);

// ---- input files (written to both runners' data directories) ---------------------

const FILES: Record<string, string> = {
  "text/a.txt": "hello world\nfoo bar\n\nlast line",
  "text/b.txt": "second file\n",
  "crlf/c.txt": "one\r\ntwo\r\n",
  "csv/people.csv": 'name,age\nann,30\n"bob, jr",25\n',
  "csv/semi.csv": "x;y\n1;true\n2.5;\n",
  "jsonl/values.jsonl": '{"a":1}\n[1,2]\n"s"\n3\nnull\n',
};

// ---- the data of the PySpark docs' examples -------------------------------------

const TMP = [
  ["a", 1],
  ["b", 2],
  ["1", 3],
  ["d", 4],
  ["2", 5],
];
const TMP2 = [
  ["Mary", 1],
  ["had", 2],
  ["a", 3],
  ["little", 4],
  ["lamb", 5],
  ["whose", 6],
  ["fleece", 7],
  ["was", 8],
  ["white", 9],
];
const PAIRS = [
  ["a", 1],
  ["b", 1],
  ["a", 1],
];
// A fixed permutation of 0..99.
const SHUFFLED = range(0, 100).map((i) => (i * 37 + 11) % 100);

// ---- the table ----------------------------------------------------------------

const CASES: Case[] = [
  // -- sources (3.2)
  { op: "parallelize", name: "slices data like Spark: [[1], [2, 3], [4, 5]]", spec: pipe([par([1, 2, 3, 4, 5], 3), glom], collect), expected: [[1], [2, 3], [4, 5]] },
  {
    op: "parallelize",
    name: "keeps JSON values as they are",
    spec: pipe([par([null, true, "s", 1.5, [1, [2]], { k: { j: 1 } }], 2)], collect),
    expected: [null, true, "s", 1.5, [1, [2]], { k: { j: 1 } }],
  },
  { op: "parallelize", name: "numSlices 4 → 4 partitions", spec: pipe([par([1, 2], 4)], numParts), expected: 4 },
  { op: "parallelize", name: "more slices than records leaves empty partitions", spec: pipe([par([1, 2], 4), glom], collect), expected: [[], [1], [], [2]] },
  { op: "range", name: "start, end, step", spec: pipe([{ op: "range", start: 1, end: 10, step: 3 }], collect), expected: [1, 4, 7] },
  { op: "range", name: "start alone is the end (range(5))", spec: pipe([{ op: "range", start: 5 }], collect), expected: [0, 1, 2, 3, 4] },
  { op: "range", name: "negative step", spec: pipe([{ op: "range", start: 10, end: 0, step: -3 }], collect), expected: [10, 7, 4, 1] },
  {
    op: "range",
    name: "slices by position: range(10) in 3",
    spec: pipe([{ op: "range", start: 0, end: 10, numSlices: 3 }, glom], collect),
    expected: [
      [0, 1, 2],
      [3, 4, 5],
      [6, 7, 8, 9],
    ],
  },
  { op: "range", name: "empty when end <= start", spec: pipe([{ op: "range", start: 5, end: 5 }], { op: "count" }), expected: 0 },
  {
    op: "textFile",
    name: "one record per line, empty lines kept, last line without newline",
    spec: pipe([{ op: "textFile", path: "text/a.txt" }], collect),
    expected: ["hello world", "foo bar", "", "last line"],
  },
  {
    op: "textFile",
    name: "a glob reads every file",
    spec: pipe([{ op: "textFile", path: "text/*.txt" }], collect),
    expected: ["hello world", "foo bar", "", "last line", "second file"],
    compare: "unordered",
  },
  { op: "textFile", name: "an array of paths", spec: pipe([{ op: "textFile", path: ["text/b.txt", "crlf/c.txt"] }], collect), expected: ["second file", "one", "two"], compare: "unordered" },
  { op: "textFile", name: "CRLF line ends are stripped", spec: pipe([{ op: "textFile", path: "crlf/c.txt", minPartitions: 1 }], collect), expected: ["one", "two"] },
  {
    op: "parquet",
    name: "objects keyed by column name; a decimal as its exact string; null",
    spec: pipe([{ op: "parquet", path: "parquet/t.parquet" }], collect),
    expected: SAMPLE_PARQUET_ROWS,
  },
  {
    op: "parquet",
    name: "columns: only those, in that order",
    spec: pipe([{ op: "parquet", path: "parquet/t.parquet", columns: ["name", "id"] }], collect),
    expected: [
      { name: "ann", id: 1 },
      { name: "bob", id: 2 },
    ],
  },
  {
    op: "csv",
    name: "header: objects of strings; quoted field with a comma",
    spec: pipe([{ op: "csv", path: "csv/people.csv", header: true }], collect),
    expected: [
      { name: "ann", age: "30" },
      { name: "bob, jr", age: "25" },
    ],
  },
  {
    op: "csv",
    name: "no header: arrays (the header line is a record)",
    spec: pipe([{ op: "csv", path: "csv/people.csv" }], collect),
    expected: [
      ["name", "age"],
      ["ann", "30"],
      ["bob, jr", "25"],
    ],
  },
  {
    op: "csv",
    name: "delimiter and inferSchema (numbers, booleans, empty → null)",
    spec: pipe([{ op: "csv", path: "csv/semi.csv", header: true, delimiter: ";", inferSchema: true }], collect),
    expected: [
      { x: 1, y: true },
      { x: 2.5, y: null },
    ],
  },
  { op: "jsonl", name: "one JSON value per line", spec: pipe([{ op: "jsonl", path: "jsonl/values.jsonl" }], collect), expected: [{ a: 1 }, [1, 2], "s", 3, null] },

  // -- narrow transformations (3.3)
  { op: "map", name: "x => x * 2", spec: pipe([par([1, 2, 3], 2), { op: "map", fn: "x => x * 2" }], collect), expected: [2, 4, 6] },
  { op: "map", name: "gets the node's env as last argument", spec: pipe([par([1, 2], 2), { op: "map", fn: "(x, env) => x + env.k", env: { k: 10 } }], collect), expected: [11, 12] },
  {
    op: "filter",
    name: "even numbers of range(10)",
    spec: pipe(
      [
        { op: "range", start: 0, end: 10, numSlices: 3 },
        { op: "filter", fn: "x => x % 2 === 0" },
      ],
      collect,
    ),
    expected: [0, 2, 4, 6, 8],
  },
  { op: "flatMap", name: "split lines into words", spec: pipe([par(["a b", "", "c"], 2), { op: "flatMap", fn: "s => s.split(' ').filter(w => w)" }], collect), expected: ["a", "b", "c"] },
  { op: "flatMap", name: "a generator function", spec: pipe([par([2, 3], 2), { op: "flatMap", fn: "function* (x) { yield x; yield -x; }" }], collect), expected: [2, -2, 3, -3] },
  {
    op: "mapPartitions",
    name: "PySpark: yield sum(iterator) → [3, 7]",
    spec: pipe([par([1, 2, 3, 4], 2), { op: "mapPartitions", fn: "it => [[...it].reduce((a, b) => a + b, 0)]" }], collect),
    expected: [3, 7],
  },
  {
    op: "mapPartitions",
    name: "a generator, run on an empty partition too",
    spec: pipe([par([1, 2], 3), { op: "mapPartitions", fn: "function* (it) { let n = 0; for (const x of it) n++; yield n; }" }], collect),
    expected: [0, 1, 1],
  },
  {
    op: "mapPartitionsWithIndex",
    name: "PySpark: yield splitIndex over 4 slices, sum → 6",
    spec: pipe([par([1, 2, 3, 4], 4), { op: "mapPartitionsWithIndex", fn: "function* (i, it) { yield i; }" }], { op: "sum" }),
    expected: 6,
  },
  {
    op: "mapPartitionsWithIndex",
    name: "(index, iterable) tags each record",
    spec: pipe([par([1, 2, 3, 4], 2), { op: "mapPartitionsWithIndex", fn: "(i, it) => [...it].map(x => [i, x])" }], collect),
    expected: [
      [0, 1],
      [0, 2],
      [1, 3],
      [1, 4],
    ],
  },
  {
    op: "mapValues",
    name: "PySpark: len of each value list",
    spec: pipe(
      [
        par(
          [
            ["a", ["apple", "banana", "lemon"]],
            ["b", ["grapes"]],
          ],
          2,
        ),
        { op: "mapValues", fn: "v => v.length" },
      ],
      collect,
    ),
    expected: [
      ["a", 3],
      ["b", 1],
    ],
  },
  {
    op: "flatMapValues",
    name: "PySpark: x => x",
    spec: pipe(
      [
        par(
          [
            ["a", ["x", "y", "z"]],
            ["b", ["p", "r"]],
          ],
          2,
        ),
        { op: "flatMapValues", fn: "v => v" },
      ],
      collect,
    ),
    expected: [
      ["a", "x"],
      ["a", "y"],
      ["a", "z"],
      ["b", "p"],
      ["b", "r"],
    ],
  },
  {
    op: "keyBy",
    name: "PySpark: range(3).keyBy(x*x)",
    spec: pipe(
      [
        { op: "range", start: 0, end: 3 },
        { op: "keyBy", fn: "x => x * x" },
      ],
      collect,
    ),
    expected: [
      [0, 0],
      [1, 1],
      [4, 2],
    ],
  },
  {
    op: "keys",
    name: "[[1, 2], [3, 4]] → [1, 3]",
    spec: pipe(
      [
        par(
          [
            [1, 2],
            [3, 4],
          ],
          2,
        ),
        { op: "keys" },
      ],
      collect,
    ),
    expected: [1, 3],
  },
  {
    op: "values",
    name: "[[1, 2], [3, 4]] → [2, 4]",
    spec: pipe(
      [
        par(
          [
            [1, 2],
            [3, 4],
          ],
          2,
        ),
        { op: "values" },
      ],
      collect,
    ),
    expected: [2, 4],
  },
  {
    op: "glom",
    name: "one array per partition",
    spec: pipe([par([1, 2, 3, 4], 2), glom], collect),
    expected: [
      [1, 2],
      [3, 4],
    ],
  },
  { op: "union", name: "PySpark: rdd.union(rdd)", spec: pipe([par([1, 1, 2, 3], 2, "x"), { op: "union", inputs: ["x", "x"] }], collect), expected: [1, 1, 2, 3, 1, 1, 2, 3] },
  {
    op: "union",
    name: "three inputs, in input order",
    spec: pipe([par([1], 1, "a"), par([2, 3], 2, "b"), par(["c"], 1, "c"), { op: "union", inputs: ["a", "b", "c"] }], collect),
    expected: [1, 2, 3, "c"],
  },
  { op: "union", name: "partitions add up: 1 + 2 + 3", spec: pipe([par([1], 1, "a"), par([2], 2, "b"), par([3], 3, "c"), { op: "union", inputs: ["a", "b", "c"] }], numParts), expected: 6 },
  {
    op: "union",
    name: "of two shuffled datasets",
    spec: pipe(
      [
        par(PAIRS, 2, "x"),
        { id: "rx", op: "reduceByKey", input: "x", fn: "(a, b) => a + b", numPartitions: 2 },
        par([["c", 1]], 1, "y"),
        { id: "ry", op: "reduceByKey", input: "y", fn: "(a, b) => a + b", numPartitions: 2 },
        { op: "union", inputs: ["rx", "ry"] },
      ],
      collect,
    ),
    expected: [
      ["a", 2],
      ["b", 1],
      ["c", 1],
    ],
    compare: "unordered",
  },
  { op: "coalesce", name: "PySpark: coalesce(1).glom() → [[1, 2, 3, 4, 5]]", spec: pipe([par([1, 2, 3, 4, 5], 3), { op: "coalesce", numPartitions: 1 }, glom], collect), expected: [[1, 2, 3, 4, 5]] },
  {
    op: "coalesce",
    name: "4 → 2 merges neighbouring partitions",
    spec: pipe([par(range(1, 9), 4), { op: "coalesce", numPartitions: 2 }, glom], collect),
    expected: [
      [1, 2, 3, 4],
      [5, 6, 7, 8],
    ],
  },
  { op: "coalesce", name: "without shuffle never increases the partitions", spec: pipe([par([1, 2], 4), { op: "coalesce", numPartitions: 10 }], numParts), expected: 4 },
  {
    op: "coalesce",
    name: "after a shuffle: 4 → 1",
    spec: pipe([par(PAIRS, 2), { op: "reduceByKey", fn: "(a, b) => a + b", numPartitions: 4 }, { op: "coalesce", numPartitions: 1 }], collect),
    expected: [
      ["a", 2],
      ["b", 1],
    ],
    compare: "unordered",
  },
  {
    op: "coalesce",
    name: "shuffle: true → 3 even partitions from 1",
    spec: pipe([par(range(0, 9), 1), { op: "coalesce", numPartitions: 3, shuffle: true }, glom], collect),
    compare: (a) => {
      const parts = a as number[][];
      assert.deepStrictEqual(
        parts.map((p) => p.length),
        [3, 3, 3],
      );
      sameRecords(parts, range(0, 9));
    },
  },
  { op: "coalesce", name: "shuffle: true may increase the partitions", spec: pipe([par([1, 2], 2), { op: "coalesce", numPartitions: 5, shuffle: true }], numParts), expected: 5 },
  {
    op: "zipWithIndex",
    name: "PySpark: [a, b, c, d] in 3 slices",
    spec: pipe([par(["a", "b", "c", "d"], 3), { op: "zipWithIndex" }], collect),
    expected: [
      ["a", 0],
      ["b", 1],
      ["c", 2],
      ["d", 3],
    ],
  },
  {
    op: "zipWithIndex",
    name: "an empty partition in the middle",
    spec: pipe([par(range(1, 7), 3), { op: "filter", fn: "x => x < 3 || x > 4" }, { op: "zipWithIndex" }], collect),
    expected: [
      [1, 0],
      [2, 1],
      [5, 2],
      [6, 3],
    ],
  },
  {
    op: "zipWithIndex",
    name: "after a sort: indices follow the sorted order",
    spec: pipe([par([30, 10, 20, 40], 2), { op: "sortBy", fn: "x => x", numPartitions: 2 }, { op: "zipWithIndex" }], collect),
    expected: [
      [10, 0],
      [20, 1],
      [30, 2],
      [40, 3],
    ],
  },
  {
    op: "sample",
    name: "without replacement, fraction 0.3, seed 42 over 1000",
    spec: pipe(
      [
        { op: "range", start: 0, end: 1000, numSlices: 4 },
        { op: "sample", withReplacement: false, fraction: 0.3, seed: 42 },
      ],
      collect,
    ),
    compare: sampled({ min: 230, max: 370, input: range(0, 1000), replacement: false }),
  },
  {
    op: "sample",
    name: "with replacement, fraction 0.5, seed 7 over 1000",
    spec: pipe(
      [
        { op: "range", start: 0, end: 1000, numSlices: 4 },
        { op: "sample", withReplacement: true, fraction: 0.5, seed: 7 },
      ],
      collect,
    ),
    compare: sampled({ min: 400, max: 600, input: range(0, 1000), replacement: true }),
  },
  {
    op: "sample",
    name: "with replacement, fraction 2 (more records than input)",
    spec: pipe(
      [
        { op: "range", start: 0, end: 1000, numSlices: 4 },
        { op: "sample", withReplacement: true, fraction: 2, seed: 3 },
      ],
      collect,
    ),
    compare: sampled({ min: 1800, max: 2200, input: range(0, 1000), replacement: true }),
  },
  {
    op: "sample",
    name: "another seed samples other records",
    spec: pipe(
      [
        { op: "range", start: 0, end: 1000, numSlices: 4 },
        { op: "sample", withReplacement: false, fraction: 0.3, seed: 43 },
      ],
      collect,
    ),
    compare: (a, ctx) => {
      const other = ctx.inline(
        pipe(
          [
            { op: "range", start: 0, end: 1000, numSlices: 4 },
            { op: "sample", withReplacement: false, fraction: 0.3, seed: 42 },
          ],
          collect,
        ),
      );
      assert.deepStrictEqual(a, ctx.inline(ctx.spec));
      assert.notDeepStrictEqual(a, other);
    },
  },
  {
    op: "sample",
    name: "fraction 0 and 1 without replacement",
    spec: pipe(
      [
        par([1, 2, 3], 2, "x"),
        { id: "none", op: "sample", input: "x", withReplacement: false, fraction: 0, seed: 1 },
        { id: "all", op: "sample", input: "x", withReplacement: false, fraction: 1, seed: 1 },
        { op: "union", inputs: ["none", "all"] },
      ],
      collect,
    ),
    expected: [1, 2, 3],
  },
  {
    op: "cartesian",
    name: "PySpark: [1, 2] × [1, 2]",
    spec: pipe([par([1, 2], 2, "x"), { op: "cartesian", inputs: ["x", "x"] }], collect),
    expected: [
      [1, 1],
      [1, 2],
      [2, 1],
      [2, 2],
    ],
    compare: "unordered",
  },
  {
    op: "cartesian",
    name: "2 × 3 records, partitions multiply",
    spec: pipe([par(["a", "b"], 2, "x"), par([1, 2, 3], 3, "y"), { op: "cartesian", inputs: ["x", "y"] }], collect),
    expected: [
      ["a", 1],
      ["a", 2],
      ["a", 3],
      ["b", 1],
      ["b", 2],
      ["b", 3],
    ],
    compare: "unordered",
  },
  {
    op: "cartesian",
    name: "of a shuffled dataset",
    spec: pipe([par([1, 1, 2], 2), { id: "d", op: "distinct", input: "n0", numPartitions: 2 }, par(["a"], 1, "y"), { op: "cartesian", inputs: ["d", "y"] }], collect),
    expected: [
      [1, "a"],
      [2, "a"],
    ],
    compare: "unordered",
  },
  { op: "cartesian", name: "getNumPartitions 2 × 3 = 6", spec: pipe([par(["a", "b"], 2, "x"), par([1, 2, 3], 3, "y"), { op: "cartesian", inputs: ["x", "y"] }], numParts), expected: 6 },
  { op: "cartesian", name: "with an empty side: nothing", spec: pipe([par([1, 2], 2, "x"), par([], 2, "y"), { op: "cartesian", inputs: ["x", "y"] }], { op: "count" }), expected: 0 },

  // -- wide transformations (3.3)
  {
    op: "reduceByKey",
    name: "PySpark: [(a,1),(b,1),(a,1)] → [(a,2),(b,1)]",
    spec: pipe([par(PAIRS, 2), { op: "reduceByKey", fn: "(a, b) => a + b" }], collect),
    expected: [
      ["a", 2],
      ["b", 1],
    ],
    compare: "unordered",
  },
  {
    op: "reduceByKey",
    name: 'keys compare by value: arrays, objects in any key order, 1 ≠ "1"',
    spec: pipe(
      [
        par(
          [
            [{ a: 1, b: 2 }, 1],
            [{ b: 2, a: 1 }, 1],
            [[1, "x"], 1],
            [[1, "x"], 1],
            [1, 1],
            ["1", 1],
            [null, 1],
            [null, 1],
          ],
          3,
        ),
        { op: "reduceByKey", fn: "(a, b) => a + b", numPartitions: 2 },
      ],
      collect,
    ),
    expected: [
      [{ a: 1, b: 2 }, 2],
      [[1, "x"], 2],
      [1, 1],
      ["1", 1],
      [null, 2],
    ],
    compare: "unordered",
  },
  { op: "reduceByKey", name: "numPartitions 5 → 5 partitions", spec: pipe([par(PAIRS, 2), { op: "reduceByKey", fn: "(a, b) => a + b", numPartitions: 5 }], numParts), expected: 5 },
  { op: "reduceByKey", name: "default partitions: the largest input's (3)", spec: pipe([par(PAIRS, 3), { op: "reduceByKey", fn: "(a, b) => a + b" }], numParts), expected: 3 },
  {
    op: "foldByKey",
    name: "PySpark: foldByKey(0, add)",
    spec: pipe([par(PAIRS, 2), { op: "foldByKey", zeroValue: 0, fn: "(a, b) => a + b" }], collect),
    expected: [
      ["a", 2],
      ["b", 1],
    ],
    compare: "unordered",
  },
  {
    op: "foldByKey",
    name: "zeroValue once per key per partition: zero 10 over [a1] | [b1, a1] → a 22, b 11",
    spec: pipe([par(PAIRS, 2), { op: "foldByKey", zeroValue: 10, fn: "(a, b) => a + b" }], collect),
    expected: [
      ["a", 22],
      ["b", 11],
    ],
    compare: "unordered",
  },
  {
    op: "aggregateByKey",
    name: "PySpark: (sum, count) per key",
    spec: pipe(
      [
        par(
          [
            ["a", 1],
            ["b", 1],
            ["a", 2],
          ],
          2,
        ),
        { op: "aggregateByKey", zeroValue: [0, 0], seqFunc: "(x, y) => [x[0] + y, x[1] + 1]", combFunc: "(x, y) => [x[0] + y[0], x[1] + y[1]]" },
      ],
      collect,
    ),
    expected: [
      ["a", [3, 2]],
      ["b", [1, 1]],
    ],
    compare: "unordered",
  },
  {
    op: "aggregateByKey",
    name: "zeroValue once per key per partition: zero 100 over [a1] | [a2, a3] → 206",
    spec: pipe(
      [
        par(
          [
            ["a", 1],
            ["a", 2],
            ["a", 3],
          ],
          2,
        ),
        { op: "aggregateByKey", zeroValue: 100, seqFunc: "(acc, v) => acc + v", combFunc: "(a, b) => a + b" },
      ],
      collect,
    ),
    expected: [["a", 206]],
  },
  {
    op: "aggregateByKey",
    name: "a mutable array zero does not leak between keys or partitions",
    spec: pipe(
      [
        par(
          [
            ["a", 1],
            ["b", 2],
            ["a", 3],
            ["b", 4],
            ["c", 5],
          ],
          2,
        ),
        { op: "aggregateByKey", zeroValue: [], seqFunc: "(acc, v) => { acc.push(v); return acc; }", combFunc: "(a, b) => { a.push(...b); return a; }", numPartitions: 2 },
      ],
      collect,
    ),
    expected: [
      ["a", [1, 3]],
      ["b", [2, 4]],
      ["c", [5]],
    ],
    compare: groupsUnordered([
      ["a", [1, 3]],
      ["b", [2, 4]],
      ["c", [5]],
    ]),
  },
  {
    op: "combineByKey",
    name: "PySpark: to_list / append / extend",
    spec: pipe(
      [
        par(
          [
            ["a", 1],
            ["b", 1],
            ["a", 2],
          ],
          2,
        ),
        { op: "combineByKey", createCombiner: "v => [v]", mergeValue: "(c, v) => { c.push(v); return c; }", mergeCombiners: "(a, b) => a.concat(b)" },
      ],
      collect,
    ),
    expected: [
      ["a", [1, 2]],
      ["b", [1]],
    ],
    compare: groupsUnordered([
      ["a", [1, 2]],
      ["b", [1]],
    ]),
  },
  {
    op: "combineByKey",
    name: "per-key average via [sum, count]",
    spec: pipe(
      [
        par(
          [
            ["x", 2],
            ["y", 10],
            ["x", 4],
            ["x", 6],
          ],
          3,
        ),
        { op: "combineByKey", createCombiner: "v => [v, 1]", mergeValue: "(c, v) => [c[0] + v, c[1] + 1]", mergeCombiners: "(a, b) => [a[0] + b[0], a[1] + b[1]]", numPartitions: 2 },
        { op: "mapValues", fn: "c => c[0] / c[1]" },
      ],
      collect,
    ),
    expected: [
      ["x", 4],
      ["y", 10],
    ],
    compare: "unordered",
  },
  {
    op: "groupByKey",
    name: "PySpark: [(a,[1,1]), (b,[1])]",
    spec: pipe([par(PAIRS, 2), { op: "groupByKey" }], collect),
    expected: [
      ["a", [1, 1]],
      ["b", [1]],
    ],
    compare: groupsUnordered([
      ["a", [1, 1]],
      ["b", [1]],
    ]),
  },
  { op: "groupByKey", name: "numPartitions 3 → 3 partitions", spec: pipe([par(PAIRS, 2), { op: "groupByKey", numPartitions: 3 }], numParts), expected: 3 },
  {
    op: "groupBy",
    name: "PySpark: groupBy(x % 2) → [(0,[2,8]), (1,[1,1,3,5])]",
    spec: pipe([par([1, 1, 2, 3, 5, 8], 2), { op: "groupBy", fn: "x => x % 2" }], collect),
    expected: [
      [0, [2, 8]],
      [1, [1, 1, 3, 5]],
    ],
    compare: groupsUnordered([
      [0, [2, 8]],
      [1, [1, 1, 3, 5]],
    ]),
  },
  { op: "distinct", name: "PySpark: [1, 1, 2, 3] → [1, 2, 3]", spec: pipe([par([1, 1, 2, 3], 3), { op: "distinct" }], collect), expected: [1, 2, 3], compare: "unordered" },
  {
    op: "distinct",
    name: 'by value: arrays, objects, null, 1 vs "1"',
    spec: pipe([par([[1, 2], [1, 2], [2, 1], "1", 1, null, null, true, { a: 1, b: 2 }, { b: 2, a: 1 }], 3), { op: "distinct", numPartitions: 2 }], collect),
    expected: [[1, 2], [2, 1], "1", 1, null, true, { a: 1, b: 2 }],
    compare: "unordered",
  },
  {
    op: "join",
    name: "PySpark: [(a,(1,2)), (a,(1,3))]",
    spec: pipe(
      [
        par(
          [
            ["a", 1],
            ["b", 4],
          ],
          2,
          "x",
        ),
        par(
          [
            ["a", 2],
            ["a", 3],
          ],
          2,
          "y",
        ),
        { op: "join", inputs: ["x", "y"] },
      ],
      collect,
    ),
    expected: [
      ["a", [1, 2]],
      ["a", [1, 3]],
    ],
    compare: "unordered",
  },
  {
    op: "join",
    name: "many × many on a key; numPartitions default is the largest input's",
    spec: pipe(
      [
        par(
          [
            ["k", 1],
            ["k", 2],
            ["z", 0],
          ],
          3,
          "x",
        ),
        par(
          [
            ["k", "a"],
            ["k", "b"],
          ],
          1,
          "y",
        ),
        { op: "join", inputs: ["x", "y"] },
      ],
      collect,
    ),
    expected: [
      ["k", [1, "a"]],
      ["k", [1, "b"]],
      ["k", [2, "a"]],
      ["k", [2, "b"]],
    ],
    compare: "unordered",
  },
  {
    op: "leftOuterJoin",
    name: "PySpark: [(a,(1,2)), (b,(4,None))]",
    spec: pipe(
      [
        par(
          [
            ["a", 1],
            ["b", 4],
          ],
          2,
          "x",
        ),
        par([["a", 2]], 2, "y"),
        { op: "leftOuterJoin", inputs: ["x", "y"] },
      ],
      collect,
    ),
    expected: [
      ["a", [1, 2]],
      ["b", [4, null]],
    ],
    compare: "unordered",
  },
  {
    op: "rightOuterJoin",
    name: "PySpark: y.rightOuterJoin(x) → [(a,(2,1)), (b,(None,4))]",
    spec: pipe(
      [
        par(
          [
            ["a", 1],
            ["b", 4],
          ],
          2,
          "x",
        ),
        par([["a", 2]], 2, "y"),
        { op: "rightOuterJoin", inputs: ["y", "x"] },
      ],
      collect,
    ),
    expected: [
      ["a", [2, 1]],
      ["b", [null, 4]],
    ],
    compare: "unordered",
  },
  {
    op: "fullOuterJoin",
    name: "PySpark: [(a,(1,2)), (b,(4,None)), (c,(None,8))]",
    spec: pipe(
      [
        par(
          [
            ["a", 1],
            ["b", 4],
          ],
          2,
          "x",
        ),
        par(
          [
            ["a", 2],
            ["c", 8],
          ],
          2,
          "y",
        ),
        { op: "fullOuterJoin", inputs: ["x", "y"] },
      ],
      collect,
    ),
    expected: [
      ["a", [1, 2]],
      ["b", [4, null]],
      ["c", [null, 8]],
    ],
    compare: "unordered",
  },
  {
    op: "cogroup",
    name: "2 inputs, PySpark: [(a,([1],[2])), (b,([4],[]))]",
    spec: pipe(
      [
        par(
          [
            ["a", 1],
            ["b", 4],
          ],
          2,
          "x",
        ),
        par([["a", 2]], 2, "y"),
        { op: "cogroup", inputs: ["x", "y"] },
      ],
      collect,
    ),
    expected: [
      ["a", [[1], [2]]],
      ["b", [[4], []]],
    ],
    compare: "unordered",
  },
  {
    op: "cogroup",
    name: "2 inputs, PySpark keyBy example",
    spec: pipe(
      [
        { id: "x", op: "range", start: 0, end: 3 },
        { id: "kx", op: "keyBy", input: "x", fn: "x => x * x" },
        par(
          [
            [0, 0],
            [1, 1],
            [2, 2],
            [3, 3],
            [4, 4],
          ],
          2,
          "y",
        ),
        { op: "cogroup", inputs: ["kx", "y"] },
      ],
      collect,
    ),
    expected: [
      [0, [[0], [0]]],
      [1, [[1], [1]]],
      [2, [[], [2]]],
      [3, [[], [3]]],
      [4, [[2], [4]]],
    ],
    compare: "unordered",
  },
  {
    op: "cogroup",
    name: "3 inputs (PySpark groupWith)",
    spec: pipe(
      [
        par(
          [
            ["a", 5],
            ["b", 6],
          ],
          2,
          "w",
        ),
        par(
          [
            ["a", 1],
            ["b", 4],
          ],
          2,
          "x",
        ),
        par([["a", 2]], 1, "y"),
        { op: "cogroup", inputs: ["w", "x", "y"] },
      ],
      collect,
    ),
    expected: [
      ["a", [[5], [1], [2]]],
      ["b", [[6], [4], []]],
    ],
    compare: "unordered",
  },
  {
    op: "cogroup",
    name: "3 inputs, several values per side",
    spec: pipe(
      [
        par(
          [
            ["k", 1],
            ["k", 2],
          ],
          2,
          "x",
        ),
        par([["j", 0]], 1, "y"),
        par(
          [
            ["k", 9],
            ["j", 8],
            ["k", 7],
          ],
          2,
          "z",
        ),
        { op: "cogroup", inputs: ["x", "y", "z"] },
      ],
      collect,
    ),
    compare: (a) => {
      const norm = (a as [string, number[][]][]).map(([k, gs]) => [k, gs.map((g) => [...g].sort((p, q) => p - q))]);
      assert.deepStrictEqual(
        sortCanon(norm),
        sortCanon([
          ["k", [[1, 2], [], [7, 9]]],
          ["j", [[], [0], [8]]],
        ]),
      );
    },
  },
  {
    op: "subtract",
    name: "PySpark: whole records [(a,1),(b,4),(b,5)]",
    spec: pipe(
      [
        par(
          [
            ["a", 1],
            ["b", 4],
            ["b", 5],
            ["a", 3],
          ],
          2,
          "x",
        ),
        par(
          [
            ["a", 3],
            ["c", null],
          ],
          2,
          "y",
        ),
        { op: "subtract", inputs: ["x", "y"] },
      ],
      collect,
    ),
    expected: [
      ["a", 1],
      ["b", 4],
      ["b", 5],
    ],
    compare: "unordered",
  },
  {
    op: "subtract",
    name: "duplicates of the left survive",
    spec: pipe([par([1, 1, 2, 3], 2, "x"), par([2], 1, "y"), { op: "subtract", inputs: ["x", "y"] }], collect),
    expected: [1, 1, 3],
    compare: "unordered",
  },
  {
    op: "subtractByKey",
    name: "PySpark: [(b,4), (b,5)]",
    spec: pipe(
      [
        par(
          [
            ["a", 1],
            ["b", 4],
            ["b", 5],
            ["a", 2],
          ],
          2,
          "x",
        ),
        par(
          [
            ["a", 3],
            ["c", null],
          ],
          2,
          "y",
        ),
        { op: "subtractByKey", inputs: ["x", "y"] },
      ],
      collect,
    ),
    expected: [
      ["b", 4],
      ["b", 5],
    ],
    compare: "unordered",
  },
  {
    op: "intersection",
    name: "PySpark: [1, 2, 3]",
    spec: pipe([par([1, 10, 2, 3, 4, 5], 2, "x"), par([1, 6, 2, 3, 7, 8], 3, "y"), { op: "intersection", inputs: ["x", "y"] }], collect),
    expected: [1, 2, 3],
    compare: "unordered",
  },
  {
    op: "intersection",
    name: "no duplicates in the output",
    spec: pipe([par([1, 1, 2, [3]], 2, "x"), par([1, 1, [3], 4], 2, "y"), { op: "intersection", inputs: ["x", "y"] }], collect),
    expected: [1, [3]],
    compare: "unordered",
  },
  {
    op: "sortBy",
    name: "PySpark: by x[0] → [(1,3),(2,5),(a,1),(b,2),(d,4)]",
    spec: pipe([par(TMP, 2), { op: "sortBy", fn: "x => x[0]" }], collect),
    expected: [
      ["1", 3],
      ["2", 5],
      ["a", 1],
      ["b", 2],
      ["d", 4],
    ],
  },
  { op: "sortBy", name: "PySpark: by x[1] → input order", spec: pipe([par(TMP, 2), { op: "sortBy", fn: "x => x[1]" }], collect), expected: TMP },
  { op: "sortBy", name: "numbers numerically, not as text", spec: pipe([par([10, 9, 100, 1, -5, 2.5], 2), { op: "sortBy", fn: "x => x" }], collect), expected: [-5, 1, 2.5, 9, 10, 100] },
  {
    op: "sortBy",
    name: "strings by code point (not UTF-16 units)",
    spec: pipe([par(["b", "a", "B", "é", "z", "\u{1F600}", "\uFF5E", "ab"], 2), { op: "sortBy", fn: "x => x", numPartitions: 3 }], collect),
    expected: ["B", "a", "ab", "b", "z", "é", "\uFF5E", "\u{1F600}"],
  },
  {
    op: "sortBy",
    name: "arrays element by element, shorter first",
    spec: pipe([par([[1, 2], [1], [0, 5], [1, 1, 1], [10], [1, "a"]], 2), { op: "sortBy", fn: "x => x" }], collect),
    expected: [[0, 5], [1], [1, 1, 1], [1, 2], [1, "a"], [10]],
  },
  { op: "sortBy", name: "ascending: false", spec: pipe([par([3, 1, 2, 5, 4], 2), { op: "sortBy", fn: "x => x", ascending: false }], collect), expected: [5, 4, 3, 2, 1] },
  {
    op: "sortBy",
    name: "range-partitioned: 100 shuffled numbers into 3 sorted partitions",
    spec: pipe([par(SHUFFLED, 4), { op: "sortBy", fn: "x => x", numPartitions: 3 }, glom], collect),
    compare: (a) => {
      const parts = a as number[][];
      assert.equal(parts.length, 3);
      assert.deepStrictEqual(parts.flat(), range(0, 100), "partitions are globally ordered");
    },
  },
  { op: "sortBy", name: "keeps the input's partition count by default", spec: pipe([par([3, 1, 2], 3), { op: "sortBy", fn: "x => x" }], numParts), expected: 3 },
  {
    op: "sortByKey",
    name: "PySpark: ascending, 1 partition",
    spec: pipe([par(TMP, 2), { op: "sortByKey", ascending: true, numPartitions: 1 }], collect),
    expected: [
      ["1", 3],
      ["2", 5],
      ["a", 1],
      ["b", 2],
      ["d", 4],
    ],
  },
  {
    op: "sortByKey",
    name: "PySpark: ascending, 2 partitions",
    spec: pipe([par(TMP, 2), { op: "sortByKey", numPartitions: 2 }], collect),
    expected: [
      ["1", 3],
      ["2", 5],
      ["a", 1],
      ["b", 2],
      ["d", 4],
    ],
  },
  { op: "sortByKey", name: "PySpark: sortByKey().first() → (1, 3)", spec: pipe([par(TMP, 2), { op: "sortByKey" }], { op: "first" }), expected: ["1", 3] },
  {
    op: "sortByKey",
    name: "descending",
    spec: pipe([par(TMP, 2), { op: "sortByKey", ascending: false, numPartitions: 2 }], collect),
    expected: [
      ["d", 4],
      ["b", 2],
      ["a", 1],
      ["2", 5],
      ["1", 3],
    ],
  },
  {
    op: "sortByKey",
    name: "PySpark: keyfunc k.lower(), 3 partitions",
    spec: pipe([par(TMP2, 2), { op: "sortByKey", ascending: true, numPartitions: 3, fn: "k => k.toLowerCase()" }], collect),
    expected: [
      ["a", 3],
      ["fleece", 7],
      ["had", 2],
      ["lamb", 5],
      ["little", 4],
      ["Mary", 1],
      ["was", 8],
      ["white", 9],
      ["whose", 6],
    ],
  },
  {
    op: "sortByKey",
    name: "key fn, descending",
    spec: pipe(
      [
        par(
          [
            [1, "a"],
            [-3, "b"],
            [2, "c"],
          ],
          2,
        ),
        { op: "sortByKey", ascending: false, fn: "k => Math.abs(k)" },
      ],
      collect,
    ),
    expected: [
      [-3, "b"],
      [2, "c"],
      [1, "a"],
    ],
  },
  {
    op: "repartition",
    name: "PySpark: [1..7] in 4 → 2 partitions, nothing lost",
    spec: pipe([par(range(1, 8), 4), { op: "repartition", numPartitions: 2 }, glom], collect),
    compare: (a) => {
      assert.equal((a as number[][]).length, 2);
      sameRecords(a as number[][], range(1, 8));
    },
  },
  {
    op: "repartition",
    name: "PySpark: [1..7] in 4 → 10 partitions, nothing lost",
    spec: pipe([par(range(1, 8), 4), { op: "repartition", numPartitions: 10 }, glom], collect),
    compare: (a) => {
      assert.equal((a as number[][]).length, 10);
      sameRecords(a as number[][], range(1, 8));
    },
  },
  { op: "repartition", name: "getNumPartitions 7", spec: pipe([par([1, 2], 2), { op: "repartition", numPartitions: 7 }], numParts), expected: 7 },
  {
    op: "repartition",
    name: "round-robin spreads records evenly: 12 over 4 → 2..4 each",
    spec: pipe([par(range(0, 12), 2), { op: "repartition", numPartitions: 4 }, glom], collect),
    compare: (a) => {
      const parts = a as number[][];
      assert.equal(parts.length, 4);
      for (const p of parts) assert.ok(p.length >= 2 && p.length <= 4, `partition of ${p.length}`);
      sameRecords(parts, range(0, 12));
    },
  },
  {
    op: "partitionBy",
    name: "without fn: hash partitioning, a key's records in one partition",
    spec: pipe(
      [
        par(
          [
            ["a", 1],
            ["b", 2],
            ["a", 3],
            [[1, 2], 4],
            ["c", 5],
            ["b", 6],
            [[1, 2], 7],
            [7, 8],
          ],
          3,
        ),
        { op: "partitionBy", numPartitions: 3 },
        glom,
      ],
      collect,
    ),
    compare: (a) => {
      const parts = a as [unknown, number][][];
      assert.equal(parts.length, 3);
      const home = new Map<string, number>();
      for (const [i, p] of parts.entries()) {
        for (const [k] of p) {
          const was = home.get(canon(k));
          assert.ok(was === undefined || was === i, `key ${canon(k)} in partitions ${was} and ${i}`);
          home.set(canon(k), i);
        }
      }
      sameRecords(parts, [
        ["a", 1],
        ["b", 2],
        ["a", 3],
        [[1, 2], 4],
        ["c", 5],
        ["b", 6],
        [[1, 2], 7],
        [7, 8],
      ]);
    },
  },
  {
    op: "partitionBy",
    name: "with fn: partition = fn(key) mod numPartitions (Python modulo for -1)",
    spec: pipe(
      [
        par(
          [
            [0, "a"],
            [1, "b"],
            [2, "c"],
            [3, "d"],
            [4, "e"],
            [-1, "z"],
          ],
          1,
        ),
        { op: "partitionBy", numPartitions: 3, fn: "k => k" },
        glom,
      ],
      collect,
    ),
    expected: [
      [
        [0, "a"],
        [3, "d"],
      ],
      [
        [1, "b"],
        [4, "e"],
      ],
      [
        [2, "c"],
        [-1, "z"],
      ],
    ],
  },

  // -- actions (3.4)
  { op: "collect", name: "in partition order", spec: pipe([par([5, 4, 3, 2, 1], 3)], collect), expected: [5, 4, 3, 2, 1] },
  { op: "count", name: "PySpark: [2, 3, 4] → 3", spec: pipe([par([2, 3, 4], 2)], { op: "count" }), expected: 3 },
  {
    op: "count",
    name: "after a filter over range(1000)",
    spec: pipe(
      [
        { op: "range", start: 0, end: 1000, numSlices: 4 },
        { op: "filter", fn: "x => x % 3 === 0" },
      ],
      { op: "count" },
    ),
    expected: 334,
  },
  { op: "first", name: "PySpark: [2, 3, 4] → 2", spec: pipe([par([2, 3, 4], 2)], { op: "first" }), expected: 2 },
  { op: "first", name: "skips empty leading partitions", spec: pipe([par([5], 3)], { op: "first" }), expected: 5 },
  { op: "take", name: "PySpark: take(2) → [2, 3]", spec: pipe([par([2, 3, 4, 5, 6], 2)], { op: "take", num: 2 }), expected: [2, 3] },
  { op: "take", name: "PySpark: take(10) of 5 → all", spec: pipe([par([2, 3, 4, 5, 6], 2)], { op: "take", num: 10 }), expected: [2, 3, 4, 5, 6] },
  {
    op: "take",
    name: "PySpark: range(100) in 100 slices, filter > 90, take(3)",
    spec: pipe(
      [
        { op: "range", start: 0, end: 100, numSlices: 10 },
        { op: "filter", fn: "x => x > 90" },
      ],
      { op: "take", num: 3 },
    ),
    expected: [91, 92, 93],
  },
  { op: "take", name: "take(0) → []", spec: pipe([par([1, 2], 2)], { op: "take", num: 0 }), expected: [] },
  { op: "takeOrdered", name: "PySpark: takeOrdered(6)", spec: pipe([par([10, 1, 2, 9, 3, 4, 5, 6, 7], 2)], { op: "takeOrdered", num: 6 }), expected: [1, 2, 3, 4, 5, 6] },
  { op: "takeOrdered", name: "PySpark: takeOrdered(6, key=-x)", spec: pipe([par([10, 1, 2, 9, 3, 4, 5, 6, 7], 2)], { op: "takeOrdered", num: 6, fn: "x => -x" }), expected: [10, 9, 7, 6, 5, 4] },
  { op: "takeOrdered", name: "strings by code point", spec: pipe([par(["b", "é", "a", "Z"], 2)], { op: "takeOrdered", num: 3 }), expected: ["Z", "a", "b"] },
  { op: "top", name: "PySpark: top(1) → [12]", spec: pipe([par([10, 4, 2, 12, 3], 2)], { op: "top", num: 1 }), expected: [12] },
  { op: "top", name: "PySpark: top(2) over 2 slices → [6, 5]", spec: pipe([par([2, 3, 4, 5, 6], 2)], { op: "top", num: 2 }), expected: [6, 5] },
  { op: "top", name: "PySpark: top(3, key=str) → [4, 3, 2]", spec: pipe([par([10, 4, 2, 12, 3], 2)], { op: "top", num: 3, fn: "x => String(x)" }), expected: [4, 3, 2] },
  { op: "reduce", name: "PySpark: [1..5] reduce(add) → 15", spec: pipe([par([1, 2, 3, 4, 5], 3)], { op: "reduce", fn: "(a, b) => a + b" }), expected: 15 },
  { op: "reduce", name: "PySpark: ten 2s mapped to 1 → 10", spec: pipe([par(Array(10).fill(2), 4), { op: "map", fn: "x => 1" }], { op: "reduce", fn: "(a, b) => a + b" }), expected: 10 },
  { op: "reduce", name: "empty partitions are skipped", spec: pipe([par([7], 3)], { op: "reduce", fn: "(a, b) => a * b" }), expected: 7 },
  { op: "fold", name: "PySpark: fold(0, add) → 15", spec: pipe([par([1, 2, 3, 4, 5], 2)], { op: "fold", zeroValue: 0, fn: "(a, b) => a + b" }), expected: 15 },
  {
    op: "fold",
    name: "zeroValue once per partition and once more: fold(1, add) over 3 slices → 10 + 3 + 1",
    spec: pipe([par([1, 2, 3, 4], 3)], { op: "fold", zeroValue: 1, fn: "(a, b) => a + b" }),
    expected: 14,
  },
  {
    op: "aggregate",
    name: "PySpark: (sum, count) → (10, 4)",
    spec: pipe([par([1, 2, 3, 4], 2)], { op: "aggregate", zeroValue: [0, 0], seqOp: "(x, y) => [x[0] + y, x[1] + 1]", combOp: "(x, y) => [x[0] + y[0], x[1] + y[1]]" }),
    expected: [10, 4],
  },
  {
    op: "aggregate",
    name: "zero per partition and in the merge: zero 1 over 2 slices → 10 + 2 + 1",
    spec: pipe([par([1, 2, 3, 4], 2)], { op: "aggregate", zeroValue: 1, seqOp: "(a, b) => a + b", combOp: "(a, b) => a + b" }),
    expected: 13,
  },
  {
    op: "aggregate",
    name: "a mutable array zero is not shared",
    spec: pipe([par([1, 2, 3, 4], 2)], { op: "aggregate", zeroValue: [], seqOp: "(acc, x) => { acc.push(x); return acc; }", combOp: "(a, b) => { a.push(...b); return a; }" }),
    compare: (a) => assert.deepStrictEqual([...(a as number[])].sort(), [1, 2, 3, 4]),
  },
  { op: "sum", name: "PySpark: [1.0, 2.0, 3.0] → 6", spec: pipe([par([1.0, 2.0, 3.0], 2)], { op: "sum" }), expected: 6 },
  { op: "min", name: "PySpark: min → 1", spec: pipe([par([1.0, 5.0, 43.0, 10.0], 2)], { op: "min" }), expected: 1 },
  { op: "min", name: "with key fn String: [25, 3, 100] → 100", spec: pipe([par([25, 3, 100], 2)], { op: "min", fn: "x => String(x)" }), expected: 100 },
  { op: "min", name: "strings", spec: pipe([par(["b", "a", "c"], 2)], { op: "min" }), expected: "a" },
  { op: "max", name: "PySpark: max → 43", spec: pipe([par([1.0, 5.0, 43.0, 10.0], 2)], { op: "max" }), expected: 43 },
  { op: "max", name: "PySpark: max(key=str) → 5", spec: pipe([par([1.0, 5.0, 43.0, 10.0], 2)], { op: "max", fn: "x => String(x)" }), expected: 5 },
  { op: "mean", name: "PySpark: [1, 2, 3] → 2", spec: pipe([par([1, 2, 3], 2)], { op: "mean" }), expected: 2 },
  { op: "mean", name: "over partitions of different sizes", spec: pipe([par([1, 2, 3, 4, 10], 3)], { op: "mean" }), expected: 4 },
  {
    op: "stats",
    name: "[1, 2, 3]: PySpark variance 2/3, sampleVariance 1",
    spec: pipe([par([1, 2, 3], 2)], { op: "stats" }),
    compare: statsOf({ count: 3, mean: 2, sum: 6, min: 1, max: 3, variance: 2 / 3, stdev: Math.sqrt(2 / 3), sampleVariance: 1, sampleStdev: 1 }),
  },
  {
    op: "stats",
    name: "[2,4,4,4,5,5,7,9] over 3 partitions: stdev 2",
    spec: pipe([par([2, 4, 4, 4, 5, 5, 7, 9], 3)], { op: "stats" }),
    compare: statsOf({ count: 8, mean: 5, sum: 40, min: 2, max: 9, variance: 4, stdev: 2, sampleVariance: 32 / 7, sampleStdev: Math.sqrt(32 / 7) }),
  },
  {
    op: "stats",
    name: "one value: sample variance has no value (NaN → null)",
    spec: pipe([par([5], 2)], { op: "stats" }),
    compare: statsOf({ count: 1, mean: 5, sum: 5, min: 5, max: 5, variance: 0, stdev: 0, sampleVariance: null, sampleStdev: null }),
  },
  {
    op: "histogram",
    name: "PySpark: range(51), 2 buckets → ([0, 25, 50], [25, 26])",
    spec: pipe([{ op: "range", start: 0, end: 51, numSlices: 3 }], { op: "histogram", buckets: 2 }),
    expected: [
      [0, 25, 50],
      [25, 26],
    ],
  },
  {
    op: "histogram",
    name: "PySpark: edges [0, 5, 25, 50] → [5, 20, 26]",
    spec: pipe([{ op: "range", start: 0, end: 51, numSlices: 3 }], { op: "histogram", buckets: [0, 5, 25, 50] }),
    expected: [
      [0, 5, 25, 50],
      [5, 20, 26],
    ],
  },
  {
    op: "histogram",
    name: "PySpark: edges [0, 15, 30, 45, 60] → [15, 15, 15, 6]",
    spec: pipe([{ op: "range", start: 0, end: 51, numSlices: 3 }], { op: "histogram", buckets: [0, 15, 30, 45, 60] }),
    expected: [
      [0, 15, 30, 45, 60],
      [15, 15, 15, 6],
    ],
  },
  {
    op: "histogram",
    name: "values outside the edges are ignored; the last bucket is closed",
    spec: pipe([par([-1, 0, 9.99, 10, 20, 20, 21], 2)], { op: "histogram", buckets: [0, 10, 20] }),
    expected: [
      [0, 10, 20],
      [2, 3],
    ],
  },
  {
    op: "histogram",
    name: "4 buckets over [1..5] → edges [1,2,3,4,5], counts [1,1,1,2]",
    spec: pipe([par([5, 1, 2, 3, 4], 2)], { op: "histogram", buckets: 4 }),
    expected: [
      [1, 2, 3, 4, 5],
      [1, 1, 1, 2],
    ],
  },
  { op: "histogram", name: "all values equal: one bucket [min, max]", spec: pipe([par([3, 3, 3], 2)], { op: "histogram", buckets: 4 }), expected: [[3, 3], [3]] },
  {
    op: "countByKey",
    name: "PySpark: [(a, 2), (b, 1)]",
    spec: pipe([par(PAIRS, 2)], { op: "countByKey" }),
    expected: [
      ["a", 2],
      ["b", 1],
    ],
    compare: "unordered",
  },
  {
    op: "countByKey",
    name: 'keys keep their JSON type: 1 and "1" apart',
    spec: pipe(
      [
        par(
          [
            [1, "x"],
            ["1", "y"],
            [1, "z"],
            [[1], "w"],
          ],
          3,
        ),
      ],
      { op: "countByKey" },
    ),
    expected: [
      [1, 2],
      ["1", 1],
      [[1], 1],
    ],
    compare: "unordered",
  },
  {
    op: "countByValue",
    name: "PySpark: [1, 2, 1, 2, 2] → [(1, 2), (2, 3)]",
    spec: pipe([par([1, 2, 1, 2, 2], 2)], { op: "countByValue" }),
    expected: [
      [1, 2],
      [2, 3],
    ],
    compare: "unordered",
  },
  {
    op: "countByValue",
    name: "composite values",
    spec: pipe([par([["a", 1], ["a", 1], { k: 1 }, null, null, null], 2)], { op: "countByValue" }),
    expected: [
      [["a", 1], 2],
      [{ k: 1 }, 1],
      [null, 3],
    ],
    compare: "unordered",
  },
  {
    op: "collectAsMap",
    name: "PySpark: [(1, 2), (3, 4)]",
    spec: pipe(
      [
        par(
          [
            [1, 2],
            [3, 4],
          ],
          2,
        ),
      ],
      { op: "collectAsMap" },
    ),
    expected: [
      [1, 2],
      [3, 4],
    ],
    compare: "unordered",
  },
  {
    op: "collectAsMap",
    name: "a repeated key keeps its last value",
    spec: pipe(
      [
        par(
          [
            ["a", 1],
            ["b", 2],
            ["a", 3],
          ],
          2,
        ),
      ],
      { op: "collectAsMap" },
    ),
    expected: [
      ["a", 3],
      ["b", 2],
    ],
    compare: "unordered",
  },
  {
    op: "lookup",
    name: "PySpark: zip(range(1000)) in 10 slices, lookup(42) → [42]",
    spec: pipe(
      [
        { op: "range", start: 0, end: 1000, numSlices: 10 },
        { op: "keyBy", fn: "x => x" },
      ],
      { op: "lookup", key: 42 },
    ),
    expected: [42],
  },
  {
    op: "lookup",
    name: "PySpark: a missing key → []",
    spec: pipe([{ op: "range", start: 0, end: 1000, numSlices: 10 }, { op: "keyBy", fn: "x => x" }, { op: "sortByKey" }], { op: "lookup", key: 1024 }),
    expected: [],
  },
  {
    op: "lookup",
    name: "PySpark: a tuple key after groupByKey → [[c]]",
    spec: pipe(
      [
        par(
          [
            [["a", "b"], "c"],
            [["a", "c"], "d"],
          ],
          2,
        ),
        { op: "groupByKey" },
      ],
      { op: "lookup", key: ["a", "b"] },
    ),
    expected: [["c"]],
  },
  {
    op: "lookup",
    name: "every value of the key, in order",
    spec: pipe(
      [
        par(
          [
            ["a", 1],
            ["b", 2],
            ["a", 3],
            ["1", 4],
            [1, 5],
          ],
          2,
        ),
      ],
      { op: "lookup", key: "a" },
    ),
    expected: [1, 3],
  },
  { op: "isEmpty", name: "PySpark: [1] → false", spec: pipe([par([1], 3)], { op: "isEmpty" }), expected: false },
  { op: "getNumPartitions", name: "default parallelism: 2 (2 slots; inline default 2)", spec: pipe([par([1, 2, 3])], numParts), expected: 2 },
  { op: "getNumPartitions", name: "join: the largest input's (2 vs 3)", spec: pipe([par([["a", 1]], 2, "x"), par([["a", 2]], 3, "y"), { op: "join", inputs: ["x", "y"] }], numParts), expected: 3 },
  {
    op: "save",
    name: "text: strings as they are, others as JSON, one part per partition",
    spec: pipe([par(["a", ["b", 1], 3, { k: "v" }], 2)], { op: "save", path: "out/text", format: "text" }),
    compare: savedAs("out/text", [
      ["a", '["b",1]'],
      ["3", '{"k":"v"}'],
    ]),
  },
  { op: "save", name: "jsonl", spec: pipe([par(["a", ["b", 1], null], 1)], { op: "save", path: "out/jsonl", format: "jsonl" }), compare: savedAs("out/jsonl", [['"a"', '["b",1]', "null"]]) },
  {
    op: "save",
    name: "csv with header from objects; quoting",
    spec: pipe(
      [
        par(
          [
            { name: "ann", age: 30 },
            { name: "bob, jr", age: 25 },
          ],
          1,
        ),
      ],
      { op: "save", path: "out/csv", format: "csv", header: true },
    ),
    compare: savedAs("out/csv", [["name,age", "ann,30", '"bob, jr",25']], 2),
  },
  {
    op: "save",
    name: "an empty partition still writes its part file",
    spec: pipe([par([1], 2)], { op: "save", path: "out/empty-part", format: "text" }),
    compare: savedAs("out/empty-part", [[], ["1"]]),
  },
  {
    op: "save",
    name: "sorted output: part files globally ordered",
    spec: pipe([par(SHUFFLED.slice(0, 30), 3), { op: "sortBy", fn: "x => x", numPartitions: 3 }], { op: "save", path: "out/sorted", format: "text" }),
    compare: (a, ctx) => {
      assert.deepStrictEqual((a as { files: string[] }).files, ["part-00000", "part-00001", "part-00002"]);
      assert.deepStrictEqual(
        readParts(ctx.dataDir, "out/sorted").lines.map(Number),
        [...SHUFFLED.slice(0, 30)].sort((x, y) => x - y),
      );
    },
  },

  // -- empty datasets
  ...emptyCases(),

  // -- the RDD methods of issue 16 (zip … histogram with string buckets)
  {
    op: "zip",
    name: "PySpark: range(0, 5) zip range(1000, 1005)",
    spec: pipe(
      [
        { id: "x", op: "range", start: 0, end: 5, numSlices: 2 },
        { id: "y", op: "range", start: 1000, end: 1005, numSlices: 2 },
        { op: "zip", inputs: ["x", "y"] },
      ],
      collect,
    ),
    expected: [
      [0, 1000],
      [1, 1001],
      [2, 1002],
      [3, 1003],
      [4, 1004],
    ],
  },
  {
    op: "zip",
    name: "with a map of itself, after a shuffle",
    spec: pipe([par([3, 1, 2], 2), { id: "s", op: "sortBy", fn: "x => x", numPartitions: 2 }, { id: "d", op: "map", input: "s", fn: "x => x * 10" }, { op: "zip", inputs: ["s", "d"] }], collect),
    expected: [
      [1, 10],
      [2, 20],
      [3, 30],
    ],
  },
  {
    op: "zip",
    name: "Spark's message for different partition counts",
    spec: pipe([par([1, 2], 2, "x"), par([1, 2], 3, "y"), { op: "zip", inputs: ["x", "y"] }], collect),
    error: /Can only zip with RDD which has the same number of partitions/,
  },
  {
    op: "zip",
    name: "Spark's message for different partition sizes",
    spec: pipe([par([1, 2, 3], 2, "x"), par([1, 2, 3, 4], 2, "y"), { op: "zip", inputs: ["x", "y"] }], collect),
    error: /Can only zip RDDs with same number of elements in each partition/,
  },
  {
    op: "zipWithUniqueId",
    name: "PySpark: [a, b, c, d, e] in 3 slices → ids 0, 1, 4, 2, 5",
    spec: pipe([par(["a", "b", "c", "d", "e"], 3), { op: "zipWithUniqueId" }], collect),
    expected: [
      ["a", 0],
      ["b", 1],
      ["c", 4],
      ["d", 2],
      ["e", 5],
    ],
  },
  {
    op: "zipWithUniqueId",
    name: "ids are unique after a filter empties a partition",
    spec: pipe([{ op: "range", start: 0, end: 9, numSlices: 3 }, { op: "filter", fn: "x => x < 3 || x > 5" }, { op: "zipWithUniqueId" }, { op: "values" }], collect),
    expected: [0, 3, 6, 2, 5, 8],
  },
  ...[1, 2, 3, 4].map(
    (depth): Case => ({
      op: "treeAggregate",
      name: `PySpark: [-5..4] in 10 slices, add, depth ${depth} → -5`,
      spec: pipe([par(range(-5, 5), 10)], { op: "treeAggregate", zeroValue: 0, seqOp: "(a, b) => a + b", combOp: "(a, b) => a + b", depth }),
      expected: -5,
    }),
  ),
  {
    op: "treeAggregate",
    name: "default depth 2 over 20 partitions (two levels): [sum, count]",
    spec: pipe([{ op: "range", start: 0, end: 100, numSlices: 20 }], {
      op: "treeAggregate",
      zeroValue: [0, 0],
      seqOp: "(a, x) => [a[0] + x, a[1] + 1]",
      combOp: "(a, b) => [a[0] + b[0], a[1] + b[1]]",
    }),
    expected: [4950, 100],
  },
  {
    op: "treeAggregate",
    name: "empty: each partition aggregates to the zero, as PySpark's (zero 7 over 3 slices → 21)",
    spec: pipe([par([], 3)], { op: "treeAggregate", zeroValue: 7, seqOp: "(a, b) => a + b", combOp: "(a, b) => a + b" }),
    expected: 21,
  },
  {
    op: "treeAggregate",
    name: "PySpark's message for depth 0",
    spec: pipe([par([1], 1)], { op: "treeAggregate", zeroValue: 0, seqOp: "(a, b) => a + b", combOp: "(a, b) => a + b", depth: 0 }),
    error: /Depth cannot be smaller than 1 but got 0/,
  },
  ...[1, 2, 5, 10].map(
    (depth): Case => ({
      op: "treeReduce",
      name: `PySpark: [-5..4] in 10 slices, add, depth ${depth} → -5`,
      spec: pipe([par(range(-5, 5), 10)], { op: "treeReduce", fn: "(a, b) => a + b", depth }),
      expected: -5,
    }),
  ),
  { op: "treeReduce", name: "empty partitions skipped: max over 30 slices of 4 records", spec: pipe([par([3, 9, 1, 4], 30)], { op: "treeReduce", fn: "(a, b) => Math.max(a, b)" }), expected: 9 },
  { op: "treeReduce", name: "empty: fails", spec: pipe([par([], 2)], { op: "treeReduce", fn: "(a, b) => a + b" }), error: emptyError("treeReduce") },
  {
    op: "repartitionAndSortWithinPartitions",
    name: "PySpark: 2 partitions by key % 2, ascending",
    spec: pipe(
      [
        par(
          [
            [0, 5],
            [3, 8],
            [2, 6],
            [0, 8],
            [3, 8],
            [1, 3],
          ],
          2,
        ),
        { op: "repartitionAndSortWithinPartitions", numPartitions: 2, partitionFunc: "k => k % 2", ascending: true },
        glom,
      ],
      collect,
    ),
    compare: sortedParts([
      [
        [0, 5],
        [0, 8],
        [2, 6],
      ],
      [
        [1, 3],
        [3, 8],
        [3, 8],
      ],
    ]),
  },
  {
    op: "repartitionAndSortWithinPartitions",
    name: "descending",
    spec: pipe(
      [
        par(
          [
            [0, 5],
            [3, 8],
            [2, 6],
            [0, 8],
            [3, 8],
            [1, 3],
          ],
          2,
        ),
        { op: "repartitionAndSortWithinPartitions", numPartitions: 2, partitionFunc: "k => k % 2", ascending: false },
        glom,
      ],
      collect,
    ),
    compare: sortedParts([
      [
        [2, 6],
        [0, 5],
        [0, 8],
      ],
      [
        [3, 8],
        [3, 8],
        [1, 3],
      ],
    ]),
  },
  {
    op: "repartitionAndSortWithinPartitions",
    name: "keyfunc: sorted by -k",
    spec: pipe(
      [
        par(
          [
            [0, 5],
            [3, 8],
            [2, 6],
            [0, 8],
            [3, 8],
            [1, 3],
          ],
          2,
        ),
        { op: "repartitionAndSortWithinPartitions", numPartitions: 2, partitionFunc: "k => k % 2", keyfunc: "k => -k" },
        glom,
      ],
      collect,
    ),
    compare: sortedParts([
      [
        [2, 6],
        [0, 5],
        [0, 8],
      ],
      [
        [3, 8],
        [3, 8],
        [1, 3],
      ],
    ]),
  },
  {
    op: "repartitionAndSortWithinPartitions",
    name: "hash partitioned by default: like partitionBy, each partition sorted",
    spec: pipe(
      [
        par(
          SHUFFLED.slice(0, 40).map((k) => [k, k * 2]),
          3,
        ),
        { op: "repartitionAndSortWithinPartitions", numPartitions: 3 },
        glom,
      ],
      collect,
    ),
    compare: (a, ctx) => {
      const parts = a as [number, number][][];
      const byPartitionBy = ctx.inline(
        pipe(
          [
            par(
              SHUFFLED.slice(0, 40).map((k) => [k, k * 2]),
              3,
            ),
            { op: "partitionBy", numPartitions: 3 },
            glom,
          ],
          collect,
        ),
      ) as [number, number][][];
      assert.deepStrictEqual(
        parts,
        byPartitionBy.map((p) => [...p].sort((x, y) => x[0] - y[0])),
      );
    },
  },
  { op: "foreach", name: "runs for its effects: value null", spec: pipe([par([1, 2, 3], 2)], { op: "foreach", fn: "x => x * 2" }), expected: null },
  {
    op: "foreach",
    name: "a throwing function fails the job with its message",
    spec: pipe([par([1, 2, 3], 2)], { op: "foreach", fn: "x => { if (x === 2) throw new Error('no 2 please'); }" }),
    error: /no 2 please/,
  },
  {
    op: "foreachPartition",
    name: "runs for its effects: value null",
    spec: pipe([par([1, 2, 3], 2)], { op: "foreachPartition", fn: "it => { let n = 0; for (const x of it) n += x; }" }),
    expected: null,
  },
  {
    op: "foreachPartition",
    name: "a generator's body runs to its end, and its throw fails the job",
    spec: pipe([par([1, 2, 3], 2)], { op: "foreachPartition", fn: "function* (it) { for (const x of it) if (x === 3) throw new Error('three!'); }" }),
    error: /three!/,
  },
  {
    op: "countApproxDistinct",
    name: "PySpark: range(1000) as strings → 900 < n < 1100",
    spec: pipe(
      [
        { op: "range", start: 0, end: 1000, numSlices: 4 },
        { op: "map", fn: "x => String(x)" },
      ],
      { op: "countApproxDistinct" },
    ),
    compare: between(900, 1100),
  },
  {
    op: "countApproxDistinct",
    name: "PySpark: i % 20 over range(1000) → 16 < n < 24",
    spec: pipe(
      [
        { op: "range", start: 0, end: 1000, numSlices: 4 },
        { op: "map", fn: "x => x % 20" },
      ],
      { op: "countApproxDistinct" },
    ),
    compare: between(16, 24),
  },
  {
    op: "countApproxDistinct",
    name: "relativeSD 0.01: 10000 distinct within 3%",
    spec: pipe(
      [
        { op: "range", start: 0, end: 20000, numSlices: 3 },
        { op: "map", fn: "x => x % 10000" },
      ],
      { op: "countApproxDistinct", relativeSD: 0.01 },
    ),
    compare: between(9700, 10300),
  },
  {
    op: "countApproxDistinct",
    name: "equal values count once however built; empty partitions add nothing",
    spec: pipe([par([{ a: 1, b: 2 }, { b: 2, a: 1 }, [1, 2], [1, 2], "s"], 5)], { op: "countApproxDistinct" }),
    expected: 3,
  },
  {
    op: "countApproxDistinct",
    name: "Spark's bound on relativeSD",
    spec: pipe([par([1], 1)], { op: "countApproxDistinct", relativeSD: 0.00001 }),
    error: /relativeSD should be greater than 0.000017/,
  },
  {
    op: "histogram",
    name: "PySpark: string buckets (a, b, c) over [ab, ac, b, bd, ef] → [2, 2]",
    spec: pipe([par(["ab", "ac", "b", "bd", "ef"], 2)], { op: "histogram", buckets: ["a", "b", "c"] }),
    expected: [
      ["a", "b", "c"],
      [2, 2],
    ],
  },
  { op: "histogram", name: "string buckets: a number record fails the job", spec: pipe([par(["a", 1], 2)], { op: "histogram", buckets: ["a", "b"] }), error: /string buckets needs string records/ },
  { op: "histogram", name: "PySpark's message for unsorted string buckets", spec: pipe([par(["a"], 1)], { op: "histogram", buckets: ["b", "a"] }), error: /buckets should be sorted/ },
  // -- issue 16: the missing RDD methods (takeSample, randomSplit, sampleByKey, pipe) and the sampler's Poisson fix
  {
    op: "sample",
    name: "with replacement, fraction 1000: ~2000 copies of 2 records (Knuth's draw underflowed and stopped near 745 each)",
    spec: pipe([par([1, 2], 1), { op: "sample", withReplacement: true, fraction: 1000, seed: 1 }], { op: "count" }),
    compare: (a) => {
      assert.ok((a as number) >= 2000 - 5 * Math.sqrt(2000) && (a as number) <= 2000 + 5 * Math.sqrt(2000), `${a} copies, not ~2000`);
    },
  },
  {
    op: "takeSample",
    name: "PySpark: range(10).takeSample(True, 20, 1) has 20 records",
    spec: pipe([par(range(0, 10), 3)], { op: "takeSample", withReplacement: true, num: 20, seed: 1 }),
    compare: takenSample({ size: 20, input: range(0, 10), distinct: false }),
  },
  {
    op: "takeSample",
    name: "PySpark: range(10).takeSample(False, 5, 2) has 5 distinct records",
    spec: pipe([par(range(0, 10), 3)], { op: "takeSample", withReplacement: false, num: 5, seed: 2 }),
    compare: takenSample({ size: 5, input: range(0, 10), distinct: true }),
  },
  {
    op: "takeSample",
    name: "PySpark: range(10).takeSample(False, 15, 3) is all 10 records, shuffled",
    spec: pipe([par(range(0, 10), 3)], { op: "takeSample", withReplacement: false, num: 15, seed: 3 }),
    compare: takenSample({ size: 10, input: range(0, 10), distinct: true }),
  },
  {
    op: "takeSample",
    name: "over 1000 records and 4 partitions, without replacement: 50 distinct, not the first 50",
    spec: pipe([{ op: "range", start: 0, end: 1000, numSlices: 4 }], { op: "takeSample", withReplacement: false, num: 50, seed: 9 }),
    compare: (a, ctx) => {
      takenSample({ size: 50, input: range(0, 1000), distinct: true })(a, ctx);
      assert.ok(
        (a as number[]).some((x) => x >= 250),
        "records of later partitions are drawn too",
      );
    },
  },
  {
    op: "takeSample",
    name: "an empty dataset: []",
    spec: pipe([par([1, 2], 2, "x"), { id: "none", op: "filter", input: "x", fn: "x => false" }], { op: "takeSample", withReplacement: true, num: 3, seed: 1 }),
    expected: [],
  },
  { op: "takeSample", name: "num 0: []", spec: pipe([par([1, 2], 2)], { op: "takeSample", withReplacement: false, num: 0, seed: 1 }), expected: [] },
  {
    op: "randomSplit",
    name: "PySpark: range(500).randomSplit([2, 3], 17): the splits are disjoint and cover the input",
    spec: pipe(
      [
        { op: "range", start: 0, end: 500, numSlices: 4, id: "r" },
        { id: "a", op: "randomSplit", input: "r", weights: [2, 3], seed: 17, index: 0 },
        { id: "b", op: "randomSplit", input: "r", weights: [2, 3], seed: 17, index: 1 },
        { op: "union", inputs: ["a", "b"] },
      ],
      collect,
    ),
    compare: (a) =>
      assert.deepStrictEqual(
        [...(a as number[])].sort((x, y) => x - y),
        range(0, 500),
      ),
  },
  {
    op: "randomSplit",
    name: "PySpark: 150 < split 0 count < 250 (weight 2 of 5), the same on every run",
    spec: pipe(
      [
        { op: "range", start: 0, end: 500, numSlices: 4 },
        { op: "randomSplit", weights: [2, 3], seed: 17, index: 0 },
      ],
      collect,
    ),
    compare: (a, ctx) => {
      const xs = a as number[];
      assert.ok(xs.length > 150 && xs.length < 250, `split 0 has ${xs.length} records`);
      assert.deepStrictEqual(xs, ctx.inline(ctx.spec), "the same seed splits alike on every runner");
    },
  },
  {
    op: "randomSplit",
    name: "PySpark's message: negative weights",
    spec: pipe([par([1]), { op: "randomSplit", weights: [-1, 2], seed: 1, index: 0 }], collect),
    error: /parameter "weights": Weights must be nonnegative/,
  },
  {
    op: "randomSplit",
    name: "an index past the weights",
    spec: pipe([par([1]), { op: "randomSplit", weights: [1, 1], index: 2 }], collect),
    error: /parameter "index" must be below the number of weights \(2\)/,
  },
  {
    op: "sampleByKey",
    name: "PySpark: ('a','b') × range(1000), fractions a 0.2, b 0.1: 100 < a < 300, 50 < b < 150",
    spec: pipe(
      [
        par(["a", "b"], 1, "k"),
        { id: "v", op: "range", start: 0, end: 1000, numSlices: 2 },
        { op: "cartesian", inputs: ["k", "v"] },
        { op: "sampleByKey", withReplacement: false, fractions: { a: 0.2, b: 0.1 }, seed: 2 },
      ],
      { op: "countByKey" },
    ),
    compare: (a, ctx) => {
      const counts = new Map(a as [string, number][]);
      assert.ok(counts.get("a")! > 100 && counts.get("a")! < 300, `a: ${counts.get("a")}`);
      assert.ok(counts.get("b")! > 50 && counts.get("b")! < 150, `b: ${counts.get("b")}`);
      assert.deepStrictEqual(a, ctx.inline(ctx.spec), "the same seed samples alike on every runner");
    },
  },
  {
    op: "sampleByKey",
    name: "fractions as [key, fraction] pairs, keys of any JSON: 1 keeps all, 0 none",
    spec: pipe(
      [
        par(
          [
            [[1, 2], "x"],
            [3, "y"],
            [[1, 2], "z"],
          ],
          2,
        ),
        {
          op: "sampleByKey",
          withReplacement: false,
          fractions: [
            [[1, 2], 1],
            [3, 0],
          ],
          seed: 5,
        },
      ],
      collect,
    ),
    expected: [
      [[1, 2], "x"],
      [[1, 2], "z"],
    ],
  },
  {
    op: "sampleByKey",
    name: "with replacement: about fraction × count copies per key",
    spec: pipe(
      [
        par(
          range(0, 400).map((i) => [i % 2, i]),
          2,
        ),
        {
          op: "sampleByKey",
          withReplacement: true,
          fractions: [
            [0, 3],
            [1, 0.5],
          ],
          seed: 4,
        },
      ],
      { op: "countByKey" },
    ),
    compare: (a) => {
      const counts = new Map(a as [number, number][]);
      assert.ok(Math.abs(counts.get(0)! - 600) < 5 * Math.sqrt(600), `key 0: ${counts.get(0)}`);
      assert.ok(Math.abs(counts.get(1)! - 100) < 5 * Math.sqrt(100), `key 1: ${counts.get(1)}`);
    },
  },
  {
    op: "sampleByKey",
    name: "a key with no fraction fails the job",
    spec: pipe(
      [
        par(
          [
            ["a", 1],
            ["c", 2],
          ],
          1,
        ),
        { op: "sampleByKey", withReplacement: false, fractions: { a: 0.5 }, seed: 1 },
      ],
      collect,
    ),
    error: /sampleByKey: key "c" has no fraction \(every key needs one\)/,
  },
  {
    op: "pipe",
    name: "PySpark: ['1', '2', '', '3'].pipe('cat') → ['1', '2', '', '3']",
    spec: pipe([par(["1", "2", "", "3"], 2), { op: "pipe", command: "cat" }], collect),
    expected: ["1", "2", "", "3"],
  },
  {
    op: "pipe",
    name: "per partition, env as the child's environment, records as text (non-strings as JSON)",
    spec: pipe([par(["a", 1, [2, "b"]], 2), { op: "pipe", command: ["sh", "-c", 'echo "$GREETING"; cat; echo end'], env: { GREETING: "hi" } }], collect),
    expected: ["hi", "a", "end", "hi", "1", '[2,"b"]', "end"],
  },
  {
    op: "pipe",
    name: "wc -l counts each partition's lines",
    spec: pipe([par(range(0, 10), 3), { op: "pipe", command: "wc -l" }, { op: "map", fn: "s => Number(s.trim())" }], collect),
    expected: [3, 3, 4],
  },
  {
    op: "pipe",
    name: "a non-zero exit fails the job (checkCode defaults to true)",
    spec: pipe([par(["x"], 1), { op: "pipe", command: ["sh", "-c", "echo oops >&2; exit 3"] }], collect),
    error: /Pipe function `sh -c echo oops >&2; exit 3' exited with error code 3; its stderr ends: oops/,
  },
  { op: "pipe", name: "checkCode false: the exit code is ignored", spec: pipe([par(["x"], 1), { op: "pipe", command: ["sh", "-c", "cat; exit 3"], checkCode: false }], collect), expected: ["x"] },
  {
    op: "collectPartition",
    name: "one partition's records (toLocalIterator's step): partition 1 of [[1], [2, 3], [4, 5]]",
    spec: pipe([par([1, 2, 3, 4, 5], 3)], { op: "collectPartition", partition: 1 }),
    expected: [2, 3],
  },
  {
    op: "collectPartition",
    name: "the other partitions are not read: a filter that throws on them does not fail the job",
    spec: pipe([par([1, 2, 3, 4, 5], 3), { op: "filter", fn: "x => { if (x !== 1) throw new Error('read ' + x); return true; }" }], { op: "collectPartition", partition: 0 }),
    expected: [1],
  },
  {
    op: "collectPartition",
    name: "a partition past the last fails the job",
    spec: pipe([par([1, 2], 2)], { op: "collectPartition", partition: 2 }),
    error: /collectPartition\(2\): the dataset has 2 partitions/,
  },
];

function emptyCases(): Case[] {
  // Two empty sources: parallelize([]) and a filter that keeps nothing (real tasks on real data).
  const sources: [string, Node[]][] = [
    ["parallelize([])", [par([], 2)]],
    [
      "range filtered to nothing",
      [
        { op: "range", start: 0, end: 20, numSlices: 3 },
        { op: "filter", fn: "x => x < 0" },
      ],
    ],
  ];
  const out: Case[] = [];
  for (const [label, nodes] of sources) {
    const on = (action: Node) => pipe(nodes, action);
    const fails = (op: string, action: Node = { op }): Case => ({ op, name: `empty (${label}): fails`, spec: on(action), error: emptyError(op) });
    out.push(
      fails("first"),
      fails("reduce", { op: "reduce", fn: "(a, b) => a + b" }),
      fails("min"),
      fails("max", { op: "max", fn: "x => -x" }),
      fails("mean"),
      fails("histogram", { op: "histogram", buckets: 3 }),
      { op: "count", name: `empty (${label}): 0`, spec: on({ op: "count" }), expected: 0 },
      { op: "take", name: `empty (${label}): []`, spec: on({ op: "take", num: 3 }), expected: [] },
      { op: "isEmpty", name: `empty (${label}): true`, spec: on({ op: "isEmpty" }), expected: true },
      { op: "fold", name: `empty (${label}): the zero`, spec: on({ op: "fold", zeroValue: 0, fn: "(a, b) => a + b" }), expected: 0 },
      { op: "sum", name: `empty (${label}): 0`, spec: on({ op: "sum" }), expected: 0 },
      {
        op: "stats",
        name: `empty (${label}): count 0`,
        spec: on({ op: "stats" }),
        compare: (a) => {
          const s = a as Record<string, unknown>;
          assert.equal(s.count, 0);
          assert.equal(s.sum, 0);
          assert.equal(s.variance, null);
        },
      },
      { op: "collect", name: `empty (${label}): []`, spec: on(collect), expected: [] },
      { op: "top", name: `empty (${label}): []`, spec: on({ op: "top", num: 2 }), expected: [] },
      { op: "countByValue", name: `empty (${label}): []`, spec: on({ op: "countByValue" }), expected: [] },
      {
        op: "histogram",
        name: `empty (${label}): explicit edges count zeros`,
        spec: on({ op: "histogram", buckets: [0, 5, 10] }),
        expected: [
          [0, 5, 10],
          [0, 0],
        ],
      },
    );
  }
  out.push(
    { op: "fold", name: "empty over 2 slices: zero 1 once per partition and once more → 3", spec: pipe([par([], 2)], { op: "fold", zeroValue: 1, fn: "(a, b) => a + b" }), expected: 3 },
    {
      op: "aggregate",
      name: "PySpark: empty → the zero (0, 0)",
      spec: pipe([par([], 2)], { op: "aggregate", zeroValue: [0, 0], seqOp: "(x, y) => [x[0] + y, x[1] + 1]", combOp: "(x, y) => [x[0] + y[0], x[1] + y[1]]" }),
      expected: [0, 0],
    },
  );
  return out;
}

// ---- running the table ------------------------------------------------------------

function check(c: Case, actual: unknown, ctx: Ctx): void {
  const compare = c.compare ?? "exact";
  if (compare === "exact") assert.deepStrictEqual(actual, c.expected);
  else if (compare === "unordered") assert.deepStrictEqual(sortCanon(actual), sortCanon(c.expected));
  else compare(actual, ctx);
}

function writeInputs(dataDir: string): void {
  for (const [rel, content] of Object.entries(FILES)) writeFile(dataDir, rel, content);
  fs.mkdirSync(join(dataDir, "parquet"), { recursive: true });
  fs.writeFileSync(join(dataDir, "parquet/t.parquet"), Buffer.from(SAMPLE_PARQUET_BASE64, "base64"));
}

const inlineDir = fs.mkdtempSync(join(os.tmpdir(), "minispark-ops-table-"));
writeInputs(inlineDir);
const inline = (spec: Spec): unknown => runInline(spec, { dataDir: inlineDir });
const spillDir = fs.mkdtempSync(join(os.tmpdir(), "minispark-ops-table-spill-"));
writeInputs(spillDir);

describe("the table", () => {
  it("covers every op and action of the registry, and names no other", () => {
    const covered = new Set(CASES.map((c) => c.op));
    const registered = opNames();
    assert.deepStrictEqual(
      registered.filter((op) => !covered.has(op)),
      [],
    );
    assert.deepStrictEqual(
      [...covered].filter((op) => !registered.includes(op)),
      [],
    );
  });
});

interface Runner {
  name: "inline" | "inline-spill" | "cluster";
  dataDir(): string;
  run(spec: Spec): Promise<unknown>;
  start?(): Promise<void>;
  stop?(): Promise<void>;
}

let cluster: TestCluster | undefined;

/** Like TestCluster.run, polling every 20 ms instead of 250 so that ~200 small jobs take seconds, not minutes. */
async function runOnCluster(t: TestCluster, spec: Spec): Promise<unknown> {
  const client = t.cluster.client;
  const job = await client.wait(await client.submit(spec), undefined, 20);
  if (job.status !== "COMPLETED") throw new JobFailedError(job);
  return (await client.results(job.id)).value;
}
const RUNNERS: Runner[] = [
  { name: "inline", dataDir: () => inlineDir, run: async (spec) => inline(spec) },
  // A 4 KiB budget: every aggregation, sort and shuffle write spills every few records.
  { name: "inline-spill", dataDir: () => spillDir, run: async (spec) => runInline(spec, { dataDir: spillDir, memoryBytes: 4096 }) },
  {
    name: "cluster",
    dataDir: () => cluster!.dataDir,
    run: (spec) => runOnCluster(cluster!, spec),
    start: async () => {
      cluster = await startTestCluster({ workers: 2, slots: 1 });
      writeInputs(cluster.dataDir);
    },
    stop: async () => {
      await cluster?.stop();
    },
  },
];

// The cluster cases compare samples with in-process runs: the inline data directory goes last.
after(() => {
  fs.rmSync(inlineDir, { recursive: true, force: true });
  fs.rmSync(spillDir, { recursive: true, force: true });
});

const byOp = new Map<string, Case[]>();
for (const c of CASES) byOp.set(c.op, [...(byOp.get(c.op) ?? []), c]);

for (const runner of RUNNERS) {
  const title = { inline: "runInline", "inline-spill": "runInline with 4 KiB of memory (spilling)", cluster: "a real cluster (2 workers × 1 slot)" };
  describe(`ops table on ${title[runner.name]}`, () => {
    if (runner.start) before(runner.start, { timeout: 60_000 });
    if (runner.stop) after(runner.stop);
    for (const [op, cases] of byOp) {
      describe(op, () => {
        for (const c of cases) {
          it(c.name, { timeout: 30_000 }, async () => {
            const ctx: Ctx = { runner: runner.name, dataDir: runner.dataDir(), spec: c.spec, inline };
            if (c.error) {
              await assert.rejects(runner.run(c.spec), (e: Error) => {
                assert.match(e.message, c.error!);
                return true;
              });
              return;
            }
            check(c, await runner.run(c.spec), ctx);
          });
        }
      });
    }
  });
}
