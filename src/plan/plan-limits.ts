// The resource limits of one planned job, and the budget that enforces them
// while the stage planner builds the plan. Partition counts grow through union
// (a sum) and cartesian (a product) and RDD trees are copied into every stage
// and every JSON form of the plan, so a spec of a few hundred bytes can ask for
// 2^40 partitions or a plan of terabytes. The planner reports each node's
// partition count and each stage it adds here *before* it allocates anything
// that grows with them; the first number past its limit stops planning with a
// PlanLimitError naming the node and the number. Pure; used by planner/stage-planner.ts,
// with the limits set by the master's config.
import { childrenOf, type Rdd } from "./physical.js";

export interface PlanLimits {
  /** Partitions of one RDD, hence tasks of one stage (Spark users run 100k-partition stages). */
  maxPartitions: number;
  /** Tasks of all the job's stages together: the scheduler keeps each in memory. */
  maxTasksPerJob: number;
  /** Stages of one job (each carries its RDD tree and its own bookkeeping). */
  maxStages: number;
  /**
   * Blocks of one shuffle (map tasks × reduce partitions), or cells of a
   * histogram (partitions × buckets): the master holds one number for each.
   */
  maxBlocks: number;
  /**
   * RDDs in all the stages' trees, counted as they are written out: a node read
   * twice within a stage, or by several stages, counts each time.
   */
  maxPlanRdds: number;
  /** Bytes of parallelized data in the plan, counted like maxPlanRdds. */
  maxPlanDataBytes: number;
}

export const DEFAULT_PLAN_LIMITS: PlanLimits = {
  maxPartitions: 100_000,
  maxTasksPerJob: 1_000_000,
  maxStages: 10_000,
  maxBlocks: 20_000_000,
  maxPlanRdds: 200_000,
  maxPlanDataBytes: 256 * 1024 * 1024,
};

/** A planned job past one of the limits: a refusal of the job, not a failure of the master. */
export class PlanLimitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PlanLimitError";
  }
}

/** What an RDD tree costs when written out: its RDDs and its parallelized data's bytes. */
interface TreeCost {
  rdds: number;
  dataBytes: number;
}

export class PlanBudget {
  private tasks = 0;
  private stages = 0;
  private rdds = 0;
  private dataBytes = 0;
  /** Per RDD object: the planner shares sub-trees, so each cost is computed once. */
  private readonly costs = new WeakMap<Rdd, TreeCost>();
  /** Per parallelized data array (one per node, shared by its RDDs). */
  private readonly dataSizes = new WeakMap<object, number>();

  constructor(readonly limits: PlanLimits) {}

  /** A node's RDD: its partition count must be a count within the limit. */
  partitions(node: string, op: string, n: number): void {
    if (!Number.isSafeInteger(n) || n < 1) {
      throw new PlanLimitError(`node "${node}" (${op}) would have ${n} partitions; it must have at least one`);
    }
    if (n > this.limits.maxPartitions) {
      throw new PlanLimitError(`node "${node}" (${op}) would have ${n} partitions, more than the limit of ${this.limits.maxPartitions}`);
    }
  }

  /** cartesian and union: checked on the numbers before any RDD of that size exists. */
  product(node: string, a: number, b: number): number {
    const n = a * b;
    this.partitions(node, "cartesian", n);
    return n;
  }

  /** Map tasks × reduce partitions of a shuffle, or partitions × buckets of a histogram. */
  blocks(node: string, what: string, a: number, b: number): void {
    if (a * b > this.limits.maxBlocks) {
      throw new PlanLimitError(`node "${node}": ${what} ${a} × ${b} = ${a * b}, more than the limit of ${this.limits.maxBlocks}`);
    }
  }

  /** A stage the planner is about to add, with its tree: counts it against the job's totals. */
  stage(name: string, rdd: Rdd): void {
    this.stages++;
    if (this.stages > this.limits.maxStages) throw new PlanLimitError(`the job would have more than ${this.limits.maxStages} stages`);
    this.tasks += rdd.numPartitions;
    if (this.tasks > this.limits.maxTasksPerJob) {
      throw new PlanLimitError(`the job would have more than ${this.limits.maxTasksPerJob} tasks (stage "${name}" adds ${rdd.numPartitions})`);
    }
    const cost = this.cost(rdd);
    this.rdds += cost.rdds;
    this.dataBytes += cost.dataBytes;
    if (this.rdds > this.limits.maxPlanRdds) {
      throw new PlanLimitError(`the job's plan would hold more than ${this.limits.maxPlanRdds} RDDs (stage "${name}" holds ${cost.rdds}); a node read many times within a stage counts each time`);
    }
    if (this.dataBytes > this.limits.maxPlanDataBytes) {
      throw new PlanLimitError(`the job's plan would hold more than ${this.limits.maxPlanDataBytes} bytes of parallelized data (stage "${name}" holds ${cost.dataBytes})`);
    }
  }

  /** The cost of a tree, memoised per RDD so that shared sub-trees cost one visit however often they appear. */
  cost(rdd: Rdd): TreeCost {
    const known = this.costs.get(rdd);
    if (known) return known;
    const cost = { rdds: 1, dataBytes: rdd.kind === "parallelize" ? this.dataSize(rdd.data) : 0 };
    for (const child of childrenOf(rdd)) {
      const c = this.cost(child);
      cost.rdds += c.rdds;
      cost.dataBytes += c.dataBytes;
    }
    // Past the limit a tree is refused whole; its size need not be exact, only finite.
    cost.rdds = Math.min(cost.rdds, Number.MAX_SAFE_INTEGER);
    this.costs.set(rdd, cost);
    if (cost.rdds > this.limits.maxPlanRdds)
      throw new PlanLimitError(
        `node "${rdd.node || "(planner step)"}" would be planned as a tree of ${cost.rdds} RDDs, more than the limit of ${this.limits.maxPlanRdds}; a node read many times counts each time`,
      );
    return cost;
  }

  private dataSize(data: object): number {
    let n = this.dataSizes.get(data);
    if (n === undefined) {
      n = JSON.stringify(data).length;
      this.dataSizes.set(data, n);
    }
    return n;
  }
}
