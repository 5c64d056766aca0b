// The built-in functions of src/functions/builtin-names.ts, each named as an op's or
// action's `fn` in a real job (never called directly): a table of built-ins-only
// jobs with exact expected values, run in-process through runInline and again on
// a real cluster started with --no-user-code on the master and the workers
// (DESIGN 3.1: jobs written only with built-ins run there). On that cluster a job
// with a user function is refused at submit time with 400, naming the node (or
// the action) and saying user code is disabled.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { JobFailedError } from "../src/client/rest-client.js";
import { runInline } from "../src/inline/inline-runner.js";
import { BUILTINS } from "../src/functions/builtin-names.js";
import { canonicalJson } from "../src/plan/keys.js";
import { startTestCluster, writeFile, type TestCluster } from "./helpers/cluster.js";
import { pipe as pipeAs, type Node, type Spec } from "./helpers/pipe.js";

interface Case {
  name: string;
  spec: Spec;
  expected: unknown;
  /** Records (and the values inside [k, [v…]] groups when "groups") in any order. */
  compare?: "exact" | "unordered" | "groups";
}

const pipe = (nodes: Node[], action: Node): Spec => pipeAs("builtins", nodes, action);

const par = (data: unknown[], numSlices = 2): Node => ({ op: "parallelize", data, numSlices });
const map = (fn: string): Node => ({ op: "map", fn });
const collect = { op: "collect" };

const canon = (x: unknown) => canonicalJson(x);
const sortCanon = (xs: unknown): unknown[] => [...(xs as unknown[])].sort((a, b) => (canon(a) < canon(b) ? -1 : canon(a) > canon(b) ? 1 : 0));

const TEXT = "The cat's hat.\nthe CAT, the hat!\n\nIt's 2024 — a cat\n";
const FILES: Record<string, string> = {
  "text/words.txt": TEXT,
  "text/ranked.txt": "d c b a\nb a c\na b\n\na\n",
  "text/padded.txt": "  x  \n\n y\n   \n",
};
const WORD_COUNTS = [
  ["the", 3],
  ["cat's", 1],
  ["hat", 2],
  ["cat", 2],
  ["it's", 1],
  ["2024", 1],
  ["a", 1],
];

/** tokenize + pair_with_one + sum: the built-ins-only word count. */
const wordCount = (path: string, action: Node = collect): Spec =>
  pipe([{ op: "textFile", path }, { op: "flatMap", fn: "tokenize" }, map("pair_with_one"), { op: "reduceByKey", fn: "sum", numPartitions: 3 }], action);

