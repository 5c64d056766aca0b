// A job plan as text, as Spark's toDebugString shows an RDD's lineage: each
// stage with what it ends in, how many tasks it runs and which stages it waits
// for, and under it the stage's RDD tree, one line per RDD with its partition
// count, the JobSpec node it computes and what it does. What a probe stage has
// not found yet (sort bounds, zipWithIndex offsets, histogram edges) says which
// stage finds it; given the job's resolution, what its probes found is shown
// instead. Pure; the master serves it for a job (GET
// /api/v1/jobs/{id}/plan) and the planner's golden tests read it.
import { resolvedPlan, type PlanResolution } from "./resolution.js";
import { childrenOf, type Combine, type JobPlan, type Partitioner, type ResultAction, type Rdd, type ShuffleRead, type Stage, type StageOutput } from "./physical.js";

/** Function sources and values longer than this are cut: the text is for reading, the plan's JSON has them whole. */
const MAX_SHOWN = 60;

export function explain(unresolvedPlan: JobPlan, resolution?: PlanResolution): string {
  const plan = resolution ? resolvedPlan(unresolvedPlan, resolution) : unresolvedPlan;
  const { action } = plan;
  const lines = [`job: ${action.op} of "${action.input}", ${count(plan.stages.length, "stage")}`];
  for (const stage of plan.stages) {
    lines.push(stageLine(plan, stage));
    rddLines(stage.rdd, 1, plan, lines);
  }
  return `${lines.join("\n")}\n`;
}

function stageLine(plan: JobPlan, stage: Stage): string {
  const after = stage.parents.length > 0 ? `, after stage${stage.parents.length > 1 ? "s" : ""} ${stage.parents.join(", ")}` : "";
  return `stage ${stage.id}: ${outputText(plan, stage.output)}, ${count(stage.numTasks, "task")}${after}`;
}

function outputText(plan: JobPlan, out: StageOutput): string {
  switch (out.type) {
    case "shuffle": {
      const dep = plan.shuffles[out.shuffle]!;
      const combine = dep.combine ? `, combine ${combineText(dep.combine)}` : "";
      return `shuffle write → shuffle ${dep.id} (${count(dep.numPartitions, "partition")}, ${partitionerText(plan, dep.partitioner, dep.id)}${combine})`;
    }
    case "sample":
      return `sample ${out.perPartition} keys per task for shuffle ${out.shuffle}'s bounds`;
    case "countProbe":
      return `count each partition of "${out.node}" for its indices`;
    case "rangeProbe":
      return "find min and max for the histogram's edges";
    case "csvProbe":
      return `infer the column types of csv source "${out.node}" over all its partitions`;
    case "result":
      return `result: ${actionText(out.action)}`;
  }
}

function rddLines(rdd: Rdd, depth: number, plan: JobPlan, lines: string[]): void {
  const cached = rdd.cache ? ` [persist ${rdd.cache.level}, dataset ${rdd.cache.datasetId}]` : "";
  lines.push(`${"  ".repeat(depth)}(${rdd.numPartitions}) ${rdd.node ? `${rdd.node}: ` : ""}${rddText(rdd, plan)}${cached}`);
  for (const child of childrenOf(rdd)) rddLines(child, depth + 1, plan, lines);
}

function rddText(rdd: Rdd, plan: JobPlan): string {
  switch (rdd.kind) {
    case "file": {
      const read = `${rdd.format === "text" ? "textFile" : rdd.format} ${count(rdd.splits.length, "split")}`;
      const csv = rdd.csv;
      if (!csv?.inferSchema || csv.schema !== null) return read;
      return `${read} (column types ${csv.types ? csv.types.join(", ") : `from stage ${probeStage(plan, (o) => o.type === "csvProbe" && o.node === rdd.node)}`})`;
    }
    case "parallelize":
      return `parallelize ${count(rdd.dataLength, "element")}`;
    case "range":
      return `range(${rdd.start}, ${rdd.end}, ${rdd.step})`;
    case "narrow":
      return [rdd.op, rdd.fn === null ? "" : shown(rdd.fn), rdd.args === undefined ? "" : shown(JSON.stringify(rdd.args))].filter((s) => s !== "").join(" ");
    case "union":
    case "cartesian":
    case "coalesce":
    case "zip":
      return rdd.kind;
    case "zipWithIndex":
      return `zipWithIndex (offsets ${rdd.offsets ? "known" : `from stage ${probeStage(plan, (o) => o.type === "countProbe" && o.node === rdd.node)}`})`;
    case "shuffled":
      return `${rdd.op} ← shuffle ${rdd.shuffles.join(", ")} (${readText(rdd.read)})`;
  }
}

function readText(read: ShuffleRead): string {
  switch (read.type) {
    case "reduceByKey":
      return `merge by key with ${shown(read.fn)}`;
    case "reduceValues":
      return `merge all values with ${shown(read.fn)}`;
    case "foldValues":
      return `fold all values from ${shown(JSON.stringify(read.zero))} with ${shown(read.fn)}`;
    case "cogroup":
      return `cogroup, emit ${read.emit}`;
    case "sort":
      return `sort ${read.keyIsRecord ? "records " : ""}${read.ascending ? "ascending" : "descending"}`;
    case "sortValues":
      return `sort each partition's values ${read.ascending ? "ascending" : "descending"}`;
    case "groupByKey":
      return "group by key";
    default:
      return read.type;
  }
}

function combineText(c: Combine): string {
  switch (c.type) {
    case "fn":
      return `with ${shown(c.fn)}`;
    case "combiner":
      return `with ${shown(c.mergeValue)}, merge with ${shown(c.mergeCombiners)}`;
    case "sum":
      return "by sum";
    case "first":
      return "keeping the first";
  }
}

function partitionerText(plan: JobPlan, p: Partitioner, shuffle: number): string {
  switch (p.type) {
    case "hash":
      return "hash";
    case "direct":
      return "by key as partition";
    case "range": {
      const order = `${p.ascending ? "ascending" : "descending"}${p.keyIsRecord ? ", records as keys" : ""}`;
      if (p.bounds) return `range ${order}, ${count(p.bounds.length, "bound")}`;
      const sampler = plan.stages.find((s) => s.output.type === "sample" && s.output.shuffle === shuffle);
      return sampler ? `range ${order}, bounds from stage ${sampler.id}` : `range ${order}`;
    }
  }
}

function actionText(a: ResultAction): string {
  switch (a.type) {
    case "take":
      return `take ${a.num}`;
    case "takeOrdered":
      return `${a.descending ? "largest" : "smallest"} ${a.num}${a.fn ? ` by ${shown(a.fn)}` : ""}`;
    case "histogram":
      return `histogram of ${count(a.buckets, "bucket")}${a.edges ? "" : " (edges from the min and max)"}`;
    case "save":
      return `save "${a.path}" as ${a.format}${a.compression === null ? "" : `, ${a.compression}`}`;
    case "takeSample":
      return `a sample of ${a.num} (seed ${a.seed})`;
    case "collectPartition":
      return `collect partition ${a.partition}`;
    case "hyperLogLog":
      return `count distinct approximately (relative SD ${a.relativeSD})`;
    default:
      return a.type;
  }
}

function probeStage(plan: JobPlan, is: (o: StageOutput) => boolean): string {
  return String(plan.stages.find((s) => is(s.output))?.id ?? "?");
}

function shown(text: string): string {
  const s = text.replace(/\s+/g, " ");
  return s.length > MAX_SHOWN ? `${s.slice(0, MAX_SHOWN - 1)}…` : s;
}

function count(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? "" : "s"}`;
}
