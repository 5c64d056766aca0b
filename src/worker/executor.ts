// The worker's pool of task threads, one per slot, so tasks really run in
// parallel on separate cores. Hands a task to an idle thread, or queues it
// (at most QUEUED_TASKS_PER_SLOT per slot) so that a thread finishing one short
// task starts the next without waiting for the master's round trip; answers the
// threads' remote block fetches, and stops a task by terminating its thread
// (then starts a fresh one), which is the only way to stop synchronous user code;
// a task stopped that way cannot clean up, so its memory grant and spill files
// are released here. A thread keeps MEMORY_ONLY blocks in its own heap
// (thread-block-store.ts) and says after each task which it holds: a task that
// reads one runs on that thread, waiting for it if it is busy, since any other
// thread would compute the partition again. Owned by worker-process.ts.
import type { S3Request, S3Service } from "./s3-bridge.js";
import fs from "node:fs";
import { MessageChannel, Worker, type MessagePort } from "node:worker_threads";
import type { AttemptId, WorkerId } from "../common/ids.js";
import { MAX_REPORTED_EVICTIONS, QUEUED_TASKS_PER_SLOT, type BlockMissing, type EvictedBlock, type FetchFailure } from "../cluster/protocol.js";
import type { Logger } from "../common/log.js";
import type { RemoteFetchReply, RemoteFetchRequest } from "./block-fetch.js";
import type { TaskOutcome } from "./task-runner.js";
import { MemoryPool, memoryLayout } from "./memory/memory-pool.js";
import { removeSpillFiles, spillPrefix } from "./memory/spill-files.js";
import type { TaskLaunch } from "../plan/task.js";
import { cachedBlockKey, cachedReads, datasetKeyPrefix, parseCachedBlockKey } from "../plan/cached-reads.js";
import { applicationBlockDir, blockFilePath } from "./thread-block-store.js";
import { DATASET_ID_PATTERN } from "../plan/storage-level.js";
import type { AppId, BroadcastId } from "../common/ids.js";
import type { BroadcastReply } from "./broadcast-store.js";

/** To a task thread: a task to run (it replies with a ThreadReply), or applications whose blocks it drops (no reply). */
export type ThreadRequest =
  | { type: "task"; task: TaskLaunch; workerId: WorkerId }
  /** `datasets`: "<application>/<dataset id>", the prefix of their blocks' keys. */
  | { type: "drop"; applications: string[]; datasets: string[]; broadcasts?: string[] };

/** From a task thread over its fetch port: a broadcast's bytes (answered with a BroadcastReply), beside shuffle block fetches. */
export interface BroadcastRequest {
  kind: "broadcast";
  application: AppId;
  id: BroadcastId;
  holders: string[];
}

/** `held`: every block the thread holds after the task (absent when the thread could not say: it died). */
export type ThreadReply = { attemptId: AttemptId; held?: string[] } & (
  | { state: "FINISHED"; outcome: TaskOutcome }
  | { state: "FAILED"; error: string; blockMissing?: BlockMissing }
  | { state: "FETCH_FAILED"; error: string; fetchFailure: FetchFailure }
  | { state: "KILLED"; error: string }
);

export interface ExecutorOptions {
  slots: number;
  dataDir: string;
  shuffleRoot: string;
  spillDir: string;
  /** Cached blocks on disk (DISK_ONLY, MEMORY_AND_DISK), read by every thread. */
  blockDir: string;
  /** The worker's budget; each thread's heap limit and the spill pool follow from it. */
  memoryBytes: number;
  /** Share of the budget that aggregation, sort and shuffle buffers may hold before spilling. */
  memoryFraction: number;
  /** false: threads run built-in functions only. */
  userCode: boolean;
  fetchRemote: (req: RemoteFetchRequest) => Promise<RemoteFetchReply>;
  log: Logger;
  /** A broadcast's bytes for a thread (broadcast-store.ts); absent: a task naming one fails. */
  broadcast?: (req: BroadcastRequest) => Promise<BroadcastReply>;
  /** Makes the threads' S3 calls (s3-bridge.ts). */
  s3: S3Service;
}

