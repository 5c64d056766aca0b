// Computes one partition of a stage's RDD tree, as a lazy, synchronous stream of
// record batches: sources read their split, narrow steps run through their op's
// rule (src/ops, found in the registry) with runs of per-record steps fused into
// one call chain, unions pick the parent that owns the partition, and shuffled
// RDDs fetch and aggregate their blocks. Everything is pull-based and synchronous (the task thread owns
// its core), so a consumer that stops early (take) stops the reading too.
// Called by task-runner.ts.
import type { Json } from "../plan/keys.js";
import type { Batches, Emit, StepContext } from "../ops/op-rule.js";
import { zipPartition } from "../ops/kernels/zip-partitions.js";
import { stepRule } from "../ops/registry.js";
import type { InputSplit, Rdd } from "../plan/physical.js";
import { parentPartitions, sliceBounds, type ParentRead } from "../plan/parent-partitions.js";
import { probeCsvSplit, readCsvSplit } from "./csv-input.js";
import type { CsvSeen } from "../common/csv-types.js";
import { openInput, type InputFile } from "../storage/confined-open.js";
import { S3InputFile } from "../storage/s3/s3-input-file.js";
import { isS3Url } from "../plan/s3-location.js";
import { readLineBatches } from "../storage/line-reader.js";
import { parquetReader } from "../storage/parquet-code.js";
import type { ComputeContext } from "./compute-context.js";
import { aggregateShuffle } from "./shuffle-reader.js";
import { UserCodeError, compileFunction } from "../functions/user-function.js";

export type { Batches, ComputeContext };

const BATCH = 1024;

export function computePartition(rdd: Rdd, partition: number, ctx: ComputeContext): Batches {
  const { cache } = rdd;
  if (cache && ctx.cache) return ctx.cache.read(cache, partition, () => computeRdd(rdd, partition, ctx));
  return computeRdd(rdd, partition, ctx);
}

function computeRdd(rdd: Rdd, partition: number, ctx: ComputeContext): Batches {
  switch (rdd.kind) {
    case "file":
      return readSplit(rdd, splitOf(rdd, partition), ctx);
    case "parallelize":
      return sliceBatches(rdd, partition);
    case "range":
      return rangeBatches(rdd.start, rdd.end, rdd.step, partition, rdd.numPartitions);
    case "union":
      return unionPartition(rdd, partition, ctx);
    case "shuffled":
      return aggregateShuffle(rdd, partition, ctx);
    case "narrow":
      return narrowPartition(rdd, partition, ctx);
    case "cartesian":
      return cartesian(rdd, partition, ctx);
    case "coalesce":
      return parentsOf(rdd, partition, ctx);
    case "zipWithIndex":
      return zipWithIndex(rdd, partition, ctx);
    case "zip":
      return zip(rdd, partition, ctx);
  }
}

function where(node: string, op: string): string {
  return node ? `node "${node}" (${op})` : op;
}

type NarrowRdd = Rdd & { kind: "narrow" };

/** The step a narrow RDD names, or an error: a launch is a peer's message and may name none. */
function stepOf(rdd: NarrowRdd) {
  const step = stepRule(rdd.op);
  if (!step) throw new Error(`task was sent an unknown narrow step "${rdd.op}"`);
  return step;
}

function stepContext(rdd: NarrowRdd, ctx: ComputeContext): StepContext<Json> {
  const whereText = where(rdd.node, rdd.op);
  return { fn: rdd.fn ? compileFunction(rdd.fn, whereText) : null, env: rdd.env, args: rdd.args ?? null, where: whereText, scratchDir: ctx.spills.dir };
}

function narrowPartition(rdd: NarrowRdd, partition: number, ctx: ComputeContext): Batches {
  const step = stepOf(rdd);
  if (step.kind === "partition") {
    const s = stepContext(rdd, ctx);
    return rebatch(step.run(s, partition, flatten(computePartition(rdd.parent, partition, ctx))), s.where);
  }
  // Gather the run of per-record steps that ends here and run them as one chain, down to a cached RDD: its
  // partition is read from its block, or computed through computePartition to be kept.
  const chain: NarrowRdd[] = [];
  let cur: Rdd = rdd;
  while (cur.kind === "narrow" && stepOf(cur).kind === "record" && (cur === rdd || !(cur.cache && ctx.cache))) {
    chain.unshift(cur);
    cur = cur.parent;
  }
  return fused(computePartition(cur, partition, ctx), chain, ctx);
}

