// Accumulators in the job model (issue 17, item 5): the JobSpec env form
// `{ "$accumulator": { id, merge, zero?, name? } }`, its bounds, where in a
// plan envs live (so the master lists a job's accumulators and a task binds
// them), and the built-in merges, which the master runs on partitions' deltas
// and tasks run on their adds. Pure. Used by the validator (planner), the task
// runner (worker), the scheduler and job view (master) and the library.
import type { Json } from "./keys.js";
import { canonicalJson } from "./keys.js";
import type { Env, JobPlan, Rdd, ShuffleDep, Stage } from "./physical.js";
import { childrenOf } from "./physical.js";

/** The env member that marks an accumulator. */
export const ACCUMULATOR_KEY = "$accumulator";
/** Merges the master runs itself; any other merge is the source of one function `(a, b) => …`. */
export const BUILTIN_MERGES = ["sum", "max", "min", "list", "set"] as const;
export type BuiltinMerge = (typeof BUILTIN_MERGES)[number];
/** Ids as the library makes them (hex and a counter) or as a JobSpec user names them: short, printable, no spaces. */
export const ACCUMULATOR_ID = /^[A-Za-z0-9_.:-]{1,64}$/;
export const MAX_ACCUMULATOR_NAME = 200;
/** Accumulators one job may use: each costs the master a merge per task; a hundred counters is plenty. */
export const MAX_ACCUMULATORS = 100;
/** An accumulator's merged value (or a custom one's kept deltas) as JSON, at most; a task's delta too. */
export const MAX_ACCUMULATOR_BYTES = 16 * 1024 * 1024;
/** All of a job's accumulators together: the job view carries them on every poll and into the store. */
export const MAX_JOB_ACCUMULATOR_BYTES = 64 * 1024 * 1024;

/** One accumulator as a job uses it; `merge` is a built-in's name or a function's source. */
export interface AccumulatorSpec {
  id: string;
  name: string | null;
  merge: string;
  /** The job's starting value on the master (built-ins); for a custom merge the library folds from its own value. */
  zero: Json;
}

export function isBuiltinMerge(merge: string): merge is BuiltinMerge {
  return (BUILTIN_MERGES as readonly string[]).includes(merge);
}

/** Whether an env value is an accumulator reference (its shape is checked by parseAccumulator). */
export function isAccumulatorRef(v: unknown): v is { [ACCUMULATOR_KEY]: unknown } {
  return typeof v === "object" && v !== null && !Array.isArray(v) && Object.hasOwn(v, ACCUMULATOR_KEY);
}

/** The identity a built-in merge starts from when no zero is given. */
function defaultZero(merge: string): Json {
  return merge === "sum" ? 0 : merge === "list" || merge === "set" ? [] : null;
}

/** Why `zero` cannot start a built-in `merge`, or null. Custom merges take any JSON. */
function zeroProblem(merge: string, zero: Json): string | null {
  switch (merge) {
    case "sum":
      return typeof zero === "number" ? null : "a sum accumulator's zero must be a number";
    case "max":
    case "min":
      return zero === null || typeof zero === "number" ? null : `a ${merge} accumulator's zero must be a number or null`;
    case "list":
    case "set":
      return Array.isArray(zero) ? null : `a ${merge} accumulator's zero must be an array`;
    default:
      return null;
  }
}

/**
 * The spec an env value names, or what is wrong with it. `checkFunction` parses
 * a custom merge (the planner's acorn check); `userCode` false refuses one.
 */
