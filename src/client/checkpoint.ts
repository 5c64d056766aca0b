// Checkpoints (Spark's RDD.checkpoint): where a checkpointed dataset's files go,
// how a written one reads back, and the mark a Dataset carries until its first
// action writes it. The write itself is a `save` job (jsonl, so every JSON record
// round-trips: JSON.stringify puts any value, a string with line breaks or a bare
// number included, on one line) run by context.ts; job-builder.ts emits a written
// checkpoint as a jsonl source and walks none of its parents, which is the cut.
// Pure; called by dataset.ts, context.ts and job-builder.ts.
/** The checkpoint directory's default, under the outputs directory (`save` writes there). */
export const DEFAULT_CHECKPOINT_DIR = "checkpoints";

/** A dataset's checkpoint: set by Dataset.checkpoint(), written by the first action that needs it. */
export interface CheckpointMark {
  /** The save path under the outputs directory once the files are committed; null before. */
  saved: string | null;
  /** The save job running now, shared by actions that start meanwhile (so the dataset is written once). */
  writing: Promise<void> | null;
}

/** What is wrong with a checkpoint directory (relative to the outputs directory), or null. */
export function checkpointDirProblem(dir: unknown): string | null {
  if (typeof dir !== "string") return `must be a string, got ${typeof dir}`;
  if (dir.length === 0 || dir.length > 200) return "must be 1 to 200 characters long";
  // Plain names only: the read-back source globs the directory, and a "..", an absolute path or a hidden
  // (or underscored, minispark's own) entry would leave the outputs directory or clash with commit files.
  const bad = dir.split("/").find((part) => !/^[A-Za-z0-9][A-Za-z0-9.-]*$/.test(part) || part.includes(".."));
  return bad === undefined
    ? null
    : `"${dir.slice(0, 80)}" has the part "${bad.slice(0, 80)}"; each part must be letters, digits, "." and "-", starting with a letter or digit (a path inside the outputs directory)`;
}

/** Why a context cannot checkpoint: checked when a dataset is marked, and again when the mark is written. */
export const NO_CHECKPOINT_DIRECTORY = "checkpoint(): this context has no application on a master (connect() to a cluster), so there is no directory of its own to write the dataset to";

/** The save path of one checkpoint: one directory per application and checkpoint. */
export function checkpointSavePath(dir: string, applicationId: string, checkpointId: string): string {
  return `${dir}/${applicationId}/${checkpointId}`;
}

/** Where the files are, relative to the data directory (Spark's getCheckpointFile). */
export function checkpointFilesPath(saved: string): string {
  return `outputs/${saved}`;
}

/**
 * The source that reads a written checkpoint back, as a JobSpec node (id and persist set by the caller).
 * One partition per non-empty part file, in partition order: minPartitions 1 and no byte cap make each
 * file one split (storage/splits.ts), and part-NNNNN names sort in partition order. A part file with no
 * records is no split, so a dataset with empty partitions reads back with fewer (at least one).
 */
export function checkpointSource(saved: string): { op: "jsonl"; path: string; minPartitions: number; maxPartitionBytes: number } {
  return { op: "jsonl", path: `${checkpointFilesPath(saved)}/part-*`, minPartitions: 1, maxPartitionBytes: Number.MAX_SAFE_INTEGER };
}
