// Shuffle blocks over HTTP, worker to worker: serving this worker's blocks
// (GET /data/shuffle/<job>/<shuffle>/<reduce>?maps=1,2,3, many map outputs in
// one response) and fetching other workers' blocks for the task threads. The
// response is a sequence of [u32 mapId][f64 length][bytes] entries. Runs on the
// worker's main thread.
import fs from "node:fs/promises";
import { MinisparkError, errorMessage } from "../common/errors.js";
import { HANDLED, type Request } from "../common/http-server.js";
import { logger } from "../common/log.js";
import { peerUrl, requestRaw, type RawReply } from "../common/http-client.js";
import type { RemoteFetchReply, RemoteFetchRequest } from "./block-fetch.js";
import { blockRange, jobShuffleDir, mapOutputPath } from "./shuffle-files.js";
import fsSync from "node:fs";

const ENTRY_HEADER = 12;
const log = logger("shuffle");
/** A job id as a directory name: no separators, and not "." or "..". */
const SAFE_ID = /^(?!\.+$)[A-Za-z0-9._-]+$/;

function intParam(s: string | undefined, what: string): number {
  if (s === undefined || !/^\d{1,9}$/.test(s)) throw new MinisparkError("BAD_REQUEST", `${what} must be a non-negative integer`);
  return Number(s);
}

export async function serveBlocks(req: Request, shuffleRoot: string, onServed: (bytes: number) => void): Promise<typeof HANDLED> {
  const jobId = req.params.job!;
  if (!SAFE_ID.test(jobId)) throw new MinisparkError("BAD_REQUEST", "bad job id");
  const shuffleId = intParam(req.params.shuffle, "shuffle id");
  const reduceId = intParam(req.params.reduce, "reduce partition");
  const maps = (req.query.get("maps") ?? "").split(",").filter(Boolean).map((m) => intParam(m, "map id"));
  // Open every block before answering so that a missing one is a clean 404 naming it.
  const opened: { mapId: number; fd: fs.FileHandle; start: number; end: number }[] = [];
  try {
    for (const mapId of maps) {
      const path = mapOutputPath(shuffleRoot, jobId, shuffleId, mapId);
      let fd: fs.FileHandle;
      try {
        fd = await fs.open(path, "r");
      } catch {
        req.res.setHeader("x-missing-map", String(mapId));
        throw new MinisparkError("NOT_FOUND", `no output of map ${mapId} for shuffle ${shuffleId} of ${jobId} here`);
      }
      const [start, end] = blockRange(fd.fd, reduceId);
      opened.push({ mapId, fd, start, end });
    }
    const total = opened.reduce((s, o) => s + ENTRY_HEADER + (o.end - o.start), 0);
    req.res.writeHead(200, { "content-type": "application/octet-stream", "content-length": total });
    for (const o of opened) {
      const buf = Buffer.allocUnsafe(ENTRY_HEADER + (o.end - o.start));
      buf.writeUInt32LE(o.mapId, 0);
      buf.writeDoubleLE(o.end - o.start, 4);
      await o.fd.read(buf, ENTRY_HEADER, o.end - o.start, o.start);
      if (req.res.destroyed) return HANDLED;
      if (!req.res.write(buf)) await drainOrClose(req.res);
    }
    req.res.end();
    onServed(total - ENTRY_HEADER * opened.length);
    return HANDLED;
  } finally {
    await Promise.all(opened.map((o) => o.fd.close()));
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
    res = await requestRaw(url, { token, timeoutMs });
  } catch (e) {
    return { ok: false, mapId: req.mapIds[0]!, message: errorMessage(e) };
  }
  if (res.status !== 200) {
    const missing = Number(res.headers["x-missing-map"] ?? req.mapIds[0]);
    let message = `HTTP ${res.status}`;
    try {
      message = (JSON.parse(res.body.toString("utf8")) as { error?: { message?: string } }).error?.message ?? message;
    } catch {
      // Not our JSON error (e.g. a proxy's page): the status says enough.
    }
    return { ok: false, mapId: missing, message };
  }
  const view = res.body;
  const entries: { mapId: number; offset: number; length: number }[] = [];
  let off = 0;
  while (off + ENTRY_HEADER <= view.length) {
    const mapId = view.readUInt32LE(off);
    const length = view.readDoubleLE(off + 4);
    entries.push({ mapId, offset: off + ENTRY_HEADER, length });
    off += ENTRY_HEADER + length;
  }
  if (off !== view.length || entries.length !== req.mapIds.length) {
    return { ok: false, mapId: req.mapIds[entries.length] ?? req.mapIds[0]!, message: "truncated block response" };
  }
  // The thread gets the bytes as a transferable ArrayBuffer of their own.
  const buffer = view.byteOffset === 0 && view.byteLength === view.buffer.byteLength ? view.buffer : view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength);
  return { ok: true, buffer: buffer as ArrayBuffer, entries };
}

export function removeJobShuffle(shuffleRoot: string, jobId: string): void {
  if (!SAFE_ID.test(jobId)) throw new MinisparkError("BAD_REQUEST", "bad job id");
  fsSync.rmSync(jobShuffleDir(shuffleRoot, jobId), { recursive: true, force: true });
}
