// JobSpec → stages. Walks back from the action through the validated DAG,
// fusing narrow ops into the current stage and cutting a new stage at every wide
// dependency, as Spark's DAGScheduler does ("a shuffle writer is created
// whenever the partitioning changes"). How each wide op and each action is
// planned lives in wide-rules.ts and action-rules.ts; this file owns the walk
// and the stage bookkeeping. Pure: the caller supplies the input splits, which a
// worker listed, and the cluster's default parallelism.
import { asShuffleId, asStageId, type ShuffleId, type StageId } from "../common/ids.js";
import type { NodeSpec, ValidJob } from "./job-spec.js";
import type { Json } from "./keys.js";
import { planAction } from "./action-rules.js";
import {
  childrenOf,
  namedNode,
  type Combine,
  type CsvOptions,
  type InputSplit,
  type JobPlan,
  type NarrowOpKind,
  type PartitionOpKind,
  type Partitioner,
  type Rdd,
  type ShuffleDep,
  type ShuffleRead,
  type Stage,
  type StageOutput,
} from "./physical.js";
import { planWideOp } from "./wide-rules.js";
import { DEFAULT_PLAN_LIMITS, PlanBudget, PlanLimitError, type PlanLimits } from "./plan-limits.js";

export interface PlanContext {
  /** The splits of every file source node, by node id. */
  splits: Record<string, InputSplit[]>;
  /** Partitions for sources and shuffles that name none (the cluster's slots). */
  defaultParallelism: number;
  /** The master's limits on the planned job (default: DEFAULT_PLAN_LIMITS). */
  limits?: PlanLimits;
}

/** Per-partition sample size for sorts, as in Spark: about 20 keys per output partition. */
const SAMPLE_KEYS_PER_OUTPUT_PARTITION = 20;
const FILE_SOURCES = { textFile: "text", csv: "csv", jsonl: "jsonl" } as const;

/** The source nodes whose splits a worker must list before the job can be planned. */
export function fileSourceNodes(job: ValidJob): NodeSpec[] {
  return job.nodes.filter((n) => n.op in FILE_SOURCES);
}

/** Spark's default split size for file sources (its maxPartitionBytes is 128 MiB; ours suits 2-core machines). */
export const MAX_PARTITION_BYTES = 32 * 1024 * 1024;

export interface SplitSource {
  node: string;
  path: string | string[];
  minPartitions: number;
  maxPartitionBytes: number;
  splittable: boolean;
}

/**
 * What a worker is asked to list for each file source: Spark's defaults
 * (minPartitions = min(2, default parallelism)), and whole files for CSV whose
 * quoted fields may span lines.
 */
export function splitSources(job: ValidJob, defaultParallelism: number): SplitSource[] {
  return fileSourceNodes(job).map((n) => ({
    node: n.id,
    path: n.params.path as string | string[],
    minPartitions: (n.params.minPartitions as number | undefined) ?? Math.min(2, defaultParallelism),
    maxPartitionBytes: (n.params.maxPartitionBytes as number | undefined) ?? MAX_PARTITION_BYTES,
    splittable: !(n.op === "csv" && n.params.multiLine === true),
  }));
}

export function planJob(job: ValidJob, ctx: PlanContext): JobPlan {
  return new Planner(job, ctx).plan();
}

export class Planner {
  private readonly stages: Stage[] = [];
  private readonly shuffles: ShuffleDep[] = [];
  private readonly byId: Map<string, NodeSpec>;
  /**
   * Every node is planned once, however many nodes read it: a DAG whose shared
   * sub-DAGs double at each level plans in linear time. A wide node read by
   * several branches is one shuffle, as in Spark: its map side runs once and
   * every reader fetches the same blocks.
   */
  private readonly memo = new Map<string, { rdd: Rdd; parents: Set<StageId> }>();
  readonly budget: PlanBudget;

  constructor(readonly job: ValidJob, private readonly ctx: PlanContext) {
    this.byId = new Map(job.nodes.map((n) => [n.id, n]));
    this.budget = new PlanBudget(ctx.limits ?? DEFAULT_PLAN_LIMITS);
  }

  plan(): JobPlan {
    const { action } = this.job;
    const parents = new Set<StageId>();
    const { rdd, result } = planAction(this, action, this.rdd(action.input, parents), parents);
    const resultStage = this.addStage(rdd, parents, { type: "result", action: result });
    return { stages: this.stages, shuffles: this.shuffles, resultStage, action };
  }

