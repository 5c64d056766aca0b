// Runs one task attempt to the end, synchronously, inside a task thread: computes
// the stage's RDD for the task's partition and feeds it to the stage's output —
// a shuffle write, a key sample, or the action's per-partition result — and
// returns what the master needs to know plus the task's metrics. A map stage
// that is a built-in word count runs as one kernel (word-count-kernel.ts).
import type { WorkerId } from "../common/ids.js";
import type { TaskLaunch, TaskMetrics, TaskResult } from "../common/protocol.js";
import type { Json } from "../plan/keys.js";
import { compareKeys } from "../plan/keys.js";
import type { ResultAction, Stage } from "../plan/physical.js";
import { UserCodeError, compileFunction, describeRecord, userError } from "./user-function.js";
import { TaskBlockSource, type RemoteFetchReply, type RemoteFetchRequest } from "./block-fetch.js";
import { PartFileWriter } from "./output-files.js";
import { computePartition, type Batches, type ComputeContext } from "./rdd-compute.js";
import { mapOutputPath } from "./shuffle-files.js";
import { ShuffleWriter } from "./shuffle-writer.js";
import { enterTask } from "./task-context.js";
import { countWords, wordCountSource } from "./word-count-kernel.js";
import { mulberry32 } from "../common/random.js";
import type { MemoryPool } from "./memory/memory-pool.js";
import { TaskSpills, spillPrefix } from "./memory/spill-files.js";

export interface RunnerEnv {
  workerId: WorkerId;
  dataDir: string;
  shuffleRoot: string;
  spillDir: string;
  memory: MemoryPool;
  /** This thread's slot in the memory pool. */
  slot: number;
  fetchRemote: (req: RemoteFetchRequest) => RemoteFetchReply;
}

export interface TaskOutcome {
  result: TaskResult;
  metrics: TaskMetrics;
}

