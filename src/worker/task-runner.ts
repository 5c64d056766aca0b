// Runs one task attempt to the end, synchronously, inside a task thread: computes
// the stage's RDD for the task's partition and feeds it to the stage's output —
// a shuffle write, a key sample, or the action's per-partition result — and
// returns what the master needs to know plus the task's metrics.
import type { WorkerId } from "../common/ids.js";
import type { TaskLaunch, TaskMetrics, TaskResult } from "../common/protocol.js";
import type { Json } from "../plan/keys.js";
import type { Stage } from "../plan/physical.js";
import { TaskBlockSource, type RemoteFetchReply, type RemoteFetchRequest } from "./block-fetch.js";
import { PartFileWriter, outputDir } from "./output-files.js";
import { computePartition, type Batches, type ComputeContext } from "./rdd-compute.js";
import { mapOutputPath } from "./shuffle-files.js";
import { ShuffleWriter } from "./shuffle-writer.js";
import { mulberry32 } from "../common/random.js";

export interface RunnerEnv {
  workerId: WorkerId;
  dataDir: string;
  shuffleRoot: string;
  fetchRemote: (req: RemoteFetchRequest) => RemoteFetchReply;
}

export interface TaskOutcome {
  result: TaskResult;
  metrics: TaskMetrics;
}

export function runTask(t: TaskLaunch, env: RunnerEnv): TaskOutcome {
  const started = performance.now();
  const blocks = new TaskBlockSource(t.jobId, env.workerId, env.shuffleRoot, env.fetchRemote);
  const ctx: ComputeContext = { dataDir: env.dataDir, blocks, inputs: t.inputs, metrics: { recordsIn: 0, bytesRead: 0 } };
  const batches = computePartition(t.stage.rdd, t.partition, ctx);
  const out = { records: 0, shuffleBytes: 0 };
  const result = consume(t, t.stage, batches, env, out);
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
    },
  };
}

function consume(t: TaskLaunch, stage: Stage, batches: Batches, env: RunnerEnv, out: { records: number; shuffleBytes: number }): TaskResult {
  const output = stage.output;
  switch (output.type) {
    case "shuffle": {
      const dep = t.outputShuffle!;
      const writer = new ShuffleWriter(dep, `shuffle write of stage ${stage.id}`);
      for (const batch of batches) for (let i = 0; i < batch.length; i++) writer.add(batch[i]);
      const path = mapOutputPath(env.shuffleRoot, t.jobId, dep.id, t.partition);
      const sizes = writer.finish(path, t.attemptId);
      out.records = writer.records;
      out.shuffleBytes = sizes.reduce((a, b) => a + b, 0);
      return { type: "mapStatus", sizes, records: writer.records };
    }
    case "sample":
      return { type: "sample", sample: sampleKeys(batches, output.perPartition, t.stageId * 100_003 + t.partition) };
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
      let count = 0;
      for (const batch of batches) count += batch.length;
      out.records = count;
      return { type: "count", count };
    }
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
      const writer = new PartFileWriter(outputDir(env.dataDir, action.path), t.partition, t.attemptId, action);
      try {
        for (const batch of batches) for (const r of batch) writer.add(r);
      } catch (e) {
        writer.abort();
        throw e;
      }
      out.records = writer.records;
      return { type: "saved", file: writer.commit(), records: writer.records };
    }
  }
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
