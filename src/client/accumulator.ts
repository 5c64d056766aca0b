// The library's accumulators (issue 17, item 5; Spark's AccumulatorV2): made by
// the Context (sc.accumulator, sc.listAccumulator, sc.setAccumulator), passed
// to functions in `env` — where the workers bind them to objects with add(x)
// (worker/task-accumulators.ts) — and shipped as the JobSpec's
// `{ "$accumulator": … }` form. The rule for `value`: after each job that used
// it, completed or failed (or cancelled), the job's merged value is merged into
// `value`; the master counted each partition once, from its first successful
// attempt, so retries and recomputed map output never count twice, and the
// partitions a failed job finished do count (as Spark applies every successful
// task's update). Called by context.ts and dataset.ts.
import { randomBytes } from "node:crypto";
import type { AccumulatorInfo } from "../common/api-types.js";
import { canonicalJson } from "../plan/keys.js";
import { shipFunction } from "./closure.js";

/** The built-in merges of numbers. */
export type NumberMerge = "sum" | "max" | "min";

/** Options of the accumulators a Context makes. */
export interface AccumulatorOptions {
  /** Shown in the job view and the UI. */
  name?: string;
}

/** A custom accumulator: `merge` folds two values into one (run by the tasks and by the library, never by the master). */
export interface CustomAccumulatorOptions<T> extends AccumulatorOptions {
  /** Folds two values into one; shipped to the workers as source, so it must use only its arguments. */
  merge: (a: T, b: T) => T;
}

/** What an accumulator does with values: folds one into the value, and merges a job's view into it. */
interface Kind<V, A> {
  merge: string;
  add(value: V, x: A): V;
  applyJob(value: V, info: AccumulatorInfo): V;
}

let made = 0;
/** Unique within the program (a counter) and across programs sharing a master (random). */
function newId(): string {
  return `acc-${randomBytes(4).toString("hex")}-${++made}`;
}

/**
 * A value tasks add to and the program reads (`acc.value`). Pass it in an env:
 * `ds.map(fn, { env: { errors: acc } })`, and add in the function:
 * `env.errors.add(1)`. Reading `value` inside a task throws.
 */
export class Accumulator<V, A = V> {
  /** How the JobSpec names it: unique per program. */
  readonly id = newId();
  /** Shown in the job view and the UI, or null. */
  readonly name: string | null;
  private current: V;

  /** @internal Made by the Context. */
  constructor(
    zero: V,
    private readonly kind: Kind<V, A>,
    opts: AccumulatorOptions = {},
  ) {
    this.current = zero;
    this.name = opts.name ?? null;
  }

  /** The value so far: the zero merged with every finished job's value. */
  get value(): V {
    return this.current;
  }

  /** Adds `x` here, in the program (inside a task, add() adds to that task's delta). */
  add(x: A): void {
    this.current = this.kind.add(this.current, x);
  }

  /** @internal The JobSpec env form. */
  toSpec(): { $accumulator: { id: string; merge: string; name?: string } } {
    return { $accumulator: { id: this.id, merge: this.kind.merge, ...(this.name !== null && { name: this.name }) } };
  }

  /** @internal Merges a job's value (Context.runAction, after the job ended). */
  applyJob(info: AccumulatorInfo): void {
    if (info.partitions > 0) this.current = this.kind.applyJob(this.current, info);
  }
}

const NUMBER_OPS: Record<NumberMerge, (a: number, b: number) => number> = { sum: (a, b) => a + b, max: Math.max, min: Math.min };

export function numberKind(merge: NumberMerge): Kind<number, number> {
  const f = NUMBER_OPS[merge];
  return { merge, add: f, applyJob: (v, info) => (typeof info.value === "number" ? f(v, info.value) : v) };
}

export function listKind<T>(): Kind<T[], T> {
  return { merge: "list", add: (v, x) => [...v, x], applyJob: (v, info) => [...v, ...((info.value as T[] | undefined) ?? [])] };
}

/** Members are equal when their JSON is (objects with the same members in any order are one member). */
export function setKind<T>(): Kind<T[], T> {
  const union = (v: T[], xs: readonly T[]) => {
    const seen = new Set(v.map((m) => canonicalJson(m)));
    const out = [...v];
    for (const x of xs) {
      const k = canonicalJson(x);
      if (!seen.has(k)) {
        seen.add(k);
        out.push(x);
      }
    }
    return out;
  };
  return { merge: "set", add: (v, x) => union(v, [x]), applyJob: (v, info) => union(v, (info.value as T[] | undefined) ?? []) };
}

/** A custom merge: the master keeps each partition's delta, in (stage, partition) order, and they are folded here. */
export function customKind<T>(merge: (a: T, b: T) => T): Kind<T, T> {
  const source = shipFunction(merge, { op: "accumulator", param: "merge", arity: 2, envKeys: [] });
  return { merge: source, add: merge, applyJob: (v, info) => ((info.deltas ?? []) as T[]).reduce(merge, v) };
}

/** An env with its accumulators in their JobSpec form; every other value as it was. */
export function shipAccumulators(env: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(env)) out[k] = v instanceof Accumulator ? v.toSpec() : v;
  return out;
}
