// The map side of a shuffle: takes [key, value] records, combines them by key
// when the wide op allows it (reduceByKey, distinct, countByValue, reduce), routes
// each to its reduce partition (hash or range) and encodes them in frames, then
// writes one map output file. Runs in a task thread.
import { encodeFrame } from "../common/codec.js";
import { KeyMap } from "../plan/key-map.js";
import { partitionFunction } from "../plan/partitioner.js";
import type { Combine, ShuffleDep } from "../plan/physical.js";
import { asPair } from "./narrow-ops.js";
import { mergeWith } from "./shuffle-reader.js";
import { writeMapOutput } from "./shuffle-files.js";
import { compileFunction, userError } from "./user-function.js";

const FRAME_RECORDS = 2048;

export class ShuffleWriter {
  private readonly partitionOf: (key: unknown) => number;
  private readonly buffers: unknown[][];
  private readonly blocks: Buffer[][];
  private readonly combined: KeyMap<unknown> | null;
  private readonly combine: Combiner | null;
  records = 0;

  constructor(dep: ShuffleDep, private readonly where: string) {
    this.partitionOf = partitionFunction(dep.partitioner, dep.numPartitions);
    this.buffers = Array.from({ length: dep.numPartitions }, () => []);
    this.blocks = Array.from({ length: dep.numPartitions }, () => []);
    this.combine = dep.combine ? combiner(dep.combine, where) : null;
    this.combined = dep.combine ? new KeyMap() : null;
  }

  add(rec: unknown): void {
    this.records++;
    const [k, v] = asPair(rec, this.where);
    if (this.combined) {
      const cur = this.combined.get(k);
      this.combined.set(k, cur === undefined ? this.combine!.create(v) : this.combine!.merge(cur, v));
    } else {
      this.route(k, rec);
    }
  }

  private route(k: unknown, rec: unknown): void {
    const p = this.partitionOf(k);
    const buf = this.buffers[p]!;
    buf.push(rec);
    if (buf.length >= FRAME_RECORDS) {
      this.blocks[p]!.push(encodeFrame(buf));
      this.buffers[p] = [];
    }
  }

  /** Writes the map output file; returns the byte size of each reduce partition's block. */
  finish(path: string, tmpSuffix: string): number[] {
    if (this.combined) {
      for (const [k, v] of this.combined.entries()) this.route(k, [k, v]);
      this.combined.clear();
    }
    this.buffers.forEach((buf, p) => {
      if (buf.length > 0) this.blocks[p]!.push(encodeFrame(buf));
    });
    return writeMapOutput(path, this.blocks, tmpSuffix);
  }
}

interface Combiner {
  /** A key's first value in this map task → its combiner. */
  create(v: unknown): unknown;
  merge(c: unknown, v: unknown): unknown;
}

function combiner(c: Combine, where: string): Combiner {
  const same = (v: unknown) => v;
  switch (c.type) {
    case "sum":
      return { create: same, merge: (a, b) => (a as number) + (b as number) };
    case "first":
      return { create: same, merge: (a) => a };
    case "fn":
      return { create: same, merge: mergeWith(compileFunction(c.fn, where), c.env, where) };
    case "combiner": {
      const merge = mergeWith(compileFunction(c.mergeValue, where), c.env, where);
      if (c.createCombiner) {
        const create = compileFunction(c.createCombiner, where);
        return { create: (v) => callUser(where, () => create(v, c.env), v), merge };
      }
      // Every key gets its own copy of the zero, so a combiner that mutates it is safe.
      const zero = c.zero;
      const fresh = zero === null || typeof zero !== "object" ? () => zero : () => structuredClone(zero);
      return { create: (v) => merge(fresh(), v), merge };
    }
  }
}

function callUser(where: string, f: () => unknown, record: unknown): unknown {
  try {
    return f();
  } catch (e) {
    throw userError(where, e, 0, record);
  }
}
