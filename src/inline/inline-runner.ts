// Runs a job entirely inside this process — the same validation, planning and
// task code as the cluster, with tasks run one after another and shuffle files
// in a temporary directory — like Beam's direct runner. Used to test op
// semantics without processes, and by the end-to-end suite that runs the same
// pipelines both here and on a real cluster.
import fs from "node:fs";
import os from "node:os";
import { join, resolve } from "node:path";
import "../storage/parquet-code-eager.js";
import { asJobId, asWorkerId, attemptIdOf } from "../common/ids.js";
import { actionValue } from "../master/action-value.js";
import { saveTarget } from "../ops/save.js";
import type { Json } from "../plan/keys.js";
import type { JobPlan } from "../plan/physical.js";
import { resolveLaunch, resolveProbe, unresolved } from "../plan/resolution.js";
import { planJob, splitSources } from "../planner/stage-planner.js";
import { validateJobSpec } from "../planner/validate.js";
import { listSplits } from "../storage/splits.js";
import { isS3Url } from "../plan/s3-location.js";
import { finalizeOutput, prepareOutput, publishParts } from "../storage/output-files.js";
import { runTask } from "../worker/task-runner.js";
import { MemoryPool, memoryLayout } from "../worker/memory/memory-pool.js";
import type { TaskResult } from "../plan/task.js";
import { PROTOCOL_VERSION } from "../common/version.js";

export interface InlineOptions {
  dataDir: string;
  defaultParallelism?: number;
  /** The budget of the one task that runs at a time (default 1gb); smaller makes tasks spill. */
  memoryBytes?: number;
}

const SELF = asWorkerId("inline");
const INLINE_JOB = asJobId("inline");

export function runInline(spec: unknown, opts: InlineOptions): Json {
  const job = validateJobSpec(spec);
  const dataDir = resolve(opts.dataDir);
  const defaultParallelism = opts.defaultParallelism ?? 2;
  const sources = splitSources(job, defaultParallelism);
  const remote = [...sources.flatMap((s) => (Array.isArray(s.path) ? s.path : [s.path])), saveTarget(job.action)?.path ?? ""].find(isS3Url);
  if (remote !== undefined) throw new Error(`input "${remote}": S3 is read and written by a cluster's workers; this in-process runner uses local files only`);
  const splits = Object.fromEntries(sources.map((s) => [s.node, listSplits(dataDir, s.path, s)]));
  const plan = planJob(job, { splits, defaultParallelism });
  const shuffleRoot = fs.mkdtempSync(join(os.tmpdir(), "minispark-inline-"));
  try {
    const save = saveTarget(job.action);
    if (save) prepareOutput(dataDir, save.path, save.mode, INLINE_JOB);
    const memory = new MemoryPool(memoryLayout(opts.memoryBytes ?? 1024 * 1024 * 1024, 1, 0.5).pool);
    const results = runStages(plan, dataDir, shuffleRoot, memory);
    const value = actionValue(plan.action, results);
    if (save) {
      // One attempt per partition ran: each is the authorised one.
      const { path } = save;
      const stage = plan.stages[plan.resultStage]!;
      const parts = Array.from({ length: stage.numTasks }, (_, p) => ({ partition: p, attemptId: attemptIdOf(INLINE_JOB, stage.id, p, 0) }));
      publishParts(dataDir, path, INLINE_JOB, parts);
      finalizeOutput(dataDir, path, INLINE_JOB, stage.numTasks);
    }
    return value;
  } finally {
    fs.rmSync(shuffleRoot, { recursive: true, force: true });
  }
}

function runStages(plan: JobPlan, dataDir: string, shuffleRoot: string, memory: MemoryPool): TaskResult[] {
  const jobId = INLINE_JOB;
  const sizes = new Map<number, number[][]>();
  let resolution = unresolved();
  let results: TaskResult[] = [];
  for (const stage of plan.stages) {
    const outputs: TaskResult[] = [];
    for (let p = 0; p < stage.numTasks; p++) {
      const { result } = runTask(
        {
          protocol: PROTOCOL_VERSION,
          jobId,
          stageId: stage.id,
          partition: p,
          attemptId: attemptIdOf(jobId, stage.id, p, 0),
          attempt: 0,
          ...resolveLaunch(plan, resolution, stage, p, (s, reduce) => sizes.get(s)!.map((perReduce, mapId) => ({ mapId, workerId: SELF, address: "inline", bytes: perReduce[reduce] ?? 0 }))),
        },
        {
          workerId: SELF,
          dataDir,
          shuffleRoot,
          spillDir: join(shuffleRoot, "spill"),
          memory,
          slot: 0,
          fetchRemote: () => ({ ok: false, mapId: 0, message: "inline jobs fetch nothing remotely" }),
        },
      );
      outputs.push(result);
    }
    const out = stage.output;
    if (out.type === "shuffle")
      sizes.set(
        out.shuffle,
        outputs.map((r) => (r as { sizes: number[] }).sizes),
      );
    resolution = resolveProbe(plan, resolution, stage, outputs);
    if (out.type === "result") results = outputs;
  }
  return results;
}
