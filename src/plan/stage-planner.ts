// JobSpec → stages. Walks back from the action through the validated DAG,
// fusing narrow ops into the current stage and cutting a new stage at every wide
// dependency, as Spark's DAGScheduler does ("a shuffle writer is created
// whenever the partitioning changes"). Actions that must combine values with a
// user function (reduce) or by key (countByValue) get one more shuffle so that
// the master never runs user code. Pure: the caller supplies the input splits,
// which a worker listed, and the cluster's default parallelism.
import { asShuffleId, asStageId, type ShuffleId, type StageId } from "../common/ids.js";
import type { NodeSpec, ValidJob } from "./job-spec.js";
import type { Json } from "./keys.js";
import type {
  Combine,
  CsvOptions,
  InputSplit,
  JobPlan,
  NarrowOpKind,
  Partitioner,
  Rdd,
  ResultAction,
  ShuffleDep,
  ShuffleRead,
  Stage,
  StageOutput,
} from "./physical.js";

export interface PlanContext {
  /** The splits of every file source node, by node id. */
  splits: Record<string, InputSplit[]>;
  /** Partitions for sources and shuffles that name none (the cluster's slots). */
  defaultParallelism: number;
}

/** Per-partition sample size for sorts, as in Spark: about 20 keys per output partition. */
const SAMPLE_KEYS_PER_OUTPUT_PARTITION = 20;
const FILE_SOURCES = { textFile: "text", csv: "csv", jsonl: "jsonl" } as const;

/** The source nodes whose splits a worker must list before the job can be planned. */
export function fileSourceNodes(job: ValidJob): NodeSpec[] {
  return job.nodes.filter((n) => n.op in FILE_SOURCES);
}

export function planJob(job: ValidJob, ctx: PlanContext): JobPlan {
  return new Planner(job, ctx).plan();
}

class Planner {
  private readonly stages: Stage[] = [];
  private readonly shuffles: ShuffleDep[] = [];
  private readonly byId: Map<string, NodeSpec>;
  private readonly wideMemo = new Map<string, { rdd: Rdd; parents: Set<StageId> }>();

  constructor(private readonly job: ValidJob, private readonly ctx: PlanContext) {
    this.byId = new Map(job.nodes.map((n) => [n.id, n]));
  }

  plan(): JobPlan {
    const { action } = this.job;
    const parents = new Set<StageId>();
    let rdd = this.rdd(action.input, parents);
    let resultAction: ResultAction;
    switch (action.op) {
      case "count":
        resultAction = { type: "count" };
        break;
      case "take":
        resultAction = { type: "take", num: action.params.num as number };
        break;
      case "first":
        resultAction = { type: "take", num: 1 };
        break;
      case "save":
        resultAction = {
          type: "save",
          path: action.params.path as string,
          format: (action.params.format as "text" | "jsonl" | "csv" | undefined) ?? "text",
          header: (action.params.header as boolean | undefined) ?? false,
        };
        break;
      case "reduce": {
        const fn = action.params.fn as string;
        const keyed = this.narrow(rdd, "pairUnderNull", null, {});
        const combine: Combine = { type: "fn", fn, env: action.env };
        const shuffle = this.shuffle(keyed, parents, 1, { type: "hash" }, combine);
        parents.clear();
        rdd = this.shuffleRead("", "reduce", [shuffle], 1, {
          type: "reduceValues",
          fn,
          env: action.env,
        }, parents);
        resultAction = { type: "collect" };
        break;
      }
      case "countByValue": {
        const keyed = this.narrow(rdd, "pairWithOne", null, {});
        const n = this.defaultShufflePartitions(null, [rdd]);
        const shuffle = this.shuffle(keyed, parents, n, { type: "hash" }, { type: "sum" });
        parents.clear();
        rdd = this.shuffleRead("", "countByValue", [shuffle], n, { type: "sum" }, parents);
        resultAction = { type: "collect" };
        break;
      }
      default:
        resultAction = { type: "collect" };
    }
    const result = this.addStage(rdd, parents, { type: "result", action: resultAction });
    return { stages: this.stages, shuffles: this.shuffles, resultStage: result, action };
  }