  /** The RDD of `nodeId` as seen from the stage being built; `parents` gathers the stages it reads. */
  private rdd(nodeId: string, parents: Set<StageId>): Rdd {
    let memo = this.memo.get(nodeId);
    if (!memo) {
      const node = this.byId.get(nodeId)!;
      const own = new Set<StageId>();
      const rdd = this.planNode(node, own);
      this.budget.partitions(node.id, node.op, rdd.numPartitions);
      memo = { rdd, parents: own };
      this.memo.set(nodeId, memo);
    }
    for (const s of memo.parents) parents.add(s);
    return memo.rdd;
  }

  private planNode(node: NodeSpec, parents: Set<StageId>): Rdd {
    const p = node.params;
    switch (node.op) {
      case "textFile":
      case "csv":
      case "jsonl":
        return this.fileRdd(node);
      case "parallelize": {
        const data = p.data as Json[];
        return { kind: "parallelize", node: node.id, data, dataOffset: 0, dataLength: data.length, numPartitions: this.slices(node) };
      }
      case "range": {
        const hasEnd = p.end !== undefined;
        const start = hasEnd ? (p.start as number) : 0;
        const end = hasEnd ? (p.end as number) : (p.start as number);
        const step = (p.step as number | undefined) ?? 1;
        return { kind: "range", node: node.id, start, end, step, numPartitions: this.slices(node) };
      }
      case "union": {
        const inputs = node.inputs.map((i) => this.rdd(i, parents));
        const numPartitions = inputs.reduce((s, r) => s + r.numPartitions, 0);
        this.budget.partitions(node.id, node.op, numPartitions);
        return { kind: "union", node: node.id, parents: inputs, numPartitions };
      }
      case "map":
      case "filter":
      case "flatMap":
      case "mapPartitions":
      case "mapPartitionsWithIndex":
      case "mapValues":
      case "flatMapValues":
      case "keyBy":
      case "keys":
      case "values":
      case "glom":
        return this.named(node, this.narrow(this.rdd(node.inputs[0]!, parents), node.op, (p.fn as string | undefined) ?? null, node.env));
      case "sample": {
        const env = { withReplacement: p.withReplacement!, fraction: p.fraction!, seed: (p.seed as number | undefined) ?? 0 };
        return this.named(node, this.narrow(this.rdd(node.inputs[0]!, parents), "sample", null, env));
      }
      case "cartesian": {
        const [a, b] = node.inputs.map((i) => this.rdd(i, parents)) as [Rdd, Rdd];
        return { kind: "cartesian", node: node.id, parents: [a, b], numPartitions: this.budget.product(node.id, a.numPartitions, b.numPartitions) };
      }
      case "coalesce": {
        if (p.shuffle === true) return this.planWide(node, parents);
        const parent = this.rdd(node.inputs[0]!, parents);
        return { kind: "coalesce", node: node.id, parent, numPartitions: Math.min(p.numPartitions as number, parent.numPartitions) };
      }
      case "zipWithIndex": {
        const parent = this.rdd(node.inputs[0]!, parents);
        if (parent.numPartitions > 1) parents.add(this.addStage(parent, new Set(parents), { type: "countProbe", node: node.id }));
        const offsets = parent.numPartitions > 1 ? null : [0];
        return { kind: "zipWithIndex", node: node.id, parent, offsets, numPartitions: parent.numPartitions };
      }
      default:
        return this.planWide(node, parents);
    }
  }

  private planWide(node: NodeSpec, parents: Set<StageId>): Rdd {
    // Each input's own stages are the map stages' parents, not ours: plan them per input.
    const inputs = node.inputs.map((i) => {
      const own = new Set<StageId>();
      return { rdd: this.rdd(i, own), parents: own };
    });
    return planWideOp(this, node, inputs, parents);
  }

