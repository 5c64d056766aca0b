// What computing a partition needs from the task around it: where the data
// directory is, where the shuffle blocks it reads are and how to fetch them,
// its metrics and its share of memory. Set up by task-runner.ts; read by
// rdd-compute.ts, shuffle-reader.ts and the word-count kernel.
import type { TaskMemory } from "./memory/memory-pool.js";
import type { TaskSpills } from "./memory/spill-files.js";
import type { BlockLocation } from "../plan/task.js";
import type { ThreadS3 } from "../storage/s3/s3-sync.js";
import type { TaskCache } from "./thread-block-store.js";

export interface BlockSource {
  /** The bytes of each map output's block for `reduceId`; throws FetchFailedError. */
  blocks(shuffleId: number, reduceId: number, locations: BlockLocation[]): Iterable<Uint8Array>;
  /**
   * The error for a block last yielded that does not decode: the map output
   * is bad (a peer's, or a damaged file), so it is re-made, rather than the
   * reading task failing for it.
   */
  corrupt?(shuffleId: number, message: string): Error;
}

export interface ComputeContext {
  dataDir: string;
  /** S3 calls with the job's settings, for `s3://` inputs; null where no worker makes them (the inline runner). */
  s3: ThreadS3 | null;
  blocks: BlockSource;
  inputs: Record<string, BlockLocation[]>;
  metrics: { recordsIn: number; bytesRead: number };
  /** The task's share of the worker's memory, and where its structures spill past it. */
  memory: TaskMemory;
  spills: TaskSpills;
  /** The thread's cached blocks, for a task of an application; null: persisted RDDs are computed as any other. */
  cache: TaskCache | null;
}
