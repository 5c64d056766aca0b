// The module hook of record-specs.ts: wraps the compiled validator's export in one
// that logs each call's spec and verdict. Specs too big to be worth a schema check
// (the plan-bomb ones) or that cannot be serialized are left out.
const VALIDATOR = /\/src\/planner\/validate\.js$/;
const MAX_LOGGED = 200_000;

const WRAPPER = `
import { appendFileSync as __appendSpec } from "node:fs";
export function validateJobSpec(raw, opts) {
  let accepted = false;
  let problems = [];
  try {
    const job = __validateJobSpec(raw, opts);
    accepted = true;
    return job;
  } catch (e) {
    problems = e?.problems ?? [String(e)];
    throw e;
  } finally {
    try {
      const line = JSON.stringify({ accepted, userCode: opts?.userCode ?? true, problems, spec: raw });
      if (line.length < ${MAX_LOGGED}) __appendSpec(process.env.MINISPARK_SPEC_LOG, line + "\\n");
    } catch {}
  }
}
`;

type Load = (url: string, context: unknown, next: (url: string, context: unknown) => Promise<{ source?: unknown; format?: string }>) => Promise<unknown>;

export const load: Load = async (url, context, next) => {
  const result = await next(url, context);
  if (!VALIDATOR.test(url) || !process.env.MINISPARK_SPEC_LOG) return result;
  const source = String(result.source).replace("export function validateJobSpec(", "function __validateJobSpec(");
  return { ...result, source: source + WRAPPER };
};
