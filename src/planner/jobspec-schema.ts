// The JSON Schema (2020-12) of a JobSpec, generated from the op registry so that it
// cannot drift from what the validator accepts: every op under each name the
// validator takes (canonical, snake_case, older-style), every parameter under each
// spelling, with the schema its rule gives it (src/ops/params.ts). It describes the shape only; what needs the whole job
// (dangling inputs, cycles, arity with edges) or a parser (function source, path
// rules) stays with validate.ts. schema/jobspec.schema.json is this, written by
// test/jobspec-schema.test.ts; editors read it through a job file's "$schema".
import { MAX_S3_SETTING_CHARS, S3_ENDPOINT_PATTERN, S3_SETTING_NAMES } from "../plan/s3-settings.js";
import type { Op } from "../ops/op-rule.js";
import type { JsonSchema as Schema } from "../ops/params.js";
import { opNames, opRule, opSpellings } from "../ops/registry.js";
import { MAX_PARTITIONS, MAX_TASK_RETRIES } from "../plan/spec-limits.js";
import { MAX_EDGES, MAX_NODES } from "./validate.js";
import { APP_ID_PATTERN } from "../common/ids.js";
import { STORAGE_LEVELS } from "../plan/storage-level.js";

/** Where the schema is published with the package; stable across releases. */
export const JOBSPEC_SCHEMA_ID = "https://unpkg.com/minispark/schema/jobspec.schema.json";

const SAFE_INT = { type: "integer", minimum: Number.MIN_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER };

/** The properties and required parameters of one op, for a node or the action; each parameter's schema is its rule's. */
function opSchema(op: string, def: Op, reserved: Schema): Schema {
  const properties: Schema = { ...reserved, op: { enum: opSpellings(op) } };
  const fields = Object.entries(def.params.fields);
  // Required parameters first, as they are listed in messages.
  for (const [name, field] of [...fields.filter(([, f]) => !f.optional), ...fields.filter(([, f]) => f.optional)]) {
    for (const spelling of def.params.spellings(name)) properties[spelling] = field.jsonSchema();
  }
  // A required parameter may come under any of its spellings.
  const required = fields
    .filter(([, f]) => !f.optional)
    .map(([name]) => {
      const names = def.params.spellings(name);
      return names.length === 1 ? { required: names } : { anyOf: names.map((n) => ({ required: [n] })) };
    });
  return { properties, additionalProperties: false, ...(required.length > 0 ? { allOf: required } : {}) };
}

function rules(actions: boolean): [string, Op][] {
  return opNames()
    .map((op): [string, Op] => [op, opRule(op)!])
    .filter(([, def]) => (def.kind === "action") === actions);
}

/** Each op's rules, chosen by the value of "op" (if/then reports errors about the op actually named). */
function byOp(actions: boolean, reserved: Schema): Schema[] {
  // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then, not a thenable
  return rules(actions).map(([op, def]) => ({ if: { properties: { op: { enum: opSpellings(op) } }, required: ["op"] }, then: opSchema(op, def, reserved) }));
}

const env = { type: "object", description: "values the functions of this node need, passed as their last argument" };

export function jobSpecSchema(): Schema {
  const nodeOps = rules(false).flatMap(([op]) => opSpellings(op));
  const actionOps = rules(true).flatMap(([op]) => opSpellings(op));
  const nodeReserved = {
    id: { type: "string", minLength: 1 },
    op: {},
    input: { type: "string", description: "the id of the node this one reads" },
    inputs: { type: "array", items: { type: "string" }, description: "the ids of the nodes this one reads (join, union, cogroup, …)" },
    env,
    persist: { enum: [...STORAGE_LEVELS], description: "keep this node's dataset for later jobs of the job's \"application\" (needs one)" },
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
      application: { type: "string", pattern: APP_ID_PATTERN.source, description: "the application the job belongs to, as POST /api/v1/apps returned its id; it must be ACTIVE" },
      s3: {
        type: "object",
        additionalProperties: false,
        description: "the job's own S3 settings, over each worker's AWS environment and files; held in the master's memory only, never stored or shown",
        properties: Object.fromEntries(S3_SETTING_NAMES.map((name) => [name, { type: "string", maxLength: MAX_S3_SETTING_CHARS, pattern: name === "endpoint" ? S3_ENDPOINT_PATTERN.source : "\\S" }])),
        dependentRequired: { accessKeyId: ["secretAccessKey"], secretAccessKey: ["accessKeyId"], sessionToken: ["accessKeyId"] },
      },
    },
    $defs: {
      node: {
        type: "object",
        required: ["id", "op"],
        properties: { op: { enum: nodeOps } },
        not: { required: ["input", "inputs"] },
        allOf: byOp(false, nodeReserved),
      },
      action: {
        type: "object",
        required: ["op"],
        properties: { op: { enum: actionOps } },
        allOf: byOp(true, actionReserved),
      },
    },
  };
}
