// schema/jobspec.schema.json, the JSON Schema editors validate job files with: it is
// the one generated from the ops table, a valid 2020-12 schema, and it agrees with the
// validator — on the examples, and on every spec the validator, stage-planner and
// scheduler suites feed validateJobSpec (recorded as they run, test/helpers/record-specs.ts):
// what the validator accepts the schema accepts, what it refuses for its shape the schema
// refuses too. Refusals that need the whole job or a parser (dangling inputs, cycles,
// arity, function source, path rules) are the validator's alone.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import { dirname, join, resolve } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import Ajv2020 from "ajv/dist/2020.js";
import { JOBSPEC_SCHEMA_ID, jobSpecSchema } from "../src/planner/jobspec-schema.js";
import { validateJobSpec } from "../src/planner/validate.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SCHEMA_FILE = join(ROOT, "schema", "jobspec.schema.json");
const RECORDED_SUITES = ["validate", "stage-planner", "scheduler"];

// strictRequired off: a required parameter may be given under any of its spellings (anyOf of required).
const ajv = new Ajv2020.default({ strict: true, strictRequired: false, allErrors: true });
const schemaValid = ajv.compile(jobSpecSchema());

/** Problems that need more than the spec's shape to find. */
const SEMANTIC =
  /not a node of this job|duplicate id|does not compile|not a function expression|names no built-in|takes (no input|exactly|at least)|form a cycle|leaves the data directory|is absolute|is missing and the job has|nodes deep|at most \d+ (nodes|inputs|deep)|has a component of|NUL byte|is empty|characters long|strictly increasing|hidden|outputs directory|more than the limit|without replacement|more (problems|bad edges)|runs an external command|cannot be split/;

function accepts(spec: unknown, userCode = true): boolean {
  try {
    validateJobSpec(spec, { userCode });
    return true;
  } catch {
    return false;
  }
}

describe("the JobSpec JSON Schema", () => {
  it("is the file in schema/, generated from the ops table (MINISPARK_WRITE_SCHEMA=1 rewrites it)", () => {
    const generated = `${JSON.stringify(jobSpecSchema(), null, 2)}\n`;
    if (process.env.MINISPARK_WRITE_SCHEMA === "1") fs.writeFileSync(SCHEMA_FILE, generated);
    assert.equal(fs.readFileSync(SCHEMA_FILE, "utf8"), generated, "schema/jobspec.schema.json is stale: rerun this test with MINISPARK_WRITE_SCHEMA=1");
    assert.equal(JSON.parse(generated).$id, JOBSPEC_SCHEMA_ID);
    assert.ok(ajv.validateSchema(JSON.parse(generated)), "a valid 2020-12 schema");
  });

  it("accepts every example, whose $schema names the schema file; the validator ignores $schema", () => {
    const examples = fs.readdirSync(join(ROOT, "examples")).filter((f) => f.endsWith(".json"));
    assert.ok(examples.length >= 4);
    for (const f of examples) {
      const spec = JSON.parse(fs.readFileSync(join(ROOT, "examples", f), "utf8")) as Record<string, unknown>;
      assert.equal(resolve(join(ROOT, "examples"), spec.$schema as string), SCHEMA_FILE, `${f}: "$schema" is the schema's path`);
      assert.ok(schemaValid(spec), `${f}: ${ajv.errorsText(schemaValid.errors)}`);
      const { $schema: _, ...without } = spec;
      assert.deepEqual(validateJobSpec(spec), validateJobSpec(without), `${f}: $schema changes nothing`);
    }
  });

  it("agrees with the validator on the specs of the validator, planner and scheduler suites", () => {
    const dir = fs.mkdtempSync(join(os.tmpdir(), "minispark-specs-"));
    const log = join(dir, "specs.jsonl");
    try {
      const recorder = join(dirname(fileURLToPath(import.meta.url)), "helpers", "record-specs.js");
      execFileSync(process.execPath, ["--import", recorder, "--test", ...RECORDED_SUITES.map((s) => join(ROOT, "dist", "test", `${s}.test.js`))], {
        // Without NODE_TEST_CONTEXT, which would make the inner runner report to this one instead of running.
        env: { ...process.env, NODE_TEST_CONTEXT: undefined, MINISPARK_SPEC_LOG: log },
        stdio: "ignore",
        timeout: 60_000,
      });
      const records = fs
        .readFileSync(log, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { accepted: boolean; userCode: boolean; problems: string[]; spec: unknown })
        // JSON drops undefined members: keep the specs whose verdict survived the round trip.
        .filter((r) => accepts(r.spec, r.userCode) === r.accepted);
      const accepted = records.filter((r) => r.accepted);
      const byShape = records.filter((r) => !r.accepted && r.problems.some((p) => !SEMANTIC.test(p)));
      assert.ok(accepted.length >= 50 && byShape.length >= 15, `${accepted.length} accepted, ${byShape.length} refused for their shape`);
      for (const r of accepted) assert.ok(schemaValid(r.spec), `accepted by the validator, refused by the schema: ${JSON.stringify(r.spec).slice(0, 300)}\n${ajv.errorsText(schemaValid.errors)}`);
      for (const r of byShape) assert.ok(!schemaValid(r.spec), `refused by the validator (${r.problems.join("; ")}), accepted by the schema: ${JSON.stringify(r.spec).slice(0, 300)}`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
