// The reduce side of a shuffle: fetches this partition's blocks from every map
// output (local files directly, remote ones through the worker's HTTP client)
// and turns them into records by the read rule of the wide op: merge by key,
// group, distinct, join, sort — in tables and buffers that spill to disk when
// the task's share of memory runs out (see memory/). Called by rdd-compute.ts
// in a task thread.
import { decodeFrames } from "../common/codec.js";
import { compareKeys, type Json } from "../plan/keys.js";
import type { Rdd, ShuffleRead } from "../plan/physical.js";
import { blockKey } from "../plan/task-rdd.js";
import type { Batches } from "../ops/op-rule.js";
import type { ComputeContext } from "./compute-context.js";
import { asPair } from "../functions/record-shape.js";
import { compileFunction, userError, type UserFn } from "../functions/user-function.js";
import { ExternalSorter } from "./memory/external-sorter.js";
import { Reservation } from "./memory/memory-pool.js";
import { ENTRY_BYTES, estimateSize } from "./memory/size-estimate.js";
import { type Group, SpillableGroups } from "./memory/spillable-groups.js";
import { SpillableMap } from "./memory/spillable-map.js";
import { ShuffleInputMissingError } from "./missing-input.js";

const BATCH = 1024;

function* records(shuffleId: number, partition: number, ctx: ComputeContext): Iterable<unknown[]> {
  const locations = ctx.inputs[blockKey(shuffleId, partition)];
  if (!locations) throw new ShuffleInputMissingError(shuffleId, partition);
  const nonEmpty = locations.filter((l) => l.bytes > 0);
  for (const block of ctx.blocks.blocks(shuffleId, partition, nonEmpty)) {
    const frames = decodeFrames(block);
    for (;;) {
      let next: IteratorResult<unknown[]>;
      try {
        next = frames.next();
      } catch (e) {
        throw ctx.blocks.corrupt?.(shuffleId, `undecodable shuffle block: ${(e as Error).message}`) ?? e;
      }
      if (next.done) break;
      // A frame must be a list of records; anything else is as undecodable as bad JSON.
      if (!Array.isArray(next.value)) throw ctx.blocks.corrupt?.(shuffleId, "undecodable shuffle block: a frame is not a list of records") ?? new Error("a shuffle frame is not a list of records");
      ctx.metrics.recordsIn += next.value.length;
      yield next.value;
    }
  }
}

export function aggregateShuffle(rdd: Rdd & { kind: "shuffled" }, partition: number, ctx: ComputeContext): Batches {
  const read = rdd.read;
  const where = rdd.node ? `node "${rdd.node}" (${read.type})` : read.type;
  const input = (i = 0) => records(rdd.shuffles[i]!, partition, ctx);
  switch (read.type) {
    case "reduceByKey":
      return mergeByKey(input(), mergeWith(compileFunction(read.fn, where), read.env, where), ctx);
    case "sum":
      return mergeByKey(input(), (a, b) => (a as number) + (b as number), ctx);
    case "reduceValues":
      return reduceValues(input(), mergeWith(compileFunction(read.fn, where), read.env, where));
    case "groupByKey":
      return groupByKey(input(), ctx);
    case "distinct":
      return distinctKeys(input(), ctx);
    case "cogroup":
      return cogroup(
        rdd.shuffles.map((_, i) => input(i)),
        read.emit,
        where,
        ctx,
      );
    case "values":
      return mapRecords(input(), (rec) => (rec as [unknown, unknown])[1]);
    case "passthrough":
      return input();
    case "foldValues":
      return foldValues(input(), read.zero, mergeWith(compileFunction(read.fn, where), read.env, where));
    case "sort":
      return read.keyIsRecord ? sortRecords(input(), read.ascending, ctx) : sortByKey(input(), read.ascending, ctx);
    case "sortValues":
      return sortByKey(
        mapRecords(input(), (rec) => (rec as [unknown, unknown])[1]),
        read.ascending,
        ctx,
      );
  }
}

function* mapRecords(input: Iterable<unknown[]>, f: (rec: unknown) => unknown): Batches {
  for (const batch of input) yield batch.map(f);
}

/** fold/aggregate's second half: the partitions' results folded from another copy of the zero. */
function* foldValues(input: Iterable<unknown[]>, zero: Json, merge: (a: unknown, b: unknown) => unknown): Batches {
  let acc: unknown = structuredClone(zero);
  for (const batch of input) for (const rec of batch) acc = merge(acc, (rec as [unknown, unknown])[1]);
  yield [acc];
}

export function mergeWith(fn: UserFn, env: unknown, where: string): (a: unknown, b: unknown) => unknown {
  let n = 0;
  return (a, b) => {
    n++;
    try {
      return fn(a, b, env);
    } catch (e) {
      throw userError(where, e, n, [a, b]);
    }
  };
}

function spillableMap<V>(ctx: ComputeContext, mergeCombined: (a: V, b: V) => V): SpillableMap<V> {
  return new SpillableMap<V>(new Reservation(ctx.memory), ctx.spills, mergeCombined);
}

function emitEntries<V>(entries: Iterable<[unknown, V]>, toRecord: (k: unknown, v: V) => unknown): Batches {
  return inBatches(entries, ([k, v]) => toRecord(k, v));
}

