// The master's applications (client sessions that jobs belong to): registered,
// renewed and ended through /api/v1/apps, expired on the master's tick when a
// lease runs out, kept in the job store so that a restarted master lists them.
// The decisions are application-state.ts's; this shell holds the ACTIVE ones,
// writes every change to the store and tells the onEnded listeners (the job
// service cancels the application's jobs; cached data is dropped there too).
// Wired by master-process.ts.
import type { AppInfo } from "../common/api-types.js";
import { MinisparkError, errorMessage } from "../common/errors.js";
import { newAppId, type AppId } from "../common/ids.js";
import type { Logger } from "../common/log.js";
import { ENDED_APPS_WINDOW_MS, RecentlyEnded, ended, leaseRanOut, parseRegistration, registered, renewed, resumed, type Application } from "./application-state.js";
import type { JobStore } from "./job-store.js";

/** ACTIVE applications at most: a client that registers in a loop is refused, not given the master's memory. */
export const MAX_ACTIVE_APPS = 10_000;

type AppStore = Pick<JobStore, "saveApp" | "getApp" | "listApps" | "loadApps" | "appCounts" | "appJobCount">;
export type EndedListener = (app: Application) => void;

export class AppRegistry {
  private readonly active = new Map<AppId, Application>();
  private readonly recentlyEnded = new RecentlyEnded();
  private readonly listeners: EndedListener[] = [];

  constructor(
    private readonly store: AppStore,
    private readonly now: () => number,
    private readonly log: Logger,
  ) {}

  /** Takes back what an earlier master stored: ACTIVE applications, their leases counting from now, and those ended lately. */
  load(): void {
    const now = this.now();
    for (const stored of this.store.loadApps(now - ENDED_APPS_WINDOW_MS)) {
      if (stored.status !== "ACTIVE") {
        this.recentlyEnded.add(stored.id, stored.endedAt ?? now);
        continue;
      }
      const app = resumed(stored, now);
      this.store.saveApp(app);
      this.active.set(app.id, app);
    }
  }

  /** Called with every application that ends, once, after it is stored as ended. */
  onEnded(listener: EndedListener): void {
    this.listeners.push(listener);
  }

  register(body: unknown): AppInfo {
    const r = parseRegistration(body);
    if (this.active.size >= MAX_ACTIVE_APPS)
      throw new MinisparkError("BUSY", `the master holds ${MAX_ACTIVE_APPS} active applications, its limit; end some (DELETE /api/v1/apps/{id}) or let their leases run out`);
    const app = registered(newAppId(this.now()), r, this.now());
    this.store.saveApp(app);
    this.active.set(app.id, app);
    this.log.info("application registered", { app: app.id, name: app.name, lease_ms: app.leaseMs });
    return this.info(app);
  }

  get(id: AppId): AppInfo {
    return this.info(this.app(id));
  }

  list(limit: number): AppInfo[] {
    return this.store.listApps(limit).map((a) => this.info(this.active.get(a.id) ?? a));
  }

  /** Extends the lease; GONE naming why for an application that has ended, or whose lease has run out by now. */
  renew(id: AppId): AppInfo {
    let app = this.app(id);
    if (leaseRanOut(app, this.now())) app = this.end(app, "EXPIRED");
    const next = renewed(app, this.now());
    if (!next) throw new MinisparkError("GONE", `${app.endReason ?? `application ${id} is ${app.status}`}; register a new application`);
    // Only the active map: the store's renewedAt matters only to a restarted master, which restarts every lease.
    this.active.set(id, next);
    return this.info(next);
  }

  /** Ends the application (DELETE); an ended one is returned as it is. */
  endByClient(id: AppId): AppInfo {
    const app = this.app(id);
    return this.info(app.status === "ACTIVE" ? this.end(app, "ENDED") : app);
  }

  /** The tick: ends every application whose lease has run out. */
  expire(): void {
    const now = this.now();
    for (const app of [...this.active.values()]) if (leaseRanOut(app, now)) this.end(app, "EXPIRED");
  }

  /** For a job that names the application: null if it is ACTIVE, else why not (its state and reason, or that there is none). */
  inactiveReason(id: AppId): string | null {
    const live = this.active.get(id);
    if (live && !leaseRanOut(live, this.now())) return null;
    const app = live ? this.end(live, "EXPIRED") : this.store.getApp(id);
    return app ? `application ${id} is ${app.status} (${app.endReason})` : `no application with id ${id}`;
  }

  /** What heartbeat replies name (HeartbeatReply.ended_apps). */
  endedApps(): AppId[] {
    return this.recentlyEnded.list(this.now());
  }

  counts(): Record<Application["status"], number> {
    return this.store.appCounts();
  }

  private app(id: AppId): Application {
    const app = this.active.get(id) ?? this.store.getApp(id);
    if (!app) throw new MinisparkError("NOT_FOUND", `no application with id ${id}`);
    return app;
  }

  private end(app: Application, how: "ENDED" | "EXPIRED"): Application {
    const done = ended(app, how, this.now())!;
    this.store.saveApp(done);
    this.active.delete(app.id);
    this.recentlyEnded.add(app.id, done.endedAt!);
    this.log.info(how === "ENDED" ? "application ended" : "application expired", { app: app.id, reason: done.endReason });
    for (const listener of this.listeners) {
      // One listener's failure must not keep the others from releasing what they hold.
      try {
        listener(done);
      } catch (e) {
        this.log.error("releasing an ended application failed", { app: app.id, error: errorMessage(e) });
      }
    }
    return done;
  }

  private info(app: Application): AppInfo {
    return { ...app, jobs: this.store.appJobCount(app.id) };
  }
}
