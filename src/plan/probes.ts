// Some steps need a fact about data before they can run, and Spark gets it with
// a job of its own: range partitioning needs a key sample (for bounds),
// zipWithIndex needs each partition's size (for offsets), a histogram with a
// bucket count needs the min and max (for edges). Here such a probe stage's
// results are turned into the parameter the later stage reads. Pure; called by
// the scheduler and the inline runner when a probe stage completes.
import type { TaskResult } from "../common/protocol.js";
import { rangeBounds, type KeySample } from "./partitioner.js";
import { childrenOf, type JobPlan, type Rdd, type Stage } from "./physical.js";

export function applyProbe(plan: JobPlan, stage: Stage, results: TaskResult[]): void {
  const out = stage.output;
  switch (out.type) {
    case "sample": {
      const dep = plan.shuffles[out.shuffle]!;
      const samples = results.map((r) => (r as { sample: KeySample }).sample);
      if (dep.partitioner.type === "range") dep.partitioner.bounds = rangeBounds(samples, dep.numPartitions);
      return;
    }
    case "countProbe": {
      const offsets: number[] = [];
      let next = 0;
      for (const r of results) {
        offsets.push(next);
        next += (r as { count: number }).count;
      }
      for (const s of plan.stages) for (const z of zipNodes(s.rdd, out.node)) z.offsets = offsets;
      return;
    }
    case "rangeProbe": {
      const result = plan.stages[plan.resultStage]!.output;
      if (result.type !== "result" || result.action.type !== "histogram") return;
      const stats = results.filter((r): r is Extract<TaskResult, { type: "stats" }> => r.type === "stats" && r.count > 0);
      if (stats.length === 0) {
        result.action.edges = [];
        return;
      }
      // A loop, not Math.min(...): spreading one argument per partition overflows the stack past ~100k.
      const min = stats.reduce((m, s) => Math.min(m, s.min), Infinity);
      const max = stats.reduce((m, s) => Math.max(m, s.max), -Infinity);
      result.action.edges = evenEdges(min, max, result.action.buckets);
      return;
    }
    default:
  }
}

/** Whether a probe stage's result is already in the plan (a resumed job need not run it again). */
export function probeDone(plan: JobPlan, stage: Stage): boolean {
  const out = stage.output;
  switch (out.type) {
    case "sample": {
      const p = plan.shuffles[out.shuffle]!.partitioner;
      return p.type === "range" && p.bounds !== null;
    }
    case "countProbe":
      return plan.stages.every((s) => zipNodes(s.rdd, out.node).every((z) => z.offsets !== null));
    case "rangeProbe": {
      const result = plan.stages[plan.resultStage]!.output;
      return result.type === "result" && result.action.type === "histogram" && result.action.edges !== null;
    }
    default:
      return false;
  }
}

/** PySpark's evenly spaced buckets: one bucket when every value is equal. */
export function evenEdges(min: number, max: number, buckets: number): number[] {
  if (min === max || buckets === 1) return [min, max];
  const inc = (max - min) / buckets;
  // Finite data can still span more than a double holds (-1e308 to 1e308): then interpolate, each term no bigger than min or max.
  const edge = Number.isFinite(inc) ? (i: number) => min + i * inc : (i: number) => min * (1 - i / buckets) + max * (i / buckets);
  const edges = Array.from({ length: buckets }, (_, i) => edge(i));
  edges.push(max);
  return edges;
}

function zipNodes(rdd: Rdd, node: string): (Rdd & { kind: "zipWithIndex" })[] {
  const found: (Rdd & { kind: "zipWithIndex" })[] = [];
  const walk = (r: Rdd): void => {
    if (r.kind === "zipWithIndex" && r.node === node) found.push(r);
    childrenOf(r).forEach(walk);
  };
  walk(rdd);
  return found;
}
