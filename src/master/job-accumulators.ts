// A job's accumulators on the master (issue 17, item 5): merges each (stage,
// partition)'s delta exactly once per job, from the first FINISHED attempt the
// scheduler accepts, whatever runs after it (a retry that also finished, a
// late report of a lost attempt, a map task re-run because its output was
// lost). Built-in merges run here; a custom merge's deltas are kept in (stage,
// partition) order for the library to fold, since the master runs no user
// code. Each accumulator's merged JSON is bounded (MAX_ACCUMULATOR_BYTES).
// Owned by a JobRun; fed by the scheduler's succeeded(), read by job-view.ts.
import type { AccumulatorInfo } from "../common/api-types.js";
import type { AccumulatorDeltas } from "../cluster/protocol.js";
import { addToSet, deltaProblem, isBuiltinMerge, MAX_ACCUMULATOR_BYTES, MAX_JOB_ACCUMULATOR_BYTES, mergeNumbers, setMembers, type AccumulatorSpec } from "../plan/accumulators.js";
import type { Json } from "../plan/keys.js";

type State =
  | { kind: "number"; merge: "sum" | "max" | "min"; value: Json }
  | { kind: "set"; members: Map<string, Json> }
  /** list and custom: the deltas by partition, ordered when read. */
  | { kind: "deltas"; deltas: { stage: number; partition: number; delta: Json }[] };

interface Entry {
  spec: AccumulatorSpec;
  state: State;
  partitions: number;
  /** The merged value's JSON length so far (approximately, for list and set: members plus separators). */
  bytes: number;
}

export class JobAccumulators {
  private readonly entries = new Map<string, Entry>();
  /** "stage/partition" of every partition merged (with or without deltas): a later attempt of one adds nothing. */
  private readonly merged = new Set<string>();
  /** Partitions a resumed job reused from before a master restart, whose deltas died with that master (until one runs again). */
  private readonly lost = new Set<string>();
  /** The entries' bytes summed. */
  private bytes = 0;

  constructor(specs: readonly AccumulatorSpec[]) {
    for (const spec of specs) {
      const m = spec.merge;
      const state: State =
        m === "sum" || m === "max" || m === "min" ? { kind: "number", merge: m, value: spec.zero } : m === "set" ? { kind: "set", members: new Map() } : { kind: "deltas", deltas: [] };
      if (state.kind === "set") addToSet(state.members, spec.zero as Json[]);
      const bytes = JSON.stringify(spec.zero).length;
      this.bytes += bytes;
      this.entries.set(spec.id, { spec, state, partitions: 0, bytes });
    }
  }

  /** Why a FINISHED report's deltas do not fit this job (an id it does not use, a delta of the wrong kind), or null. */
  mismatch(deltas: unknown): string | null {
    if (deltas === undefined) return null;
    if (typeof deltas !== "object" || deltas === null || Array.isArray(deltas)) return "accumulators must be an object of deltas by accumulator id";
    for (const [id, delta] of Object.entries(deltas)) {
      const entry = this.entries.get(id);
      if (!entry) return `the job has no accumulator ${JSON.stringify(id.slice(0, 80))}`;
      const problem = deltaProblem(entry.spec.merge, delta);
      if (problem) return `accumulator "${id}": ${problem}`;
    }
    return null;
  }

  /**
   * Merges partition `partition` of stage `stage` unless it was merged before.
   * Returns why the job must fail (an accumulator grew past its bound), or null.
   */
  merge(stage: number, partition: number, deltas: AccumulatorDeltas | undefined): string | null {
    if (this.entries.size === 0) return null;
    const key = `${stage}/${partition}`;
    if (this.merged.has(key)) return null;
    this.merged.add(key);
    this.lost.delete(key);
    for (const [id, delta] of Object.entries(deltas ?? {})) {
      const e = this.entries.get(id)!;
      e.partitions++;
      const s = e.state;
      const before = e.bytes;
      if (s.kind === "number") {
        s.value = mergeNumbers(s.merge, s.value, delta as number);
        if (!Number.isFinite(s.value)) return `accumulator ${this.describe(e)} overflowed: its ${s.merge} is no longer a finite number`;
      } else if (s.kind === "set") e.bytes += addToSet(s.members, delta as Json[]);
      else {
        s.deltas.push({ stage, partition, delta });
        e.bytes += JSON.stringify(delta).length + 1;
      }
      if (e.bytes > MAX_ACCUMULATOR_BYTES) return `accumulator ${this.describe(e)} holds over ${MAX_ACCUMULATOR_BYTES} bytes of JSON (${e.bytes}); add less to it, or write the data with save`;
      this.bytes += e.bytes - before;
      if (this.bytes > MAX_JOB_ACCUMULATOR_BYTES) return `the job's accumulators hold over ${MAX_JOB_ACCUMULATOR_BYTES} bytes of JSON together (${this.bytes}, the last added to: ${this.describe(e)})`;
    }
    return null;
  }

  /**
   * Partition `partition` of map stage `stage` was done before a master
   * restart and is reused: its deltas are not known here. Should it run again
   * (its output lost), it is merged then, once.
   */
  recovered(stage: number, partition: number): void {
    const key = `${stage}/${partition}`;
    if (this.entries.size > 0 && !this.merged.has(key)) this.lost.add(key);
  }

  /** The job view's accumulators, or undefined when the job uses none. */
  view(): AccumulatorInfo[] | undefined {
    if (this.entries.size === 0) return undefined;
    return [...this.entries.values()].map((e) => {
      const base = { id: e.spec.id, name: e.spec.name, partitions: e.partitions, ...(this.lost.size > 0 && { unknownPartitions: this.lost.size }) };
      const s = e.state;
      if (s.kind === "number") return { ...base, merge: s.merge, value: s.value };
      if (s.kind === "set") return { ...base, merge: "set", value: setMembers(s.members) };
      const ordered = [...s.deltas].sort((a, b) => a.stage - b.stage || a.partition - b.partition).map((d) => d.delta);
      if (isBuiltinMerge(e.spec.merge)) return { ...base, merge: "list", value: [...(e.spec.zero as Json[]), ...ordered.flatMap((d) => d as Json[])] };
      return { ...base, merge: "custom", deltas: ordered };
    });
  }

  private describe(e: Entry): string {
    return e.spec.name ? `"${e.spec.id}" (${e.spec.name})` : `"${e.spec.id}"`;
  }
}
