// countApproxDistinct(relativeSD): each partition's HyperLogLog sketch
// (kernels/hyperloglog.ts) is its task's result; the master checks and
// decodes every sketch (a peer's report: report-check.ts bounds its size),
// merges them register by register and estimates, with no user code.
import { HyperLogLog, precisionFor, relativeSdProblem } from "./kernels/hyperloglog.js";
import { defineOp, type Batches, type OpFamily } from "./op-rule.js";
import { number, params } from "./params.js";
import type { TaskResult } from "../plan/task.js";

function sketch(batches: Batches, relativeSD: number): TaskResult {
  const hll = HyperLogLog.forRelativeSD(relativeSD);
  for (const batch of batches) for (const x of batch) hll.addValue(x);
  return { type: "hyperLogLog", ...hll.toState() };
}

function estimate(results: TaskResult[], relativeSD: number): number {
  const merged = HyperLogLog.forRelativeSD(relativeSD);
  for (const r of results) if (r.type === "hyperLogLog") merged.merge(HyperLogLog.fromState(r));
  return merged.estimate();
}

export const COUNT_APPROX_DISTINCT: OpFamily = {
  ops: {
    countApproxDistinct: defineOp({
      kind: "action",
      inputs: 1,
      params: params({ relativeSD: number().maybe().alias("relative_sd") }, (p) => {
        const problem = p.relativeSD === undefined ? null : relativeSdProblem(p.relativeSD);
        return problem ? [`parameter "relativeSD": ${problem}`] : [];
      }),
      plan: (_pl, p, _a, input) => {
        const relativeSD = p.relativeSD ?? 0.05;
        return { rdd: input, result: { type: "hyperLogLog", relativeSD, precision: precisionFor(relativeSD) } };
      },
      value: (results, p) => estimate(results, p.relativeSD ?? 0.05),
    }),
  },
  results: { hyperLogLog: (action, batches) => sketch(batches, action.relativeSD) },
};
