// Shuffle blocks over HTTP, worker to worker: serving this worker's blocks
// (GET /data/shuffle/<job>/<shuffle>/<reduce>?maps=1,2,3, many map outputs in
// one response) and fetching other workers' blocks for the task threads. The
// response is a sequence of [u32 mapId][f64 length][bytes] entries. Runs on the
// worker's main thread.
import fs from "node:fs/promises";
import type { ApiError } from "../common/api-types.js";
import { MinisparkError, errorMessage } from "../common/errors.js";
import { HANDLED, type Request } from "../common/http-server.js";
import { logger } from "../common/log.js";
import { peerUrl, requestRaw, type RawReply } from "../common/http-client.js";
import type { RemoteFetchReply, RemoteFetchRequest } from "./block-fetch.js";
import { blockRange, jobShuffleDir, mapOutputPath } from "./shuffle-files.js";
import fsSync from "node:fs";
import { ENTRY_HEADER, MAX_BLOCKS_PER_FETCH, missingMap, parseBlockResponse } from "./block-frames.js";
import { checkPathName, indexParam as intParam } from "./path-ids.js";

const log = logger("shuffle");

export async function serveBlocks(req: Request, shuffleRoot: string, onServed: (bytes: number) => void): Promise<typeof HANDLED> {
  const jobId = checkPathName(req.params.job, "the job id");
  const shuffleId = intParam(req.params.shuffle, "shuffle id");
  const reduceId = intParam(req.params.reduce, "reduce partition");
  const maps = (req.query.get("maps") ?? "")
    .split(",", MAX_BLOCKS_PER_FETCH + 1)
    .filter(Boolean)
    .map((m) => intParam(m, "map id"));
  if (maps.length > MAX_BLOCKS_PER_FETCH) throw new MinisparkError("BAD_REQUEST", `at most ${MAX_BLOCKS_PER_FETCH} map outputs per request`);
  // Every block's size before answering, so that a missing one is a clean 404 naming it; one file open at a time.
  const lengths: number[] = [];
  for (const mapId of maps) {
    const range = await withBlock(shuffleRoot, jobId, shuffleId, mapId, reduceId, async () => undefined);
    if (!range) {
      req.res.setHeader("x-missing-map", String(mapId));
      throw new MinisparkError("NOT_FOUND", `no output of map ${mapId} for shuffle ${shuffleId} of ${jobId} here`);
    }
    lengths.push(range.end - range.start);
  }
  const total = lengths.reduce((s, n) => s + ENTRY_HEADER + n, 0);
  req.res.writeHead(200, { "content-type": "application/octet-stream", "content-length": total });
  for (let i = 0; i < maps.length; i++) {
    const mapId = maps[i]!;
    // The headers are out: a file that became unreadable ends the response short, which the reader sees as a failed fetch.
    const served = await withBlock(shuffleRoot, jobId, shuffleId, mapId, reduceId, async (fd, start, end) => {
      // A retried map attempt may have replaced the file since its size was announced: end the response short.
      if (end - start !== lengths[i]) return false;
      const buf = Buffer.allocUnsafe(ENTRY_HEADER + (end - start));
      buf.writeUInt32LE(mapId, 0);
      buf.writeDoubleLE(end - start, 4);
      await fd.read(buf, ENTRY_HEADER, end - start, start);
      if (req.res.destroyed) return false;
      if (!req.res.write(buf)) await drainOrClose(req.res);
      return true;
    }).catch((e: unknown) => {
      log.warn("map output became unreadable while being served", { jobId, shuffle: shuffleId, map: mapId, error: errorMessage(e) });
      return null;
    });
    if (!served?.result) {
      req.res.destroy();
      return HANDLED;
    }
  }
  req.res.end();
  onServed(total - ENTRY_HEADER * maps.length);
  return HANDLED;
}

/** Opens one map output, finds reduce partition `reduceId`'s range, runs `use`, closes it; null if there is no such output. */
async function withBlock<T>(
  shuffleRoot: string,
  jobId: string,
  shuffleId: number,
  mapId: number,
  reduceId: number,
  use: (fd: fs.FileHandle, start: number, end: number) => Promise<T>,
): Promise<{ start: number; end: number; result: T } | null> {
  let fd: fs.FileHandle;
  try {
    fd = await fs.open(mapOutputPath(shuffleRoot, jobId, shuffleId, mapId), "r");
  } catch {
    return null;
  }
  try {
    const [start, end] = blockRange(fd.fd, reduceId);
    return { start, end, result: await use(fd, start, end) };
  } finally {
    await fd.close();
  }
}

/** A reader that went away never drains: stop waiting when the socket closes too. */
function drainOrClose(res: Request["res"]): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}

/**
 * A peer's answer may be at most twice the bytes its map statuses announced
 * (plus headers and 1 MiB): a block rewritten by a late attempt may differ in
 * size, and the parser then fails the fetch, but no answer grows without bound.
 */
function maxReplyBytes(expected: number, blocks: number): number {
  return 2 * expected + ENTRY_HEADER * blocks + 1024 * 1024;
}

/** The main thread's side of a task thread's remote fetch. */
export async function fetchBlocks(req: RemoteFetchRequest, token: string | null, timeoutMs: number): Promise<RemoteFetchReply> {
  const reply = await fetchFrom(req, token, timeoutMs);
  const ids = { jobId: req.jobId, shuffle: req.shuffleId, reduce: req.reduceId, from: req.address };
  if (reply.ok) log.debug("fetched shuffle blocks", { ...ids, maps: req.mapIds.length, bytes: reply.buffer.byteLength });
  else log.warn("shuffle fetch failed", { ...ids, map: reply.mapId, error: reply.message });
  return reply;
}

async function fetchFrom(req: RemoteFetchRequest, token: string | null, timeoutMs: number): Promise<RemoteFetchReply> {
  const url = peerUrl(req.address, `/data/shuffle/${encodeURIComponent(req.jobId)}/${req.shuffleId}/${req.reduceId}?maps=${req.mapIds.join(",")}`);
  let res: RawReply;
  try {
    res = await requestRaw(url, { token, timeoutMs, maxReplyBytes: maxReplyBytes(req.expectedBytes, req.mapIds.length) });
  } catch (e) {
    return { ok: false, mapId: req.mapIds[0]!, message: errorMessage(e) };
  }
  if (res.status !== 200) {
    const missing = missingMap(res.headers["x-missing-map"], req.mapIds);
    let message = `HTTP ${res.status}`;
    try {
      message = (JSON.parse(res.body.toString("utf8")) as Partial<ApiError>).error?.message ?? message;
    } catch {
      // Not our JSON error (e.g. a proxy's page): the status says enough.
    }
    return { ok: false, mapId: missing, message };
  }
  const view = res.body;
  const parsed = parseBlockResponse(view, req.mapIds);
  if (!parsed.ok) return parsed;
  const entries = parsed.entries;
  // The thread gets the bytes as a transferable ArrayBuffer of their own.
  const buffer = view.byteOffset === 0 && view.byteLength === view.buffer.byteLength ? view.buffer : view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength);
  return { ok: true, buffer: buffer as ArrayBuffer, entries };
}

export function removeJobShuffle(shuffleRoot: string, jobId: string): void {
  checkPathName(jobId, "the job id");
  fsSync.rmSync(jobShuffleDir(shuffleRoot, jobId), { recursive: true, force: true });
}
