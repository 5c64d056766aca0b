// Narrow ops that see a whole partition rather than one record: the user's
// mapPartitions functions, glom, sample, and the planner's steps that key a
// partition for repartition or fold it for fold/aggregate. Each takes the
// partition as an iterable and returns one. Called by rdd-compute.ts.
import { mulberry32 } from "../common/random.js";
import type { Json } from "../plan/keys.js";
import { PLANNER_PARTITIONS, PLANNER_ZERO, type Env, type PartitionOpKind } from "../plan/physical.js";
import { hashKey } from "../plan/keys.js";
import { iterableOf } from "./narrow-ops.js";
import { compileFunction, userError, UserCodeError, describeRecord, type UserFn } from "./user-function.js";

export interface PartitionStep {
  op: PartitionOpKind;
  fn: string | null;
  env: Env;
  where: string;
}

export function runPartitionOp(step: PartitionStep, index: number, input: Iterable<unknown>): Iterable<unknown> {
  const { env, where } = step;
  const fn = step.fn ? compileFunction(step.fn, where) : null;
  switch (step.op) {
    case "mapPartitions":
      return userIterable(where, () => fn!(input, env));
    case "mapPartitionsWithIndex":
      return userIterable(where, () => fn!(index, input, env));
    case "glom":
      return [[...input]];
    case "sample":
      return sample(input, env.withReplacement as boolean, env.fraction as number, (env.seed as number) ^ Math.imul(index + 1, 0x9e3779b1));
    case "roundRobinKey":
      return roundRobin(input, env[PLANNER_PARTITIONS] as number, index);
    case "foldPartition":
      return foldPartition(input, fn!, env, where);
  }
}

function userIterable(where: string, call: () => unknown): Iterable<unknown> {
  let out: unknown;
  try {
    out = call();
  } catch (e) {
    throw userError(where, e, 0);
  }
  if (out == null || typeof (out as Iterable<unknown>)[Symbol.iterator] !== "function") {
    throw new UserCodeError(`${where} must return an iterable (an array or a generator), got ${describeRecord(out)}`);
  }
  return iterableOf(out, where, 0);
}

/**
 * Bernoulli sampling without replacement, Poisson(fraction) copies with it, as
 * Spark does; seeded per partition so a retried task samples the same records.
 */
function* sample(input: Iterable<unknown>, withReplacement: boolean, fraction: number, seed: number): Iterable<unknown> {
  const rand = mulberry32(seed);
  for (const x of input) {
    if (!withReplacement) {
      if (rand() < fraction) yield x;
      continue;
    }
    for (let k = poisson(fraction, rand); k > 0; k--) yield x;
  }
}

function poisson(mean: number, rand: () => number): number {
  // Knuth's method: fine for the small means sampling uses.
  const limit = Math.exp(-mean);
  let k = 0;
  let p = rand();
  while (p > limit) {
    k++;
    p *= rand();
  }
  return k;
}

/** Spark's repartition: records go round-robin over the reduce partitions from a start that depends on the partition. */
function* roundRobin(input: Iterable<unknown>, partitions: number, index: number): Iterable<unknown> {
  let next = hashKey(index) % partitions;
  for (const x of input) {
    yield [next, x];
    next = next + 1 === partitions ? 0 : next + 1;
  }
}

/** fold/aggregate's first half: the partition folded from its own copy of the zero. */
function foldPartition(input: Iterable<unknown>, fn: UserFn, env: Env, where: string): Iterable<unknown> {
  let acc: unknown = structuredClone(env[PLANNER_ZERO] as Json);
  let n = 0;
  for (const x of input) {
    n++;
    try {
      acc = fn(acc, x, env);
    } catch (e) {
      throw userError(where, e, n, x);
    }
  }
  return [[null, acc]];
}