const CASES: Case[] = [
  { name: "word count: tokenize + pair_with_one + reduceByKey(sum)", spec: wordCount("text/words.txt"), expected: WORD_COUNTS, compare: "unordered" },
  {
    name: "descending by count: swap + sortByKey(negate) + swap",
    spec: pipe(
      [
        { op: "textFile", path: "text/ranked.txt" },
        { op: "flatMap", fn: "split_whitespace" },
        map("pair_with_one"),
        { op: "reduceByKey", fn: "sum" },
        map("swap"),
        { op: "sortByKey", fn: "negate", numPartitions: 2 },
        map("swap"),
      ],
      collect,
    ),
    expected: [
      ["a", 4],
      ["b", 3],
      ["c", 2],
      ["d", 1],
    ],
  },
  { name: "sortBy(negate): descending numbers", spec: pipe([par([3, 10, 1, 2], 3), { op: "sortBy", fn: "negate", numPartitions: 2 }], collect), expected: [10, 3, 2, 1] },
  { name: "sortBy(identity): ascending numbers", spec: pipe([par([3, 10, 1, 2], 3), { op: "sortBy", fn: "identity" }], collect), expected: [1, 2, 3, 10] },
  { name: "map(identity) keeps records", spec: pipe([par([null, [1], { a: "b" }]), map("identity")], collect), expected: [null, [1], { a: "b" }] },
  { name: "reduce(sum)", spec: pipe([{ op: "range", start: 1, end: 101, numSlices: 3 }], { op: "reduce", fn: "sum" }), expected: 5050 },
  { name: "fold(0, sum)", spec: pipe([par([1, 2, 3, 4], 3)], { op: "fold", zeroValue: 0, fn: "sum" }), expected: 10 },
  {
    name: "foldByKey(0, sum)",
    spec: pipe(
      [
        par([
          ["a", 1],
          ["b", 2],
          ["a", 3],
        ]),
        { op: "foldByKey", zeroValue: 0, fn: "sum" },
      ],
      collect,
    ),
    expected: [
      ["a", 4],
      ["b", 2],
    ],
    compare: "unordered",
  },
  {
    name: "aggregateByKey(0, count, sum): records per key",
    spec: pipe(
      [
        par(
          [
            ["a", "x"],
            ["b", "y"],
            ["a", "z"],
            ["a", "w"],
          ],
          3,
        ),
        { op: "aggregateByKey", zeroValue: 0, seqFunc: "count", combFunc: "sum" },
      ],
      collect,
    ),
    expected: [
      ["a", 3],
      ["b", 1],
    ],
    compare: "unordered",
  },
  { name: "aggregate(0, count, sum): records in all", spec: pipe([par(["p", "q", "r", "s", "t"], 3)], { op: "aggregate", zeroValue: 0, seqOp: "count", combOp: "sum" }), expected: 5 },
  {
    name: "reduceByKey(min): numbers numerically",
    spec: pipe(
      [
        par(
          [
            ["k", 10],
            ["k", 9],
            ["k", 100],
            ["j", -1],
          ],
          3,
        ),
        { op: "reduceByKey", fn: "min" },
      ],
      collect,
    ),
    expected: [
      ["k", 9],
      ["j", -1],
    ],
    compare: "unordered",
  },
  {
    name: "reduceByKey(max): numbers numerically",
    spec: pipe(
      [
        par(
          [
            ["k", 10],
            ["k", 9],
            ["k", 100],
            ["j", -1],
          ],
          3,
        ),
        { op: "reduceByKey", fn: "max" },
      ],
      collect,
    ),
    expected: [
      ["k", 100],
      ["j", -1],
    ],
    compare: "unordered",
  },
  { name: "reduce(min) on strings: code point order", spec: pipe([par(["b", "a", "é", "B"], 3)], { op: "reduce", fn: "min" }), expected: "B" },
  { name: "reduce(max) on strings: code point order", spec: pipe([par(["b", "a", "é", "B"], 3)], { op: "reduce", fn: "max" }), expected: "é" },
  {
    name: "reduceByKey(concat) of arrays",
    spec: pipe(
      [
        par(
          [
            ["a", [1]],
            ["b", [2]],
            ["a", [3, 4]],
          ],
          2,
        ),
        { op: "reduceByKey", fn: "concat" },
      ],
      collect,
    ),
    expected: [
      ["a", [1, 3, 4]],
      ["b", [2]],
    ],
    compare: "groups",
  },
  { name: "reduce(concat) of strings in one partition", spec: pipe([par(["a", "b", "c"], 1)], { op: "reduce", fn: "concat" }), expected: "abc" },
  {
    name: "groupByKey then mapValues(length)",
    spec: pipe(
      [
        par([
          ["a", 1],
          ["b", 1],
          ["a", 1],
        ]),
        { op: "groupByKey" },
        { op: "mapValues", fn: "length" },
      ],
      collect,
    ),
    expected: [
      ["a", 2],
      ["b", 1],
    ],
    compare: "unordered",
  },
  { name: "map(length) of strings and arrays", spec: pipe([par(["abc", [1, 2], ""]), map("length")], collect), expected: [3, 2, 0] },
  { name: "flatMap(split_whitespace) drops empty strings", spec: pipe([par(["  a  b\tc ", "", "d"]), { op: "flatMap", fn: "split_whitespace" }], collect), expected: ["a", "b", "c", "d"] },
  {
    name: "flatMap(tokenize): lower-cased letters, digits, apostrophes",
    spec: pipe([par(["Hello, World! It's 2024 — Ünïcode_x"]), { op: "flatMap", fn: "tokenize" }], collect),
    expected: ["hello", "world", "it's", "2024", "ünïcode", "x"],
  },
  { name: "map(to_lower), map(to_upper)", spec: pipe([par(["MiXed", "ÉTÉ"], 1), map("to_lower"), map("to_upper")], collect), expected: ["MIXED", "ÉTÉ"] },
  { name: "map(to_lower) alone", spec: pipe([par(["MiXed", "ÉTÉ"]), map("to_lower")], collect), expected: ["mixed", "été"] },
  {
    name: "map(trim) then filter(not_empty) over text lines",
    spec: pipe([{ op: "textFile", path: "text/padded.txt" }, map("trim"), { op: "filter", fn: "not_empty" }], collect),
    expected: ["x", "y"],
  },
  { name: "map(to_number)", spec: pipe([par(["1.5", "10", " 7 ", "-2e3"]), map("to_number")], { op: "sum" }), expected: 1.5 + 10 + 7 - 2000 },
  { name: "map(negate)", spec: pipe([par([1, -2, 0.5]), map("negate")], collect), expected: [-1, 2, -0.5] },
  { name: "takeOrdered with key negate: the largest", spec: pipe([par([5, 1, 9, 3], 2)], { op: "takeOrdered", num: 2, fn: "negate" }), expected: [9, 5] },
  { name: "max with key negate: the smallest", spec: pipe([par([5, 1, 9, 3], 2)], { op: "max", fn: "negate" }), expected: 1 },
  { name: "map(parse_csv): RFC 4180 quotes", spec: pipe([par(['a,"b,c",d', '"x ""q""",,', "1"]), map("parse_csv")], collect), expected: [["a", "b,c", "d"], ['x "q"', "", ""], ["1"]] },
  { name: "map(parse_json)", spec: pipe([par(['{"a":[1,2]}', "3", '"s"', "null"]), map("parse_json")], collect), expected: [{ a: [1, 2] }, 3, "s", null] },
  { name: "map(to_json)", spec: pipe([par([{ a: 1 }, [1, "x"], "s", null]), map("to_json")], collect), expected: ['{"a":1}', '[1,"x"]', '"s"', "null"] },
  { name: "parse_json then to_json round trip", spec: pipe([par(['{"k":[true,null]}']), map("parse_json"), map("to_json")], collect), expected: ['{"k":[true,null]}'] },
  {
    name: "map(pair_with_one)",
    spec: pipe([par(["a", ["b"]]), map("pair_with_one")], collect),
    expected: [
      ["a", 1],
      [["b"], 1],
    ],
  },
  {
    name: "map(swap)",
    spec: pipe(
      [
        par([
          ["a", 1],
          [2, "b"],
        ]),
        map("swap"),
      ],
      collect,
    ),
    expected: [
      [1, "a"],
      ["b", 2],
    ],
  },
  {
    name: "map(first): the keys",
    spec: pipe(
      [
        par([
          ["a", 1],
          ["b", 2],
        ]),
        map("first"),
      ],
      collect,
    ),
    expected: ["a", "b"],
  },
  {
    name: "map(second): the values",
    spec: pipe(
      [
        par([
          ["a", 1],
          ["b", 2],
        ]),
        map("second"),
      ],
      collect,
    ),
    expected: [1, 2],
  },
  {
    name: "keyBy(first) then groupByKey",
    spec: pipe(
      [
        par([
          ["a", 1],
          ["b", 2],
          ["a", 3],
        ]),
        { op: "keyBy", fn: "first" },
        { op: "mapValues", fn: "second" },
        { op: "groupByKey" },
      ],
      collect,
    ),
    expected: [
      ["a", [1, 3]],
      ["b", [2]],
    ],
    compare: "groups",
  },
  {
    name: "sortBy(second): pairs by value",
    spec: pipe(
      [
        par([
          ["a", 3],
          ["b", 1],
          ["c", 2],
        ]),
        { op: "sortBy", fn: "second" },
      ],
      collect,
    ),
    expected: [
      ["b", 1],
      ["c", 2],
      ["a", 3],
    ],
  },
  {
    name: 'filter(not_empty): "", null and [] go; 0, false, [0] stay',
    spec: pipe([par(["a", "", null, [], [0], 0, false, " "], 3), { op: "filter", fn: "not_empty" }], collect),
    expected: ["a", [0], 0, false, " "],
  },
];

