// What a save format's encoder is: line-encoders.ts and parquet-writer.ts
// implement it, part-writer.ts picks one per part.
import type { ResultAction } from "../plan/physical.js";

/** The save action as a task gets it. */
export type SaveAction = Extract<ResultAction, { type: "save" }>;

/** Turns records into bytes written to its sink, in order. */
export interface PartEncoder {
  /** Encodes one record; `number` (1 for the part's first record) is for messages. May write to the sink, or buffer. */
  add(record: unknown, number: number): void;
  /** Writes whatever is buffered (and any trailer the format has) to the sink. */
  end(): void;
}
