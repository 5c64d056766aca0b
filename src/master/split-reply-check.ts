// Whether a worker's answer to POST /splits is a listing of the sources the
// master asked for: an own entry for each requested node (nothing else is
// taken, so "__proto__" or extra keys do nothing), a non-empty list of at most
// the planner's partition limit, and splits whose path passes the textual path
// rule and whose byte range is whole, ordered and inside the file. The master
// plans from this listing and sends each split to whichever worker runs its
// task, so a listing the worker made up would otherwise become tasks reading
// bytes at -5 or 1e308, or paths megabytes long copied into every launch.
// Pure; called by job-service.ts on the reply of worker-client.ts listSplits
// (whose reply size is capped by MAX_SPLIT_REPLY_BYTES).
import type { InputSplit } from "../plan/physical.js";
import { pathProblem } from "../plan/paths.js";
import type { SplitSource } from "../plan/physical.js";

/**
 * Largest /splits reply read: 100,000 splits (the default partition limit) at
 * about 650 bytes each. Real listings are far smaller (a split is ~80 bytes
 * plus its path); past this the reply is refused before it is parsed.
 */
export const MAX_SPLIT_REPLY_BYTES = 64 * 1024 * 1024;

/** A listing from a worker that is not one: the job's start fails and is tried again (maybe on another worker). */
export class BadSplitReplyError extends Error {
  constructor(worker: string, problem: string) {
    super(`the input listing from worker ${worker} is invalid: ${problem}`);
    this.name = "BadSplitReplyError";
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
const isWhole = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/** The listing of exactly the requested sources, or throws BadSplitReplyError naming the first problem. */
export function checkSplitReply(worker: string, reply: unknown, sources: readonly SplitSource[], maxSplitsPerSource: number): Record<string, InputSplit[]> {
  const bad = (problem: string) => new BadSplitReplyError(worker, problem);
  if (!isObject(reply) || !Object.hasOwn(reply, "splits") || !isObject(reply.splits)) throw bad("it must be an object with a splits object");
  const listed = reply.splits;
  // A fresh map with no prototype: node ids are the spec's, and may be "__proto__".
  const out = Object.create(null) as Record<string, InputSplit[]>;
  for (const { node } of sources) {
    const splits = Object.hasOwn(listed, node) ? listed[node] : undefined;
    if (!Array.isArray(splits) || splits.length === 0) throw bad(`node "${node}" has no list of splits`);
    if (splits.length > maxSplitsPerSource) throw bad(`node "${node}" has ${splits.length} splits; at most ${maxSplitsPerSource} are allowed`);
    out[node] = splits.map((s: unknown, i) => {
      const where = `split ${i} of node "${node}"`;
      if (!isObject(s) || typeof s.path !== "string") throw bad(`${where} must be an object with a path`);
      const problem = pathProblem(s.path);
      if (problem !== null) throw bad(`${where}: its path ${problem}`);
      const { start, end, fileSize } = s;
      if (!(isWhole(start) && isWhole(end) && isWhole(fileSize) && start <= end && end <= fileSize)) {
        throw bad(`${where} must have whole byte offsets 0 ≤ start ≤ end ≤ fileSize`);
      }
      return { path: s.path, start, end, fileSize };
    });
  }
  return out;
}