export function runTask(t: TaskLaunch, env: RunnerEnv): TaskOutcome {
  const started = performance.now();
  enterTask({ jobId: t.jobId, stageId: t.stageId, partition: t.partition, attempt: t.attempt });
  const memory = env.memory.task(env.slot);
  const spills = new TaskSpills(env.spillDir, spillPrefix(t.jobId, t.attemptId));
  // A remote fetch is held whole until decoded, so it is cut to a fraction of what the task may hold.
  const fetchBatchBytes = Math.max(1 << 20, Math.floor(env.memory.shape.taskCapBytes / 4));
  const blocks = new TaskBlockSource(t.jobId, env.workerId, env.shuffleRoot, env.fetchRemote, fetchBatchBytes);
  const ctx: ComputeContext = { dataDir: env.dataDir, blocks, inputs: t.inputs, metrics: { recordsIn: 0, bytesRead: 0 }, memory, spills };
  const out = { records: 0, shuffleBytes: 0 };
  let result: TaskResult;
  memory.reset();
  try {
    result = consume(t, t.stage, computePartition(t.stage.rdd, t.partition, ctx), env, ctx, out);
  } catch (e) {
    throw blocks.fetchFailure ?? e;
  } finally {
    spills.removeAll();
    memory.reset();
  }
  if (blocks.fetchFailure) throw blocks.fetchFailure;
  return {
    result,
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

function consume(
  t: TaskLaunch,
  stage: Stage,
  batches: Batches,
  env: RunnerEnv,
  ctx: ComputeContext,
  out: { records: number; shuffleBytes: number },
): TaskResult {
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
      return { type: "sample", sample: sampleKeys(batches, output.perPartition, t.stageId * 100_003 + t.partition) };
    case "countProbe":
      return { type: "count", count: countAll(batches) };
    case "rangeProbe":
      return numberStats(batches, "histogram");
    case "result":
      return actionResult(t, output.action, batches, env, out);
  }
}

function actionResult(
  t: TaskLaunch,
  action: Extract<Stage["output"], { type: "result" }>["action"],
  batches: Batches,
  env: RunnerEnv,
  out: { records: number },
): TaskResult {
  switch (action.type) {
    case "collect": {
      const records: Json[] = [];
      for (const batch of batches) for (const r of batch) records.push(r as Json);
      out.records = records.length;
      return { type: "collect", records };
    }
    case "count": {
      const count = countAll(batches);
      out.records = count;
      return { type: "count", count };
    }
    case "numPartitions":
      return { type: "count", count: 0 };
    case "takeOrdered":
      return { type: "keyed", entries: takeOrdered(batches, action) };
    case "stats":
      return numberStats(batches, "sum(), mean() and stats()");
    case "histogram":
      return histogram(batches, action.edges!);
    case "take": {
      const records: Json[] = [];
      if (action.num > 0) {
        for (const batch of batches) {
          for (const r of batch) {
            records.push(r as Json);
            if (records.length >= action.num) break;
          }
          if (records.length >= action.num) break;
        }
      }
      out.records = records.length;
      return { type: "collect", records };
    }
    case "save": {
      // Staged under the job's own area: the master publishes one authorised attempt's file per partition at job commit.
      const writer = new PartFileWriter(env.dataDir, action.path, t.jobId, t.attemptId, t.partition, action);
      try {
        for (const batch of batches) for (const r of batch) writer.add(r);
      } catch (e) {
        writer.abort();
        throw e;
      }
      out.records = writer.records;
      return { type: "saved", file: writer.finish(), records: writer.records };
    }
  }
}

function countAll(batches: Batches): number {
  let count = 0;
  for (const batch of batches) count += batch.length;
  return count;
}

/**
 * The partition's `num` best records by key, kept in a bounded sorted buffer
 * (trimmed when it doubles) so that a huge partition needs O(num) memory.
 */
function takeOrdered(batches: Batches, action: Extract<ResultAction, { type: "takeOrdered" }>): [Json, Json][] {
  if (action.num === 0) return [];
  const where = `${action.descending ? "top/max" : "takeOrdered/min"} key function`;
  const keyFn = action.fn ? compileFunction(action.fn, where) : null;
  const cmp = action.descending ? (a: [Json, Json], b: [Json, Json]) => compareKeys(b[0], a[0]) : (a: [Json, Json], b: [Json, Json]) => compareKeys(a[0], b[0]);
  let best: [Json, Json][] = [];
  let n = 0;
  for (const batch of batches) {
    for (const rec of batch) {
      n++;
      let key = rec as Json;
      if (keyFn) {
        try {
          key = keyFn(rec, action.env) as Json;
        } catch (e) {
          throw userError(where, e, n, rec);
        }
      }
      best.push([key, rec as Json]);
      if (best.length >= 2 * action.num + 1024) best = best.sort(cmp).slice(0, action.num);
    }
  }
  return best.sort(cmp).slice(0, action.num);
}

/** Welford's online mean and squared deviations: exact enough, and mergeable across partitions. */
function numberStats(batches: Batches, what: string): TaskResult & { type: "stats" } {
  let count = 0;
  let mean = 0;
  let m2 = 0;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const batch of batches) {
    for (const x of batch) {
      if (typeof x !== "number") throw new UserCodeError(`${what} need numbers, got ${describeRecord(x)}`);
      count++;
      sum += x;
      const d = x - mean;
      mean += d / count;
      m2 += d * (x - mean);
      if (x < min) min = x;
      if (x > max) max = x;
    }
  }
  return { type: "stats", count, sum, min: count ? min : 0, max: count ? max : 0, m2 };
}

/** Spark's buckets: [e0, e1), [e1, e2), …, and the last one closed [e(n-1), en]. */
function histogram(batches: Batches, edges: number[]): TaskResult {
  const counts = new Array<number>(Math.max(0, edges.length - 1)).fill(0);
  const last = edges.length - 1;
  for (const batch of batches) {
    for (const x of batch) {
      if (typeof x !== "number") throw new UserCodeError(`histogram() needs numbers, got ${describeRecord(x)}`);
      if (last < 1 || x < edges[0]! || x > edges[last]! || Number.isNaN(x)) continue;
      if (x === edges[last]) {
        counts[last - 1]!++;
        continue;
      }
      let lo = 0;
      let hi = last;
      while (hi - lo > 1) {
        const mid = (lo + hi) >>> 1;
        if (x < edges[mid]!) hi = mid;
        else lo = mid;
      }
      counts[lo]!++;
    }
  }
  return { type: "histogram", edges, counts };
}

/** Reservoir sample of the keys ([key, record] pairs), seeded so a retry samples the same. */
function sampleKeys(batches: Batches, size: number, seed: number): { keys: Json[]; total: number } {
  const rand = mulberry32(seed);
  const keys: Json[] = [];
  let total = 0;
  for (const batch of batches) {
    for (const rec of batch) {
      const key = (rec as [Json, unknown])[0];
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