  private fileRdd(node: NodeSpec): Rdd {
    const format = FILE_SOURCES[node.op as keyof typeof FILE_SOURCES];
    // Own entries only: for a node named "__proto__" or "constructor" an inherited value is no listing.
    const splits = Object.hasOwn(this.ctx.splits, node.id) ? this.ctx.splits[node.id] : undefined;
    if (!Array.isArray(splits) || splits.length === 0) throw new PlanLimitError(`no input splits were listed for node "${node.id}"`);
    const p = node.params;
    const csv: CsvOptions | null =
      format === "csv"
        ? {
            delimiter: (p.delimiter as string | undefined) ?? ",",
            quote: (p.quote as string | undefined) ?? '"',
            header: (p.header as boolean | undefined) ?? false,
            inferSchema: (p.inferSchema as boolean | undefined) ?? false,
            multiLine: (p.multiLine as boolean | undefined) ?? false,
          }
        : null;
    return { kind: "file", node: node.id, format, splits, firstSplit: 0, csv, numPartitions: splits.length };
  }

  private slices(node: NodeSpec): number {
    return (node.params.numSlices as number | undefined) ?? this.job.parallelism ?? this.ctx.defaultParallelism;
  }

  /** Spark's default partitioner: the job's parallelism if set, else the largest input's. */
  defaultShufflePartitions(node: NodeSpec | null, inputs: Rdd[]): number {
    const explicit = node?.params.numPartitions as number | undefined;
    return explicit ?? this.job.parallelism ?? inputs.reduce((m, r) => Math.max(m, r.numPartitions), 0);
  }

  named(node: NodeSpec, rdd: Rdd): Rdd {
    return { ...rdd, node: node.id };
  }

  narrow(parent: Rdd, op: NarrowOpKind | PartitionOpKind, fn: string | null, env: Record<string, Json>): Rdd {
    return { kind: "narrow", node: "", op, fn, env, parent, numPartitions: parent.numPartitions };
  }

  shuffleRead(node: string, op: string, shuffles: ShuffleId[], n: number, read: ShuffleRead, parents: Set<StageId>): Rdd {
    for (const s of shuffles) parents.add(this.shuffles[s]!.mapStage);
    return { kind: "shuffled", node, op, shuffles, read, numPartitions: n };
  }

  /** Adds the map stage (and, for a range partitioner, the sample stage before it). */
  shuffle(rdd: Rdd, parents: Set<StageId>, n: number, partitioner: Partitioner, combine: Combine | null): ShuffleId {
    this.budget.blocks(namedNode(rdd), "a shuffle's map tasks × reduce partitions are", rdd.numPartitions, n);
    const id = asShuffleId(this.shuffles.length);
    const mapParents = new Set(parents);
    if (partitioner.type === "range" && n > 1) {
      const perPartition = Math.ceil((3 * SAMPLE_KEYS_PER_OUTPUT_PARTITION * n) / rdd.numPartitions);
      mapParents.add(this.addStage(rdd, parents, { type: "sample", shuffle: id, perPartition }));
    }
    // Reserve the id before the map stage exists so that the stage can name it.
    const dep: ShuffleDep = { id, mapStage: asStageId(-1), numPartitions: n, partitioner, combine };
    this.shuffles.push(dep);
    dep.mapStage = this.addStage(rdd, mapParents, { type: "shuffle", shuffle: id });
    return id;
  }

  addStage(rdd: Rdd, parents: Set<StageId>, output: StageOutput): StageId {
    const id = asStageId(this.stages.length);
    // Before the name: naming walks the tree as written out, which the budget bounds.
    this.budget.stage(namedNode(rdd), rdd);
    this.stages.push({
      id,
      name: stageName(rdd, output),
      numTasks: rdd.numPartitions,
      rdd,
      parents: [...parents].sort((a, b) => a - b),
      output,
    });
    return id;
  }
}

function stageName(rdd: Rdd, output: StageOutput): string {
  const steps: string[] = [];
  const walk = (r: Rdd): void => {
    childrenOf(r).forEach(walk);
    if (r.node) steps.push(`${r.node}:${opLabel(r)}`);
  };
  walk(rdd);
  const tail = { shuffle: "shuffle write", sample: "sample keys", countProbe: "count partitions", rangeProbe: "min and max", result: "result" }[output.type];
  return [...new Set(steps), tail].join(" → ");
}

function opLabel(r: Rdd): string {
  switch (r.kind) {
    case "file": return r.format === "text" ? "textFile" : r.format;
    case "narrow": return r.op;
    case "shuffled": return r.op;
    default: return r.kind;
  }
}
