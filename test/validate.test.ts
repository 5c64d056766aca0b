// Unit tests for JobSpec validation (src/planner/validate.ts) and its helpers: function-source, dag, ops and paths.
import { redactedSpecText } from "../src/plan/s3-settings.js";
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_MAX_TASK_RETRIES } from "../src/plan/spec-limits.js";
import { JobSpecError, validateJobSpec } from "../src/planner/validate.js";
import { checkFunctionSource } from "../src/plan/function-source.js";
import { topoSort } from "../src/plan/dag.js";
import { canonicalOpName, snakeToCamel } from "../src/ops/registry.js";
import { OPS } from "./helpers/op-defs.js";
import { checkRelativePath, pathProblem } from "../src/plan/paths.js";

/** The problems validateJobSpec reports for `spec` (fails the test if it accepts it). */
function problemsOf(spec: unknown): string[] {
  try {
    validateJobSpec(spec);
  } catch (e) {
    assert.ok(e instanceof JobSpecError, `expected a JobSpecError, got ${String(e)}`);
    assert.equal(e.name, "JobSpecError");
    assert.equal(e.message, e.problems.join("; "));
    return e.problems;
  }
  assert.fail("the spec was accepted");
}

const wordcount = {
  name: "wordcount",
  nodes: [
    { id: "lines", op: "textFile", path: "inputs/*.txt", minPartitions: 4 },
    { id: "words", op: "flatMap", input: "lines", fn: "line => line.split(/\\s+/).filter(w => w)" },
    { id: "pairs", op: "map", input: "words", fn: "w => [w, 1]" },
    { id: "counts", op: "reduceByKey", input: "pairs", fn: "(a, b) => a + b", numPartitions: 4 },
  ],
  action: { op: "save", input: "counts", path: "wordcount", format: "text" },
};

const src = (id: string, extra: Record<string, unknown> = {}) => ({ id, op: "parallelize", data: [1, 2, 3], ...extra });

