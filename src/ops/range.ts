// range: the integers start, start + step, … below end (or 0 … start - 1 when
// only start is given), as PySpark's sc.range.
import { defineOp, type OpFamily } from "./op-rule.js";
import { int, params, positive } from "./params.js";

export const RANGE: OpFamily = {
  ops: {
    range: defineOp({
      kind: "source",
      inputs: 0,
      params: params(
        {
          start: int(),
          end: int().maybe(),
          step: int()
            .refine((s) => ({ ...s, not: { const: 0 } }))
            .maybe(),
          numSlices: positive().partitions().maybe(),
        },
        (p) => (p.step === 0 ? ['parameter "step" must not be 0'] : []),
      ),
      plan: (pl, p, node) => {
        const hasEnd = p.end !== undefined;
        return { kind: "range", node: node.id, start: hasEnd ? p.start : 0, end: p.end ?? p.start, step: p.step ?? 1, numPartitions: pl.slices(p.numSlices) };
      },
    }),
  },
};