interface Queued {
  task: TaskLaunch;
  workerId: WorkerId;
  resolve: (r: ThreadReply) => void;
  /** The slot holding a block the task reads: only that slot's thread takes it. */
  slot: number | null;
}

interface Slot {
  thread: Worker;
  port: MessagePort;
  signal: Int32Array;
  index: number;
  running: { attemptId: AttemptId; jobId: string; resolve: (r: ThreadReply) => void; killReason: string | null } | null;
  /** Being terminated (killed or crashed): it takes no task; its replacement will. */
  dying: boolean;
}

const THREAD_URL = new URL("./task-thread.js", import.meta.url);

export class Executor {
  private readonly slots: Slot[] = [];
  private readonly queue: Queued[] = [];
  /** Which slot's thread holds each cached block, by cachedBlockKey. */
  private readonly heldBy = new Map<string, number>();
  /** Blocks evicted from the threads' memory, until a heartbeat tells the master. */
  private readonly evictions: EvictedBlock[] = [];
  private closed = false;
  private readonly heap: { maxOldGenerationSizeMb: number; maxYoungGenerationSizeMb: number };
  readonly memory: MemoryPool;

  constructor(private readonly opts: ExecutorOptions) {
    const layout = memoryLayout(opts.memoryBytes, opts.slots, opts.memoryFraction);
    this.heap = { maxOldGenerationSizeMb: layout.threadHeapMb, maxYoungGenerationSizeMb: layout.threadYoungMb };
    this.memory = new MemoryPool(layout.pool);
    for (let i = 0; i < opts.slots; i++) this.slots.push(this.spawn(i));
  }

  get active(): number {
    return this.slots.filter((s) => s.running).length;
  }

  /** Attempts running or queued: the master counts both as on this worker. */
  runningAttempts(): AttemptId[] {
    return [...this.slots.flatMap((s) => (s.running ? [s.running.attemptId] : [])), ...this.queue.map((q) => q.task.attemptId)];
  }

  /** Runs the task on an idle thread, or queues it behind the running ones; null when the queue is full too. */
  run(task: TaskLaunch, workerId: WorkerId): Promise<ThreadReply> | null {
    if (this.closed) return null;
    const holder = this.holderOf(task);
    const idle = (s: Slot | undefined) => s !== undefined && !s.running && !s.dying;
    const slot = holder === null ? this.slots.find(idle) : this.slots.find((s) => s.index === holder && idle(s));
    if (!slot && this.queue.length >= this.slots.length * QUEUED_TASKS_PER_SLOT) return null;
    return new Promise((resolve) => {
      const queued = { task, workerId, resolve, slot: holder };
      if (slot) this.start(slot, queued);
      else this.queue.push(queued);
    });
  }

  /** The slot whose thread holds a block the task reads, if any does. */
  private holderOf(task: TaskLaunch): number | null {
    if (!task.application) return null;
    for (const read of cachedReads(task.stage.rdd, task.partition)) {
      const slot = this.heldBy.get(cachedBlockKey(task.application, read.datasetId, read.partition));
      if (slot !== undefined) return slot;
    }
    return null;
  }

  /** What a thread says it holds now replaces what it held; a block it no longer holds was evicted (a dropped one left heldBy already). */
  private setHeld(index: number, held: readonly string[]): void {
    const now = new Set(held);
    for (const [key, slot] of this.heldBy) {
      if (slot !== index) continue;
      this.heldBy.delete(key);
      if (!now.has(key)) this.evicted(key);
    }
    for (const key of held) this.heldBy.set(key, index);
  }

  private evicted(key: string): void {
    const { application, datasetId, partition: p } = parseCachedBlockKey(key);
    const path = blockFilePath(this.opts.blockDir, application, datasetId, p);
    let diskBytes = 0;
    try {
      if (path !== null) diskBytes = fs.statSync(path).size;
    } catch {
      // Not on disk: the block is gone from this worker.
    }
    if (this.evictions.length >= MAX_REPORTED_EVICTIONS) this.evictions.shift();
    this.evictions.push({ application, datasetId, partition: p, diskBytes });
  }

