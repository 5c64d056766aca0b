// The entry point of a listing thread: expands one /splits request's globs
// (local ones under the data directory, `s3://` ones by listing the bucket,
// s3/s3-listing.ts), sizes the files and cuts the splits (splits.ts), then
// posts the outcome and exits. Runs off the worker's main thread so that no
// listing, however large or slow its directory tree or bucket, stalls the
// worker's HTTP serving or heartbeats; the listing runner (listing-runner.ts)
// starts it and terminates it past its time limit.
import fs from "node:fs";
import path from "node:path";
import { parentPort, workerData } from "node:worker_threads";
import type { InputSplit, SplitSource } from "../plan/physical.js";
import { errorMessage } from "../common/errors.js";
import { S3LocationError, isS3Url, parseS3Glob } from "../plan/s3-location.js";
import { expandPaths } from "./glob.js";
import type { ListingData, ListingOutcome } from "./listing-runner.js";
import { S3Client } from "./s3/s3-client.js";
import { resolveS3Config, sourcesWithEnv } from "./s3/s3-config.js";
import { listMatching } from "./s3/s3-listing.js";
import { type ListedFile, cutSplits } from "./splits.js";

const { dataDir, sources, s3, awsEnv } = workerData as ListingData;
let client: S3Client | null = null;

async function list(): Promise<ListingOutcome> {
  const entries: [string, InputSplit[]][] = [];
  for (const s of sources) {
    try {
      entries.push([s.node, cutSplits(await filesOf(s), s)]);
    } catch (e) {
      return { ok: false, node: s.node, message: errorMessage(e) };
    }
  }
  // fromEntries defines own properties: a node named "__proto__" keeps its listing.
  return { ok: true, splits: Object.fromEntries(entries) };
}

/** The source's files in the order its paths name them, each once. */
async function filesOf(source: SplitSource): Promise<ListedFile[]> {
  const patterns = Array.isArray(source.path) ? source.path : [source.path];
  const local = (p: string | string[]): ListedFile[] => expandPaths(dataDir, p).map((f) => ({ path: f, size: fs.statSync(path.join(dataDir, f)).size }));
  if (!patterns.some(isS3Url)) return local(patterns);
  const files = new Map<string, ListedFile>();
  for (const p of patterns) for (const f of isS3Url(p) ? await objectsOf(p) : local(p)) if (!files.has(f.path)) files.set(f.path, f);
  return [...files.values()];
}

async function objectsOf(url: string): Promise<ListedFile[]> {
  const glob = parseS3Glob(url);
  client ??= new S3Client(resolveS3Config(s3 ?? {}, sourcesWithEnv(awsEnv)));
  const { objects } = await listMatching(client, url, glob);
  if (objects.length === 0) throw new S3LocationError(url, "matches no objects");
  return objects.map((o) => ({ path: `s3://${glob.bucket}/${o.key}`, size: o.size }));
}

void list()
  .then((outcome) => parentPort!.postMessage(outcome))
  .finally(() => client?.close());
