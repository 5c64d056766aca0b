// Spark's storage levels for a persisted dataset, the id that recognises a
// dataset across the jobs of one application, and the marker the planner puts
// on the RDD it persists (what the worker's block manager reads to decide
// whether to keep, or read, a partition). Read by the validator, the planner,
// explain and the worker's compute path.

/** Where a cached partition lives: MEMORY_* in the worker's storage memory, *_SER as framed bytes, DISK_ONLY and evicted MEMORY_AND_DISK blocks as files. */
export const STORAGE_LEVELS = ["MEMORY_ONLY", "MEMORY_ONLY_SER", "MEMORY_AND_DISK", "MEMORY_AND_DISK_SER", "DISK_ONLY"] as const;
/** One of {@link STORAGE_LEVELS}: a JobSpec node's "persist", the library's `ds.persist(level)`. */
export type StorageLevel = (typeof STORAGE_LEVELS)[number];

export function isStorageLevel(v: unknown): v is StorageLevel {
  return typeof v === "string" && (STORAGE_LEVELS as readonly string[]).includes(v);
}

declare const datasetBrand: unique symbol;
/** "ds-<32 hex>": a hash of a dataset's lineage (src/planner/dataset-id.ts), scoped to its application. */
export type DatasetId = string & { readonly [datasetBrand]: "DatasetId" };

export const DATASET_ID_PATTERN = /^ds-[0-9a-f]{32}$/;

export function asDatasetId(s: string): DatasetId {
  return s as DatasetId;
}

/** On the RDD of a node with "persist": which dataset its partitions are blocks of, and at which level they are kept. */
export interface CacheMarker {
  datasetId: DatasetId;
  level: StorageLevel;
}
