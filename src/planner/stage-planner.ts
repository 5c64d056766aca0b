// JobSpec → stages. Walks back from the action through the validated DAG,
// fusing narrow ops into the current stage and cutting a new stage at every wide
// dependency, as Spark's DAGScheduler does ("a shuffle writer is created
// whenever the partitioning changes"). How each op is planned is its rule's
// (src/ops, through the PlanBuilder interface this class implements); this file
// owns the walk and the stage bookkeeping. Pure: the caller supplies the input
// splits, which a worker listed, and the cluster's default parallelism.
import { asShuffleId, asStageId, type ShuffleId, type StageId } from "../common/ids.js";
import type { PlanBuilder, PlannedInput, Step } from "../ops/op-rule.js";
import { opRule } from "../ops/registry.js";
import type { NodeSpec, ValidJob } from "../plan/job-spec.js";
import type { Json } from "../plan/keys.js";
import {
  childrenOf,
  namedNode,
  type Combine,
  type Env,
  type InputSplit,
  type JobPlan,
  type Partitioner,
  type Rdd,
  type ShuffleDep,
  type ShuffleRead,
  type SplitSource,
  type Stage,
  type StageOutput,
} from "../plan/physical.js";
import { DEFAULT_PLAN_LIMITS, PlanBudget, PlanLimitError, type PlanLimits } from "../plan/plan-limits.js";
import type { DatasetId } from "../plan/storage-level.js";
import { datasetId, nodeLineage, shuffleLineage } from "./dataset-id.js";

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

/** The source nodes whose splits a worker must list before the job can be planned. */
export function fileSourceNodes(job: ValidJob): NodeSpec[] {
  return job.nodes.filter((n) => listingOf(n) !== null);
}

function listingOf(node: NodeSpec) {
  const rule = opRule(node.op);
  return rule && rule.kind !== "action" ? rule.listing : null;
}

/** What a worker is asked to list for each file source (its rule says how). */
export function splitSources(job: ValidJob, defaultParallelism: number): SplitSource[] {
  return job.nodes.flatMap((n) => {
    const listing = listingOf(n);
    return listing ? [listing(n, defaultParallelism)] : [];
  });
}

export function planJob(job: ValidJob, ctx: PlanContext): JobPlan {
  return new Planner(job, ctx).plan();
}

export class Planner implements PlanBuilder {
  private readonly stages: Stage[] = [];
  private readonly shuffles: ShuffleDep[] = [];
  private readonly byId: Map<string, NodeSpec>;
  /**
   * Every node is planned once, however many nodes read it: a DAG whose shared
   * sub-DAGs double at each level plans in linear time. A wide node read by
   * several branches is one shuffle, as in Spark: its map side runs once and
   * every reader fetches the same blocks.
   */
  private readonly memo = new Map<string, { rdd: Rdd; parents: Set<StageId>; dataset: DatasetId | null; lineage: string | null }>();
  /** The node whose rule is planning, with how many shuffles it wrote so far and its lineage (only in an application's job: no other reuses a shuffle). */
  private current: { shuffles: number; lineage: string | null } | null = null;
  /** The nodes whose dataset id is needed: persisted ones and their ancestors (hashing a large inline source costs time, so no other is hashed). */
  private readonly identified: Set<string>;
  readonly budget: PlanBudget;

  constructor(
    readonly job: ValidJob,
    private readonly ctx: PlanContext,
  ) {
    this.byId = new Map(job.nodes.map((n) => [n.id, n]));
    this.budget = new PlanBudget(ctx.limits ?? DEFAULT_PLAN_LIMITS);
    this.identified = this.persistedLineage();
  }

