// Whether a task report fits the stage its attempt belongs to: the kind of
// result each stage output produces (map output for a shuffle stage, a sample,
// a count, min/max stats or csv column types for the probes, the action's kind for the result
// stage) and the numbers that must agree with the plan (one size per reduce
// partition, the part file of that partition, at most `num` records for a
// take, the histogram's edges). worker-messages.ts checks a report's shape on
// its own; this checks it against the job. A report that does not fit fails
// its attempt with the returned reason instead of becoming the task's result.
// Pure; called by the scheduler's onReport.
import type { BlockMissing, FetchFailure, TaskReport } from "../cluster/protocol.js";
import type { JobPlan, ResultAction, Stage } from "../plan/physical.js";
import { HyperLogLog } from "../ops/kernels/hyperloglog.js";
import { canonicalJson } from "../plan/keys.js";
import { shufflesRead } from "../plan/task-rdd.js";
import type { TaskResult } from "../plan/task.js";
import { isS3Url } from "../plan/s3-location.js";
import { cachedReads } from "../plan/cached-reads.js";

/** Byte sizes and record counts: whole, ≥ 0 and exact in a double. */
const isWhole = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/** The result kind each result-stage action produces (see worker/task-runner.ts actionResult). */
const ACTION_RESULT: Record<ResultAction["type"], TaskResult["type"]> = {
  collect: "collect",
  take: "collect",
  count: "count",
  numPartitions: "count",
  takeOrdered: "keyed",
  stats: "stats",
  histogram: "histogram",
  save: "saved",
  hyperLogLog: "hyperLogLog",
  takeSample: "sampled",
  collectPartition: "collect",
};

const CSV_SEEN: ReadonlySet<unknown> = new Set(["null", "integer", "double", "boolean", "string"]);

/** A part file's name as the worker makes it: part-<partition, zero-padded>, maybe with a suffix; never a path. */
const PART_FILE = /^part-(\d{1,12})(?:[.-][A-Za-z0-9._-]{0,100})?$/;

/** Why `result` cannot be partition `partition`'s result of `stage`, or null when it fits. */
export function resultMismatch(plan: JobPlan, stage: Stage, partition: number, result: TaskResult): string | null {
  const out = stage.output;
  const expected: TaskResult["type"] =
    out.type === "shuffle"
      ? "mapStatus"
      : out.type === "sample"
        ? "sample"
        : out.type === "countProbe"
          ? "count"
          : out.type === "rangeProbe"
            ? "stats"
            : out.type === "csvProbe"
              ? "csvTypes"
              : ACTION_RESULT[out.action.type];
  if (result.type !== expected) return `stage ${stage.id} (${out.type}) produces a "${expected}" result, the report has "${result.type}"`;
  switch (result.type) {
    case "mapStatus": {
      const reduces = plan.shuffles[(out as { shuffle: number }).shuffle]!.numPartitions;
      if (result.sizes.length !== reduces) return `map output must have ${reduces} block sizes, one per reduce partition; it has ${result.sizes.length}`;
      if (!result.sizes.every(isWhole) || !isWhole(result.records)) return "map output sizes and record count must be whole numbers";
      return null;
    }
    case "sample": {
      const perPartition = (out as { perPartition: number }).perPartition;
      if (result.sample.keys.length > perPartition) return `a sample holds at most ${perPartition} keys; it has ${result.sample.keys.length}`;
      if (!isWhole(result.sample.total) || result.sample.total < result.sample.keys.length) return "a sample's total must be a whole number no smaller than its keys";
      return null;
    }
    case "count":
      return isWhole(result.count) ? null : "a count must be a whole number";
    case "stats":
      return isWhole(result.count) ? null : "the stats' count must be a whole number";
    case "collect": {
      const action = (out as { action: ResultAction }).action;
      if (action.type === "take" && result.records.length > action.num) return `take(${action.num}) returns at most ${action.num} records per partition; the report has ${result.records.length}`;
      if (action.type === "collectPartition" && partition !== action.partition && result.records.length > 0)
        return `collectPartition(${action.partition}) returns no records for partition ${partition}`;
      return null;
    }
    case "keyed": {
      const action = (out as { action: ResultAction & { type: "takeOrdered" } }).action;
      return result.entries.length > action.num ? `takeOrdered(${action.num}) returns at most ${action.num} entries per partition; the report has ${result.entries.length}` : null;
    }
    case "histogram": {
      const action = (out as { action: ResultAction & { type: "histogram" } }).action;
      const edges = action.edges ?? [];
      const buckets = Math.max(0, edges.length - 1);
      if (result.counts.length !== buckets) return `the histogram has ${buckets} buckets; the report counts ${result.counts.length}`;
      // Edges that are ±Infinity or NaN travel as null (JSON has no such numbers).
      const same =
        result.edges.length === edges.length &&
        result.edges.every(
          (e, i) =>
            e === edges[i] || (e === null && typeof edges[i] === "number" && !Number.isFinite(edges[i])) || (typeof e === "object" && e !== null && canonicalJson(e) === canonicalJson(edges[i])),
        );
      if (!same) return "the histogram's edges must be the job's";
      if (!result.counts.every(isWhole)) return "histogram counts must be whole numbers";
      return null;
    }
    case "hyperLogLog": {
      // A peer's sketch is untrusted: its precision must be the job's, its registers exactly what a sketch writes.
      const action = (out as { action: ResultAction & { type: "hyperLogLog" } }).action;
      if (result.p !== action.precision) return `the job's HyperLogLog sketches have precision ${action.precision}, the report's has ${String(result.p).slice(0, 20)}`;
      return sketchProblem(result);
    }
    case "sampled": {
      const action = (out as { action: ResultAction & { type: "takeSample" } }).action;
      if (!isWhole(result.count) || result.entries.length > Math.min(action.num, result.count))
        return `takeSample(${action.num}) returns at most ${action.num} entries per partition, and no more than its count`;
      return null;
    }
    case "saved": {
      const m = PART_FILE.exec(result.file);
      if (!m || Number(m[1]) !== partition) return `partition ${partition} saves its own part file, not ${JSON.stringify(result.file.slice(0, 200))}`;
      const toS3 = isS3Url((out as { action: ResultAction & { type: "save" } }).action.path);
      if (toS3 !== (result.upload !== undefined)) return toS3 ? "a part saved to S3 must report its upload" : "a part saved to local files has no upload";
      return isWhole(result.records) ? null : "the saved record count must be a whole number";
    }
    case "csvTypes":
      return result.types.every((t) => CSV_SEEN.has(t)) ? null : `csv column types must each be one of ${[...CSV_SEEN].join(", ")}`;
  }
}

