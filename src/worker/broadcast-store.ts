// A worker's broadcast variables (issue 17, item 4): the JSON of each broadcast
// it holds, once for all its task threads (in shared memory, so a thread reads
// it without a copy), its bytes counted; filled by an upload from the client
// (PUT /broadcasts/{app}/{id}) or by fetching from a holder the task launch
// names (worker to worker, as shuffle blocks), with concurrent needs of one
// broadcast sharing one fetch; emptied on destroy (heartbeat replies) and on
// the application's end. Owned by worker-process.ts; the executor hands the
// buffers to threads (task-broadcasts.ts binds them).
import { MinisparkError, errorMessage } from "../common/errors.js";
import { peerUrl, requestRaw } from "../common/http-client.js";
import type { AppId, BroadcastId } from "../common/ids.js";

/** What a thread gets for a broadcast: its JSON's bytes in shared memory, or why it could not be had. */
export type BroadcastReply = { ok: true; buffer: SharedArrayBuffer } | { ok: false; message: string };

/** The held list a heartbeat carries at most: a worker that holds more is reported holder of these (the master then lists fewer holders). */
export const MAX_REPORTED_BROADCASTS = 10_000;

const FETCH_TIMEOUT_MS = 120_000;

export const broadcastKey = (application: string, id: string) => `${application}/${id}`;

export class BroadcastStore {
  private readonly held = new Map<string, { application: AppId; id: BroadcastId; buffer: SharedArrayBuffer }>();
  private readonly fetching = new Map<string, Promise<BroadcastReply>>();
  private total = 0;
  /** Bytes fetched from peers, and how many fetches: what crossed this worker's network for broadcasts. */
  fetchedBytes = 0;
  fetches = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly token: string | null,
    private readonly ownAddress: () => string,
  ) {}

  /** Bytes of broadcast JSON held. */
  bytes(): number {
    return this.total;
  }

  /** Keeps a broadcast's JSON, which must parse (a peer's bytes are checked once here, not in every thread; `parsed`: the HTTP server parsed them already). */
  put(application: AppId, id: BroadcastId, body: Buffer, parsed = false): void {
    if (body.length > this.maxBytes) throw new MinisparkError("PAYLOAD_TOO_LARGE", tooLarge(id, body.length, this.maxBytes));
    try {
      if (!parsed) JSON.parse(body.toString("utf8"));
    } catch (e) {
      throw new MinisparkError("BAD_REQUEST", `broadcast ${id}: the body is not JSON: ${errorMessage(e).slice(0, 200)}`);
    }
    const key = broadcastKey(application, id);
    if (this.held.has(key)) return;
    const buffer = new SharedArrayBuffer(body.length);
    body.copy(Buffer.from(buffer));
    this.held.set(key, { application, id, buffer });
    this.total += body.length;
  }

  get(application: string, id: string): SharedArrayBuffer | null {
    return this.held.get(broadcastKey(application, id))?.buffer ?? null;
  }

  /** The broadcast, fetched from the first of `holders` that serves it when it is not here. */
  need(application: AppId, id: BroadcastId, holders: readonly string[]): Promise<BroadcastReply> {
    const buffer = this.get(application, id);
    if (buffer) return Promise.resolve({ ok: true, buffer });
    const key = broadcastKey(application, id);
    let p = this.fetching.get(key);
    if (!p) {
      p = this.fetch(application, id, holders).finally(() => this.fetching.delete(key));
      this.fetching.set(key, p);
    }
    return p;
  }

  /** Those held, for the heartbeat: the master lists this worker as their holder. */
  list(): { application: AppId; id: BroadcastId }[] {
    const out: { application: AppId; id: BroadcastId }[] = [];
    for (const { application, id } of this.held.values()) {
      if (out.length === MAX_REPORTED_BROADCASTS) break;
      out.push({ application, id });
    }
    return out;
  }

  /** Drops broadcasts (destroyed) and every broadcast of ended applications; idempotent. Returns the keys dropped. */
  drop(broadcasts: readonly { application: string; id: string }[], applications: readonly string[] = []): string[] {
    const apps = new Set(applications);
    const keys = new Set(broadcasts.map((b) => broadcastKey(b.application, b.id)));
    const dropped: string[] = [];
    for (const [key, b] of this.held) {
      if (!keys.has(key) && !apps.has(b.application)) continue;
      this.held.delete(key);
      this.total -= b.buffer.byteLength;
      dropped.push(key);
    }
    return dropped;
  }

  private async fetch(application: AppId, id: BroadcastId, holders: readonly string[]): Promise<BroadcastReply> {
    const peers = holders.filter((h) => h !== this.ownAddress());
    if (peers.length === 0) return { ok: false, message: `broadcast ${id} is held by no live worker (its upload's worker may have died; broadcast it again)` };
    const errors: string[] = [];
    for (const peer of peers) {
      try {
        const res = await requestRaw(peerUrl(peer, `/broadcasts/${application}/${id}`), { token: this.token, timeoutMs: FETCH_TIMEOUT_MS, maxReplyBytes: this.maxBytes });
        if (res.status !== 200) {
          errors.push(`${peer}: HTTP ${res.status} ${res.body.toString("utf8").slice(0, 200)}`);
          continue;
        }
        this.put(application, id, res.body);
        this.fetches++;
        this.fetchedBytes += res.body.length;
        return { ok: true, buffer: this.get(application, id)! };
      } catch (e) {
        errors.push(`${peer}: ${errorMessage(e).slice(0, 200)}`);
      }
    }
    return { ok: false, message: `broadcast ${id} could not be fetched from any holder (limit ${this.maxBytes} bytes, --max-broadcast-size): ${errors.join("; ")}` };
  }
}

export function tooLarge(id: string, bytes: number, limit: number): string {
  return `broadcast ${id} is ${bytes} bytes, over this worker's limit of ${limit} bytes (--max-broadcast-size)`;
}