function check(c: Case, actual: unknown): void {
  switch (c.compare ?? "exact") {
    case "exact":
      return assert.deepStrictEqual(actual, c.expected);
    case "unordered":
      return assert.deepStrictEqual(sortCanon(actual), sortCanon(c.expected));
    case "groups": {
      const norm = (xs: unknown) => sortCanon((xs as [unknown, unknown[]][]).map(([k, vs]) => [k, sortCanon(vs)]));
      return assert.deepStrictEqual(norm(actual), norm(c.expected));
    }
  }
}

/** Every fn-like parameter of a spec: fn, seqFunc, combFunc, seqOp, combOp, createCombiner, … */
function fnNames(spec: Spec): string[] {
  const fnParams = ["fn", "seqFunc", "combFunc", "seqOp", "combOp", "createCombiner", "mergeValue", "mergeCombiners"];
  return [...spec.nodes, spec.action].flatMap((n) => fnParams.map((p) => n[p]).filter((v): v is string => typeof v === "string"));
}

const inlineDir = fs.mkdtempSync(join(os.tmpdir(), "minispark-builtins-"));
for (const [rel, content] of Object.entries(FILES)) writeFile(inlineDir, rel, content);
after(() => fs.rmSync(inlineDir, { recursive: true, force: true }));

describe("the built-in table", () => {
  it("uses every built-in of builtin-names.ts, and only built-ins", () => {
    const used = new Set(CASES.flatMap((c) => fnNames(c.spec)));
    assert.deepStrictEqual(
      Object.keys(BUILTINS).filter((b) => !used.has(b)),
      [],
      "built-ins no case uses",
    );
    assert.deepStrictEqual(
      [...used].filter((f) => !(f in BUILTINS)),
      [],
      "user functions in a built-ins-only table",
    );
  });
});

