// Runs one task attempt to the end, synchronously, inside a task thread: computes
// the stage's RDD for the task's partition and feeds it to the stage's output —
// a shuffle write, a key sample, a probe's count, min and max or csv column types, or the
// action's per-partition result (its rule's, src/ops) — and
// returns what the master needs to know plus the task's metrics. A map stage
// that is a built-in word count runs as one kernel (word-count-kernel.ts).
import type { WorkerId } from "../common/ids.js";
import { partitionResult } from "../ops/registry.js";
import type { Json } from "../plan/keys.js";
import type { Stage } from "../plan/physical.js";
import { countAll, numberStats } from "../ops/kernels/batch-stats.js";
import { TaskBlockSource, type RemoteFetchReply, type RemoteFetchRequest } from "./block-fetch.js";
import { computePartition, probeCsv, type Batches, type ComputeContext } from "./rdd-compute.js";
import { mapOutputPath } from "./shuffle-files.js";
import { ShuffleWriter } from "./shuffle-writer.js";
import { enterTask } from "./task-context.js";
import { TaskAccumulators } from "./task-accumulators.js";
import { countsAccumulators } from "../plan/accumulators.js";
import { bindBroadcasts } from "./task-broadcasts.js";
import { countWords, wordCountSource } from "./word-count-kernel.js";
import { mulberry32 } from "../common/random.js";
import type { MemoryPool } from "./memory/memory-pool.js";
import { TaskSpills, spillPrefix } from "./memory/spill-files.js";
import type { TaskLaunch, TaskResult } from "../plan/task.js";
import type { TaskMetrics } from "../common/api-types.js";
import type { S3JobSettings } from "../plan/job-spec.js";
import type { ThreadS3 } from "../storage/s3/s3-sync.js";
import type { HeldBlock, ThreadBlockStore } from "./thread-block-store.js";

export interface RunnerEnv {
  workerId: WorkerId;
  dataDir: string;
  shuffleRoot: string;
  spillDir: string;
  memory: MemoryPool;
  /** This thread's slot in the memory pool. */
  slot: number;
  fetchRemote: (req: RemoteFetchRequest) => RemoteFetchReply;
  /** S3 calls with a job's settings, made for the thread by its worker; absent where there is no worker (the inline runner). */
  s3?: (settings: S3JobSettings | null) => ThreadS3;
  /** The thread's cached blocks; absent where nothing is cached across jobs (the inline runner). */
  blocks?: ThreadBlockStore;
  /** A broadcast's value for the task (task-thread.ts keeps them); absent where there are no workers to hold one (the inline runner). */
  broadcast?: (launch: TaskLaunch, id: string) => unknown;
}

export interface TaskOutcome {
  result: TaskResult;
  metrics: TaskMetrics;
  /** Deltas of the accumulators the task added to (task-accumulators.ts); absent when none. */
  accumulators?: Record<string, Json>;
  /** The cached blocks the task stored. */
  stored: HeldBlock[];
}