describe("validateJobSpec: accepted specs", () => {
  it("turns the DESIGN.md example into a ValidJob", () => {
    assert.deepEqual(validateJobSpec(wordcount), {
      name: "wordcount",
      nodes: [
        { id: "lines", op: "textFile", inputs: [], params: { path: "inputs/*.txt", minPartitions: 4 }, env: {} },
        { id: "words", op: "flatMap", inputs: ["lines"], params: { fn: "line => line.split(/\\s+/).filter(w => w)" }, env: {} },
        { id: "pairs", op: "map", inputs: ["words"], params: { fn: "w => [w, 1]" }, env: {} },
        { id: "counts", op: "reduceByKey", inputs: ["pairs"], params: { fn: "(a, b) => a + b", numPartitions: 4 }, env: {} },
      ],
      action: { op: "save", input: "counts", params: { path: "wordcount", format: "text" }, env: {} },
      parallelism: null,
      maxTaskRetries: DEFAULT_MAX_TASK_RETRIES,
      taskTimeoutMs: null,
      application: null,
      s3: null,
    });
    assert.equal(DEFAULT_MAX_TASK_RETRIES, 3);
  });

  it("sorts nodes given in any order so every node follows its inputs", () => {
    const job = validateJobSpec({ ...wordcount, nodes: [...wordcount.nodes].reverse() });
    assert.deepEqual(
      job.nodes.map((n) => n.id),
      ["lines", "words", "pairs", "counts"],
    );
  });

  it("keeps env, parallelism and maxTaskRetries", () => {
    const job = validateJobSpec({
      parallelism: 6,
      maxTaskRetries: 5,
      nodes: [src("a"), { id: "b", op: "filter", input: "a", fn: "(x, env) => x > env.min", env: { min: 1 } }],
      action: { op: "take", input: "b", num: 2, env: { unused: [1] } },
    });
    assert.equal(job.parallelism, 6);
    assert.equal(job.maxTaskRetries, 5);
    assert.deepEqual(job.nodes[1]!.env, { min: 1 });
    assert.deepEqual(job.action, { op: "take", input: "b", params: { num: 2 }, env: { unused: [1] } });
  });

  it("names an unnamed job after its action", () => {
    assert.equal(validateJobSpec({ nodes: [src("a")], action: { op: "count", input: "a" } }).name, "count");
  });

  it("accepts the older style: edges, snake_case ops and params, partitions, implicit action input", () => {
    const job = validateJobSpec({
      parallelism: 3,
      nodes: [
        { id: "counts", op: "reduce_by_key", fn: "(a, b) => a + b", partitions: 2 },
        { id: "pairs", op: "map", fn: "w => [w, 1]" },
        { id: "words", op: "flat_map", fn: "l => l.split(' ')" },
        { id: "lines", op: "read_csv", path: "in.csv", sep: ";", partitions: 5, infer_schema: true },
      ],
      edges: [
        ["lines", "words"],
        ["words", "pairs"],
        ["pairs", "counts"],
      ],
      action: "collect",
    });
    assert.deepEqual(
      job.nodes.map((n) => [n.id, n.op, n.inputs, n.params]),
      [
        ["lines", "csv", [], { path: "in.csv", delimiter: ";", minPartitions: 5, inferSchema: true }],
        ["words", "flatMap", ["lines"], { fn: "l => l.split(' ')" }],
        ["pairs", "map", ["words"], { fn: "w => [w, 1]" }],
        ["counts", "reduceByKey", ["pairs"], { fn: "(a, b) => a + b", numPartitions: 2 }],
      ],
    );
    assert.deepEqual(job.action, { op: "collect", input: "counts", params: {}, env: {} });
    assert.equal(job.parallelism, 3);
  });

  it("maps legacy partitions to numSlices for parallelize and range", () => {
    const job = validateJobSpec({
      nodes: [
        { id: "p", op: "parallelize", data: [1], partitions: 2 },
        { id: "r", op: "range", start: 0, end: 10, partitions: 3 },
        { id: "u", op: "union", inputs: ["p", "r"] },
      ],
      action: { op: "count_by_value", input: "u" },
    });
    assert.deepEqual(
      job.nodes.map((n) => n.params),
      [{ data: [1], numSlices: 2 }, { start: 0, end: 10, numSlices: 3 }, {}],
    );
    assert.equal(job.action.op, "countByValue");
  });

  it("accepts every legacy file-source name", () => {
    for (const [legacy, op] of [
      ["read_text", "textFile"],
      ["read_textfile", "textFile"],
      ["text_file", "textFile"],
      ["read_jsonl", "jsonl"],
      ["read_json", "jsonl"],
    ]) {
      const job = validateJobSpec({ nodes: [{ id: "a", op: legacy, path: ["x.txt", "y/*.txt"] }], action: "count" });
      assert.equal(job.nodes[0]!.op, op, legacy);
    }
  });

  it("accepts functions written as arrows, function expressions and async functions", () => {
    for (const fn of ["x => x", "(x) => { return x; }", "function (x) { return x * 2; }", "function named(x) { return x; }", "async x => x", "  x => x  "]) {
      const job = validateJobSpec({ nodes: [src("a"), { id: "b", op: "map", input: "a", fn }], action: "collect" });
      assert.equal(job.nodes[1]!.params.fn, fn);
    }
  });
});

