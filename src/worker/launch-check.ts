// What a worker accepts in POST /tasks, whoever sent it: every id that goes
// into a path (job, attempt, shuffle and partition numbers, the shuffles its
// RDD reads and writes, the earlier job's files a reused block is in) and the
// block locations it will fetch, checked before
// any task of the batch runs. The master plans these; the worker does not rely
// on that. Pure; called by the worker's /tasks handler.
import { MinisparkError } from "../common/errors.js";
import { childrenOf, type Rdd } from "../plan/physical.js";
import { isIndex, isPathName } from "./path-ids.js";
import type { TaskLaunch } from "../plan/task.js";
import { DATASET_ID_PATTERN } from "../plan/storage-level.js";
import { MAX_QUEUED_RELEASES } from "../cluster/protocol.js";

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
const isBytes = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 0;
/** Bounds the walk of a launched RDD (plans are far shallower). */
const MAX_RDD_NODES = 100_000;

function bad(i: number, message: string): MinisparkError {
  return new MinisparkError("BAD_REQUEST", `task ${i} of the launch: ${message}`);
}

/** Throws BAD_REQUEST naming the first task and field that is wrong. */
export function checkTaskLaunch(task: unknown, i: number): TaskLaunch {
  if (!isObject(task)) throw bad(i, "it must be a JSON object");
  if (!isPathName(task.jobId)) throw bad(i, "jobId must be one path component of letters, digits, '.', '_', '@' or '-'");
  if (!isPathName(task.attemptId)) throw bad(i, "attemptId must be one path component of letters, digits, '.', '_', '@' or '-'");
  for (const f of ["stageId", "partition", "attempt"] as const) if (!isIndex(task[f])) throw bad(i, `${f} must be a whole number ≥ 0`);
  const stage = task.stage;
  if (!isObject(stage) || !isObject(stage.output) || !isObject(stage.rdd)) throw bad(i, "stage must hold an rdd and an output");
  const out = stage.output;
  if ((out.type === "shuffle" || out.type === "sample") && !isIndex(out.shuffle)) throw bad(i, "the stage's output shuffle must be a whole number ≥ 0");
  const dep = task.outputShuffle;
  if (dep !== null && !(isObject(dep) && isIndex(dep.id) && isIndex(dep.numPartitions) && (dep.numPartitions as number) > 0)) {
    throw bad(i, "outputShuffle must be null or name a shuffle id and its partition count");
  }
  if (out.type === "shuffle" && dep === null) throw bad(i, "a shuffle stage needs its outputShuffle");
  checkRddShuffles(stage.rdd as unknown as Rdd, i);
  if (!isObject(task.inputs)) throw bad(i, "inputs must be an object");
  for (const [key, locs] of Object.entries(task.inputs)) {
    if (!/^\d{1,9}\/\d{1,9}$/.test(key)) throw bad(i, `input key ${JSON.stringify(key.slice(0, 40))} must be <shuffle>/<reduce partition>`);
    if (!Array.isArray(locs) || !locs.every((l) => isObject(l) && isIndex(l.mapId) && typeof l.workerId === "string" && typeof l.address === "string" && isBytes(l.bytes))) {
      throw bad(i, `the locations of input ${key} must each name a mapId, workerId, address and bytes`);
    }
    for (const l of locs as Record<string, unknown>[]) {
      const w = l.writtenBy;
      if (w !== undefined && !(isObject(w) && isPathName(w.job) && isIndex(w.shuffle))) {
        throw bad(i, `a location of input ${key} names writtenBy, which must be a job id (one path component) and a shuffle number`);
      }
    }
  }
  // The cache keys blocks by it, on disk too.
  if (task.application !== null && !isPathName(task.application)) throw bad(i, "application must be null or one path component of letters, digits, '.', '_', '@' or '-'");
  const u = task.unpersisted;
  if (u !== undefined && !(Array.isArray(u) && u.length <= MAX_QUEUED_RELEASES && u.every((d) => typeof d === "string" && DATASET_ID_PATTERN.test(d)))) {
    throw bad(i, `unpersisted must be a list of at most ${MAX_QUEUED_RELEASES} dataset ids`);
  }
  return task as unknown as TaskLaunch;
}

/** The shuffle ids the RDD reads name map output files: each must be an index. */
function checkRddShuffles(root: Rdd, i: number): void {
  const stack: Rdd[] = [root];
  for (let seen = 0; stack.length > 0; seen++) {
    if (seen > MAX_RDD_NODES) throw bad(i, `the stage's rdd has more than ${MAX_RDD_NODES} nodes`);
    const rdd = stack.pop()!;
    if (!isObject(rdd)) throw bad(i, "every rdd node must be an object");
    if (rdd.kind === "shuffled" && !(Array.isArray(rdd.shuffles) && rdd.shuffles.every(isIndex))) throw bad(i, "the shuffles an rdd reads must be whole numbers ≥ 0");
    const children: unknown = childrenOf(rdd);
    if (!Array.isArray(children)) throw bad(i, "an rdd node's parents must be a list");
    for (const c of children) stack.push(c as Rdd);
  }
}