  /** The evictions since the last call, for a heartbeat; `putBack` returns them when the heartbeat failed. */
  takeEvictions(): EvictedBlock[] {
    return this.evictions.splice(0);
  }

  putBackEvictions(blocks: readonly EvictedBlock[]): void {
    this.evictions.unshift(...blocks.slice(0, Math.max(0, MAX_REPORTED_EVICTIONS - this.evictions.length)));
  }

  private start(slot: Slot, { task, workerId, resolve }: Queued): void {
    slot.running = { attemptId: task.attemptId, jobId: task.jobId, resolve, killReason: null };
    slot.thread.postMessage({ type: "task", task, workerId } satisfies ThreadRequest);
  }

  /** A slot came free: its thread takes the oldest queued task. */
  private startNext(slot: Slot): void {
    if (slot.dying) return;
    const i = this.queue.findIndex((q) => q.slot === null || q.slot === slot.index);
    if (i >= 0) this.start(slot, this.queue.splice(i, 1)[0]!);
  }

  /**
   * Ended applications' blocks go: each thread drops those in its heap when it
   * next reads its messages (after the task it runs), the files go now; a
   * thread's later replies say what it still holds. Idempotent: the master
   * repeats an ended application for a while.
   */
  dropApplications(applications: readonly string[]): void {
    const apps = new Set(applications);
    for (const key of this.heldBy.keys()) if (apps.has(parseCachedBlockKey(key).application)) this.heldBy.delete(key);
    for (const s of this.slots) s.thread.postMessage({ type: "drop", applications: [...apps], datasets: [] } satisfies ThreadRequest);
    for (const app of apps) {
      const dir = applicationBlockDir(this.opts.blockDir, app);
      if (dir !== null) fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  /** Unpersisted datasets' blocks go, as an ended application's do. */
  dropDatasets(datasets: readonly { application: string; datasetId: string }[]): void {
    const prefixes = datasets.map((d) => datasetKeyPrefix(d.application, d.datasetId));
    for (const key of this.heldBy.keys()) if (prefixes.some((p) => key.startsWith(p))) this.heldBy.delete(key);
    for (const s of this.slots) s.thread.postMessage({ type: "drop", applications: [], datasets: prefixes } satisfies ThreadRequest);
    for (const d of datasets) {
      const dir = applicationBlockDir(this.opts.blockDir, d.application);
      if (dir === null || !DATASET_ID_PATTERN.test(d.datasetId)) continue;
      let files: string[];
      try {
        files = fs.readdirSync(dir);
      } catch {
        continue;
      }
      for (const f of files) if (f.startsWith(`${d.datasetId}-`)) fs.rmSync(`${dir}/${f}`, { force: true });
    }
  }

  kill(attemptId: AttemptId, reason: string): boolean {
    const q = this.queue.findIndex((t) => t.task.attemptId === attemptId);
    if (q >= 0) {
      const [queued] = this.queue.splice(q, 1);
      queued!.resolve({ attemptId, state: "KILLED", error: reason });
      return true;
    }
    const i = this.slots.findIndex((s) => s.running?.attemptId === attemptId);
    if (i < 0) return false;
    const slot = this.slots[i]!;
    slot.running!.killReason = reason;
    slot.dying = true;
    void slot.thread.terminate();
    return true;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.queue.length = 0;
    await Promise.all(this.slots.map((s) => s.thread.terminate()));
  }

  private spawn(index: number): Slot {
    const { port1, port2 } = new MessageChannel();
    const signalBuffer = new SharedArrayBuffer(4);
    const env = { ...process.env };
    // User code runs in these threads: it gets no cluster secret.
    delete env.MINISPARK_TOKEN;
    const thread = new Worker(THREAD_URL, {
      workerData: {
        dataDir: this.opts.dataDir,
        shuffleRoot: this.opts.shuffleRoot,
        spillDir: this.opts.spillDir,
        blockDir: this.opts.blockDir,
        memory: this.memory.shape,
        slot: index,
        fetchPort: port2,
        fetchSignal: signalBuffer,
        userCode: this.opts.userCode,
      },
      transferList: [port2],
      env,
      resourceLimits: this.heap,
    });
    const slot: Slot = { thread, port: port1, signal: new Int32Array(signalBuffer), index, running: null, dying: false };
    thread.on("message", (reply: ThreadReply) => this.finish(slot, reply));
    thread.on("error", (e) => {
      this.opts.log.warn("task thread crashed", { attemptId: slot.running?.attemptId, error: e.message });
      this.releaseTask(slot);
      // The thread is dying: the next queued task waits for its replacement (see replace).
      slot.dying = true;
      this.finish(slot, { attemptId: slot.running?.attemptId as AttemptId, state: "FAILED", error: `task thread crashed: ${e.message}` });
    });
    thread.on("exit", () => this.replace(slot));
    port1.on("message", (req: RemoteFetchRequest | BroadcastRequest | S3Request) => {
      if (!("kind" in req)) void this.answerFetch(slot, req);
      else if (req.kind === "broadcast") void this.answerBroadcast(slot, req);
      else void this.answerS3(slot, req);
    });
    return slot;
  }

  private async answerFetch(slot: Slot, req: RemoteFetchRequest): Promise<void> {
    const reply = await this.opts.fetchRemote(req);
    slot.port.postMessage(reply, reply.ok ? [reply.buffer] : []);
    Atomics.store(slot.signal, 0, 1);
    Atomics.notify(slot.signal, 0);
  }

  private async answerBroadcast(slot: Slot, req: BroadcastRequest): Promise<void> {
    const reply: BroadcastReply = this.opts.broadcast ? await this.opts.broadcast(req) : { ok: false, message: `broadcast ${req.id}: this worker keeps no broadcasts` };
    // A SharedArrayBuffer is shared, not copied: every thread reads the worker's one copy.
    slot.port.postMessage(reply);
    Atomics.store(slot.signal, 0, 1);
    Atomics.notify(slot.signal, 0);
  }

  private async answerS3(slot: Slot, req: S3Request): Promise<void> {
    const reply = await this.opts.s3.answer(slot.index, req);
    slot.port.postMessage(reply);
    Atomics.store(slot.signal, 0, 1);
    Atomics.notify(slot.signal, 0);
  }

  /** Destroyed broadcasts' or ended applications' parsed values go from every thread (after the task it runs). */
  dropBroadcasts(keys: readonly string[]): void {
    if (keys.length === 0) return;
    for (const s of this.slots) s.thread.postMessage({ type: "drop", applications: [], datasets: [], broadcasts: [...keys] } satisfies ThreadRequest);
  }

  private finish(slot: Slot, reply: ThreadReply): void {
    if (reply.held) this.setHeld(slot.index, reply.held);
    const running = slot.running;
    if (!running) return;
    slot.running = null;
    this.opts.s3.forget(slot.index);
    running.resolve(reply);
    this.startNext(slot);
  }

  /** What a task's thread can no longer give back itself: its memory grant and spill files. */
  private releaseTask(slot: Slot): void {
    this.memory.resetSlot(slot.index);
    this.opts.s3.forget(slot.index);
    this.setHeld(slot.index, []);
    if (slot.running) removeSpillFiles(this.opts.spillDir, spillPrefix(slot.running.jobId, slot.running.attemptId));
  }

  /** A thread exited (killed, crashed or out of memory): fail its task and start a fresh thread. */
  private replace(slot: Slot): void {
    const running = slot.running;
    this.releaseTask(slot);
    if (running) {
      slot.running = null;
      running.resolve({
        attemptId: running.attemptId,
        state: running.killReason ? "KILLED" : "FAILED",
        error: running.killReason ?? "task thread exited unexpectedly (out of memory?)",
      });
    }
    slot.port.close();
    if (this.closed) return;
    const i = this.slots.indexOf(slot);
    if (i < 0) return;
    const fresh = this.spawn(slot.index);
    this.slots[i] = fresh;
    this.startNext(fresh);
  }
}
