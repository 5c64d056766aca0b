// `node --import dist/test/helpers/record-specs.js`: every JobSpec that validateJobSpec
// sees in this process is appended, with the verdict, to $MINISPARK_SPEC_LOG as one
// JSON line — so that test/jobspec-schema.test.ts can hold the JSON Schema against the
// specs of the other test suites, taken from the code that runs them, not a copy.
import { register } from "node:module";

register("./record-specs-hooks.js", import.meta.url);