function sketchProblem(state: TaskResult & { type: "hyperLogLog" }): string | null {
  try {
    HyperLogLog.fromState(state);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

/** Why a fetch failure cannot be about this stage's input, or null: it must name a map output the stage reads. */
export function fetchFailureMismatch(plan: JobPlan, stage: Stage, f: FetchFailure): string | null {
  if (!shufflesRead(stage.rdd).includes(f.shuffleId)) return `stage ${stage.id} reads no shuffle ${f.shuffleId}`;
  const maps = plan.stages[plan.shuffles[f.shuffleId]!.mapStage]!.numTasks;
  if (!Number.isSafeInteger(f.mapId) || f.mapId < 0 || f.mapId >= maps) return `shuffle ${f.shuffleId} has maps 0 to ${maps - 1}, not ${f.mapId}`;
  return null;
}

/** Why report `r` does not fit partition `partition` of `stage`, or null. */
export function reportMismatch(plan: JobPlan, stage: Stage, partition: number, r: TaskReport): string | null {
  if (r.state === "FINISHED") return resultMismatch(plan, stage, partition, r.result) ?? storedBlocksMismatch(plan, stage, partition, r.blocksStored);
  if (r.state === "FETCH_FAILED") return fetchFailureMismatch(plan, stage, r.fetchFailure);
  if (r.state === "FAILED" && r.blockMissing) return blockMissingMismatch(stage, partition, r.blockMissing);
  return null;
}

/** Why a missing block cannot be this partition's, or null: it must be a cached read of the partition, and the shuffle one the stage reads. */
export function blockMissingMismatch(stage: Stage, partition: number, m: BlockMissing): string | null {
  if (!cachedReads(stage.rdd, partition).some((r) => r.datasetId === m.datasetId && r.partition === m.partition)) {
    return `partition ${partition} of stage ${stage.id} reads no block ${m.partition} of dataset ${JSON.stringify(m.datasetId.slice(0, 80))}`;
  }
  return shufflesRead(stage.rdd).includes(m.shuffleId) ? null : `stage ${stage.id} reads no shuffle ${m.shuffleId}`;
}

/** Why the blocks a report says its task stored cannot be this partition's, or null: each a cached read of the partition, at its level, once. */
export function storedBlocksMismatch(plan: JobPlan, stage: Stage, partition: number, blocks: unknown): string | null {
  if (blocks === undefined) return null;
  if (!Array.isArray(blocks)) return "blocksStored must be an array";
  if (blocks.length > 0 && !plan.application) return "a job without an application caches no blocks";
  const reads = cachedReads(stage.rdd, partition);
  const seen = new Set<number>();
  for (const b of blocks as unknown[]) {
    if (typeof b !== "object" || b === null) return "each stored block must be an object";
    const { datasetId, partition: p, level, memoryBytes, diskBytes } = b as Record<string, unknown>;
    const i = reads.findIndex((r) => r.datasetId === datasetId && r.partition === p && r.level === level);
    if (i < 0) return `partition ${partition} of stage ${stage.id} stores no block of dataset ${String(datasetId).slice(0, 80)} partition ${String(p).slice(0, 20)} at ${String(level).slice(0, 30)}`;
    if (seen.has(i)) return "a stored block is listed twice";
    seen.add(i);
    if (!isWhole(memoryBytes) || !isWhole(diskBytes)) return "a stored block's sizes must be whole numbers";
  }
  return null;
}
