// The map side of a shuffle: takes [key, value] records, combines them by key
// when the wide op allows it (reduceByKey, distinct, countByValue, reduce), routes
// each to its reduce partition (hash or range) and encodes them in frames, then
// writes one map output file. Both halves stay within the task's memory: the
// combine table spills sorted runs and merges them at the end (one record per
// key and map task, as Spark's ExternalAppendOnlyMap gives), and the
// encoded blocks go to spill files laid out like a map output, which the final
// file concatenates per partition, bytes only. Runs in a task thread.
import { encodeFrame } from "../common/codec.js";
import { partitionFunction } from "../plan/partitioner.js";
import type { Combine, ShuffleDep } from "../plan/physical.js";
import { asPair } from "../functions/record-shape.js";
import { mergeWith } from "./shuffle-reader.js";
import { concatMapOutputs, writeMapOutput } from "./shuffle-files.js";
import { compileFunction, userError } from "../functions/user-function.js";
import { Reservation, type TaskMemory } from "./memory/memory-pool.js";
import { estimateSize } from "./memory/size-estimate.js";
import type { TaskSpills } from "./memory/spill-files.js";
import { SpillableMap } from "./memory/spillable-map.js";

const FRAME_RECORDS = 2048;
const FRAME_BYTES = 256 * 1024;
/** Spilled block files are concatenated into one when there are this many, to bound open files. */
const MAX_SPILLED_PARTS = 32;

export class ShuffleWriter {
  private readonly partitionOf: (key: unknown) => number;
  private buffers: unknown[][];
  private readonly bufferBytes: number[];
  private blocks: Buffer[][];
  private readonly combined: SpillableMap<unknown> | null;
  private readonly combine: Combiner | null;
  private readonly reservation: Reservation;
  /** Each record is its own key (a sortBy by the record): written alone. */
  private readonly keyIsRecord: boolean;
  /** Estimated bytes of the unencoded frames and encoded blocks held. */
  private bytes = 0;
  private spilled: string[] = [];
  records = 0;

  constructor(
    dep: ShuffleDep,
    private readonly where: string,
    memory: TaskMemory,
    private readonly spills: TaskSpills,
  ) {
    this.partitionOf = partitionFunction(dep.partitioner, dep.numPartitions);
    this.buffers = Array.from({ length: dep.numPartitions }, () => []);
    this.bufferBytes = new Array<number>(dep.numPartitions).fill(0);
    this.blocks = Array.from({ length: dep.numPartitions }, () => []);
    this.reservation = new Reservation(memory);
    this.keyIsRecord = dep.partitioner.type === "range" && dep.partitioner.keyIsRecord === true;
    this.combine = dep.combine ? combiner(dep.combine, where) : null;
    this.combined = this.combine ? new SpillableMap(new Reservation(memory), spills, this.combine.mergeCombiners) : null;
  }

  add(rec: unknown): void {
    this.records++;
    if (this.keyIsRecord) {
      this.route(rec, rec);
      return;
    }
    const [k, v] = asPair(rec, this.where);
    if (!this.combined) {
      this.route(k, rec);
      return;
    }
    this.combined.combine(k, v, this.combine!.create, this.combine!.merge);
  }

  /**
   * Adds `n` records [key, 1] at once, for the word-count kernel: into a
   * summing combine that is the same as adding them one by one.
   */
  addOnes(key: string, n: number): void {
    this.records += n;
    this.combined!.combine(key, n, this.combine!.create, this.combine!.merge);
  }

  private route(k: unknown, rec: unknown): void {
    const p = this.partitionOf(k);
    const buf = this.buffers[p]!;
    buf.push(rec);
    const size = 8 + estimateSize(rec);
    this.bufferBytes[p]! += size;
    this.bytes += size;
    if (buf.length >= FRAME_RECORDS || this.bufferBytes[p]! >= FRAME_BYTES) this.encode(p);
    if (!this.reservation.fits(this.bytes)) this.spillBlocks();
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

  private spillBlocks(): void {
    for (let p = 0; p < this.buffers.length; p++) this.encode(p);
    const path = this.spills.nextPath();
    const sizes = writeMapOutput(path, this.blocks, "spill");
    this.spills.written(sizes.reduce((a, b) => a + b, 0));
    this.spilled.push(path);
    this.blocks = this.blocks.map(() => []);
    this.bytes = 0;
    this.reservation.release();
    if (this.spilled.length >= MAX_SPILLED_PARTS) {
      const merged = this.spills.nextPath();
      concatMapOutputs(merged, this.spilled, this.blocks, "spill");
      this.spills.remove(this.spilled);
      this.spilled = [merged];
    }
  }

  /** Writes the map output file; returns the byte size of each reduce partition's block. */
  finish(path: string, tmpSuffix: string): number[] {
    if (this.combined) for (const [k, v] of this.combined.entries()) this.route(k, [k, v]);
    for (let p = 0; p < this.buffers.length; p++) this.encode(p);
    const sizes = this.spilled.length === 0 ? writeMapOutput(path, this.blocks, tmpSuffix) : concatMapOutputs(path, this.spilled, this.blocks, tmpSuffix);
    this.blocks = [];
    this.reservation.release();
    return sizes;
  }
}

interface Combiner {
  /** A key's first value in this map task → its combiner. */
  create(v: unknown): unknown;
  merge(c: unknown, v: unknown): unknown;
  /** Two combiners of one key (from different spills of this map task) → one. */
  mergeCombiners(a: unknown, b: unknown): unknown;
}

function combiner(c: Combine, where: string): Combiner {
  const same = (v: unknown) => v;
  switch (c.type) {
    case "sum": {
      const add = (a: unknown, b: unknown) => (a as number) + (b as number);
      return { create: same, merge: add, mergeCombiners: add };
    }
    case "first":
      return { create: same, merge: (a) => a, mergeCombiners: (a) => a };
    case "fn": {
      const merge = mergeWith(compileFunction(c.fn, where), c.env, where);
      return { create: same, merge, mergeCombiners: merge };
    }
    case "combiner": {
      const merge = mergeWith(compileFunction(c.mergeValue, where), c.env, where);
      const mergeCombiners = mergeWith(compileFunction(c.mergeCombiners, where), c.env, where);
      if (c.createCombiner) {
        const create = compileFunction(c.createCombiner, where);
        return { create: (v) => callUser(where, () => create(v, c.env), v), merge, mergeCombiners };
      }
      // Every key gets its own copy of the zero, so a combiner that mutates it is safe.
      const zero = c.zero;
      const fresh = zero === null || typeof zero !== "object" ? () => zero : () => structuredClone(zero);
      return { create: (v) => merge(fresh(), v), merge, mergeCombiners };
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