describe("validateJobSpec: rejected specs", () => {
  it("rejects a spec that is not an object or has no nodes", () => {
    assert.deepEqual(problemsOf(null), ["the job spec must be a JSON object"]);
    assert.deepEqual(problemsOf([1]), ["the job spec must be a JSON object"]);
    assert.deepEqual(problemsOf("{}"), ["the job spec must be a JSON object"]);
    assert.deepEqual(problemsOf({ action: "collect" }), ['"nodes" must be a non-empty array']);
    assert.deepEqual(problemsOf({ nodes: [], action: "collect" }), ['"nodes" must be a non-empty array']);
  });

  it("names the node and the problem for bad node shapes", () => {
    assert.deepEqual(
      problemsOf({
        nodes: [7, { op: "map" }, { id: "x" }, { id: "y", op: "frobnicate" }, { id: "z", op: "count" }, src("ok")],
        action: { op: "collect", input: "ok" },
      }),
      ["nodes[0] must be an object", 'nodes[1]: "id" must be a non-empty string', 'node "x": "op" must be a string', 'node "y": unknown op "frobnicate"', 'node "z": unknown op "count"'],
    );
  });

  it("rejects duplicate ids and dangling inputs", () => {
    assert.deepEqual(problemsOf({ nodes: [src("a"), src("a"), { id: "b", op: "map", input: "nope", fn: "x => x" }], action: { op: "collect", input: "b" } }), [
      'node "a": duplicate id',
      'node "b" (map): input "nope" is not a node of this job',
    ]);
  });

  it("checks the number of inputs", () => {
    assert.deepEqual(
      problemsOf({
        nodes: [
          src("a"),
          src("b"),
          { id: "s", op: "parallelize", data: [], input: "a" },
          { id: "m", op: "map", inputs: ["a", "b"], fn: "x => x" },
          { id: "n", op: "map", fn: "x => x" },
          { id: "j", op: "join", input: "a" },
          { id: "u", op: "union", inputs: ["a"] },
        ],
        action: { op: "collect", input: "a" },
      }),
      [
        'node "s" (parallelize): takes no input, got 1',
        'node "m" (map): takes exactly one input, got 2',
        'node "n" (map): takes exactly one input, got 0',
        'node "j" (join): takes exactly 2 inputs, got 1',
        'node "u" (union): takes at least 2 inputs, got 1',
      ],
    );
  });

  it("rejects inputs given two ways", () => {
    assert.deepEqual(
      problemsOf({
        nodes: [src("a"), { id: "b", op: "map", input: "a", inputs: ["a"], fn: "x => x" }, { id: "c", op: "map", input: "a", fn: "x => x" }],
        edges: [["a", "c"]],
        action: { op: "collect", input: "b" },
      }),
      ['node "b" (map): give either "input" or "inputs", not both', 'node "c" (map): inputs are given both by "edges" and by "input"/"inputs"'],
    );
  });

  it("rejects malformed input fields and edges", () => {
    assert.deepEqual(
      problemsOf({
        nodes: [src("a"), { id: "b", op: "map", input: 3, fn: "x => x" }, { id: "c", op: "union", inputs: "a" }],
        edges: [["a", "ghost"], ["a"], "a->b"],
        action: { op: "collect", input: "a" },
      }),
      [
        'edge ["a"] must be a pair of node ids ["from", "to"]',
        'edge "a->b" must be a pair of node ids ["from", "to"]',
        'node "b" (map): "input" must be a node id',
        'node "b" (map): takes exactly one input, got 0',
        'node "c" (union): "inputs" must be an array of node ids',
        'node "c" (union): takes at least 2 inputs, got 0',
        'edge ["a", "ghost"]: "ghost" is not a node of this job',
      ],
    );
    assert.deepEqual(problemsOf({ nodes: [src("a")], edges: {}, action: "collect" }), ['"edges" must be an array of [from, to] pairs']);
  });

  it("rejects unknown, missing and ill-typed parameters", () => {
    assert.deepEqual(
      problemsOf({
        nodes: [
          { id: "a", op: "parallelize", data: "nope", numSlices: 0, colour: "red" },
          { id: "b", op: "map", input: "a" },
          { id: "c", op: "reduceByKey", input: "b", fn: "x => x", numPartitions: 1.5 },
          { id: "d", op: "sortBy", input: "c", fn: "x => x", ascending: "yes" },
          { id: "e", op: "range", start: "0", step: 2 },
          { id: "f", op: "csv", path: "x.csv", delimiter: 1, header: 1 },
          { id: "g", op: "map", input: "a", fn: 42 },
          { id: "h", op: "map", input: "a", fn: "x => x", env: [1] },
        ],
        action: { op: "collect", input: "d" },
      }),
      [
        'node "a" (parallelize): parameter "data" must be an array',
        'node "a" (parallelize): parameter "numSlices" must be an integer >= 1',
        'node "a" (parallelize): unknown parameter "colour"',
        'node "b" (map): missing parameter "fn"',
        'node "c" (reduceByKey): parameter "numPartitions" must be an integer >= 1',
        'node "d" (sortBy): parameter "ascending" must be true or false',
        'node "e" (range): parameter "start" must be an integer',
        'node "f" (csv): parameter "delimiter" must be a string',
        'node "f" (csv): parameter "header" must be true or false',
        'node "g" (map): parameter "fn" must be the source of a function, e.g. "x => x * 2", or a built-in\'s name',
        'node "h" (map): "env" must be an object of the values its functions need',
      ],
    );
  });

  it("rejects functions that do not compile or are not a single function expression", () => {
    const fnProblem = (fn: string) => problemsOf({ nodes: [src("a"), { id: "b", op: "map", input: "a", fn }], action: "collect" });
    assert.match(fnProblem("x =>")[0]!, /^node "b" \(map\): parameter "fn" does not compile: /);
    assert.deepEqual(fnProblem("x => x; y"), ['node "b" (map): parameter "fn" does not compile: Unexpected token']);
    assert.deepEqual(fnProblem("1 + 2"), ['node "b" (map): parameter "fn" is not a function expression (found BinaryExpression); write e.g. "x => x * 2"']);
    assert.deepEqual(fnProblem("summ"), ['node "b" (map): parameter "fn" is not a function expression (found Identifier); write e.g. "x => x * 2"']);
  });

  it("rejects paths that are absolute or leave the data directory, for inputs and outputs", () => {
    const spec = (path: unknown, out: unknown = "out") => ({ nodes: [{ id: "t", op: "textFile", path }], action: { op: "save", input: "t", path: out } });
    assert.deepEqual(problemsOf(spec("/etc/passwd")), ['node "t" (textFile): parameter "path" "/etc/passwd" is absolute; paths are relative to the data directory']);
    assert.deepEqual(problemsOf(spec("C:\\data\\x.txt")), ['node "t" (textFile): parameter "path" "C:\\data\\x.txt" is absolute; paths are relative to the data directory']);
    assert.deepEqual(problemsOf(spec("a/../../x")), ['node "t" (textFile): parameter "path" "a/../../x" leaves the data directory']);
    assert.deepEqual(problemsOf(spec(["ok.txt", "{..,x}/secret"])), ['node "t" (textFile): parameter "path" "{..,x}/secret" leaves the data directory']);
    assert.deepEqual(problemsOf(spec([])), ['node "t" (textFile): parameter "path" must name at least one path']);
    assert.deepEqual(problemsOf(spec([1])), ['node "t" (textFile): parameter "path" must be a path or an array of paths']);
    assert.deepEqual(problemsOf(spec("in.txt", "../out")), ['action (save): parameter "path" "../out" leaves the data directory']);
    assert.deepEqual(problemsOf(spec("in.txt", ["out"])), ['action (save): parameter "path" must be a path']);
  });

  it("checks the action: presence, op, input and parameters", () => {
    const nodes = [src("a")];
    assert.deepEqual(problemsOf({ nodes }), ['"action" is missing: give e.g. {"op": "collect", "input": "<node id>"}']);
    assert.deepEqual(problemsOf({ nodes, action: { input: "a" } }), ['action: "op" must be a string']);
    assert.deepEqual(problemsOf({ nodes, action: { op: "map", input: "a" } }), ['action: unknown action "map"']);
    assert.deepEqual(problemsOf({ nodes, action: { op: "collect", input: "b" } }), ['action (collect): input "b" is not a node of this job']);
    assert.deepEqual(problemsOf({ nodes, action: { op: "take", input: "a" } }), ['action (take): missing parameter "num"']);
    assert.deepEqual(problemsOf({ nodes, action: { op: "take", input: "a", num: -1 } }), ['action (take): parameter "num" must be an integer >= 0']);
    assert.deepEqual(problemsOf({ nodes, action: { op: "save", input: "a", path: "o", format: "xml" } }), ['action (save): parameter "format" must be one of "text", "jsonl", "csv", "parquet"']);
    assert.deepEqual(problemsOf({ nodes, action: { op: "reduce", input: "a", fn: "nope(" } }).length, 1);
  });

  it("needs an explicit action input when the job has several final nodes", () => {
    assert.deepEqual(problemsOf({ nodes: [src("a"), src("b")], action: "collect" }), ['action (collect): "input" is missing and the job has 2 final nodes']);
  });

  it("checks parallelism, maxTaskRetries and name", () => {
    assert.deepEqual(problemsOf({ name: 5, parallelism: 0, maxTaskRetries: 1.5, nodes: [src("a")], action: "collect" }), [
      '"parallelism" must be an integer >= 1',
      '"maxTaskRetries" must be an integer >= 1',
      '"name" must be a string of at most 200 characters',
    ]);
    assert.deepEqual(problemsOf({ name: "x".repeat(201), nodes: [src("a")], action: "collect" }), ['"name" must be a string of at most 200 characters']);
    assert.equal(validateJobSpec({ name: "x".repeat(200), nodes: [src("a")], action: "collect" }).name.length, 200);
  });

  it("reports every problem at once, not just the first", () => {
    const problems = problemsOf({
      nodes: [src("a", { numSlices: -1 }), { id: "b", op: "mapp", input: "a" }],
      action: { op: "collect", input: "a" },
      parallelism: "many",
    });
    assert.deepEqual(problems, ['node "a" (parallelize): parameter "numSlices" must be an integer >= 1', 'node "b": unknown op "mapp"', '"parallelism" must be an integer >= 1']);
  });

  it("reports a cycle by the nodes on it, in data-flow order", () => {
    assert.deepEqual(
      problemsOf({
        nodes: [src("s"), { id: "x", op: "union", inputs: ["s", "z"] }, { id: "y", op: "map", input: "x", fn: "v => v" }, { id: "z", op: "map", input: "y", fn: "v => v" }],
        action: { op: "collect", input: "z" },
      }),
      ["the nodes form a cycle: y → z → x → y"],
    );
    assert.deepEqual(problemsOf({ nodes: [{ id: "a", op: "map", input: "a", fn: "v => v" }], action: { op: "collect", input: "a" } }), ["the nodes form a cycle: a → a"]);
  });
});

