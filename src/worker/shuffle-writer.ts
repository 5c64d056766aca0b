// The map side of a shuffle: takes [key, value] records, combines them by key
// when the wide op allows it (reduceByKey, distinct, countByValue, reduce), routes
// each to its reduce partition (hash or range) and encodes them in frames, then
// writes one map output file. When the task's share of memory runs out, the
// combine table is flushed as partial results (the reduce side merges them
// anyway) and the encoded blocks so far go to a spill file laid out like a map
// output; the final file is then the per-partition concatenation of the spills
// and what is left. Runs in a task thread.
import { encodeFrame } from "../common/codec.js";
import { KeyMap } from "../plan/key-map.js";
import { partitionFunction } from "../plan/partitioner.js";
import type { Combine, ShuffleDep } from "../plan/physical.js";
import { asPair } from "./narrow-ops.js";
import { mergeWith } from "./shuffle-reader.js";
import { concatMapOutputs, writeMapOutput } from "./shuffle-files.js";
import { compileFunction, userError } from "./user-function.js";
import type { Reservation } from "./memory/memory-pool.js";
import { ENTRY_BYTES, estimateSize } from "./memory/size-estimate.js";
import type { TaskSpills } from "./memory/spill-files.js";

const FRAME_RECORDS = 2048;
const FRAME_BYTES = 256 * 1024;

export class ShuffleWriter {
  private readonly partitionOf: (key: unknown) => number;
  private buffers: unknown[][];
  private readonly bufferBytes: number[];
  private blocks: Buffer[][];
  private readonly combined: KeyMap<unknown> | null;
  private readonly combine: Combiner | null;
  /** Estimated bytes held: the combine table, unencoded frames and encoded blocks. */
  private bytes = 0;
  private readonly spilled: string[] = [];
  records = 0;

  constructor(
    dep: ShuffleDep,
    private readonly where: string,
    private readonly reservation: Reservation,
    private readonly spills: TaskSpills,
  ) {
    this.partitionOf = partitionFunction(dep.partitioner, dep.numPartitions);
    this.buffers = Array.from({ length: dep.numPartitions }, () => []);
    this.bufferBytes = new Array<number>(dep.numPartitions).fill(0);
    this.blocks = Array.from({ length: dep.numPartitions }, () => []);
    this.combine = dep.combine ? combiner(dep.combine, where) : null;
    this.combined = dep.combine ? new KeyMap() : null;
  }

  add(rec: unknown): void {
    this.records++;
    const [k, v] = asPair(rec, this.where);
    if (this.combined) {
      const cur = this.combined.get(k);
      if (cur === undefined) {
        const c = this.combine!.create(v);
        this.combined.set(k, c);
        this.bytes += ENTRY_BYTES + estimateSize(k) + estimateSize(c);
      } else {
        const merged = this.combine!.merge(cur, v);
        this.combined.set(k, merged);
        if (typeof merged !== "number" || typeof cur !== "number") this.bytes += estimateSize(merged) - estimateSize(cur);
      }
    } else {
      this.route(k, rec);
    }
    if (!this.reservation.fits(this.bytes)) this.spill();
  }

  private route(k: unknown, rec: unknown): void {
    const p = this.partitionOf(k);
    const buf = this.buffers[p]!;
    buf.push(rec);
    const size = 8 + estimateSize(rec);
    this.bufferBytes[p]! += size;
    this.bytes += size;
    if (buf.length >= FRAME_RECORDS || this.bufferBytes[p]! >= FRAME_BYTES) this.encode(p);
  }

  private encode(p: number): void {
    const buf = this.buffers[p]!;
    if (buf.length === 0) return;
    const frame = encodeFrame(buf);
    this.blocks[p]!.push(frame);
    this.bytes += frame.length - this.bufferBytes[p]!;
    this.buffers[p] = [];
    this.bufferBytes[p] = 0;
  }

  /** Drains the combine table into the partitions' frames. */
  private flushCombined(): void {
    if (!this.combined) return;
    for (const [k, v] of this.combined.entries()) this.route(k, [k, v]);
    this.combined.clear();
  }

  private spill(): void {
    this.flushCombined();
    this.buffers.forEach((_, p) => this.encode(p));
    const path = this.spills.nextPath();
    const sizes = writeMapOutput(path, this.blocks, "spill");
    this.spills.written(sizes.reduce((a, b) => a + b, 0));
    this.spilled.push(path);
    this.blocks = this.blocks.map(() => []);
    this.bytes = 0;
    this.reservation.release();
  }

  /** Writes the map output file; returns the byte size of each reduce partition's block. */
  finish(path: string, tmpSuffix: string): number[] {
    this.flushCombined();
    this.buffers.forEach((_, p) => this.encode(p));
    const sizes = this.spilled.length === 0
      ? writeMapOutput(path, this.blocks, tmpSuffix)
      : concatMapOutputs(path, this.spilled, this.blocks, tmpSuffix);
    this.blocks = [];
    this.reservation.release();
    return sizes;
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