export function runTask(launch: TaskLaunch, env: RunnerEnv): TaskOutcome {
  const started = performance.now();
  const accumulators = new TaskAccumulators();
  const withAccumulators: TaskLaunch = { ...launch, ...accumulators.bind(launch.stage, launch.outputShuffle) };
  const t: TaskLaunch = { ...withAccumulators, ...bindBroadcasts(withAccumulators.stage, withAccumulators.outputShuffle, env.broadcast ? (id) => env.broadcast!(launch, id) : null) };
  enterTask({ jobId: t.jobId, stageId: t.stageId, partition: t.partition, attempt: t.attempt });
  const memory = env.memory.task(env.slot, env.blocks?.evict ?? null);
  const cache = env.blocks?.task(t.application ?? null, t.attemptId) ?? null;
  const spills = new TaskSpills(env.spillDir, spillPrefix(t.jobId, t.attemptId));
  // A remote fetch is held whole until decoded, so it is cut to a fraction of what the task may hold.
  const fetchBatchBytes = Math.max(1 << 20, Math.floor(env.memory.shape.taskCapBytes / 4));
  const blocks = new TaskBlockSource(t.jobId, env.workerId, env.shuffleRoot, env.fetchRemote, fetchBatchBytes);
  const s3 = env.s3?.(t.s3 ?? null) ?? null;
  const ctx: ComputeContext = { dataDir: env.dataDir, s3, blocks, inputs: t.inputs, metrics: { recordsIn: 0, bytesRead: 0 }, memory, spills, cache };
  const out = { records: 0, shuffleBytes: 0 };
  let result: TaskResult;
  memory.reset();
  try {
    result = consume(t, t.stage, computePartition(t.stage.rdd, t.partition, ctx), env, ctx, out);
  } catch (e) {
    cache?.discard();
    throw blocks.fetchFailure ?? e;
  } finally {
    spills.removeAll();
    memory.reset();
  }
  if (blocks.fetchFailure) cache?.discard();
  if (blocks.fetchFailure) throw blocks.fetchFailure;
  // A probe stage's adds are made again by the stage that computes the same RDD after it: not sent.
  const deltas = countsAccumulators(t.stage) ? accumulators.deltas() : undefined;
  // After the task's execution memory is given back: its partitions may use it.
  const stored = cache?.commit() ?? [];
  return {
    ...(deltas && { accumulators: deltas }),
    result,
    stored,
    metrics: {
      durationMs: Math.round(performance.now() - started),
      recordsIn: ctx.metrics.recordsIn,
      recordsOut: out.records,
      bytesRead: ctx.metrics.bytesRead,
      shuffleBytesWritten: out.shuffleBytes,
      shuffleBytesRead: blocks.bytesRead,
      shuffleBytesFetchedRemote: blocks.bytesFetchedRemote,
      spillCount: spills.count,
      spillBytes: spills.bytes,
    },
  };
}

function consume(t: TaskLaunch, stage: Stage, batches: Batches, env: RunnerEnv, ctx: ComputeContext, out: { records: number; shuffleBytes: number }): TaskResult {
  const output = stage.output;
  switch (output.type) {
    case "shuffle": {
      const dep = t.outputShuffle!;
      const writer = new ShuffleWriter(dep, `shuffle write of stage ${stage.id}`, ctx.memory, ctx.spills);
      const words = wordCountSource(stage.rdd, dep.combine);
      if (words) countWords(words, t.partition, ctx, writer);
      else for (const batch of batches) for (let i = 0; i < batch.length; i++) writer.add(batch[i]);
      const path = mapOutputPath(env.shuffleRoot, t.jobId, dep.id, t.partition);
      const sizes = writer.finish(path, t.attemptId);
      out.records = writer.records;
      out.shuffleBytes = sizes.reduce((a, b) => a + b, 0);
      return { type: "mapStatus", sizes, records: writer.records };
    }
    case "sample":
      return { type: "sample", sample: sampleKeys(batches, output.perPartition, t.stageId * 100_003 + t.partition, output.keyIsRecord === true) };
    case "countProbe":
      return { type: "count", count: countAll(batches) };
    case "rangeProbe":
      return numberStats(batches, "histogram");
    case "csvProbe":
      return { type: "csvTypes", types: probeCsv(stage.rdd, t.partition, ctx) };
    case "result":
      return partitionResult(output.action, batches, { jobId: t.jobId, attemptId: t.attemptId, partition: t.partition, dataDir: env.dataDir, s3: ctx.s3, out });
  }
}

/** Reservoir sample of the keys ([key, record] pairs), seeded so a retry samples the same. */
function sampleKeys(batches: Batches, size: number, seed: number, keyIsRecord: boolean): { keys: Json[]; total: number } {
  const rand = mulberry32(seed);
  const keys: Json[] = [];
  let total = 0;
  for (const batch of batches) {
    for (const rec of batch) {
      const key = keyIsRecord ? (rec as Json) : (rec as [Json, unknown])[0];
      if (keys.length < size) keys.push(key);
      else {
        const j = Math.floor(rand() * (total + 1));
        if (j < size) keys[j] = key;
      }
      total++;
    }
  }
  return { keys, total };
}