describe("topoSort", () => {
  it("orders every node after its inputs, stable in the written order", () => {
    const nodes = [
      { id: "d", inputs: ["b", "c"] },
      { id: "c", inputs: ["a"] },
      { id: "b", inputs: ["a"] },
      { id: "a", inputs: [] },
      { id: "e", inputs: [] },
    ];
    const r = topoSort(nodes);
    assert.ok(r.ok);
    assert.deepEqual(
      r.order.map((n) => n.id),
      ["a", "e", "c", "b", "d"],
    );
  });

  it("handles a node that reads the same input twice", () => {
    const r = topoSort([
      { id: "j", inputs: ["a", "a"] },
      { id: "a", inputs: [] },
    ]);
    assert.ok(r.ok);
    assert.deepEqual(
      r.order.map((n) => n.id),
      ["a", "j"],
    );
  });

  it("finds a cycle downstream of sorted nodes and behind unsorted ones", () => {
    const r = topoSort([
      { id: "src", inputs: [] },
      { id: "after", inputs: ["p"] },
      { id: "p", inputs: ["src", "q"] },
      { id: "q", inputs: ["p"] },
    ]);
    assert.deepEqual(r, { ok: false, cycle: ["q", "p", "q"] });
  });
});

describe("checkFunctionSource", () => {
  it("accepts single function expressions", () => {
    for (const s of ["x => x * 2", "(a, b) => a + b", "function (x) { return x; }", "({ a }) => a", "async function* g() {}", "() => ({})"]) {
      assert.equal(checkFunctionSource(s), null, s);
    }
  });

  it("accepts a parenthesized function expression", () => {
    assert.equal(checkFunctionSource("(x => x)"), null);
    assert.equal(checkFunctionSource("(function (x) { return x; })"), null);
  });

  it("accepts a trailing comment, which the worker compiles fine", () => {
    assert.equal(checkFunctionSource("x => x * 2 // double it"), null);
    assert.equal(checkFunctionSource("x => x /* identity */"), null);
  });

  it("explains what is wrong otherwise", () => {
    assert.equal(checkFunctionSource("x => x; x"), "does not compile: Unexpected token");
    assert.equal(checkFunctionSource("x => x, 1"), 'is not a function expression (found SequenceExpression); write e.g. "x => x * 2"');
    assert.equal(checkFunctionSource('"x => x"'), 'is not a function expression (found Literal); write e.g. "x => x * 2"');
    assert.equal(checkFunctionSource("f(x)"), 'is not a function expression (found CallExpression); write e.g. "x => x * 2"');
    assert.match(checkFunctionSource("")!, /^does not compile: /);
    assert.match(checkFunctionSource("function {")!, /^does not compile: /);
  });
});

