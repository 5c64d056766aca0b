// Each worker's own credential: a random secret the master hands a worker in
// the reply to its registering heartbeat, which every later heartbeat, task
// report batch and deregistration of that worker id must carry. The shared
// cluster token only lets a process register; from then on a worker speaks
// for itself alone and cannot report for, move or deregister another. Only a
// digest is kept, compared in constant time. Held in memory: after a master
// restart every worker registers again and gets a new one. Used by the
// master's /heartbeat, /task-reports and /deregister handlers.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { MinisparkError } from "../common/errors.js";
import type { WorkerId } from "../common/ids.js";

const digest = (s: string): Buffer => createHash("sha256").update(s, "utf8").digest();

export class WorkerCredentials {
  private readonly digests = new Map<WorkerId, Buffer>();

  /** A new credential for a worker that just registered (replacing any earlier one). */
  issue(id: WorkerId): string {
    const secret = randomBytes(32).toString("base64url");
    this.digests.set(id, digest(secret));
    return secret;
  }

  /** Throws FORBIDDEN unless `presented` is the credential issued to `id`. */
  check(id: WorkerId, presented: string | undefined): void {
    const expected = this.digests.get(id);
    // Digests of equal length whatever was presented, so the comparison takes the same time.
    const ok = expected !== undefined && timingSafeEqual(expected, digest(presented ?? ""));
    if (!ok || presented === undefined) {
      throw new MinisparkError("FORBIDDEN", `not the credential of worker ${id}: a worker may speak only for itself (a worker without one registers under a new id)`);
    }
  }
}
