// The word-count kernel: a map stage that reads a text file, splits it with
// the built-in `tokenize`, pairs each word with one and shuffles into a summing
// combine — textFile → flatMap(tokenize) → map(pair_with_one) → reduceByKey(sum),
// or → countByValue — is run as one loop over the split's bytes
// (token-counter.ts) instead of a string per line, a string per word and a
// pair per word. Its counts go into the shuffle writer's combine table, which
// spills as usual, so the result is the generic path's to the byte.
//
// Recognised here, when a task sets up its shuffle write, rather than by the
// planner: the physical plan says what a stage computes and the worker picks
// how, so the plan, the stage names and the task messages stay as they are, and
// the kernel needs only what the task already holds (its RDD chain and its
// shuffle's combine). Called by task-runner.ts.
import type { Combine, Rdd } from "../plan/physical.js";
import { readLineRegions } from "../storage/line-reader.js";
import { Reservation } from "./memory/memory-pool.js";
import { openSplit, splitOf, type ComputeContext } from "./rdd-compute.js";
import type { ShuffleWriter } from "./shuffle-writer.js";
import { TokenCounter } from "./token-counter.js";

type TextFile = Rdd & { kind: "file" };

/** The text file a map stage's chain tokenizes and counts, or null when it is not that chain. */
export function wordCountSource(rdd: Rdd, combine: Combine | null): TextFile | null {
  if (!(combine?.type === "sum" || (combine?.type === "fn" && combine.fn === "sum"))) return null;
  if (rdd.kind !== "narrow" || !(rdd.op === "pairWithOne" || (rdd.op === "map" && rdd.fn === "pair_with_one"))) return null;
  const words = rdd.parent;
  if (words.kind !== "narrow" || words.op !== "flatMap" || words.fn !== "tokenize") return null;
  const lines = words.parent;
  // A persisted step must be computed as its records (to be kept) or read from its block: the kernel skips both.
  if (rdd.cache || words.cache || lines.cache) return null;
  return lines.kind === "file" && lines.format === "text" ? lines : null;
}

/** Counts the words of the partition's split into the writer, as [word, 1] records would be. */
export function countWords(source: TextFile, partition: number, ctx: ComputeContext, writer: ShuffleWriter): void {
  const split = splitOf(source, partition);
  const file = openSplit(split, ctx);
  try {
    const counter = new TokenCounter(new Reservation(ctx.memory), (word, n) => writer.addOnes(word, n));
    for (const region of readLineRegions(file, split.start, split.end)) ctx.metrics.recordsIn += counter.addLines(region);
    counter.flush();
  } finally {
    file.close();
  }
}
