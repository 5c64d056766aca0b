// Checks a job's accumulator env values at submit time (issue 17, item 5): each
// `{ "$accumulator": … }` is well formed (plan/accumulators.ts), one id means
// one accumulator throughout the job (same merge, zero and name wherever it is
// passed), and a job uses at most MAX_ACCUMULATORS. Pure; called by validate.ts.
import { checkFunctionSource } from "../plan/function-source.js";
import type { ActionSpec, NodeSpec } from "../plan/job-spec.js";
import { canonicalJson } from "../plan/keys.js";
import { isAccumulatorRef, MAX_ACCUMULATORS, parseAccumulator, type AccumulatorSpec } from "../plan/accumulators.js";

/** Problems with the accumulators in the envs of `nodes` and `action`, each naming where it is. */
export function accumulatorProblems(nodes: readonly NodeSpec[], action: ActionSpec | null, userCode: boolean): string[] {
  const problems: string[] = [];
  const seen = new Map<string, { spec: AccumulatorSpec; key: string; where: string }>();
  const holders: [string, Record<string, unknown>][] = nodes.map((n) => [`node "${n.id}" (${n.op})`, n.env]);
  if (action) holders.push([`action (${action.op})`, action.env]);
  for (const [where, env] of holders) {
    for (const [name, v] of Object.entries(env)) {
      if (!isAccumulatorRef(v)) continue;
      const spec = parseAccumulator(v, userCode, checkFunctionSource);
      if (typeof spec === "string") {
        problems.push(`${where}: env "${name}": ${spec}`);
        continue;
      }
      const key = canonicalJson(spec);
      const before = seen.get(spec.id);
      if (before && before.key !== key) problems.push(`${where}: env "${name}": accumulator "${spec.id}" is declared differently in ${before.where} (one id, one merge, zero and name per job)`);
      if (!before) seen.set(spec.id, { spec, key, where });
    }
  }
  if (seen.size > MAX_ACCUMULATORS) problems.push(`the job uses ${seen.size} accumulators; a job may use at most ${MAX_ACCUMULATORS}`);
  return problems;
}