  private persistedLineage(): Set<string> {
    const out = new Set<string>();
    const stack = this.job.nodes.filter((n) => n.persist !== undefined).map((n) => n.id);
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (out.has(id)) continue;
      out.add(id);
      stack.push(...this.byId.get(id)!.inputs);
    }
    return out;
  }

  plan(): JobPlan {
    const { action } = this.job;
    const rule = opRule(action.op);
    if (rule?.kind !== "action") throw new Error(`planner has no rule for action "${action.op}"`);
    // Each node planned after its inputs, in the order the walk from the action reaches them, finds
    // them memoized: the rules' recursion stays one node deep however long the chain (MAX_DEPTH),
    // and the stages are numbered as the recursive walk would number them.
    for (const id of this.planningOrder()) this.input(id, new Set());
    const parents = new Set<StageId>();
    const input = this.input(action.input, parents);
    const lineage = this.lineageOf({ ...action, id: "", inputs: [action.input] });
    const { rdd, result } = this.planning(lineage, () => rule.plan(this, action, input, parents));
    const resultStage = this.addStage(rdd, parents, { type: "result", action: result });
    return { stages: this.stages, shuffles: this.shuffles, resultStage, action, application: this.job.application };
  }

  /** The nodes the action reads, each after its inputs in their order: a depth-first walk with its own stack. */
  private planningOrder(): string[] {
    const root = this.job.action.input;
    const order: string[] = [];
    const seen = new Set([root]);
    const stack = [{ id: root, next: 0 }];
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const inputs = this.byId.get(top.id)!.inputs;
      if (top.next === inputs.length) {
        stack.pop();
        order.push(top.id);
        continue;
      }
      const input = inputs[top.next++]!;
      if (seen.has(input)) continue;
      seen.add(input);
      stack.push({ id: input, next: 0 });
    }
    return order;
  }

  input(nodeId: string, parents: Set<StageId>): Rdd {
    let memo = this.memo.get(nodeId);
    if (!memo) {
      const node = this.byId.get(nodeId)!;
      const rule = opRule(node.op);
      if (!rule || rule.kind === "action") throw new Error(`planner has no rule for op "${node.op}"`);
      const own = new Set<StageId>();
      // The inputs are memoized by now (the planning order put them first, and identified if this node is), so its lineage can be had before the rule runs.
      const lineage = this.lineageOf(node);
      const planned = this.planning(lineage, () => rule.plan(this, node, own));
      this.budget.partitions(node.id, node.op, planned.numPartitions);
      const dataset = this.identified.has(node.id)
        ? datasetId(
            node,
            planned.numPartitions,
            node.inputs.map((i) => this.memo.get(i)!.dataset!),
          )
        : null;
      const rdd = node.persist === undefined ? planned : { ...planned, cache: { datasetId: dataset!, level: node.persist } };
      memo = { rdd, parents: own, dataset, lineage };
      this.memo.set(nodeId, memo);
    }
    for (const s of memo.parents) parents.add(s);
    return memo.rdd;
  }

  /** Runs a node's rule, numbering the shuffles it writes under the node's lineage. */
  private planning<T>(lineage: string | null, plan: () => T): T {
    const outer = this.current;
    this.current = { shuffles: 0, lineage };
    try {
      return plan();
    } finally {
      this.current = outer;
    }
  }

  /** The node's lineage for shuffle reuse, or null outside an application. */
  private lineageOf(node: NodeSpec): string | null {
    if (this.job.application === null) return null;
    const splits = Object.hasOwn(this.ctx.splits, node.id) ? this.ctx.splits[node.id]! : null;
    return nodeLineage(
      node,
      node.inputs.map((i) => this.memo.get(i)!.lineage!),
      splits,
    );
  }

  /** The lineage of the next shuffle the current node writes: null outside an application and for a range partitioner. */
  private nextShuffleLineage(n: number, partitioner: Partitioner, combine: Combine | null): string | null {
    const current = this.current!;
    const ordinal = current.shuffles++;
    if (current.lineage === null || partitioner.type === "range") return null;
    return shuffleLineage(current.lineage, ordinal, n, partitioner, combine);
  }

  wideInputs(node: NodeSpec): PlannedInput[] {
    return node.inputs.map((i) => {
      const own = new Set<StageId>();
      return { rdd: this.input(i, own), parents: own };
    });
  }

  splits(node: NodeSpec): InputSplit[] {
    // Own entries only: for a node named "__proto__" or "constructor" an inherited value is no listing.
    const splits = Object.hasOwn(this.ctx.splits, node.id) ? this.ctx.splits[node.id] : undefined;
    if (!Array.isArray(splits) || splits.length === 0) throw new PlanLimitError(`no input splits were listed for node "${node.id}"`);
    return splits;
  }

  slices(numSlices: number | undefined): number {
    return numSlices ?? this.job.parallelism ?? this.ctx.defaultParallelism;
  }

  defaultShufflePartitions(explicit: number | undefined, inputs: Rdd[]): number {
    return explicit ?? this.job.parallelism ?? inputs.reduce((m, r) => Math.max(m, r.numPartitions), 0);
  }

  narrow<A extends Json>(parent: Rdd, step: Step<A>, fn: string | null, env: Env, args: A): Rdd {
    return { kind: "narrow", node: "", op: step.name, fn, env, ...(args === null ? {} : { args }), parent, numPartitions: parent.numPartitions };
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
      mapParents.add(this.addStage(rdd, parents, { type: "sample", shuffle: id, perPartition, ...(partitioner.keyIsRecord && { keyIsRecord: true }) }));
    }
    // Reserve the id before the map stage exists so that the stage can name it.
    const dep: ShuffleDep = { id, mapStage: asStageId(-1), numPartitions: n, partitioner, combine, lineage: this.nextShuffleLineage(n, partitioner, combine) };
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
  const tail = { shuffle: "shuffle write", sample: "sample keys", countProbe: "count partitions", rangeProbe: "min and max", csvProbe: "infer column types", result: "result" }[output.type];
  return [...new Set(steps), tail].join(" → ");
}

function opLabel(r: Rdd): string {
  switch (r.kind) {
    case "file":
      return r.format === "text" ? "textFile" : r.format;
    case "narrow":
      return r.op;
    case "shuffled":
      return r.op;
    default:
      return r.kind;
  }
}
