// A task's accumulators (issue 17, item 5): binds every `{ "$accumulator" }`
// env value of a task's stage to a live object whose add(x) folds into the
// task's delta (built-in merges here, a custom one with the user's function),
// and hands the deltas back, checked to be JSON, for the FINISHED report. The
// stage is copied, never mutated: the inline runner launches tasks from the
// plan it keeps. Reading `.value` in a task throws: a task sees only its own
// adds, and the merged value is the program's. Called by task-runner.ts.
import { compileFunction, describeRecord, UserCodeError, type UserFn } from "../functions/user-function.js";
import { addToSet, isAccumulatorRef, isBuiltinMerge, MAX_ACCUMULATOR_BYTES, mergeNumbers, parseAccumulator, setMembers, type AccumulatorSpec } from "../plan/accumulators.js";
import type { Json } from "../plan/keys.js";
import { withChildren, childrenOf, type Env, type Rdd, type ShuffleDep, type Stage } from "../plan/physical.js";

/** What functions see as `env.<name>` for an accumulator. */
export class TaskAccumulator {
  private delta: Json | undefined = undefined;
  private readonly set = new Map<string, Json>();
  private readonly fold: UserFn | null;

  constructor(private readonly spec: AccumulatorSpec) {
    this.fold = isBuiltinMerge(spec.merge) ? null : compileFunction(spec.merge, `the merge of accumulator "${spec.id}"`);
  }

  /** Folds x into this task's delta. */
  add(x: unknown): void {
    const { id, merge } = this.spec;
    switch (merge) {
      case "sum":
      case "max":
      case "min":
        if (typeof x !== "number" || !Number.isFinite(x)) throw new TypeError(`accumulator "${id}" (${merge}) adds finite numbers, got ${describeRecord(x)}`);
        this.delta = mergeNumbers(merge, this.delta ?? null, x);
        return;
      case "list":
        if (this.delta === undefined) this.delta = [];
        (this.delta as unknown[]).push(x);
        return;
      case "set":
        addToSet(this.set, [x as Json]);
        this.delta = null;
        return;
      default:
        this.delta = this.delta === undefined ? (x as Json) : (this.fold!(this.delta, x) as Json);
    }
  }

  get value(): never {
    throw new Error(`accumulator "${this.spec.id}": .value is the program's to read after the job; inside a task only add() works`);
  }

  /** The task's delta, or undefined when it added nothing; throws unless it is JSON within the bound. */
  finish(): Json | undefined {
    if (this.delta === undefined) return undefined;
    const delta = this.spec.merge === "set" ? setMembers(this.set) : this.delta;
    let text: string;
    try {
      text = JSON.stringify(delta);
    } catch (e) {
      throw new UserCodeError(`accumulator "${this.spec.id}": the task's delta is not JSON: ${(e as Error).message}`);
    }
    const problem = notJson(delta);
    if (problem) throw new UserCodeError(`accumulator "${this.spec.id}": the task's delta is not JSON: ${problem}`);
    const bytes = text.length;
    if (bytes > MAX_ACCUMULATOR_BYTES) throw new UserCodeError(`accumulator "${this.spec.id}": the task's delta is ${bytes} bytes of JSON, over the limit of ${MAX_ACCUMULATOR_BYTES}`);
    return delta;
  }
}

/** The live accumulators of one task attempt, by id. */
export class TaskAccumulators {
  private readonly live = new Map<string, TaskAccumulator>();

  /** The stage and output shuffle with accumulator env values bound; the same objects when there are none. */
  bind(stage: Stage, out: ShuffleDep | null): { stage: Stage; outputShuffle: ShuffleDep | null } {
    const bound: Stage = { ...stage, rdd: this.bindRdd(stage.rdd) };
    if (stage.output.type === "result" && "env" in stage.output.action) bound.output = { ...stage.output, action: { ...stage.output.action, env: this.bindEnv(stage.output.action.env) } };
    const combine = out?.combine;
    const outputShuffle = out && combine && "env" in combine ? { ...out, combine: { ...combine, env: this.bindEnv(combine.env) } } : out;
    return { stage: bound, outputShuffle };
  }

  /** Deltas of the accumulators this task added to; undefined when none. */
  deltas(): Record<string, Json> | undefined {
    let out: Record<string, Json> | undefined;
    for (const [id, acc] of this.live) {
      const d = acc.finish();
      if (d !== undefined) (out ??= {})[id] = d;
    }
    return out;
  }

  private bindRdd(rdd: Rdd): Rdd {
    let r = rdd;
    if (r.kind === "narrow") r = { ...r, env: this.bindEnv(r.env) };
    else if (r.kind === "shuffled" && "env" in r.read) r = { ...r, read: { ...r.read, env: this.bindEnv(r.read.env) } };
    const children = childrenOf(r);
    return children.length === 0
      ? r
      : withChildren(
          r,
          children.map((c) => this.bindRdd(c)),
        );
  }

  private bindEnv(env: Env): Env {
    if (!Object.values(env).some(isAccumulatorRef)) return env;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(env)) {
      if (!isAccumulatorRef(v)) {
        out[k] = v;
        continue;
      }
      // The master validated the spec; a peer that sends a bad one gets a failed task.
      const spec = parseAccumulator(v, true, () => null);
      if (typeof spec === "string") throw new UserCodeError(`env "${k}": ${spec}`);
      let acc = this.live.get(spec.id);
      if (!acc) this.live.set(spec.id, (acc = new TaskAccumulator(spec)));
      out[k] = acc;
    }
    return out as Env;
  }
}

/** Where `root`, which JSON.stringify took (so it has no cycle), is not JSON (a NaN, a function, a class instance), or null. */
function notJson(root: unknown): string | null {
  const stack: [unknown, string][] = [[root, "the delta"]];
  while (stack.length > 0) {
    const [v, at] = stack.pop()!;
    switch (typeof v) {
      case "string":
      case "boolean":
        continue;
      case "number":
        if (Number.isFinite(v)) continue;
        return `${v} at ${at}`;
      case "object": {
        if (v === null) continue;
        const proto = Object.getPrototypeOf(v);
        if (!Array.isArray(v) && proto !== Object.prototype && proto !== null) return `a ${v.constructor?.name ?? "class instance"} at ${at}`;
        for (const [k, c] of Object.entries(v)) stack.push([c, Array.isArray(v) ? `${at}[${k}]` : `${at}.${k}`]);
        continue;
      }
      default:
        return `a ${typeof v} at ${at}`;
    }
  }
  return null;
}
