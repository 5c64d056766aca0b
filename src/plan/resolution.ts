// What a job's probe stages found, kept apart from its plan, as Ballista
// resolves stages: some steps need a fact about data before they can run, and
// Spark gets it with a job of its own — range partitioning needs a key sample
// (for bounds), zipWithIndex needs each partition's size (for offsets), a
// histogram with a bucket count needs the min and max (for edges), a csv source
// with inferSchema its columns' types over the whole input. The plan
// leaves those fields unresolved (null) and is never changed after planning;
// a probe stage's results become a new PlanResolution (plain JSON, stored with
// the plan so that a resumed job does not probe again), and the one resolver
// here turns plan + resolution + a stage's partition + where its map outputs
// are into what a task launch carries, the fields filled in. Pure; called by
// the scheduler (src/master/scheduler.ts) and the inline runner.
import type { ShuffleId } from "../common/ids.js";
import type { Json } from "./keys.js";
import { rangeBounds, type KeySample } from "./partitioner.js";
import { childrenOf, withChildren, type JobPlan, type Rdd, type ShuffleDep, type Stage, type StageOutput } from "./physical.js";
import { blockKey, shuffleBlocksRead, taskRdd } from "./task-rdd.js";
import type { BlockLocation, TaskLaunch, TaskResult } from "./task.js";
import { type CsvSeen, type CsvType, finalType, mergeColumnTypes } from "../common/csv-types.js";

export interface PlanResolution {
  /** A range partitioner's bounds, by the id of the shuffle it partitions (from its sample stage). */
  bounds: Record<number, Json[]>;
  /** Each parent partition's first index, by zipWithIndex node (from its count probe). */
  offsets: Record<string, number[]>;
  /** The histogram's edges, when planned with a bucket count (from its min/max probe). */
  edges: Json[] | null;
  /** Each column's type, by csv source node with inferSchema (from its schema probe); absent in resolutions stored before there were any. */
  csvTypes?: Record<string, CsvType[]>;
}

/** A job's resolution before any probe has run. */
export function unresolved(): PlanResolution {
  return { bounds: {}, offsets: {}, edges: null };
}

/** The resolution once probe stage `stage` returned `results` (one per partition, in order); unchanged for any other stage. */
export function resolveProbe(plan: JobPlan, resolution: PlanResolution, stage: Stage, results: readonly TaskResult[]): PlanResolution {
  const out = stage.output;
  switch (out.type) {
    case "sample": {
      const dep = plan.shuffles[out.shuffle]!;
      if (dep.partitioner.type !== "range") return resolution;
      const samples = results.map((r) => (r as { sample: KeySample }).sample);
      return { ...resolution, bounds: { ...resolution.bounds, [out.shuffle]: rangeBounds(samples, dep.numPartitions) } };
    }
    case "countProbe": {
      const offsets: number[] = [];
      let next = 0;
      for (const r of results) {
        offsets.push(next);
        next += (r as { count: number }).count;
      }
      return { ...resolution, offsets: { ...resolution.offsets, [out.node]: offsets } };
    }
    case "rangeProbe": {
      const action = histogramAction(plan);
      if (!action) return resolution;
      const stats = results.filter((r): r is Extract<TaskResult, { type: "stats" }> => r.type === "stats" && r.count > 0);
      if (stats.length === 0) return { ...resolution, edges: [] };
      // A loop, not Math.min(...): spreading one argument per partition overflows the stack past ~100k.
      const min = stats.reduce((m, s) => Math.min(m, s.min), Infinity);
      const max = stats.reduce((m, s) => Math.max(m, s.max), -Infinity);
      return { ...resolution, edges: evenEdges(min, max, action.buckets) };
    }
    case "csvProbe": {
      // One type per column over every partition: a column with one string anywhere is a string column everywhere.
      const seen = results.reduce<CsvSeen[]>((acc, r) => mergeColumnTypes(acc, (r as { types: CsvSeen[] }).types), []);
      return { ...resolution, csvTypes: { ...resolution.csvTypes, [out.node]: seen.map(finalType) } };
    }
    default:
      return resolution;
  }
}

