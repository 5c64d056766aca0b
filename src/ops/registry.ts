// Every op and action a JobSpec may name, each family in its own module. This
// list is the only one: validation, the JSON Schema, the planner, the workers,
// the master's merge of results, the client's node shape and the ops-table
// test's coverage all read it. Adding an op: a module in this folder exporting
// its family, one line in FAMILIES below, and its cases in test/ops-table.test.ts.
import type { ResultAction } from "../plan/physical.js";
import { BY_KEY_AGGREGATIONS } from "./by-key-aggregations.js";
import { CARTESIAN } from "./cartesian.js";
import { COALESCE } from "./coalesce.js";
import { COGROUPS } from "./cogroups.js";
import { COLLECT } from "./collect.js";
import { COUNT } from "./count.js";
import { COUNT_BY } from "./count-by.js";
import { DISTINCT } from "./distinct.js";
import { FILE_SOURCES } from "./file-sources.js";
import { FOLD } from "./fold.js";
import { GET_NUM_PARTITIONS } from "./get-num-partitions.js";
import { GROUP_BY_KEY } from "./group-by-key.js";
import { HISTOGRAM } from "./histogram.js";
import { LOOKUP } from "./lookup.js";
import type { AnyStep, Batches, Op, OpFamily, PartitionResults, ResultKind, ResultOf, ResultTask } from "./op-rule.js";
import { camelToSnake, snakeToCamel, type ParamType } from "./params.js";
import { PARALLELIZE } from "./parallelize.js";
import { PARTITION_OPS } from "./partition-ops.js";
import { RANGE } from "./range.js";
import { RECORD_OPS } from "./record-ops.js";
import { REDUCE } from "./reduce.js";
import { REPARTITION } from "./repartition.js";
import { SAMPLE } from "./sample.js";
import { SAVE } from "./save.js";
import { SORTS } from "./sorts.js";
import { STATS } from "./stats.js";
import { TAKE } from "./take.js";
import { TAKE_ORDERED } from "./take-ordered.js";
import { UNION } from "./union.js";
import { ZIP_WITH_INDEX } from "./zip-with-index.js";
import { ZIP } from "./zip.js";
import { ZIP_WITH_UNIQUE_ID } from "./zip-with-unique-id.js";
import { TREE_AGGREGATE } from "./tree-aggregate.js";
import { REPARTITION_AND_SORT } from "./repartition-and-sort.js";
import { FOREACH } from "./foreach.js";
import { COUNT_APPROX_DISTINCT } from "./count-approx-distinct.js";
import { TAKE_SAMPLE } from "./take-sample.js";
import { RANDOM_SPLIT } from "./random-split.js";
import { SAMPLE_BY_KEY } from "./sample-by-key.js";
import { PIPE } from "./pipe.js";
import { COLLECT_PARTITION } from "./collect-partition.js";
import type { TaskResult } from "../plan/task.js";

const FAMILIES: readonly OpFamily[] = [
  FILE_SOURCES,
  PARALLELIZE,
  RANGE,
  RECORD_OPS,
  PARTITION_OPS,
  UNION,
  ZIP_WITH_INDEX,
  SAMPLE,
  CARTESIAN,
  COALESCE,
  BY_KEY_AGGREGATIONS,
  GROUP_BY_KEY,
  DISTINCT,
  COGROUPS,
  REPARTITION,
  SORTS,
  COLLECT,
  COUNT,
  TAKE,
  TAKE_ORDERED,
  REDUCE,
  FOLD,
  STATS,
  HISTOGRAM,
  COUNT_BY,
  LOOKUP,
  GET_NUM_PARTITIONS,
  SAVE,
  ZIP,
  ZIP_WITH_UNIQUE_ID,
  TREE_AGGREGATE,
  REPARTITION_AND_SORT,
  FOREACH,
  COUNT_APPROX_DISTINCT,
  TAKE_SAMPLE,
  RANDOM_SPLIT,
  SAMPLE_BY_KEY,
  PIPE,
  COLLECT_PARTITION,
];

/** One table from every family's entries; a name two families claim is a mistake caught at load. */
function table<T>(what: string, entries: [string, T][]): Readonly<Record<string, T>> {
  const out: Record<string, T> = {};
  for (const [name, value] of entries) {
    if (Object.hasOwn(out, name)) throw new Error(`two op families register the ${what} "${name}"`);
    out[name] = value;
  }
  return out;
}

const RULES = table<Op>(
  "op",
  FAMILIES.flatMap((f) => Object.entries(f.ops)),
);
const STEPS = table<AnyStep>(
  "step",
  FAMILIES.flatMap((f) => (f.steps ?? []).map((s): [string, AnyStep] => [s.name, s])),
);

const ALIASES: Readonly<Record<string, string>> = Object.fromEntries(Object.entries(RULES).flatMap(([name, op]) => op.aliases.map((alias) => [alias, name])));

const RESULTS: PartitionResults = table(
  "result",
  FAMILIES.flatMap((f) => Object.entries(f.results ?? {})),
);

/** What a result task returns for its partition, as the action's rule computes it. */
export function partitionResult(action: ResultAction, batches: Batches, task: ResultTask): TaskResult {
  return resultOf(action.type, action, batches, task);
}

function resultOf<K extends ResultKind>(kind: K, action: ResultOf<K>, batches: Batches, task: ResultTask): TaskResult {
  const compute = Object.hasOwn(RESULTS, kind) ? RESULTS[kind] : undefined;
  if (!compute) throw new Error(`task was sent an unknown result "${kind}"`);
  return compute(action, batches, task);
}

/** The rule of an op or action by its canonical name; own entries only, so "__proto__" is no op. */
export function opRule(name: string): Op | undefined {
  return Object.hasOwn(RULES, name) ? RULES[name] : undefined;
}

/** The narrow step a plan's RDD names (own entries only: a launch is a peer's message). */
export function stepRule(name: string): AnyStep | undefined {
  return Object.hasOwn(STEPS, name) ? STEPS[name] : undefined;
}

/** Every canonical op and action name, in registry order. */
export function opNames(): string[] {
  return Object.keys(RULES);
}

/** The canonical name a JobSpec's spelling means (itself if it names none). */
export function canonicalOpName(op: string): string {
  if (Object.hasOwn(RULES, op)) return op;
  if (Object.hasOwn(ALIASES, op)) return ALIASES[op]!;
  const camel = snakeToCamel(op);
  return Object.hasOwn(RULES, camel) ? camel : op;
}

/** Every name that means `op`, canonical first: itself, snake_case, older ones. */
export function opSpellings(op: string): string[] {
  return [...new Set([op, camelToSnake(op), ...RULES[op]!.aliases])];
}

/** Whether the client writes the op's inputs as a list even when it has one: ops that read several. */
export function readsInputList(op: string): boolean {
  const rule = opRule(op);
  return rule !== undefined && rule.inputs !== 0 && rule.inputs !== 1;
}

export { snakeToCamel, type ParamType };
