// The master's broadcast variables (issue 17, item 4): which application made
// each, its declared size, which workers hold its bytes (the master never holds
// them), and which were destroyed. Pure decisions, given the workers and the
// time: declaring one (size checked against --max-broadcast-size; the worker
// the client uploads to is the live one holding the fewest broadcast bytes),
// holders added as workers report them, destroy (each holder is told once with
// its next heartbeat reply), an application's end (its broadcasts forgotten at
// once; workers drop them on hearing ended_apps), and why a job may not name
// one. Owned by master-process.ts; its REST shell is broadcast-routes.ts.
import { MinisparkError } from "../common/errors.js";
import type { AppId, BroadcastId, WorkerId } from "../common/ids.js";

/** Broadcasts one application may hold at once: each costs the master an entry and every holder a value in memory. */
export const MAX_BROADCASTS_PER_APP = 1000;
/** Destroyed ids remembered (the newest), so that a job naming one hears it was destroyed, not that it never was. */
export const MAX_REMEMBERED_DESTROYED = 10_000;
/** Broadcasts a heartbeat reports held, at most (the worker's bound, broadcast-store.ts). */
export const MAX_REPORTED_BROADCASTS = 10_000;
/** Releases queued per worker at most (as block-releases.ts): past it the oldest go, and those stay until their application ends. */
export const MAX_QUEUED_BROADCAST_RELEASES = 1000;

export interface BroadcastEntry {
  id: BroadcastId;
  application: AppId;
  bytes: number;
  createdAt: number;
  /** Workers that hold its bytes: the one it was uploaded to, then every one that fetched it. */
  holders: Set<WorkerId>;
}

export interface BroadcastRelease {
  application: AppId;
  id: BroadcastId;
}

/** A live worker as the registry needs it. */
export interface UploadCandidate {
  id: WorkerId;
  address: string;
}

export class BroadcastRegistry {
  private readonly entries = new Map<BroadcastId, BroadcastEntry>();
  private readonly byApp = new Map<AppId, Set<BroadcastId>>();
  /** Destroyed or ended with their application: id → why, oldest first. */
  private readonly gone = new Map<BroadcastId, string>();
  private readonly releases = new Map<WorkerId, BroadcastRelease[]>();

  constructor(private readonly maxBytes: number) {}

  /**
   * A broadcast declared by `app` (ACTIVE: the caller checked) of `bytes`
   * bytes, to be uploaded to the returned worker, which counts as its first
   * holder (the client uploads before it names the broadcast in a job).
   */
  create(id: BroadcastId, app: AppId, bytes: unknown, workers: readonly UploadCandidate[], now: number): { entry: BroadcastEntry; uploadTo: UploadCandidate } {
    if (typeof bytes !== "number" || !Number.isSafeInteger(bytes) || bytes < 1)
      throw new MinisparkError("BAD_REQUEST", `a broadcast is declared with { "bytes": n }, the size of its JSON: a whole number of at least 1, got ${JSON.stringify(bytes)?.slice(0, 40) ?? "none"}`);
    if (bytes > this.maxBytes)
      throw new MinisparkError(
        "PAYLOAD_TOO_LARGE",
        `a broadcast of ${bytes} bytes is over this cluster's limit of ${this.maxBytes} bytes (--max-broadcast-size); broadcast less, or read the data as a dataset and join it`,
      );
    const ids = this.byApp.get(app) ?? new Set<BroadcastId>();
    if (ids.size >= MAX_BROADCASTS_PER_APP)
      throw new MinisparkError("BUSY", `application ${app} holds ${MAX_BROADCASTS_PER_APP} broadcasts, the limit; destroy() some (DELETE /api/v1/apps/{app}/broadcasts/{id})`);
    const uploadTo = leastLoaded(workers, this.heldBytes());
    if (!uploadTo) throw new MinisparkError("BUSY", "no live worker to upload the broadcast to; start a worker and try again");
    const entry: BroadcastEntry = { id, application: app, bytes, createdAt: now, holders: new Set([uploadTo.id]) };
    this.entries.set(id, entry);
    ids.add(id);
    this.byApp.set(app, ids);
    return { entry, uploadTo };
  }

  get(id: BroadcastId): BroadcastEntry | undefined {
    return this.entries.get(id);
  }