/** Whether a probe stage's result is already in the resolution (a resumed job need not run it again). */
export function probeDone(plan: JobPlan, resolution: PlanResolution, stage: Stage): boolean {
  const out = stage.output;
  switch (out.type) {
    case "sample":
      return plan.shuffles[out.shuffle]!.partitioner.type === "range" && Object.hasOwn(resolution.bounds, out.shuffle);
    case "countProbe":
      return Object.hasOwn(resolution.offsets, out.node);
    case "rangeProbe":
      return histogramAction(plan) !== null && resolution.edges !== null;
    case "csvProbe":
      return csvTypesOf(resolution, out.node) !== undefined;
    default:
      return false;
  }
}

/** What a launch of partition `partition` of `stage` carries: its stage, cut to the partition and resolved, the shuffle it writes, and where its input blocks are (those that exist). */
export function resolveLaunch(
  plan: JobPlan,
  resolution: PlanResolution,
  stage: Stage,
  partition: number,
  locations: (shuffle: ShuffleId, reducePartition: number) => BlockLocation[] | null,
): Pick<TaskLaunch, "stage" | "outputShuffle" | "inputs" | "application"> {
  const inputs: Record<string, BlockLocation[]> = {};
  for (const [s, reduce] of shuffleBlocksRead(stage.rdd, partition)) {
    // null: the shuffle was not written (its stage was skipped); a task that needs it reports its cached block missing.
    const where = locations(s, reduce);
    if (where) inputs[blockKey(s, reduce)] = where;
  }
  return {
    stage: { ...stage, rdd: withOffsets(taskRdd(stage.rdd, partition), resolution), output: resolvedOutput(resolution, stage) },
    outputShuffle: stage.output.type === "shuffle" ? resolvedShuffle(plan.shuffles[stage.output.shuffle]!, resolution) : null,
    inputs,
    application: plan.application,
  };
}

/** A stage's output with what the resolution knows filled in: the histogram's edges, which its results must carry. */
export function resolvedOutput(resolution: PlanResolution, stage: Stage): StageOutput {
  const out = stage.output;
  if (out.type !== "result" || out.action.type !== "histogram" || out.action.edges !== null || resolution.edges === null) return out;
  return { ...out, action: { ...out.action, edges: resolution.edges } };
}

/** The plan as its resolution completes it (a copy: the plan is not changed), for reading it as text. */
export function resolvedPlan(plan: JobPlan, resolution: PlanResolution): JobPlan {
  return {
    ...plan,
    stages: plan.stages.map((s) => ({ ...s, rdd: withOffsets(s.rdd, resolution), output: resolvedOutput(resolution, s) })),
    shuffles: plan.shuffles.map((d) => resolvedShuffle(d, resolution)),
  };
}

function resolvedShuffle(dep: ShuffleDep, resolution: PlanResolution): ShuffleDep {
  const p = dep.partitioner;
  const bounds = Object.hasOwn(resolution.bounds, dep.id) ? resolution.bounds[dep.id] : undefined;
  return p.type === "range" && p.bounds === null && bounds !== undefined ? { ...dep, partitioner: { ...p, bounds } } : dep;
}

function csvTypesOf(resolution: PlanResolution, node: string): CsvType[] | undefined {
  const all = resolution.csvTypes ?? {};
  // Own entries only, as for offsets below.
  return Object.hasOwn(all, node) ? all[node] : undefined;
}

/** The RDD tree with what the resolution knows filled in: zipWithIndex offsets and csv column types. */
function withOffsets(rdd: Rdd, resolution: PlanResolution): Rdd {
  const children = childrenOf(rdd);
  const resolved = children.map((c) => withOffsets(c, resolution));
  const r = resolved.some((c, i) => c !== children[i]) ? withChildren(rdd, resolved) : rdd;
  if (r.kind === "file" && r.csv?.inferSchema && r.csv.schema === null && r.csv.types === null) {
    const types = csvTypesOf(resolution, r.node);
    return types === undefined ? r : { ...r, csv: { ...r.csv, types } };
  }
  if (r.kind !== "zipWithIndex" || r.offsets !== null) return r;
  // Own entries only: a node named "constructor" whose probe has not run has no offsets.
  const offsets = Object.hasOwn(resolution.offsets, r.node) ? resolution.offsets[r.node] : undefined;
  return offsets === undefined ? r : { ...r, offsets };
}

function histogramAction(plan: JobPlan): { buckets: number } | null {
  const result = plan.stages[plan.resultStage]!.output;
  return result.type === "result" && result.action.type === "histogram" ? result.action : null;
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
