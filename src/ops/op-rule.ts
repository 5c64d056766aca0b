// What one op is, in one place: the OpRule type every module of src/ops
// implements. A rule says what kind of op it is, how many inputs it reads, which
// parameters it takes (params.ts), how the stage planner plans it (through the
// PlanBuilder below, which planner/stage-planner.ts implements) and, for actions, what
// each partition returns and how the master merges the results. The narrow
// steps an op plans (its own, or helpers such as pairWithNull) are Steps: the
// plan names a step and carries its typed arguments as JSON, and the worker
// computes it through the registry (registry.ts), which lists every rule.
// `defineOp` and `defineStep` hide a rule's parameter type so that rules of
// different ops sit in one table.
import type { ThreadS3 } from "../storage/s3/s3-sync.js";
import type { AttemptId, JobId, ShuffleId, StageId } from "../common/ids.js";
import type { ActionSpec, NodeSpec } from "../plan/job-spec.js";
import type { Json } from "../plan/keys.js";
import type { Combine, Env, InputSplit, Partitioner, Rdd, ResultAction, ShuffleRead, SplitSource, StageOutput } from "../plan/physical.js";
import type { PlanBudget } from "../plan/plan-limits.js";
import type { UserFn } from "../functions/user-function.js";
import type { CheckedParams, ParamSchema } from "./params.js";
import type { TaskResult } from "../plan/task.js";

export type OpKind = "source" | "narrow" | "wide" | "action";

/** Number of inputs: exact, or at least `min` when `many`. */
export type Arity = number | { many: true; min: number };

/** One input of a wide op, planned on its own: its stages become the map stage's parents. */
export interface PlannedInput {
  rdd: Rdd;
  parents: Set<StageId>;
}

/** The stage planner as op rules see it (planner/stage-planner.ts implements it). */
export interface PlanBuilder {
  readonly budget: PlanBudget;
  /** The RDD of a node as read from the stage being built; `parents` gathers the stages it reads. */
  input(nodeId: string, parents: Set<StageId>): Rdd;
  /** Each input of a wide node with the stages it reads, which are the map stages' parents, not the reader's. */
  wideInputs(node: NodeSpec): PlannedInput[];
  /** The splits a worker listed for a file source node. */
  splits(node: NodeSpec): InputSplit[];
  /** Partitions of a parallelized source: numSlices, else the job's parallelism, else the cluster's. */
  slices(numSlices: number | undefined): number;
  /** Spark's default partitioner: the explicit count, else the job's parallelism, else the largest input's. */
  defaultShufflePartitions(explicit: number | undefined, inputs: Rdd[]): number;
  /** A narrow step over `parent` with the user's function and env and the planner's typed arguments (null: none). */
  narrow<A extends Json>(parent: Rdd, step: Step<A>, fn: string | null, env: Env, args: A): Rdd;
  /** Adds the map stage of a shuffle (and, for a range partitioner, the sample stage before it). */
  shuffle(rdd: Rdd, parents: Set<StageId>, n: number, partitioner: Partitioner, combine: Combine | null): ShuffleId;
  shuffleRead(node: string, op: string, shuffles: ShuffleId[], n: number, read: ShuffleRead, parents: Set<StageId>): Rdd;
  addStage(rdd: Rdd, parents: Set<StageId>, output: StageOutput): StageId;
}

export interface PlannedAction {
  /** The result stage's RDD. */
  rdd: Rdd;
  /** What each of its tasks returns. */
  result: ResultAction;
}

interface RuleBase<P> {
  inputs: Arity;
  params: ParamSchema<P>;
  /** Names from the older JobSpec style that are not plain snake_case of the canonical one. */
  aliases?: readonly string[];
}

export interface NodeRule<P> extends RuleBase<P> {
  kind: "source" | "narrow" | "wide";
  /** The RDD the node computes; `parents` gathers the stages it reads. */
  plan(pl: PlanBuilder, p: P, node: NodeSpec, parents: Set<StageId>): Rdd;
  /** File sources: what a worker must list before the job can be planned. */
  listing?(p: P, node: NodeSpec, defaultParallelism: number): SplitSource;
}

export interface ActionRule<P> extends RuleBase<P> {
  kind: "action";
  plan(pl: PlanBuilder, p: P, action: ActionSpec, input: Rdd, parents: Set<StageId>): PlannedAction;
  /** The action's value from its result tasks' results, on the master: built-in merges only, never user code. */
  value(results: TaskResult[], p: P, action: ActionSpec): Json;
}

export type OpRule<P> = NodeRule<P> | ActionRule<P>;

interface OpBase {
  readonly inputs: Arity;
  readonly aliases: readonly string[];
  readonly params: ParamSchema<unknown>;
}