describe("ops", () => {
  it("maps op names to canonical ones", () => {
    assert.equal(canonicalOpName("map"), "map");
    assert.equal(canonicalOpName("flat_map"), "flatMap");
    assert.equal(canonicalOpName("reduce_by_key"), "reduceByKey");
    assert.equal(canonicalOpName("sort_by_key"), "sortByKey");
    assert.equal(canonicalOpName("left_outer_join"), "leftOuterJoin");
    assert.equal(canonicalOpName("read_csv"), "csv");
    assert.equal(canonicalOpName("read_text"), "textFile");
    assert.equal(canonicalOpName("count_by_value"), "countByValue");
    assert.equal(canonicalOpName("no_such_op"), "no_such_op");
    assert.equal(snakeToCamel("map_partitions_with_index"), "mapPartitionsWithIndex");
    assert.equal(snakeToCamel("a_1"), "a1");
  });

  it("declares every op with a kind, an arity and typed parameters", () => {
    assert.equal(OPS.textFile!.kind, "source");
    assert.equal(OPS.map!.kind, "narrow");
    assert.equal(OPS.reduceByKey!.kind, "wide");
    assert.equal(OPS.collect!.kind, "action");
    assert.deepEqual(OPS.union!.inputs, { many: true, min: 2 });
    assert.equal(OPS.join!.inputs, 2);
    assert.deepEqual(OPS.parallelize!.required, { data: "array" });
    for (const [name, def] of Object.entries(OPS)) {
      if (def.kind === "source") assert.equal(def.inputs, 0, name);
      if (def.kind === "action") assert.equal(def.inputs, 1, name);
      for (const p of Object.keys(def.required)) assert.ok(!(p in def.optional), `${name}.${p} is both required and optional`);
    }
  });
});

