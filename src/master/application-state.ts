// The decisions about one application (a client session jobs belong to), pure
// and given the time: what a registration body may say, when a lease has run
// out, how an application moves ACTIVE → ENDED | EXPIRED (and never back), and
// the bounded list of recently ended applications every worker hears about in
// its heartbeat replies. app-registry.ts, the master's shell, holds the
// applications, stores them and tells listeners; it decides nothing itself.
import type { AppInfo, AppStatus } from "../common/api-types.js";
import { MinisparkError } from "../common/errors.js";
import type { AppId } from "../common/ids.js";
import { MAX_NAME_LENGTH } from "../plan/spec-limits.js";

/** The lease a client gets when it asks for none: Spark's default heartbeat timeout is 120 s, ours is a fraction of it. */
export const DEFAULT_LEASE_MS = 30_000;
/** Shorter leases would have the client renew more often than a loaded master answers. */
export const MIN_LEASE_MS = 1000;
/** An hour: what a client that vanished may hold at most. */
export const MAX_LEASE_MS = 3_600_000;
/** The longest application name: a job's. */
export const MAX_APP_NAME_LENGTH = MAX_NAME_LENGTH;
/** Ended applications a heartbeat reply names: those of the last 10 minutes, the newest 1000 at most. */
export const ENDED_APPS_WINDOW_MS = 10 * 60_000;
export const MAX_ENDED_APPS = 1000;

/** An application as the master keeps it: AppInfo without its job count, which the store counts. */
export type Application = Omit<AppInfo, "id" | "jobs"> & { id: AppId };

export interface Registration {
  name: string;
  leaseMs: number;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/** `POST /api/v1/apps`'s body, checked: BAD_REQUEST naming the field otherwise. */
export function parseRegistration(body: unknown): Registration {
  if (!isObject(body)) throw new MinisparkError("BAD_REQUEST", 'an application is registered with a JSON object: { "name": string, "leaseMs"?: number }');
  const unknown = Object.keys(body).filter((k) => k !== "name" && k !== "leaseMs");
  if (unknown.length > 0) throw new MinisparkError("BAD_REQUEST", `unknown member ${JSON.stringify(unknown[0]!.slice(0, 40))}: an application takes only "name" and "leaseMs"`);
  const { name, leaseMs } = body;
  if (typeof name !== "string" || name.length === 0 || name.length > MAX_APP_NAME_LENGTH) {
    throw new MinisparkError("BAD_REQUEST", `"name" must be a string of 1 to ${MAX_APP_NAME_LENGTH} characters`);
  }
  // Names are shown in tables and logs: no control characters to move a terminal's cursor.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(name)) throw new MinisparkError("BAD_REQUEST", '"name" must not contain control characters');
  if (leaseMs !== undefined && !(Number.isInteger(leaseMs) && (leaseMs as number) >= MIN_LEASE_MS && (leaseMs as number) <= MAX_LEASE_MS)) {
    throw new MinisparkError("BAD_REQUEST", `"leaseMs" must be a whole number of milliseconds from ${MIN_LEASE_MS} to ${MAX_LEASE_MS}`);
  }
  return { name, leaseMs: (leaseMs as number | undefined) ?? DEFAULT_LEASE_MS };
}

export function registered(id: AppId, r: Registration, now: number): Application {
  return { id, name: r.name, status: "ACTIVE", createdAt: now, renewedAt: now, endedAt: null, leaseMs: r.leaseMs, endReason: null };
}

/** An ACTIVE application unrenewed for longer than its lease. */
export function leaseRanOut(app: Application, now: number): boolean {
  return app.status === "ACTIVE" && now - app.renewedAt > app.leaseMs;
}

/** Renewed at `now`; an application that has ended (or whose lease ran out by now) cannot be, and stays as it is. */
export function renewed(app: Application, now: number): Application | null {
  if (app.status !== "ACTIVE" || leaseRanOut(app, now)) return null;
  return { ...app, renewedAt: Math.max(app.renewedAt, now) };
}

/** The application ended by its client (ENDED) or its lease (EXPIRED) at `now`; null if it had ended already (ending is idempotent). */
export function ended(app: Application, how: Exclude<AppStatus, "ACTIVE">, now: number): Application | null {
  if (app.status !== "ACTIVE") return null;
  const reason = how === "ENDED" ? `application ${app.id} ended` : `application ${app.id}'s lease ran out (no renewal for ${now - app.renewedAt} ms)`;
  return { ...app, status: how, endedAt: now, endReason: reason };
}

/**
 * A restarted master cannot know when its ACTIVE applications were last
 * renewed while it was down: their leases count from its start.
 */
export function resumed(app: Application, now: number): Application {
  return app.status === "ACTIVE" ? { ...app, renewedAt: Math.max(app.renewedAt, now) } : app;
}

/** Recently ended applications, newest first: each is named until it is ENDED_APPS_WINDOW_MS old or MAX_ENDED_APPS newer ones push it out. */
export class RecentlyEnded {
  /** Oldest first, as they ended. */
  private readonly ends: { id: AppId; at: number }[] = [];

  constructor(
    private readonly windowMs = ENDED_APPS_WINDOW_MS,
    private readonly max = MAX_ENDED_APPS,
  ) {}

  add(id: AppId, at: number): void {
    this.ends.push({ id, at });
    // Loaded after a restart in any order: kept sorted so that the oldest go first.
    for (let i = this.ends.length - 1; i > 0 && this.ends[i - 1]!.at > this.ends[i]!.at; i--) [this.ends[i - 1], this.ends[i]] = [this.ends[i]!, this.ends[i - 1]!];
    if (this.ends.length > this.max) this.ends.splice(0, this.ends.length - this.max);
  }

  /** The ids to name at `now`, newest first. */
  list(now: number): AppId[] {
    let old = 0;
    while (old < this.ends.length && now - this.ends[old]!.at > this.windowMs) old++;
    if (old > 0) this.ends.splice(0, old);
    return this.ends.map((e) => e.id).reverse();
  }
}
