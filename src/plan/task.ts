// A task: what the master launches it with (its stage, partition and the blocks
// it reads) and what it hands back, by the kind of stage it ran. Built by the
// plan's resolver, computed by workers, merged by the ops' rules.
import type { S3JobSettings } from "./job-spec.js";
import type { S3PartUpload } from "../common/s3-part-upload.js";
import type { AppId, AttemptId, JobId, StageId, WorkerId } from "../common/ids.js";
import type { Json } from "../common/api-types.js";
import type { KeySample } from "./partitioner.js";
import type { ShuffleDep, Stage } from "./physical.js";
import type { DatasetId, StorageLevel } from "./storage-level.js";
import type { CsvSeen } from "../common/csv-types.js";

/** Where one map task's output for one reduce partition lives. */
export interface BlockLocation {
  mapId: number;
  workerId: WorkerId;
  address: string;
  bytes: number;
  /** The job and shuffle whose files hold it, when an earlier job of the application wrote it (absent: the task's own job and shuffle). */
  writtenBy?: ShuffleFiles;
}

/** Which shuffle files: a job's, and its shuffle's id in that job. */
export interface ShuffleFiles {
  job: JobId;
  shuffle: number;
}

export interface TaskLaunch {
  protocol: number;
  jobId: JobId;
  stageId: StageId;
  partition: number;
  attemptId: AttemptId;
  attempt: number;
  stage: Stage;
  /** The shuffle this stage writes, with its bounds when range-partitioned. */
  outputShuffle: ShuffleDep | null;
  /** Where the blocks this task reads are, by "<shuffle>/<reduce partition>" (see plan/task-rdd.ts blockKey). */
  inputs: Record<string, BlockLocation[]>;
  /** The job's application: what the worker keys the application's cached blocks and broadcasts by. */
  application: AppId | null;
  /** The broadcasts the stage's envs name, by id, with the addresses of the workers holding them (absent when none). */
  broadcasts?: Record<string, string[]>;
  /** Datasets of the application the master released that this worker was not yet told of: dropped before the task runs, so no task reads a block after its unpersist. */
  unpersisted?: DatasetId[];
  /** The job's own S3 settings (secrets: never logged), absent when it has none. */
  s3?: S3JobSettings;
}

/** What a finished task hands back, by the kind of stage it ran. */
export type TaskResult =
  | { type: "mapStatus"; sizes: number[]; records: number }
  | { type: "sample"; sample: KeySample }
  | { type: "collect"; records: Json[] }
  | { type: "count"; count: number }
  /** `upload`: for an s3:// output, the part's multipart upload, completed only at job commit. */
  | { type: "saved"; file: string; records: number; upload?: S3PartUpload }
  /** takeOrdered/top/min/max: the partition's best records with the keys they were ordered by. */
  | { type: "keyed"; entries: [Json, Json][] }
  /** Numbers: count, sum, min, max and m2 (the sum of squared deviations from the mean). */
  | { type: "stats"; count: number; sum: number; min: number; max: number; m2: number }
  | { type: "histogram"; edges: Json[]; counts: number[] }
  /** countApproxDistinct: a partition's HyperLogLog sketch, its 2^p one-byte registers in base64. */
  | { type: "hyperLogLog"; p: number; registers: string }
  /** takeSample: the partition's record count and its records of smallest seeded key, with their keys. */
  | { type: "sampled"; count: number; entries: [number, Json][] }
  /** A csv source's schema probe: the type each column's fields suggest in the partition, by position. */
  | { type: "csvTypes"; types: CsvSeen[] };

/** A cached block a task stored (its application is the job's), as its FINISHED report tells the master. */
export interface StoredBlock {
  datasetId: DatasetId;
  partition: number;
  level: StorageLevel;
  /** 0 when it is only on disk. */
  memoryBytes: number;
  /** 0 when it is only in memory. */
  diskBytes: number;
}
