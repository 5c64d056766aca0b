// The entry point of a task thread (one per slot). Runs one task at a time,
// synchronously; when a task needs shuffle blocks held by another worker, a
// broadcast's bytes or an S3 call (s3-bridge.ts), it asks the worker's main
// thread over a MessagePort and sleeps on a shared flag until the reply is
// there, so that the whole task is plain synchronous code (and a mapPartitions
// function can be handed an ordinary iterable).
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from "node:worker_threads";
import { FetchFailedError, type RemoteFetchReply, type RemoteFetchRequest } from "./block-fetch.js";
import { runTask } from "./task-runner.js";
import { UserCodeError, setUserCodeAllowed } from "../functions/user-function.js";
import type { ThreadReply, ThreadRequest } from "./executor.js";
import { MemoryPool, type MemoryPoolShape } from "./memory/memory-pool.js";
import { v8Heap } from "./memory/v8-heap.js";
import type { TaskLaunch } from "../plan/task.js";
import { ThreadBlockStore } from "./thread-block-store.js";
import { broadcastKey, type BroadcastReply } from "./broadcast-store.js";
import type { BroadcastRequest } from "./executor.js";
import type { BroadcastId, ShuffleId, WorkerId } from "../common/ids.js";
import { ShuffleInputMissingError } from "./missing-input.js";
import { type S3Reply, type S3Request, threadS3 } from "./s3-bridge.js";
import type { S3JobSettings } from "../plan/job-spec.js";
import { S3Error } from "../storage/s3/s3-error.js";
import type { ThreadS3 } from "../storage/s3/s3-sync.js";
import { loadParquet, parquetLoaded, stageUsesParquet } from "../storage/parquet-code.js";
import { errorMessage } from "../common/errors.js";

interface ThreadData {
  dataDir: string;
  shuffleRoot: string;
  spillDir: string;
  /** Where cached blocks on disk live, shared by the worker's threads. */
  blockDir: string;
  memory: MemoryPoolShape;
  slot: number;
  fetchPort: MessagePort;
  fetchSignal: SharedArrayBuffer;
  userCode: boolean;
}

const data = workerData as ThreadData;
const signal = new Int32Array(data.fetchSignal);
const memory = new MemoryPool(data.memory, v8Heap);
const blocks = new ThreadBlockStore(memory.storage(data.slot), data.blockDir);
setUserCodeAllowed(data.userCode);
const FETCH_TIMEOUT_MS = 10 * 60_000;

/** Sends `req` to the worker's main thread and sleeps until its answer is on the port; null past the timeout or when none came. */
function ask<R>(req: RemoteFetchRequest | BroadcastRequest | S3Request): R | null {
  Atomics.store(signal, 0, 0);
  data.fetchPort.postMessage(req);
  const deadline = Date.now() + FETCH_TIMEOUT_MS;
  while (Atomics.load(signal, 0) === 0) {
    const left = deadline - Date.now();
    if (left <= 0) return null;
    Atomics.wait(signal, 0, 0, left);
  }
  return (receiveMessageOnPort(data.fetchPort)?.message as R | undefined) ?? null;
}

function fetchRemote(req: RemoteFetchRequest): RemoteFetchReply {
  return ask<RemoteFetchReply>(req) ?? { ok: false, mapId: req.mapIds[0]!, message: "timed out waiting for the block fetch, or its reply went missing" };
}

const askS3 = (req: S3Request): S3Reply => ask<S3Reply>(req) ?? { ok: false, failure: { message: `S3 ${req.op}: timed out waiting for the worker's answer` } };
/** The S3 calls of tasks with the worker's own settings: built once, as most jobs name none. */
const workerS3 = threadS3(null, askS3);

/** A task's S3 calls, made by the worker's main thread. */
function s3For(settings: S3JobSettings | null): ThreadS3 {
  return settings === null ? workerS3 : threadS3(settings, askS3);
}

/** Broadcast values this thread parsed, by "<application>/<id>": kept for its later tasks until destroyed or their application ends. */
const broadcastValues = new Map<string, unknown>();

/** A broadcast's value: parsed here once, its bytes from the worker's store (fetched there from a holder if it has none). */
function broadcastValue(task: TaskLaunch, id: string): unknown {
  const key = broadcastKey(task.application ?? "", id);
  if (broadcastValues.has(key)) return broadcastValues.get(key);
  if (task.application === null) throw new UserCodeError(`broadcast ${id}: the job names no application`);
  const reply = ask<BroadcastReply>({ kind: "broadcast", application: task.application, id: id as BroadcastId, holders: task.broadcasts?.[id] ?? [] } satisfies BroadcastRequest);
  if (!reply) throw new UserCodeError(`broadcast ${id}: timed out waiting for the worker to fetch it, or its reply went missing`);
  if (!reply.ok) throw new UserCodeError(reply.message);
  const value: unknown = JSON.parse(Buffer.from(reply.buffer).toString("utf8"));
  broadcastValues.set(key, value);
  return value;
}

parentPort!.on("message", (req: ThreadRequest) => {
  if (req.type === "drop") {
    blocks.drop(new Set(req.applications), req.datasets);
    const apps = new Set(req.applications);
    const dropped = new Set(req.broadcasts ?? []);
    for (const key of broadcastValues.keys()) if (dropped.has(key) || apps.has(key.slice(0, key.indexOf("/")))) broadcastValues.delete(key);
    return;
  }
  // The executor sends a thread its next task only after this one's reply, so a task waiting for Parquet's code holds its place.
  if (!parquetLoaded() && stageUsesParquet(req.task.stage)) {
    loadParquet().then(
      () => run(req.task, req.workerId),
      (e: unknown) =>
        parentPort!.postMessage({
          attemptId: req.task.attemptId,
          state: "FAILED",
          error: `loading Parquet's code: ${errorMessage(e)}`,
          held: blocks.held(),
        } satisfies ThreadReply),
    );
  } else run(req.task, req.workerId);
});

function run(task: TaskLaunch, workerId: WorkerId): void {
  let reply: ThreadReply;
  try {
    const outcome = runTask(task, {
      workerId,
      dataDir: data.dataDir,
      shuffleRoot: data.shuffleRoot,
      spillDir: data.spillDir,
      memory,
      slot: data.slot,
      fetchRemote,
      s3: s3For,
      blocks,
      broadcast: broadcastValue,
    });
    reply = { attemptId: task.attemptId, state: "FINISHED", outcome };
  } catch (e) {
    if (e instanceof FetchFailedError) {
      reply = { attemptId: task.attemptId, state: "FETCH_FAILED", error: e.message, fetchFailure: e.failure };
    } else if (e instanceof ShuffleInputMissingError && e.block) {
      const blockMissing = { ...e.block, shuffleId: e.shuffleId as ShuffleId };
      reply = { attemptId: task.attemptId, state: "FAILED", error: `cached block ${e.block.partition} of dataset ${e.block.datasetId} is not on this worker: ${e.message}`, blockMissing };
    } else {
      // A user's error is reported as its message; anything else is ours, so keep the stack.
      const error = e instanceof UserCodeError || e instanceof S3Error ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e);
      reply = { attemptId: task.attemptId, state: "FAILED", error };
    }
  }
  // Whatever the task's end, execution may have evicted blocks: the executor learns what the thread holds now.
  parentPort!.postMessage({ ...reply, held: blocks.held() } satisfies ThreadReply);
}
