// Getting shuffle blocks into a task thread. Blocks this worker holds are read
// straight from its files; blocks on other workers are fetched by the worker's
// main thread over HTTP (the thread blocks until they arrive: see
// sync-bridge.ts), a batch per worker at a time so memory stays bounded. A block
// that cannot be had raises FetchFailedError, which the master treats as lost map
// output rather than as the task's fault. A block an earlier job of the
// application wrote (a reused shuffle) is read from that job's files.
import type { JobId, WorkerId } from "../common/ids.js";
import type { FetchFailure } from "../cluster/protocol.js";
import type { BlockSource } from "./compute-context.js";
import { mapOutputPath, readBlockChunks } from "./shuffle-files.js";
import { MAX_BLOCKS_PER_FETCH } from "./block-frames.js";
import type { BlockLocation, ShuffleFiles } from "../plan/task.js";

export class FetchFailedError extends Error {
  constructor(readonly failure: FetchFailure) {
    super(failure.message);
    this.name = "FetchFailedError";
  }
}

export interface RemoteFetchRequest {
  address: string;
  jobId: string;
  shuffleId: number;
  reduceId: number;
  mapIds: number[];
  /** The blocks' bytes by their map statuses, which bounds the answer. */
  expectedBytes: number;
}

export type RemoteFetchReply = { ok: true; buffer: ArrayBuffer; entries: { mapId: number; offset: number; length: number }[] } | { ok: false; mapId: number; message: string };

/** Remote batches are cut at most at this many bytes (sizes are known from the map statuses). */
const MAX_BATCH_BYTES = 32 * 1024 * 1024;

export class TaskBlockSource implements BlockSource {
  bytesRead = 0;
  bytesFetchedRemote = 0;
  /** Kept even if user code catches it: a lost block must re-run its map task, not fail this one. */
  fetchFailure: FetchFailedError | null = null;
  /** Where the block last yielded came from, so a block that does not decode names its map output. */
  private current: BlockLocation | null = null;

  constructor(
    private readonly jobId: string,
    private readonly self: WorkerId,
    private readonly shuffleRoot: string,
    private readonly fetchRemote: (req: RemoteFetchRequest) => RemoteFetchReply,
    private readonly batchBytes = MAX_BATCH_BYTES,
  ) {}

  *blocks(shuffleId: number, reduceId: number, locations: BlockLocation[]): Iterable<Uint8Array> {
    // One request names one worker and one job's shuffle.
    const remote = new Map<string, BlockLocation[]>();
    for (const loc of locations) {
      if (loc.workerId === this.self) {
        yield* this.local(shuffleId, reduceId, loc);
      } else {
        const files = this.filesOf(shuffleId, loc);
        const key = `${loc.address} ${files.job}/${files.shuffle}`;
        const list = remote.get(key);
        if (list) list.push(loc);
        else remote.set(key, [loc]);
      }
    }
    for (const locs of remote.values()) {
      for (const batch of batchesOf(locs, Math.min(this.batchBytes, MAX_BATCH_BYTES), MAX_BLOCKS_PER_FETCH)) yield* this.remote(shuffleId, reduceId, batch);
    }
  }

  /** A local block, a chunk at a time. */
  private *local(shuffleId: number, reduceId: number, loc: BlockLocation): Iterable<Uint8Array> {
    const files = this.filesOf(shuffleId, loc);
    const chunks = readBlockChunks(mapOutputPath(this.shuffleRoot, files.job, files.shuffle, loc.mapId), reduceId);
    try {
      for (;;) {
        let next: IteratorResult<Buffer>;
        try {
          next = chunks.next();
        } catch (e) {
          throw this.failure(shuffleId, loc, `local map output is unreadable: ${(e as Error).message}`);
        }
        if (next.done) return;
        this.bytesRead += next.value.length;
        this.current = loc;
        yield next.value;
      }
    } finally {
      chunks.return(undefined);
    }
  }

  private *remote(shuffleId: number, reduceId: number, locs: BlockLocation[]): Iterable<Uint8Array> {
    const first = locs[0]!;
    const files = this.filesOf(shuffleId, first);
    const reply = this.fetchRemote({
      address: first.address,
      jobId: files.job,
      shuffleId: files.shuffle,
      reduceId,
      mapIds: locs.map((l) => l.mapId),
      expectedBytes: locs.reduce((n, l) => n + l.bytes, 0),
    });
    if (!reply.ok) {
      const loc = locs.find((l) => l.mapId === reply.mapId) ?? first;
      throw this.failure(shuffleId, loc, reply.message);
    }
    // Entries come in the order asked for (block-frames.ts checks it).
    for (const [i, e] of reply.entries.entries()) {
      this.bytesRead += e.length;
      this.bytesFetchedRemote += e.length;
      this.current = locs[i] ?? first;
      yield new Uint8Array(reply.buffer, e.offset, e.length);
    }
  }

  private filesOf(shuffleId: number, loc: BlockLocation): ShuffleFiles {
    return loc.writtenBy ?? { job: this.jobId as JobId, shuffle: shuffleId };
  }

  corrupt(shuffleId: number, message: string): Error {
    return this.current ? this.failure(shuffleId, this.current, message) : new Error(message);
  }

  private failure(shuffleId: number, loc: BlockLocation, message: string): FetchFailedError {
    return (this.fetchFailure ??= new FetchFailedError({
      shuffleId: shuffleId as FetchFailure["shuffleId"],
      mapId: loc.mapId,
      workerId: loc.workerId,
      address: loc.address,
      message: `fetching shuffle ${shuffleId} map ${loc.mapId} from ${loc.address}: ${message}`,
    }));
  }
}

/** Cuts a peer's blocks into requests of at most `maxBytes` (or one larger block) and at most `maxBlocks` blocks. */
export function* batchesOf(locs: BlockLocation[], maxBytes: number, maxBlocks: number): Iterable<BlockLocation[]> {
  let batch: BlockLocation[] = [];
  let bytes = 0;
  for (const l of locs) {
    if (batch.length > 0 && (bytes + l.bytes > maxBytes || batch.length >= maxBlocks)) {
      yield batch;
      batch = [];
      bytes = 0;
    }
    batch.push(l);
    bytes += l.bytes;
  }
  if (batch.length > 0) yield batch;
}