describe("built-ins on runInline", () => {
  for (const c of CASES) it(c.name, () => check(c, runInline(c.spec, { dataDir: inlineDir })));

  it("a throwing built-in fails the job naming the node (parse_json on bad text)", () => {
    assert.throws(() => runInline(pipe([par(["{oops"], 1), { id: "parse", ...map("parse_json") }], collect), { dataDir: inlineDir }), /node "parse"/);
  });
});

describe("a cluster started with --no-user-code (master and workers)", () => {
  let t: TestCluster;
  before(
    async () => {
      t = await startTestCluster({ workers: 2, slots: 1, masterArgs: ["--no-user-code"], workerArgs: ["--no-user-code"] });
      for (const [rel, content] of Object.entries(FILES)) writeFile(t.dataDir, rel, content);
    },
    { timeout: 60_000 },
  );
  after(async () => {
    await t?.stop();
  });

  /** Submit and poll every 20 ms (TestCluster.run polls every 250 ms). */
  async function run(spec: Spec): Promise<unknown> {
    const client = t.cluster.client;
    const job = await client.wait(await client.submit(spec), undefined, 20);
    if (job.status !== "COMPLETED") throw new JobFailedError(job);
    return (await client.results(job.id)).value;
  }

  it("runs the built-ins-only word count, saving it", async () => {
    const value = (await run(wordCount("text/words.txt", { op: "save", path: "wc", format: "jsonl" }))) as { files: string[]; records: number };
    assert.deepStrictEqual(value.files, ["part-00000", "part-00001", "part-00002"]);
    assert.equal(value.records, WORD_COUNTS.length);
    const dir = join(t.dataDir, "outputs", "wc");
    const lines = value.files.flatMap((f) =>
      fs
        .readFileSync(join(dir, f), "utf8")
        .split("\n")
        .filter((l) => l !== ""),
    );
    assert.deepStrictEqual(sortCanon(lines.map((l) => JSON.parse(l))), sortCanon(WORD_COUNTS));
  });

  describe("every case of the built-in table", () => {
    for (const c of CASES) it(c.name, async () => check(c, await run(c.spec)));
  });

  it("refuses a node with a user function: 400 naming the node, user code disabled", async () => {
    const spec = pipe([par([1, 2, 3]), { id: "double", op: "map", fn: "x => x * 2" }], collect);
    const res = await t.http("/api/v1/jobs", { body: spec });
    assert.equal(res.status, 400, JSON.stringify(res.body));
    const message = res.body.error.message as string;
    assert.match(message, /node "double"/);
    assert.match(message, /user code is disabled/);
  });

  it("refuses a user function in any function parameter (aggregateByKey's combFunc)", async () => {
    const spec = pipe([par([["a", 1]]), { id: "agg", op: "aggregateByKey", zeroValue: 0, seqFunc: "count", combFunc: "(a, b) => a + b" }], collect);
    const res = await t.http("/api/v1/jobs", { body: spec });
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.match(res.body.error.message, /node "agg".*combFunc.*user code is disabled/s);
  });

  it("refuses a user function in the action, naming the action", async () => {
    const spec = pipe([par([1, 2, 3])], { op: "reduce", fn: "(a, b) => a + b" });
    const res = await t.http("/api/v1/jobs", { body: spec });
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.match(res.body.error.message, /action \(reduce\).*user code is disabled/s);
  });

  it("runs nothing for a refused spec: no job is listed for it", async () => {
    const before = ((await t.http("/api/v1/jobs")).body.jobs as unknown[]).length;
    const res = await t.http("/api/v1/jobs", { body: pipe([par([1])], { op: "max", fn: "x => -x" }) });
    assert.equal(res.status, 400);
    assert.equal(((await t.http("/api/v1/jobs")).body.jobs as unknown[]).length, before);
  });

  it("refuses pipe, which runs an external command: 400 naming the node, user code disabled", async () => {
    const spec = pipe([par(["x"]), { id: "piped", op: "pipe", command: "cat" }], collect);
    const res = await t.http("/api/v1/jobs", { body: spec });
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.match(res.body.error.message, /node "piped" \(pipe\): parameter "command" runs an external command, and this cluster runs built-ins only \(user code is disabled\)/);
  });
});
