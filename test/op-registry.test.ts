// The op registry and the parameter schema builder every op rule declares its
// parameters with: canonical names and their spellings, own entries only,
// typed reads, the validator's messages, and the steps and results the rules
// plan being registered.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { boolean, fn, int, params, positive } from "../src/ops/params.js";
import { canonicalOpName, opNames, opRule, opSpellings, readsInputList, stepRule, type ParamType } from "../src/ops/registry.js";
import { OPS } from "./helpers/op-defs.js";
import { planJob } from "../src/planner/stage-planner.js";
import { childrenOf, type Rdd } from "../src/plan/physical.js";
import { validateJobSpec } from "../src/planner/validate.js";

const NONE = new Set<string>();
const VALUE: Record<Exclude<ParamType, object>, unknown> = {
  fn: "sum",
  int: 0,
  number: 0.5,
  count: 1,
  positive: 1,
  string: ",",
  boolean: false,
  array: [],
  json: 0,
  inputPath: "in.txt",
  outputPath: "out",
  command: "cat",
};

describe("params", () => {
  const schema = params({ fn: fn(), numPartitions: positive().partitions().maybe(), ascending: boolean().maybe(), step: int().maybe() }, (p) =>
    p.step === 0 ? ['parameter "step" must not be 0'] : [],
  );

  it("reads checked parameters as their types, under their canonical names from any spelling", () => {
    const { params: checked, problems } = schema.parse({ fn: "x => x", partitions: 3, ascending: false }, NONE, true);
    assert.deepEqual(problems, []);
    assert.deepEqual(schema.read(checked), { fn: "x => x", numPartitions: 3, ascending: false });
    assert.deepEqual(schema.parse({ fn: "sum", num_partitions: 2 }, NONE, true).params, { fn: "sum", numPartitions: 2 });
    assert.deepEqual(schema.spellings("numPartitions"), ["numPartitions", "num_partitions", "partitions"]);
  });

  it("says what is wrong in the validator's words, and runs the op's rules on what passed", () => {
    const { problems } = schema.parse({ numPartitions: 0, color: "red", step: 0, __proto__: 1 }, NONE, true);
    assert.deepEqual(problems, ['parameter "numPartitions" must be an integer >= 1', 'unknown parameter "color"', 'missing parameter "fn"', 'parameter "step" must not be 0']);
    assert.deepEqual(schema.parse({ fn: "x => x", numPartitions: 200_000 }, NONE, true).problems, ['parameter "numPartitions" must be at most 100000']);
    assert.deepEqual(schema.parse({ fn: "x => x", op: "map" }, new Set(["op"]), true).problems, []);
  });
});

describe("the registry", () => {
  it("knows ops by canonical name, own entries only, and maps older and snake_case names", () => {
    assert.equal(opRule("__proto__"), undefined);
    assert.equal(opRule("constructor"), undefined);
    assert.equal(opRule("map")?.kind, "narrow");
    assert.equal(canonicalOpName("read_json"), "jsonl");
    assert.equal(canonicalOpName("save_as_text_file"), "save");
    assert.equal(canonicalOpName("map_partitions_with_index"), "mapPartitionsWithIndex");
    assert.equal(canonicalOpName("__proto__"), "__proto__");
    assert.deepEqual(opSpellings("textFile"), ["textFile", "text_file", "read_text", "read_textfile"]);
  });

  it("has the client write an input list exactly for the ops that read several inputs", () => {
    assert.deepEqual(opNames().filter(readsInputList), [
      "union",
      "cartesian",
      "join",
      "leftOuterJoin",
      "rightOuterJoin",
      "fullOuterJoin",
      "cogroup",
      "subtract",
      "subtractByKey",
      "intersection",
      "zip",
    ]);
  });

  it("registers every step the rules plan: one of each op over parallelized pairs names none that is missing", () => {
    const steps = new Set<string>();
    const walk = (r: Rdd): void => {
      if (r.kind === "narrow") steps.add(r.op);
      childrenOf(r).forEach(walk);
    };
    const pairs = {
      id: "p",
      op: "parallelize",
      data: [
        [1, 2],
        [3, 4],
      ],
    };
    const withInputs = (op: string) => {
      const rule = opRule(op)!;
      const n = typeof rule.inputs === "number" ? rule.inputs : rule.inputs.min;
      return { id: "x", op, ...(n === 1 ? { input: "p" } : { inputs: Array.from({ length: n }, () => "p") }) };
    };
    /** A value of each required parameter's type; histogram's buckets must be a count >= 1, randomSplit's weights and sampleByKey's fractions must say something. */
    const SPECIAL: Record<string, unknown> = {
      "randomSplit.weights": [1, 1],
      "sampleByKey.fractions": [
        [1, 0.5],
        [3, 1],
      ],
    };
    const required = (op: string) =>
      Object.fromEntries(
        Object.entries(OPS[op]!.required).map(([name, type]) => [name, op === "histogram" ? 2 : (SPECIAL[`${op}.${name}`] ?? (typeof type === "object" ? type.enum[0]! : VALUE[type]))]),
      );
    for (const op of opNames()) {
      const rule = opRule(op)!;
      if (rule.kind === "source") continue;
      const spec =
        rule.kind === "action" ? { nodes: [pairs], action: { op, input: "p", ...required(op) } } : { nodes: [pairs, { ...withInputs(op), ...required(op) }], action: { op: "collect", input: "x" } };
      for (const stage of planJob(validateJobSpec(spec), { splits: {}, defaultParallelism: 2 }).stages) walk(stage.rdd);
    }
    assert.deepEqual(
      [...steps].filter((s) => stepRule(s) === undefined),
      [],
    );
    assert.ok(steps.has("pairWithNull") && steps.has("foldPartition") && steps.has("roundRobinKey"), [...steps].join());
  });
});
