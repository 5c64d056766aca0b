// Owns when Parquet's code is in memory. hyparquet and hyparquet-writer cost a
// thread about 9 MiB and 50 ms to load, and most jobs never touch Parquet, so
// a task thread loads them before the first task that reads or writes it
// (task-thread.ts awaits loadParquet); a task runs synchronously, so the code
// must be there before it starts. The in-process runner loads them eagerly
// (parquet-code-eager.ts).
import type { Stage } from "../plan/physical.js";
import { childrenOf } from "../plan/physical.js";
import type * as ParquetReader from "./parquet-file.js";
import type * as ParquetWriter from "./parquet-writer.js";

let reader: typeof ParquetReader | null = null;
let writer: typeof ParquetWriter | null = null;

export function provideParquet(r: typeof ParquetReader, w: typeof ParquetWriter): void {
  reader = r;
  writer = w;
}

export function parquetLoaded(): boolean {
  return reader !== null && writer !== null;
}

export async function loadParquet(): Promise<void> {
  if (parquetLoaded()) return;
  const [r, w] = await Promise.all([import("./parquet-file.js"), import("./parquet-writer.js")]);
  provideParquet(r, w);
}

export function parquetReader(): typeof ParquetReader {
  if (!reader) throw new Error("internal error: Parquet's reader is not loaded in this thread (loadParquet before the task)");
  return reader;
}

export function parquetWriter(): typeof ParquetWriter {
  if (!writer) throw new Error("internal error: Parquet's writer is not loaded in this thread (loadParquet before the task)");
  return writer;
}

/** Whether a task of the stage reads a Parquet file or saves Parquet parts. */
export function stageUsesParquet(stage: Stage): boolean {
  if (stage.output.type === "result" && stage.output.action.type === "save" && stage.output.action.format === "parquet") return true;
  // Its own stack: a lineage is up to MAX_DEPTH deep.
  const stack = [stage.rdd];
  while (stack.length > 0) {
    const r = stack.pop()!;
    if (r.kind === "file" && r.format === "parquet") return true;
    stack.push(...childrenOf(r));
  }
  return false;
}