describe("paths", () => {
  it("accepts relative paths and globs inside the data directory", () => {
    for (const p of ["a.txt", "dir/*.txt", "dir/**/x", "./a", "a..b/c", "{a,b}/c", "x/..y"]) assert.equal(pathProblem(p), null, p);
  });

  it("rejects empty, NUL, absolute and escaping paths", () => {
    assert.equal(pathProblem(""), "is empty");
    assert.equal(pathProblem("a\0b"), "contains a NUL byte");
    assert.equal(pathProblem("/a"), "is absolute; paths are relative to the data directory");
    assert.equal(pathProblem("\\\\server\\share"), "is absolute; paths are relative to the data directory");
    assert.equal(pathProblem("D:/x"), "is absolute; paths are relative to the data directory");
    assert.equal(pathProblem(".."), "leaves the data directory");
    assert.equal(pathProblem("a/.."), "leaves the data directory");
    assert.equal(pathProblem("a\\..\\..\\b"), "leaves the data directory");
    assert.equal(pathProblem("{x,..}/y"), "leaves the data directory");
    assert.equal(checkRelativePath("../x"), '"../x" leaves the data directory');
    assert.equal(checkRelativePath("ok"), null);
  });

  it("rejects a path component longer than a file name can be, counted in bytes", () => {
    assert.equal(pathProblem(`d/${"a".repeat(255)}`), null);
    assert.equal(pathProblem(`d/${"a".repeat(256)}/x`), "has a component of 256 bytes; file names are at most 255");
    assert.equal(pathProblem(`${"é".repeat(128)}`), "has a component of 256 bytes; file names are at most 255");
  });
});