/** `items` as records in batches of BATCH. */
function* inBatches<T>(items: Iterable<T>, toRecord: (item: T) => unknown): Batches {
  let out: unknown[] = [];
  for (const item of items) {
    out.push(toRecord(item));
    if (out.length >= BATCH) {
      yield out;
      out = [];
    }
  }
  if (out.length > 0) yield out;
}

const same = (v: unknown) => v;

function* mergeByKey(input: Iterable<unknown[]>, merge: (a: unknown, b: unknown) => unknown, ctx: ComputeContext): Batches {
  const map = spillableMap(ctx, merge);
  for (const batch of input) {
    for (const rec of batch) {
      const [k, v] = rec as [unknown, unknown];
      map.combine(k, v, same, merge);
    }
  }
  yield* emitEntries(map.entries(), (k, v) => [k, v]);
}

function* reduceValues(input: Iterable<unknown[]>, merge: (a: unknown, b: unknown) => unknown): Batches {
  let acc: unknown;
  let seen = false;
  for (const batch of input) {
    for (const rec of batch) {
      const v = (rec as [unknown, unknown])[1];
      acc = seen ? merge(acc, v) : v;
      seen = true;
    }
  }
  if (seen) yield [acc];
}

function* groupByKey(input: Iterable<unknown[]>, ctx: ComputeContext): Batches {
  const groups = new SpillableGroups(1, ctx.memory, ctx.spills);
  for (const batch of input) {
    for (const rec of batch) {
      const [k, v] = rec as [unknown, unknown];
      groups.add(k, 0, v);
    }
  }
  for (const batch of groups.batches()) yield batch.map(([k, sides]) => [k, sides[0]]);
}

function* distinctKeys(input: Iterable<unknown[]>, ctx: ComputeContext): Batches {
  const map = spillableMap<true>(ctx, (a) => a);
  for (const batch of input) {
    for (const rec of batch) {
      const k = (rec as [unknown])[0];
      if (map.get(k) === undefined) map.set(k, true, ENTRY_BYTES + estimateSize(k));
    }
  }
  yield* emitEntries(map.entries(), (k) => k);
}

/**
 * Groups each key's values by input, then emits per the op: cogroup itself,
 * the four joins, subtract/subtractByKey (keys only the first input has) and
 * intersection (keys every input has).
 */
function* cogroup(inputs: Iterable<unknown[]>[], emit: CogroupEmit, where: string, ctx: ComputeContext): Batches {
  const groups = new SpillableGroups(inputs.length, ctx.memory, ctx.spills);
  inputs.forEach((input, side) => {
    for (const batch of input) {
      for (const rec of batch) {
        const [k, v] = asPair(rec, where);
        groups.add(k, side, v);
      }
    }
  });
  yield* inBatches(emitted(groups.batches(), emit), same);
}

type CogroupEmit = Extract<ShuffleRead, { type: "cogroup" }>["emit"];

/** The records of each key's groups, one at a time: a group, and a join's product, may be larger than memory. */
function* emitted(batches: Iterable<[unknown, Group[]][]>, emit: CogroupEmit): Generator<unknown> {
  for (const batch of batches) {
    for (const [k, groups] of batch) {
      const [vs, ws] = groups as [Group, Group];
      switch (emit) {
        case "cogroup":
          yield [k, groups];
          break;
        case "subtract":
          // Records were keyed [x, null]; each occurrence on the left survives.
          if (ws.length === 0) for (let i = 0; i < vs.length; i++) yield k;
          break;
        case "subtractByKey":
          if (ws.length === 0) for (const v of vs) yield [k, v];
          break;
        case "intersection":
          if (vs.length > 0 && ws.length > 0) yield k;
          break;
        default: {
          const left = vs.length === 0 && (emit === "right" || emit === "full") ? [null] : vs;
          const right = ws.length === 0 && (emit === "left" || emit === "full") ? [null] : ws;
          for (const v of left) for (const w of right) yield [k, [v, w]];
        }
      }
    }
  }
}

type Pair = [unknown, unknown];

function* sortByKey(input: Iterable<unknown[]>, ascending: boolean, ctx: ComputeContext): Batches {
  const cmp = ascending ? (a: Pair, b: Pair) => compareKeys(a[0], b[0]) : (a: Pair, b: Pair) => compareKeys(b[0], a[0]);
  const sorter = new ExternalSorter<Pair>(new Reservation(ctx.memory), ctx.spills, cmp);
  for (const batch of input) for (const rec of batch) sorter.add(rec as Pair);
  yield* emitEntries(sorter.sorted(), (_, v) => v);
}

/** sortBy by the record itself: records arrive alone, and are sorted and spilled alone. */
function* sortRecords(input: Iterable<unknown[]>, ascending: boolean, ctx: ComputeContext): Batches {
  const sorter = new ExternalSorter<unknown>(new Reservation(ctx.memory), ctx.spills, ascending ? compareKeys : (a, b) => compareKeys(b, a));
  for (const batch of input) for (const rec of batch) sorter.add(rec);
  yield* inBatches(sorter.sorted(), same);
}