/** A rule as the registry holds it: every use of its parameters goes through its own schema. */
export type Op =
  | (OpBase & {
      readonly kind: "source" | "narrow" | "wide";
      plan(pl: PlanBuilder, node: NodeSpec, parents: Set<StageId>): Rdd;
      listing: ((node: NodeSpec, defaultParallelism: number) => SplitSource) | null;
    })
  | (OpBase & {
      readonly kind: "action";
      plan(pl: PlanBuilder, action: ActionSpec, input: Rdd, parents: Set<StageId>): PlannedAction;
      value(action: ActionSpec, results: TaskResult[]): Json;
    });

export function defineOp<P>(rule: OpRule<P>): Op {
  const base = { inputs: rule.inputs, aliases: rule.aliases ?? [], params: rule.params };
  const read = (params: CheckedParams): P => rule.params.read(params);
  if (rule.kind === "action") {
    return {
      ...base,
      kind: "action",
      plan: (pl, action, input, parents) => rule.plan(pl, read(action.params), action, input, parents),
      value: (action, results) => rule.value(results, read(action.params), action),
    };
  }
  const listing = rule.listing;
  return {
    ...base,
    kind: rule.kind,
    plan: (pl, node, parents) => rule.plan(pl, read(node.params), node, parents),
    listing: listing ? (node, dp) => listing(read(node.params), node, dp) : null,
  };
}

/** The ops of one module, by canonical name, the narrow steps they plan and the per-partition results they compute. */
export interface OpFamily {
  readonly ops: Readonly<Record<string, Op>>;
  readonly steps?: readonly AnyStep[];
  readonly results?: PartitionResults;
}

/** The node an RDD computes, for the one a rule planned under a planner-made step. */
export function named(node: NodeSpec, rdd: Rdd): Rdd {
  return { ...rdd, node: node.id };
}

// ---- narrow steps ------------------------------------------------------------

export type Emit = (record: unknown) => void;

/** What a step runs with on the worker: the compiled user function, the user's env, the typed arguments. */
export interface StepContext<A> {
  fn: UserFn | null;
  env: Env;
  args: A;
  /** For error messages: `node "words" (flatMap)`. */
  where: string;
  /** The task's scratch directory (the worker's spill directory), for steps that need files. */
  scratchDir: string;
}

/** A per-record step: runs of them fuse into one call chain per record, with no intermediate arrays. */
export interface RecordStep<A> {
  readonly name: string;
  readonly kind: "record";
  push(s: StepContext<A>, next: Emit): Emit;
}

/** A step that sees the whole partition, as an iterable, and returns one. */
export interface PartitionStep<A> {
  readonly name: string;
  readonly kind: "partition";
  run(s: StepContext<A>, index: number, input: Iterable<unknown>): Iterable<unknown>;
}

export type Step<A> = RecordStep<A> | PartitionStep<A>;

/** A step as the worker dispatches it, its arguments as the plan carries them. */
export type AnyStep =
  | { readonly name: string; readonly kind: "record"; push(s: StepContext<Json>, next: Emit): Emit }
  | { readonly name: string; readonly kind: "partition"; run(s: StepContext<Json>, index: number, input: Iterable<unknown>): Iterable<unknown> };

/**
 * A step for the registry. The plan is JSON, and a step's arguments in it were
 * written by this step's own planner call (PlanBuilder.narrow takes the typed
 * step), so reading them back as `A` is the one place their type is taken on trust.
 */
export function defineStep<A>(step: Step<A>): AnyStep {
  const typed = (s: StepContext<Json>): StepContext<A> => s as unknown as StepContext<A>;
  if (step.kind === "record") return { name: step.name, kind: "record", push: (s, next) => step.push(typed(s), next) };
  return { name: step.name, kind: "partition", run: (s, index, input) => step.run(typed(s), index, input) };
}

// ---- per-partition results of actions ------------------------------------------

export type Batches = Iterable<unknown[]>;

export type ResultKind = ResultAction["type"];
export type ResultOf<K extends ResultKind> = Extract<ResultAction, { type: K }>;

/** The task a result is computed for, and its count of records for the metrics. */
export interface ResultTask {
  jobId: JobId;
  attemptId: AttemptId;
  partition: number;
  dataDir: string;
  /** S3 calls with the job's settings, for a save to `s3://`; null where no worker makes them (the inline runner). */
  s3: ThreadS3 | null;
  out: { records: number };
}

/** What one result task returns for its partition, by the kind of result the action planned. */
export type PartitionResults = { readonly [K in ResultKind]?: (action: ResultOf<K>, batches: Batches, task: ResultTask) => TaskResult };