describe("validateJobSpec: built-in functions and --no-user-code", () => {
  const spec = (fn: string) => ({
    nodes: [
      { id: "a", op: "parallelize", data: ["x"] },
      { id: "b", op: "flatMap", input: "a", fn },
    ],
    action: { op: "reduce", input: "b", fn: "concat" },
  });

  it("accepts a built-in by name anywhere a function goes", () => {
    assert.equal(validateJobSpec(spec("tokenize")).nodes[1]!.params.fn, "tokenize");
    assert.equal(validateJobSpec(spec("tokenize"), { userCode: false }).action.params.fn, "concat");
  });

  it("with user code disabled, refuses any function source and names the built-ins", () => {
    assert.throws(
      () => validateJobSpec(spec("x => [x]"), { userCode: false }),
      (e: JobSpecError) => /node "b" \(flatMap\): parameter "fn" names no built-in function, and this cluster runs built-ins only .*built-ins: identity, sum, count/.test(e.message),
    );
  });

  it("with user code disabled, refuses pipe (a command is code); with it, checks the command splits", () => {
    const piped = (command: unknown) => ({
      nodes: [
        { id: "a", op: "parallelize", data: ["x"] },
        { id: "p", op: "pipe", input: "a", command },
      ],
      action: { op: "collect", input: "p" },
    });
    assert.deepEqual(validateJobSpec(piped(["cat", "-"])).nodes[1]!.params.command, ["cat", "-"]);
    assert.throws(
      () => validateJobSpec(piped("cat"), { userCode: false }),
      (e: JobSpecError) => /node "p" \(pipe\): parameter "command" runs an external command, and this cluster runs built-ins only \(user code is disabled\)/.test(e.message),
    );
    assert.throws(
      () => validateJobSpec(piped("echo 'open")),
      (e: JobSpecError) => /parameter "command" cannot run: the command "echo 'open" cannot be split: No closing quotation/.test(e.message),
    );
    assert.throws(
      () => validateJobSpec(piped([])),
      (e: JobSpecError) => /parameter "command" cannot run: the command is empty/.test(e.message),
    );
    assert.throws(
      () => validateJobSpec(piped([1])),
      (e: JobSpecError) => /parameter "command" must be a command line or an array of its words/.test(e.message),
    );
  });
});

describe("validateJobSpec: application", () => {
  const spec = (application?: unknown) => ({ nodes: [{ id: "a", op: "range", start: 3 }], action: { op: "count", input: "a" }, ...(application === undefined ? {} : { application }) });

  it("takes an application id as the master makes them, and none by default", () => {
    assert.equal(validateJobSpec(spec("app-0m4x1k2qz-3f9a1c")).application, "app-0m4x1k2qz-3f9a1c");
    assert.equal(validateJobSpec(spec()).application, null);
  });

  it("refuses anything else, naming the field", () => {
    for (const bad of [7, null, "", "app-1-2", "app-0m4x1k2qz-3f9a1c/../x", "APP-0M4X1K2QZ-3F9A1C", `app-0m4x1k2qz-3f9a1c${"x".repeat(1e6)}`, ["app-0m4x1k2qz-3f9a1c"]]) {
      assert.throws(
        () => validateJobSpec(spec(bad)),
        (e: JobSpecError) => /"application" must be an application id/.test(e.message),
        String(bad).slice(0, 40),
      );
    }
  });
});

describe("validateJobSpec: a job's S3 settings", () => {
  const spec = (s3: unknown) => ({ nodes: [{ id: "t", op: "textFile", path: "s3://bucket/x/*.txt" }], action: { op: "count", input: "t" }, s3 });
  const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

  it("keeps the settings given", () => {
    const s3 = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: secret, region: "eu-west-1", endpoint: "http://127.0.0.1:9000" };
    assert.deepEqual(validateJobSpec(spec(s3)).s3, s3);
  });

  it("names the setting that is wrong and never quotes a value", () => {
    const cases: [unknown, RegExp][] = [
      ["text", /"s3" must be an object/],
      [{ secretAccessKey: secret }, /accessKeyId and secretAccessKey together/],
      [{ accessKeyId: "AKID", secretAccessKey: secret, sessionToken: 7 }, /"s3"."sessionToken" must be a non-empty string/],
      [{ accessKeyId: "AKID", secretAccessKey: secret, password: secret }, /unknown setting "password"/],
      [{ endpoint: `ftp://${secret}` }, /"s3"."endpoint" must be an http:\/\/ or https:\/\/ URL/],
      [{ region: "x".repeat(9000) }, /at most 8192 characters/],
    ];
    for (const [s3, pattern] of cases) {
      assert.throws(
        () => validateJobSpec(spec(s3)),
        (e: Error) => {
          assert.match(e.message, pattern);
          assert.ok(!e.message.includes(secret), e.message);
          return true;
        },
      );
    }
  });

  it("a stored spec holds a marker instead, which refuses to run with the reason", () => {
    const stored = JSON.parse(redactedSpecText(spec({ accessKeyId: "AKID", secretAccessKey: secret })));
    assert.ok(!JSON.stringify(stored).includes(secret));
    assert.throws(() => validateJobSpec(stored), /held only in the memory of the master that accepted it .* submit it again/);
    assert.equal(redactedSpecText({ nodes: [] }), JSON.stringify({ nodes: [] }), "a spec without settings is stored as it is");
  });
});