  /** The RDD of `nodeId` as seen from the stage being built; `parents` gathers the stages it reads. */
  private rdd(nodeId: string, parents: Set<StageId>): Rdd {
    const node = this.byId.get(nodeId)!;
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
        return { kind: "union", node: node.id, parents: inputs, numPartitions };
      }
      case "map":
      case "filter":
      case "flatMap":
      case "mapPartitions":
      case "mapValues":
      case "keyBy":
        return { ...this.narrow(this.rdd(node.inputs[0]!, parents), node.op, p.fn as string, node.env), node: node.id };
      default:
        return this.wide(node, parents);
    }
  }

  /**
   * A wide node read by several branches is one shuffle, as in Spark: its map
   * side runs once and every reader fetches the same blocks.
   */
  private wide(node: NodeSpec, parents: Set<StageId>): Rdd {
    let memo = this.wideMemo.get(node.id);
    if (!memo) {
      const own = new Set<StageId>();
      memo = { rdd: this.planWide(node, own), parents: own };
      this.wideMemo.set(node.id, memo);
    }
    for (const s of memo.parents) parents.add(s);
    return memo.rdd;
  }

  private planWide(node: NodeSpec, parents: Set<StageId>): Rdd {
    const p = node.params;
    // Each input's own stages are the map stages' parents, not ours: plan them per input.
    const inputParents = node.inputs.map((i) => {
      const s = new Set<StageId>();
      return { rdd: this.rdd(i, s), parents: s };
    });
    const hash: Partitioner = { type: "hash" };
    switch (node.op) {
      case "reduceByKey": {
        const n = this.defaultShufflePartitions(node, inputParents.map((x) => x.rdd));
        const fn = p.fn as string;
        const shuffle = this.shuffle(inputParents[0]!.rdd, inputParents[0]!.parents, n, hash, { type: "fn", fn, env: node.env });
        return this.shuffleRead(node.id, node.op, [shuffle], n, { type: "reduceByKey", fn, env: node.env }, parents);
      }
      case "groupByKey": {
        const n = this.defaultShufflePartitions(node, inputParents.map((x) => x.rdd));
        const shuffle = this.shuffle(inputParents[0]!.rdd, inputParents[0]!.parents, n, hash, null);
        return this.shuffleRead(node.id, node.op, [shuffle], n, { type: "groupByKey" }, parents);
      }
      case "distinct": {
        const n = this.defaultShufflePartitions(node, inputParents.map((x) => x.rdd));
        const keyed = this.narrow(inputParents[0]!.rdd, "pairWithNull", null, {});
        const shuffle = this.shuffle(keyed, inputParents[0]!.parents, n, hash, { type: "first" });
        return this.shuffleRead(node.id, node.op, [shuffle], n, { type: "distinct" }, parents);
      }
      case "join":
      case "leftOuterJoin": {
        const n = this.defaultShufflePartitions(node, inputParents.map((x) => x.rdd));
        const shuffles = inputParents.map((x) => this.shuffle(x.rdd, x.parents, n, hash, null));
        const read: ShuffleRead = { type: "join", outer: node.op === "join" ? "inner" : "left" };
        return this.shuffleRead(node.id, node.op, shuffles, n, read, parents);
      }
      case "sortBy":
      case "sortByKey": {
        const input = inputParents[0]!;
        const n = (p.numPartitions as number | undefined) ?? input.rdd.numPartitions;
        const ascending = (p.ascending as boolean | undefined) ?? true;
        const fn = (p.fn as string | undefined) ?? null;
        const keyed =
          node.op === "sortBy"
            ? this.narrow(input.rdd, "keyBy", fn, node.env)
            : this.narrow(input.rdd, "sortKeyOfPair", fn, node.env);
        const shuffle = this.shuffle(keyed, input.parents, n, { type: "range", ascending, bounds: null }, null);
        return this.shuffleRead(node.id, node.op, [shuffle], n, { type: "sort", ascending }, parents);
      }
      default:
        throw new Error(`planner has no rule for op "${node.op}"`);
    }
  }

  private fileRdd(node: NodeSpec): Rdd {
    const format = FILE_SOURCES[node.op as keyof typeof FILE_SOURCES];
    const splits = this.ctx.splits[node.id];
    if (!splits || splits.length === 0) throw new Error(`no input splits were listed for node "${node.id}"`);
    const p = node.params;
    const csv: CsvOptions | null =
      format === "csv"
        ? {
            delimiter: (p.delimiter as string | undefined) ?? ",",
            quote: (p.quote as string | undefined) ?? '"',
            header: (p.header as boolean | undefined) ?? false,
            inferSchema: (p.inferSchema as boolean | undefined) ?? false,
          }
        : null;
    return { kind: "file", node: node.id, format, splits, firstSplit: 0, csv, numPartitions: splits.length };
  }

  private slices(node: NodeSpec): number {
    return (node.params.numSlices as number | undefined) ?? this.job.parallelism ?? this.ctx.defaultParallelism;
  }

  /** Spark's default partitioner: the job's parallelism if set, else the largest input's. */
  private defaultShufflePartitions(node: NodeSpec | null, inputs: Rdd[]): number {
    const explicit = node?.params.numPartitions as number | undefined;
    return explicit ?? this.job.parallelism ?? Math.max(...inputs.map((r) => r.numPartitions));
  }

  private narrow(parent: Rdd, op: NarrowOpKind, fn: string | null, env: Record<string, Json>): Rdd {
    return { kind: "narrow", node: "", op, fn, env, parent, numPartitions: parent.numPartitions };
  }

  private shuffleRead(node: string, op: string, shuffles: ShuffleId[], n: number, read: ShuffleRead, parents: Set<StageId>): Rdd {
    for (const s of shuffles) parents.add(this.shuffles[s]!.mapStage);
    return { kind: "shuffled", node, op, shuffles, read, numPartitions: n };
  }

  /** Adds the map stage (and, for a range partitioner, the sample stage before it). */
  private shuffle(rdd: Rdd, parents: Set<StageId>, n: number, partitioner: Partitioner, combine: Combine | null): ShuffleId {
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

  private addStage(rdd: Rdd, parents: Set<StageId>, output: StageOutput): StageId {
    const id = asStageId(this.stages.length);
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
    if (r.kind === "narrow") walk(r.parent);
    if (r.kind === "union") r.parents.forEach(walk);
    if (r.node) steps.push(`${r.node}:${opLabel(r)}`);
  };
  walk(rdd);
  const tail = output.type === "shuffle" ? "shuffle write" : output.type === "sample" ? "sample keys" : "result";
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
