// A task's broadcast variables (issue 17, item 4): binds every
// `{ "$broadcast": { id } }` env value of a task's stage to `{ value }`, the
// value parsed once per thread and kept for the thread's later tasks (each
// slot is its own V8 isolate, so one parse per thread is the least; the bytes
// crossed the network once per worker, broadcast-store.ts). The stage is copied,
// never mutated. Called by task-runner.ts; the values' cache lives in
// task-thread.ts.
import { UserCodeError } from "../functions/user-function.js";
import { isBroadcastRef, parseBroadcast } from "../plan/broadcasts.js";
import { withChildren, childrenOf, type Env, type Rdd, type ShuffleDep, type Stage } from "../plan/physical.js";

/** A broadcast's value by its id, for the task's application (throws with the reason if it cannot be had). */
export type BroadcastValues = (id: string) => unknown;

/** What functions see as `env.<name>` for a broadcast, as Spark's `bc.value`. */
export interface BoundBroadcast {
  readonly id: string;
  readonly value: unknown;
}

export function bindBroadcasts(stage: Stage, out: ShuffleDep | null, lookup: BroadcastValues | null): { stage: Stage; outputShuffle: ShuffleDep | null } {
  const bindEnv = (env: Env): Env => {
    if (!Object.values(env).some(isBroadcastRef)) return env;
    const bound: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(env)) {
      if (!isBroadcastRef(v)) {
        bound[k] = v;
        continue;
      }
      const parsed = parseBroadcast(v);
      if ("problem" in parsed) throw new UserCodeError(`env "${k}": ${parsed.problem}`);
      if (!lookup) throw new UserCodeError(`env "${k}": broadcast ${parsed.id} needs a cluster's workers to hold it; this runner has none`);
      bound[k] = Object.freeze({ id: parsed.id, value: lookup(parsed.id) }) satisfies BoundBroadcast;
    }
    return bound as Env;
  };
  const bindRdd = (rdd: Rdd): Rdd => {
    let r = rdd;
    if (r.kind === "narrow") r = { ...r, env: bindEnv(r.env) };
    else if (r.kind === "shuffled" && "env" in r.read) r = { ...r, read: { ...r.read, env: bindEnv(r.read.env) } };
    const children = childrenOf(r);
    return children.length === 0 ? r : withChildren(r, children.map(bindRdd));
  };
  const bound: Stage = { ...stage, rdd: bindRdd(stage.rdd) };
  if (stage.output.type === "result" && "env" in stage.output.action) bound.output = { ...stage.output, action: { ...stage.output.action, env: bindEnv(stage.output.action.env) } };
  const combine = out?.combine;
  const outputShuffle = out && combine && "env" in combine ? { ...out, combine: { ...combine, env: bindEnv(combine.env) } } : out;
  return { stage: bound, outputShuffle };
}
