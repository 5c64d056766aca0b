// The library's broadcast variables (issue 17, item 4; Spark's Broadcast): made
// by `await sc.broadcast(value)`, which uploads the value's JSON once to one
// worker (the master names it and keeps only where copies are); passed to
// functions in `env` and shipped as the JobSpec's `{ "$broadcast": { id } }`
// form, which the workers bind to `{ id, value }` (worker/task-broadcasts.ts),
// so a function reads `env.lookup.value` as Spark's `bc.value`. destroy()
// frees every copy; the context's close() (its application's end) does too.
// Called by context.ts and dataset.ts.
import { checkJson } from "./job-builder.js";

/** A read-only value every task of the context's jobs can read, sent to each worker once. */
export class Broadcast<T> {
  private destroyed = false;

  /** @internal Made by Context.broadcast. */
  constructor(
    /** The id the master made (bc-…). */
    readonly id: string,
    private readonly current: T,
    private readonly release: (id: string) => Promise<void>,
  ) {}

  /** The value, in the program; in a function it is `env.<name>.value`. Throws once destroyed, as Spark's does. */
  get value(): T {
    if (this.destroyed) throw new Error(`broadcast ${this.id} was destroyed; its value can no longer be read`);
    return this.current;
  }

  /** True once destroy() was called: `value` then throws. */
  get isDestroyed(): boolean {
    return this.destroyed;
  }

  /** Frees the broadcast on every worker; jobs that name it afterwards are refused. Idempotent. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    await this.release(this.id);
  }

  /** @internal The JobSpec env member. */
  toSpec(): { $broadcast: { id: string } } {
    if (this.destroyed) throw new Error(`broadcast ${this.id} was destroyed; a job cannot use it`);
    return { $broadcast: { id: this.id } };
  }
}

/** The value's JSON, checked as a record's is (no functions, NaN or class instances). */
export function broadcastJson(value: unknown): string {
  checkJson(value, "the value of sc.broadcast()");
  return JSON.stringify(value);
}

/** An env with each Broadcast replaced by its JobSpec form. */
export function shipBroadcasts(env: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(env)) out[k] = v instanceof Broadcast ? v.toSpec() : v;
  return out;
}
