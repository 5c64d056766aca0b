// sampleByKey(withReplacement, fractions, seed): a per-key sample of [key,
// value] pairs, as PySpark's RDDStratifiedSampler — per partition one seeded
// stream, one uniform draw per pair kept below its key's fraction, or a
// Poisson(fraction) number of copies with replacement. Keys are looked up by
// value (src/plan/key-map.ts), so [1, 2] and {"a": 1} work as keys; fractions
// come as an object (string keys) or as [key, fraction] pairs (any keys).
// Every key met must have a fraction, as Spark requires.
// Called by the sampleByKey op: fractionsProblem for its parameter check,
// fractionTable once per task and sampleByKeyPartition per partition on the
// worker.
import type { Json } from "../../plan/keys.js";
import { canonicalJson } from "../../plan/keys.js";
import { KeyMap } from "../../plan/key-map.js";
import { partitionRandom } from "./partition-random.js";
import { poissonDraw } from "./poisson.js";

export type Fractions = Readonly<Record<string, number>> | readonly (readonly [Json, number])[];

export class SampleByKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SampleByKeyError";
  }
}

function entriesOf(fractions: Fractions): (readonly [Json, number])[] {
  return Array.isArray(fractions) ? [...(fractions as readonly (readonly [Json, number])[])] : Object.entries(fractions);
}

/**
 * Why sampleByKey cannot take these fractions, or null. PySpark's rule is a
 * fraction >= 0; without replacement it is also at most 1, as for sample.
 */
export function fractionsProblem(fractions: Fractions, withReplacement: boolean): string | null {
  const seen = new KeyMap<true>();
  for (const [key, f] of entriesOf(fractions)) {
    if (typeof f !== "number" || !Number.isFinite(f)) return `the fraction of key ${describe(key)} must be a number, got ${describe(f)}`;
    if (f < 0) return `Negative fraction value: ${f}`;
    if (!withReplacement && f > 1) return `the fraction of key ${describe(key)} must be <= 1 without replacement, got ${f}`;
    if (seen.get(key)) return `key ${describe(key)} has two fractions`;
    seen.set(key, true);
  }
  return null;
}

/** The fractions as a lookup by key value. */
export function fractionTable(fractions: Fractions, withReplacement: boolean): KeyMap<number> {
  const problem = fractionsProblem(fractions, withReplacement);
  if (problem) throw new RangeError(problem);
  const table = new KeyMap<number>();
  for (const [key, f] of entriesOf(fractions)) table.set(key, f);
  return table;
}

export function* sampleByKeyPartition(input: Iterable<unknown>, table: KeyMap<number>, withReplacement: boolean, seed: number, partitionIndex: number): Iterable<unknown> {
  const rand = partitionRandom(seed, partitionIndex);
  for (const pair of input) {
    if (!Array.isArray(pair) || pair.length !== 2) throw new SampleByKeyError(`sampleByKey needs [key, value] pairs, got ${describe(pair)}`);
    const f = table.get(pair[0]);
    if (f === undefined) throw new SampleByKeyError(`sampleByKey: key ${describe(pair[0])} has no fraction (every key needs one)`);
    if (!withReplacement) {
      if (rand() < f) yield pair;
      continue;
    }
    for (let k = poissonDraw(f, rand); k > 0; k--) yield pair;
  }
}

function describe(x: unknown): string {
  const s = canonicalJson(x);
  return s.length > 100 ? s.slice(0, 100) + "…" : s;
}
