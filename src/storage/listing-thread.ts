// The entry point of a listing thread: expands one /splits request's globs,
// stats the files and cuts the splits (splits.ts), then posts the outcome and
// exits. Runs off the worker's main thread so that no listing, however large
// or slow its directory tree, stalls the worker's HTTP serving or heartbeats;
// the listing runner (listing-runner.ts) starts it and terminates it past its
// time limit.
import { parentPort, workerData } from "node:worker_threads";
import type { InputSplit } from "../plan/physical.js";
import type { SplitSource } from "../plan/physical.js";
import { errorMessage } from "../common/errors.js";
import { listSplits } from "./splits.js";
import type { ListingOutcome } from "./listing-runner.js";

interface ListingData {
  dataDir: string;
  sources: SplitSource[];
}

const { dataDir, sources } = workerData as ListingData;

function list(): ListingOutcome {
  const entries: [string, InputSplit[]][] = [];
  for (const s of sources) {
    try {
      entries.push([s.node, listSplits(dataDir, s.path, s)]);
    } catch (e) {
      return { ok: false, node: s.node, message: errorMessage(e) };
    }
  }
  // fromEntries defines own properties: a node named "__proto__" keeps its listing.
  return { ok: true, splits: Object.fromEntries(entries) };
}

parentPort!.postMessage(list());
