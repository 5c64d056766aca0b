// The application a Context holds on its master (DESIGN-17 "Applications"):
// registered by connect(), renewed every leaseMs/3 by a timer that never keeps
// the process alive, named by every job the Context submits, ended by close().
// A renewal the master refuses with 410 (the application ended: someone ended
// it, or its lease ran out while this process was stalled) or 404 is remembered, and
// the next action rejects with the master's reason. Used by context.ts.
import { MinisparkError, errorMessage } from "../common/errors.js";
import type { MinisparkClient } from "./rest-client.js";

/** Renewals per lease: two may be lost before the lease runs out. */
const RENEWALS_PER_LEASE = 3;

export class AppSession {
  private readonly timer: NodeJS.Timeout;
  /** Why the master refused a renewal, once it has. */
  private gone: string | null = null;
  private ended = false;

  private constructor(
    private readonly client: MinisparkClient,
    readonly id: string,
    leaseMs: number,
  ) {
    this.timer = setInterval(() => void this.renew(), Math.floor(leaseMs / RENEWALS_PER_LEASE));
    this.timer.unref();
  }

  static async register(client: MinisparkClient, name: string, leaseMs?: number): Promise<AppSession> {
    let app: Awaited<ReturnType<MinisparkClient["registerApp"]>>;
    try {
      app = await client.registerApp(name, leaseMs);
    } catch (e) {
      throw new Error(`connect(): the master did not register the application "${name.slice(0, 80)}": ${errorMessage(e)}`);
    }
    return new AppSession(client, app.id, app.leaseMs);
  }

  /** Throws, saying why, once the master has said the application ended. */
  check(action: string): void {
    if (this.gone !== null) throw new Error(`cannot run ${action}: ${this.gone}; connect() again for a new application`);
  }

  private async renew(): Promise<void> {
    if (this.ended || this.gone !== null) return;
    try {
      await this.client.renewApp(this.id);
    } catch (e) {
      // NOT_FOUND: a master started on another database does not know it, which ends it as surely.
      if (e instanceof MinisparkError && (e.code === "GONE" || e.code === "NOT_FOUND")) {
        this.gone = e.message;
        clearInterval(this.timer);
      }
      // Anything else (the master restarting, a slow reply) is tried again at the next renewal, well within the lease.
    }
  }

  /** Ends the application on the master. Idempotent. */
  async end(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.timer);
    if (this.gone !== null) return;
    try {
      await this.client.endApp(this.id);
    } catch {
      // A master that cannot be reached ends it anyway when its lease runs out; close() must not fail on that.
    }
  }
}
