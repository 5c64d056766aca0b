// A task met a shuffle its launch named no blocks of: the master skipped the
// stage writing it because a cached block stood in for it, and that block was
// not here. The innermost cached read that fell back to its lineage names
// itself on the error, so the master can tell which block is gone
// (protocol.ts BlockMissing). Thrown by shuffle-reader.ts, named by
// thread-block-store.ts, reported by task-thread.ts.
import type { DatasetId } from "../plan/storage-level.js";

export class ShuffleInputMissingError extends Error {
  block: { datasetId: DatasetId; partition: number } | null = null;

  constructor(
    readonly shuffleId: number,
    partition: number,
  ) {
    super(`task was not told where the blocks of shuffle ${shuffleId}, partition ${partition} are`);
    this.name = "ShuffleInputMissingError";
  }
}
