// A map keyed by value rather than by identity: primitive keys go straight into a
// JS Map (which already distinguishes 1 from "1" and equates NaN with NaN);
// arrays and objects are keyed by their canonical JSON in a second map, so a
// string key can never collide with a composite one. Used by every aggregation
// (map-side combine, reduce-side merge, grouping, joins, distinct).
import { canonicalJson } from "./keys.js";

export class KeyMap<V> {
  private readonly prims = new Map<unknown, V>();
  private readonly composites = new Map<string, { key: unknown; value: V }>();

  get size(): number {
    return this.prims.size + this.composites.size;
  }

  get(key: unknown): V | undefined {
    if (key === null || typeof key !== "object") return this.prims.get(key);
    return this.composites.get(canonicalJson(key))?.value;
  }

  set(key: unknown, value: V): void {
    if (key === null || typeof key !== "object") {
      this.prims.set(key, value);
      return;
    }
    const id = canonicalJson(key);
    const slot = this.composites.get(id);
    if (slot) slot.value = value;
    else this.composites.set(id, { key, value });
  }

  /** Insertion order within primitives, then within composites. */
  *entries(): IterableIterator<[unknown, V]> {
    yield* this.prims.entries();
    for (const { key, value } of this.composites.values()) yield [key, value];
  }

  /**
   * Every entry in key order. Only the keys are sorted (an array of references),
   * so a table can be written out in order without doubling it. `cmp` must rank
   * primitive keys below arrays and objects, as compareKeys does, so that the
   * two maps sort apart.
   */
  *sortedEntries(cmp: (a: unknown, b: unknown) => number): IterableIterator<[unknown, V]> {
    const prims = Array.from(this.prims.keys()).sort(cmp);
    for (const k of prims) yield [k, this.prims.get(k) as V];
    const slots = Array.from(this.composites.values()).sort((a, b) => cmp(a.key, b.key));
    for (const { key, value } of slots) yield [key, value];
  }

  clear(): void {
    this.prims.clear();
    this.composites.clear();
  }
}
