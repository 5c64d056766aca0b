// histogram: counts per bucket, from given edges or from a bucket count whose
// even edges a min/max probe finds first, as PySpark does. Edges of another
// comparable kind than numbers (strings, as PySpark allows, booleans, arrays,
// objects) are counted by the histogram-buckets kernel.
import type { StageId } from "../common/ids.js";
import type { Json } from "../plan/keys.js";
import { namedNode, type Rdd } from "../plan/physical.js";
import { MAX_HISTOGRAM_BUCKETS } from "../plan/spec-limits.js";
import { UserCodeError, describeRecord } from "../functions/user-function.js";
import { EmptyDatasetError, type ResultOfType } from "./collected.js";
import { defineOp, type Batches, type OpFamily, type PlanBuilder, type PlannedAction } from "./op-rule.js";
import { HistogramError, bucketsProblem, countBuckets, prepareBuckets } from "./kernels/histogram-buckets.js";
import { json, params, type JsonSchema } from "./params.js";
import type { TaskResult } from "../plan/task.js";

const SAFE_INT = { type: "integer", minimum: Number.MIN_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER };
const bucketsSchema = (): JsonSchema => ({
  anyOf: [
    { ...SAFE_INT, minimum: 1 },
    { type: "array", minItems: 2 },
  ],
  description: "a bucket count, or the bucket edges in increasing order: numbers, or values of one other comparable kind (e.g. strings)",
});

function bucketsRule(b: Json | undefined): string[] {
  const count = Array.isArray(b) ? b.length - 1 : b;
  if (typeof count === "number" && count > MAX_HISTOGRAM_BUCKETS) return [`parameter "buckets" asks for ${count} buckets, more than the limit of ${MAX_HISTOGRAM_BUCKETS}`];
  if (typeof b === "number" && Number.isSafeInteger(b) && b >= 1) return [];
  if (Array.isArray(b) && b.length >= 2 && b.every((x): x is number => typeof x === "number" && Number.isFinite(x))) {
    return b.every((x, i) => i === 0 || x > b[i - 1]!) ? [] : ['parameter "buckets" must be strictly increasing edges'];
  }
  if (Array.isArray(b) && b.length >= 2 && !b.some((x) => typeof x === "number")) {
    const problem = bucketsProblem(b);
    return problem ? [`parameter "buckets": ${problem}`] : [];
  }
  return ['parameter "buckets" must be a bucket count >= 1 or an array of at least two bucket edges'];
}

/** With edges, one pass; with a bucket count, a probe stage finds min and max first, as Spark does. */
function planHistogram(pl: PlanBuilder, buckets: Json, input: Rdd, parents: Set<StageId>): PlannedAction {
  if (Array.isArray(buckets)) {
    const edges = buckets;
    pl.budget.blocks(namedNode(input), "the histogram's partitions × buckets are", input.numPartitions, edges.length - 1);
    return { rdd: input, result: { type: "histogram", edges, buckets: edges.length - 1 } };
  }
  const count = typeof buckets === "number" ? buckets : 0;
  pl.budget.blocks(namedNode(input), "the histogram's partitions × buckets are", input.numPartitions, count);
  parents.add(pl.addStage(input, new Set(parents), { type: "rangeProbe" }));
  return { rdd: input, result: { type: "histogram", edges: null, buckets: count } };
}

/** Spark's buckets: [e0, e1), [e1, e2), …, and the last one closed [e(n-1), en]. */
function histogram(batches: Batches, edges: number[]): TaskResult {
  const counts = new Array<number>(Math.max(0, edges.length - 1)).fill(0);
  const last = edges.length - 1;
  for (const batch of batches) {
    for (const x of batch) {
      if (typeof x !== "number") throw new UserCodeError(`histogram() needs numbers, got ${describeRecord(x)}`);
      if (last < 1 || x < edges[0]! || x > edges[last]! || Number.isNaN(x)) continue;
      if (x === edges[last]) {
        counts[last - 1]!++;
        continue;
      }
      let lo = 0;
      let hi = last;
      while (hi - lo > 1) {
        const mid = (lo + hi) >>> 1;
        if (x < edges[mid]!) hi = mid;
        else lo = mid;
      }
      counts[lo]!++;
    }
  }
  return { type: "histogram", edges, counts };
}

/** Edges of another kind than numbers, by the histogram-buckets kernel; a record of another kind fails the job. */
function otherHistogram(batches: Batches, edges: Json[]): TaskResult {
  const b = prepareBuckets(edges);
  const counts = new Array<number>(edges.length - 1).fill(0);
  for (const batch of batches) {
    try {
      const part = countBuckets(b, batch);
      for (let i = 0; i < part.length; i++) counts[i]! += part[i]!;
    } catch (e) {
      throw e instanceof HistogramError ? new UserCodeError(e.message) : e;
    }
  }
  return { type: "histogram", edges, counts };
}

function histogramValue(results: ResultOfType<"histogram">[]): Json {
  const edges = results[0]?.edges ?? [];
  if (edges.length === 0) throw new EmptyDatasetError("histogram() with a bucket count has no value on an empty dataset");
  const counts = new Array<number>(edges.length - 1).fill(0);
  for (const r of results) for (let i = 0; i < r.counts.length; i++) counts[i]! += r.counts[i]!;
  return [edges, counts];
}

export const HISTOGRAM: OpFamily = {
  ops: {
    histogram: defineOp({
      kind: "action",
      inputs: 1,
      params: params({ buckets: json().refine(bucketsSchema) }, (p) => bucketsRule(p.buckets)),
      plan: (pl, p, _action, input, parents) => planHistogram(pl, p.buckets, input, parents),
      value: (results) => histogramValue(results.filter((r): r is ResultOfType<"histogram"> => r.type === "histogram")),
    }),
  },
  results: {
    histogram: (action, batches) => {
      const edges = action.edges!;
      return edges.every((x): x is number => typeof x === "number") ? histogram(batches, edges) : otherHistogram(batches, edges);
    },
  },
};