  /** A worker's heartbeat says it holds the broadcast: a holder now, or, if the broadcast is gone, told to drop it (its application's end reaches it as ended_apps). */
  reportHeld(app: AppId, id: BroadcastId, worker: WorkerId): void {
    const entry = this.entries.get(id);
    if (entry?.application === app) entry.holders.add(worker);
    // Destroyed, another application's, or never declared (an upload no destroy or application end would name): the worker drops its copy.
    else if (!this.releases.get(worker)?.some((r) => r.id === id && r.application === app)) this.queueRelease(worker, { application: app, id });
  }

  /** Its holders among those `alive` says are alive; the dead are forgotten. */
  holders(id: BroadcastId, alive: (w: WorkerId) => boolean): WorkerId[] {
    const entry = this.entries.get(id);
    if (!entry) return [];
    for (const w of entry.holders) if (!alive(w)) entry.holders.delete(w);
    return [...entry.holders];
  }

  /** DELETE: forgets it and queues its release for each holder. Idempotent; NOT_FOUND if `app` never had it. */
  destroy(app: AppId, id: BroadcastId): number {
    const entry = this.entries.get(id);
    if (!entry) {
      if (this.gone.has(id)) return 0;
      throw new MinisparkError("NOT_FOUND", `application ${app} has no broadcast ${id}`);
    }
    if (entry.application !== app) throw new MinisparkError("NOT_FOUND", `application ${app} has no broadcast ${id}`);
    this.forget(entry, `broadcast ${id} was destroyed`);
    for (const w of entry.holders) this.queueRelease(w, { application: app, id });
    return entry.holders.size;
  }

  /** The application ended: its broadcasts are gone (workers drop them on hearing ended_apps, so none is queued). */
  removeApp(app: AppId, reason: string): number {
    const ids = this.byApp.get(app);
    if (!ids) return 0;
    const n = ids.size;
    for (const id of [...ids]) this.forget(this.entries.get(id)!, `broadcast ${id} is gone: ${reason}`);
    return n;
  }

  /** Why a job of `app` may not name the broadcast, or null. */
  problem(app: AppId | null, id: BroadcastId): string | null {
    const entry = this.entries.get(id);
    if (!entry) return this.gone.get(id) ?? `no broadcast with id ${id}`;
    if (entry.application !== app) return `broadcast ${id} belongs to application ${entry.application}, not ${app ?? "to a job that names none"}`;
    return null;
  }

  /** The worker's releases, handed out once. */
  takeReleases(worker: WorkerId): BroadcastRelease[] {
    const list = this.releases.get(worker) ?? [];
    this.releases.delete(worker);
    return list;
  }

  /** How many broadcasts the application holds. */
  count(app: AppId): number {
    return this.byApp.get(app)?.size ?? 0;
  }

  private forget(entry: BroadcastEntry, why: string): void {
    this.entries.delete(entry.id);
    const ids = this.byApp.get(entry.application)!;
    ids.delete(entry.id);
    if (ids.size === 0) this.byApp.delete(entry.application);
    this.gone.set(entry.id, why);
    if (this.gone.size > MAX_REMEMBERED_DESTROYED) this.gone.delete(this.gone.keys().next().value!);
  }

  private queueRelease(worker: WorkerId, release: BroadcastRelease): void {
    let list = this.releases.get(worker);
    if (!list) this.releases.set(worker, (list = []));
    list.push(release);
    if (list.length > MAX_QUEUED_BROADCAST_RELEASES) list.shift();
  }

  private heldBytes(): Map<WorkerId, number> {
    const held = new Map<WorkerId, number>();
    for (const e of this.entries.values()) for (const w of e.holders) held.set(w, (held.get(w) ?? 0) + e.bytes);
    return held;
  }
}

/** The worker holding the fewest broadcast bytes (by id on a tie, so the choice is deterministic), or null when there is none. */
export function leastLoaded(workers: readonly UploadCandidate[], held: ReadonlyMap<WorkerId, number>): UploadCandidate | null {
  let best: UploadCandidate | null = null;
  for (const w of workers) {
    if (!best) best = w;
    else {
      const d = (held.get(w.id) ?? 0) - (held.get(best.id) ?? 0);
      if (d < 0 || (d === 0 && w.id < best.id)) best = w;
    }
  }
  return best;
}