export function parseAccumulator(v: { [ACCUMULATOR_KEY]: unknown }, userCode: boolean, checkFunction: (src: string) => string | null): AccumulatorSpec | string {
  const a = v[ACCUMULATOR_KEY];
  if (Object.keys(v).length !== 1) return `an accumulator is {"${ACCUMULATOR_KEY}": {...}} and nothing else`;
  if (typeof a !== "object" || a === null || Array.isArray(a)) return `"${ACCUMULATOR_KEY}" must be an object {"id", "merge", "zero"?, "name"?}`;
  const o = a as Record<string, unknown>;
  const extra = Object.keys(o).filter((k) => !["id", "merge", "zero", "name"].includes(k));
  if (extra.length > 0) return `an accumulator takes id, merge, zero and name, not ${extra.map((k) => JSON.stringify(k.slice(0, 50))).join(", ")}`;
  if (typeof o.id !== "string" || !ACCUMULATOR_ID.test(o.id)) return "an accumulator's id must be 1 to 64 letters, digits, '_', '.', ':' or '-'";
  const id = o.id;
  if (o.name !== undefined && (typeof o.name !== "string" || o.name.length > MAX_ACCUMULATOR_NAME)) return `accumulator "${id}": name must be a string of at most ${MAX_ACCUMULATOR_NAME} characters`;
  if (typeof o.merge !== "string") return `accumulator "${id}": merge must be one of ${BUILTIN_MERGES.join(", ")} or a function (a, b) => …`;
  const merge = o.merge;
  if (!isBuiltinMerge(merge)) {
    if (!userCode) return `accumulator "${id}": a custom merge is user code, and this cluster runs built-ins only (user code is disabled); use one of ${BUILTIN_MERGES.join(", ")}`;
    const problem = checkFunction(merge);
    if (problem) return `accumulator "${id}": merge must be one of ${BUILTIN_MERGES.join(", ")} or one function expression; it ${problem}`;
  }
  const zero = o.zero === undefined ? defaultZero(merge) : (o.zero as Json);
  const zp = zeroProblem(merge, zero);
  if (zp) return `accumulator "${id}": ${zp}`;
  return { id, name: (o.name as string | undefined) ?? null, merge, zero };
}

/** Every env of a stage's tasks: its RDD tree's steps and shuffle reads, its result action, the map-side combine of the shuffle it writes. */
export function stageEnvs(stage: Stage, outputShuffle: ShuffleDep | null): Env[] {
  const envs: Env[] = [];
  const stack: Rdd[] = [stage.rdd];
  while (stack.length > 0) {
    const rdd = stack.pop()!;
    if (rdd.kind === "narrow") envs.push(rdd.env);
    if (rdd.kind === "shuffled" && "env" in rdd.read) envs.push(rdd.read.env);
    stack.push(...childrenOf(rdd));
  }
  if (stage.output.type === "result" && "env" in stage.output.action) envs.push(stage.output.action.env);
  if (outputShuffle?.combine && "env" in outputShuffle.combine) envs.push(outputShuffle.combine.env);
  return envs;
}

/** A plan's accumulators by id, from every env its tasks run with (already validated, so parsing cannot fail). */
export function planAccumulators(plan: JobPlan): AccumulatorSpec[] {
  const found = new Map<string, AccumulatorSpec>();
  for (const stage of plan.stages) {
    const out = stage.output.type === "shuffle" ? plan.shuffles[stage.output.shuffle]! : null;
    for (const env of stageEnvs(stage, out)) {
      for (const v of Object.values(env)) {
        if (!isAccumulatorRef(v)) continue;
        const spec = parseAccumulator(v, true, () => null);
        if (typeof spec !== "string" && !found.has(spec.id)) found.set(spec.id, spec);
      }
    }
  }
  return [...found.values()];
}

/** Why `delta` cannot be a built-in merge's delta (numbers for sum, max and min; arrays for list and set), or null. */
export function deltaProblem(merge: string, delta: unknown): string | null {
  switch (merge) {
    case "sum":
    case "max":
    case "min":
      return typeof delta === "number" && Number.isFinite(delta) ? null : `a ${merge} accumulator's delta must be a finite number`;
    case "list":
    case "set":
      return Array.isArray(delta) ? null : `a ${merge} accumulator's delta must be an array`;
    default:
      return null;
  }
}

/** a ⊕ b for sum, max and min; null stands for "no value yet" (max and min without a zero). */
export function mergeNumbers(merge: "sum" | "max" | "min", a: Json, b: number): number {
  if (a === null) return b;
  const x = a as number;
  return merge === "sum" ? x + b : merge === "max" ? Math.max(x, b) : Math.min(x, b);
}

/** A set's members by canonical JSON, so that equal objects count once. */
export function addToSet(set: Map<string, Json>, values: readonly Json[]): number {
  let added = 0;
  for (const v of values) {
    const k = canonicalJson(v);
    if (set.has(k)) continue;
    set.set(k, v);
    added += k.length + 1;
  }
  return added;
}

/** A set's members in canonical-JSON order: the same set reads the same whatever order partitions arrived in. */
export function setMembers(set: Map<string, Json>): Json[] {
  return [...set.keys()].sort().map((k) => set.get(k)!);
}

/**
 * Whether a stage's deltas count: map (shuffle) and result stages do; probe
 * stages (a sort's key sample, zipWithIndex's counts, a histogram's min and
 * max) compute an RDD that a later stage computes again, so theirs would
 * count every add twice.
 */
export function countsAccumulators(stage: Stage): boolean {
  return stage.output.type === "shuffle" || stage.output.type === "result";
}