/** Composes the per-record steps (in pipeline order) in front of `sink`. */
function fuse(chain: NarrowRdd[], sink: Emit, ctx: ComputeContext): Emit {
  let next = sink;
  for (let i = chain.length - 1; i >= 0; i--) {
    const step = stepOf(chain[i]!);
    if (step.kind === "record") next = step.push(stepContext(chain[i]!, ctx), next);
  }
  return next;
}

/** A partition of the left parent paired with one of the right (parent-partitions.ts); the right side is held in memory. */
function* cartesian(rdd: Rdd & { kind: "cartesian" }, partition: number, ctx: ComputeContext): Batches {
  const [left, right] = parentPartitions(rdd, partition) as [ParentRead, ParentRead];
  const rightRecords = [...flatten(computePartition(right.parent, right.partitions[0]!, ctx))];
  if (rightRecords.length === 0) return;
  let out: unknown[] = [];
  for (const batch of computePartition(left.parent, left.partitions[0]!, ctx)) {
    for (const x of batch) {
      for (const y of rightRecords) out.push([x, y]);
      if (out.length >= BATCH) {
        yield out;
        out = [];
      }
    }
  }
  if (out.length > 0) yield out;
}

/** Every parent partition a coalesced partition reads, in order. */
function* parentsOf(rdd: Rdd, partition: number, ctx: ComputeContext): Batches {
  for (const { parent, partitions } of parentPartitions(rdd, partition)) for (const p of partitions) yield* computePartition(parent, p, ctx);
}

function* zipWithIndex(rdd: Rdd & { kind: "zipWithIndex" }, partition: number, ctx: ComputeContext): Batches {
  if (!rdd.offsets) throw new Error(`zipWithIndex node "${rdd.node}" ran before its partition sizes were known`);
  let i = rdd.offsets[partition]!;
  for (const batch of computePartition(rdd.parent, partition, ctx)) yield batch.map((x) => [x, i++]);
}

/** Both parents' partition p, record by record; a partition that runs out first fails the task with Spark's message. */
function zip(rdd: Rdd & { kind: "zip" }, partition: number, ctx: ComputeContext): Batches {
  const [left, right] = rdd.parents;
  const pairs = zipPartition(flatten(computePartition(left, partition, ctx)), flatten(computePartition(right, partition, ctx)));
  return rebatch(pairs, where(rdd.node, "zip"));
}

/**
 * Yields every BATCH outputs rather than once per input batch: a flatMap can
 * turn one input batch into hundreds of thousands of records, and small output
 * batches die young instead of being promoted and collected the slow way.
 */
function* fused(input: Batches, chain: NarrowRdd[], ctx: ComputeContext): Batches {
  let out: unknown[] = [];
  const f = fuse(
    chain,
    (x) => {
      out.push(x);
    },
    ctx,
  );
  for (const batch of input) {
    for (let i = 0; i < batch.length; i++) {
      f(batch[i]);
      if (out.length >= BATCH) {
        const b = out;
        out = [];
        yield b;
      }
    }
  }
  if (out.length > 0) yield out;
}

function* flatten(batches: Batches): Iterable<unknown> {
  for (const b of batches) yield* b;
}

