// The JSON Schema (2020-12) of a JobSpec, generated from the ops table so that it
// cannot drift from what the validator accepts: every op under each name the
// validator takes (canonical, snake_case, older-style), every parameter under each
// spelling, with its type. It describes the shape only; what needs the whole job
// (dangling inputs, cycles, arity with edges) or a parser (function source, path
// rules) stays with validate.ts. schema/jobspec.schema.json is this, written by
// test/jobspec-schema.test.ts; editors read it through a job file's "$schema".
import { BUILTINS } from "./builtin-names.js";
import { LEGACY_OP_NAMES, OPS, type OpDef, type ParamType } from "./ops.js";
import { MAX_EDGES, MAX_NODES, MAX_PARTITIONS, MAX_TASK_RETRIES } from "./validate.js";

/** Where the schema is published with the package; stable across releases. */
export const JOBSPEC_SCHEMA_ID = "https://unpkg.com/minispark/schema/jobspec.schema.json";

type Schema = Record<string, unknown>;

const PARTITION_COUNTS = new Set(["numPartitions", "numSlices", "minPartitions"]);
const SAFE_INT = { type: "integer", minimum: Number.MIN_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER };

function camelToSnake(s: string): string {
  return s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** Every name the validator maps to `op`, canonical first. */
function opNames(op: string): string[] {
  const legacy = Object.entries(LEGACY_OP_NAMES).filter(([, to]) => to === op).map(([from]) => from);
  return [...new Set([op, camelToSnake(op), ...legacy])];
}

/** Every spelling of a parameter of `op`: its name, snake_case, and the older `partitions`/`sep`. */
function paramNames(name: string, op: string): string[] {
  const names = [name, camelToSnake(name)];
  if (PARTITION_COUNTS.has(name)) names.push("partitions");
  if (op === "csv" && name === "delimiter") names.push("sep");
  return [...new Set(names)];
}

function paramSchema(name: string, type: ParamType): Schema {
  if (typeof type === "object") return { enum: [...type.enum] };
  switch (type) {
    case "fn":
      return { type: "string", description: `JavaScript source of a function expression, e.g. "x => x * 2", or a built-in: ${Object.keys(BUILTINS).join(", ")}` };
    case "int":
      return { ...SAFE_INT };
    case "number":
      return { type: "number" };
    case "count":
      return { ...SAFE_INT, minimum: 0 };
    case "positive":
      return { ...SAFE_INT, minimum: 1, ...(PARTITION_COUNTS.has(name) ? { maximum: MAX_PARTITIONS } : {}) };
    case "string":
      return { type: "string" };
    case "boolean":
      return { type: "boolean" };
    case "array":
      return { type: "array" };
    case "json":
      return {};
    case "inputPath":
      return { description: "a path or glob relative to the data directory, or an array of them", anyOf: [{ type: "string" }, { type: "array", items: { type: "string" }, minItems: 1 }] };
    case "outputPath":
      return { type: "string", description: "a path under the outputs directory" };
  }
}

/** Rules of ops.ts/validate.ts on single parameters that a schema can say. */
function refine(op: string, name: string, schema: Schema): Schema {
  if (op === "range" && name === "step") return { ...schema, not: { const: 0 } };
  if (op === "sample" && name === "fraction") return { ...schema, minimum: 0 };
  if (op === "histogram" && name === "buckets") {
    return { anyOf: [{ ...SAFE_INT, minimum: 1 }, { type: "array", items: { type: "number" }, minItems: 2 }], description: "a bucket count, or the bucket edges in increasing order" };
  }
  return schema;
}

/** The properties and required parameters of one op, for a node or the action. */
function opSchema(op: string, def: OpDef, reserved: Schema): Schema {
  const properties: Schema = { ...reserved, op: { enum: opNames(op) } };
  const params = { ...def.required, ...def.optional };
  for (const [name, type] of Object.entries(params)) {
    for (const spelling of paramNames(name, op)) properties[spelling] = refine(op, name, paramSchema(name, type));
  }
  // A required parameter may come under any of its spellings.
  const required = Object.keys(def.required).map((name) => {
    const names = paramNames(name, op);
    return names.length === 1 ? { required: names } : { anyOf: names.map((n) => ({ required: [n] })) };
  });
  return { properties, additionalProperties: false, ...(required.length > 0 ? { allOf: required } : {}) };
}

/** Each op's rules, chosen by the value of "op" (if/then reports errors about the op actually named). */
function byOp(kinds: (def: OpDef) => boolean, reserved: Schema): Schema[] {
  return Object.entries(OPS)
    .filter(([, def]) => kinds(def))
    .map(([op, def]) => ({ if: { properties: { op: { enum: opNames(op) } }, required: ["op"] }, then: opSchema(op, def, reserved) }));
}

const env = { type: "object", description: "values the functions of this node need, passed as their last argument" };

export function jobSpecSchema(): Schema {
  const nodeOps = Object.entries(OPS).filter(([, d]) => d.kind !== "action").flatMap(([op]) => opNames(op));
  const actionOps = Object.entries(OPS).filter(([, d]) => d.kind === "action").flatMap(([op]) => opNames(op));
  const nodeReserved = {
    id: { type: "string", minLength: 1 },
    op: {},
    input: { type: "string", description: "the id of the node this one reads" },
    inputs: { type: "array", items: { type: "string" }, description: "the ids of the nodes this one reads (join, union, cogroup, …)" },
    env,
  };
  // The action's "id" and "inputs" are read as nothing and ignored by the validator.
  const actionReserved = { id: {}, op: {}, inputs: {}, input: { type: "string", description: "the id of the node whose records the action reads" }, env };
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    $id: JOBSPEC_SCHEMA_ID,
    title: "minispark JobSpec",
    description: "A minispark job: a DAG of nodes (sources and transformations) and one action (DESIGN.md section 3).",
    type: "object",
    required: ["nodes", "action"],
    properties: {
      $schema: { type: "string", description: "the path or URL of this schema, for editors; ignored by minispark" },
      name: { type: "string", maxLength: 200 },
      nodes: { type: "array", minItems: 1, maxItems: MAX_NODES, items: { $ref: "#/$defs/node" } },
      edges: {
        type: "array",
        maxItems: MAX_EDGES,
        description: "older style: [from, to] pairs instead of input/inputs",
        items: { type: "array", prefixItems: [{ type: "string" }, { type: "string" }], minItems: 2, maxItems: 2 },
      },
      action: { anyOf: [{ enum: actionOps }, { $ref: "#/$defs/action" }] },
      parallelism: { ...SAFE_INT, minimum: 1, maximum: MAX_PARTITIONS, description: "older style: the default partition count" },
      maxTaskRetries: { ...SAFE_INT, minimum: 1, maximum: MAX_TASK_RETRIES },
      taskTimeoutMs: { ...SAFE_INT, minimum: 1 },
    },
    $defs: {
      node: {
        type: "object",
        required: ["id", "op"],
        properties: { op: { enum: nodeOps } },
        not: { required: ["input", "inputs"] },
        allOf: byOp((d) => d.kind !== "action", nodeReserved),
      },
      action: {
        type: "object",
        required: ["op"],
        properties: { op: { enum: actionOps } },
        allOf: byOp((d) => d.kind === "action", actionReserved),
      },
    },
  };
}