function* rebatch(records: Iterable<unknown>, whereText: string): Batches {
  let out: unknown[] = [];
  const it = records[Symbol.iterator]();
  try {
    for (;;) {
      let r: IteratorResult<unknown>;
      try {
        r = it.next();
      } catch (e) {
        if (e instanceof UserCodeError) throw e;
        throw new UserCodeError(`${whereText} threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
      }
      if (r.done) break;
      out.push(r.value);
      if (out.length >= BATCH) {
        yield out;
        out = [];
      }
    }
    if (out.length > 0) yield out;
  } finally {
    // A consumer that stops early (take) closes the chain down to the files it reads.
    it.return?.();
  }
}

function* unionPartition(rdd: Rdd & { kind: "union" }, partition: number, ctx: ComputeContext): Batches {
  const owner = parentPartitions(rdd, partition).find((r) => r.partitions.length > 0);
  if (!owner) throw new Error(`union has no partition ${partition}`);
  yield* computePartition(owner.parent, owner.partitions[0]!, ctx);
}

export function splitOf(rdd: Rdd & { kind: "file" }, partition: number): InputSplit {
  const split = rdd.splits[partition - rdd.firstSplit];
  if (!split) throw new Error(`task was not sent the split of partition ${partition} of node "${rdd.node}"`);
  return split;
}

function* sliceBatches(rdd: Rdd & { kind: "parallelize" }, p: number): Batches {
  const [start, end] = sliceBounds(p, rdd.numPartitions, rdd.dataLength);
  if (start < rdd.dataOffset || end - rdd.dataOffset > rdd.data.length) {
    throw new Error(`task was not sent the slice of partition ${p} of node "${rdd.node}"`);
  }
  for (let i = start; i < end; i += BATCH) {
    yield rdd.data.slice(i - rdd.dataOffset, Math.min(end, i + BATCH) - rdd.dataOffset);
  }
}

function* rangeBatches(start: number, end: number, step: number, p: number, n: number): Batches {
  if (step === 0) throw new UserCodeError("range: step must not be 0");
  const [from, to] = sliceBounds(p, n, Math.max(0, Math.ceil((end - start) / step)));
  for (let i = from; i < to; i += BATCH) {
    const batch: number[] = [];
    for (let j = i; j < Math.min(to, i + BATCH); j++) batch.push(start + j * step);
    yield batch;
  }
}

/** Opens a split's file confined to the data directory (confined-open.ts), or its S3 object; its bytes count as read. The caller closes it. */
export function openSplit(split: InputSplit, ctx: ComputeContext): InputFile {
  // A launch is a peer's message: a range the reader would misread (negative, fractional) is refused here.
  if (!(Number.isSafeInteger(split.start) && Number.isSafeInteger(split.end) && 0 <= split.start && split.start <= split.end)) {
    throw new Error(`task was sent an invalid byte range [${split.start}, ${split.end}) for "${split.path}"`);
  }
  const file = isS3Url(split.path) ? openS3Object(split, ctx) : openInput(ctx.dataDir, split.path);
  ctx.metrics.bytesRead += split.end - split.start;
  return file;
}

function openS3Object(split: InputSplit, ctx: ComputeContext): InputFile {
  if (ctx.s3 === null) throw new UserCodeError(`input "${split.path}": S3 objects are read by a cluster's workers; this in-process runner reads local files only`);
  return new S3InputFile(ctx.s3, split.path, split.fileSize);
}

function* readSplit(rdd: Rdd & { kind: "file" }, split: InputSplit, ctx: ComputeContext): Batches {
  const file = openSplit(split, ctx);
  try {
    yield* readOpenSplit(rdd, split, file, ctx);
  } finally {
    file.close();
  }
}

/** inferSchema's probe of a csv source's partition (the stage's RDD is the source itself). */
export function probeCsv(rdd: Rdd, partition: number, ctx: ComputeContext): CsvSeen[] {
  if (rdd.kind !== "file" || rdd.csv === null) throw new Error("a csv schema probe was sent an RDD that is no csv source");
  const split = splitOf(rdd, partition);
  const file = openSplit(split, ctx);
  try {
    return probeCsvSplit(rdd.csv, split, file, where(rdd.node, "csv"));
  } finally {
    file.close();
  }
}

function* readOpenSplit(rdd: Rdd & { kind: "file" }, split: InputSplit, file: InputFile, ctx: ComputeContext): Batches {
  if (rdd.format === "parquet") {
    for (const batch of parquetReader().readParquetRows(file, split.start, split.end, rdd.columns ?? null)) {
      ctx.metrics.recordsIn += batch.length;
      yield batch;
    }
    return;
  }
  const lines = readLineBatches(file, split.start, split.end);
  if (rdd.format === "text") {
    for (const batch of lines) {
      ctx.metrics.recordsIn += batch.length;
      yield batch;
    }
    return;
  }
  if (rdd.format === "jsonl") {
    yield* parseJsonLines(lines, split, ctx);
    return;
  }
  yield* readCsvSplit(rdd.csv!, split, file, where(rdd.node, "csv"), ctx.metrics);
}

function* parseJsonLines(lines: Iterable<string[]>, split: InputSplit, ctx: ComputeContext): Batches {
  let lineNo = 0;
  for (const batch of lines) {
    const out: unknown[] = [];
    for (const line of batch) {
      lineNo++;
      if (line.trim() === "") continue;
      try {
        out.push(JSON.parse(line));
      } catch (e) {
        throw new UserCodeError(`${split.path}: line ${lineNo} of the split starting at byte ${split.start} is not JSON (${(e as Error).message})`);
      }
    }
    ctx.metrics.recordsIn += out.length;
    if (out.length > 0) yield out;
  }
}
