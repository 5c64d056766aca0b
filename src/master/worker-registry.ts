// The master's view of its workers, kept by heartbeat lease: a worker is ALIVE
// while it beats (and takes tasks unless it says it is draining), DEAD once
// unheard for the lease timeout (10 s by default), LEFT once it deregistered.
// A dead or departed id stays so; a worker that comes back joins under a new
// id, so late messages from a lost incarnation can always be told apart. Time
// is passed in, so the lease is tested with a fake clock.
import type { WorkerId } from "../common/ids.js";
import type { LoadSample, WorkerStatus } from "../common/api-types.js";
import type { Heartbeat } from "../cluster/protocol.js";

export interface WorkerInfo {
  id: WorkerId;
  address: string;
  state: WorkerStatus;
  slots: number;
  registeredAt: number;
  lastHeartbeatAt: number;
  /** The latest heartbeat as the worker sent it (metrics for the API and UI). */
  heartbeat: Heartbeat;
  /** Recent load, oldest first: one sample per heartbeat, the last HISTORY of them. */
  history: LoadSample[];
}

const HISTORY = 60;

function sample(hb: Heartbeat, now: number): LoadSample {
  return { at: now, cpu_percent: hb.cpu_percent, mem_usage_mb: hb.mem_usage_mb, active_tasks: hb.active_tasks };
}

export type HeartbeatOutcome = "registered" | "renewed" | "dead";

export class WorkerRegistry {
  private readonly workers = new Map<WorkerId, WorkerInfo>();
  /**
   * Time the master could not hear heartbeats (its loop was blocked), in total,
   * and that total at each worker's last heartbeat: a worker's silence is the
   * time since its last beat less the deaf time since then.
   */
  private deafMs = 0;
  private readonly deafAtBeat = new Map<WorkerId, number>();

  constructor(private readonly leaseMs: number) {}

  heartbeat(hb: Heartbeat, now: number): HeartbeatOutcome {
    const known = this.workers.get(hb.worker_id);
    if (known && known.state !== "ALIVE") return "dead";
    this.deafAtBeat.set(hb.worker_id, this.deafMs);
    if (known) {
      known.lastHeartbeatAt = now;
      known.heartbeat = hb;
      known.address = hb.address;
      known.slots = hb.slots;
      known.history.push(sample(hb, now));
      if (known.history.length > HISTORY) known.history.shift();
      return "renewed";
    }
    this.workers.set(hb.worker_id, {
      id: hb.worker_id,
      address: hb.address,
      state: "ALIVE",
      slots: hb.slots,
      registeredAt: now,
      lastHeartbeatAt: now,
      heartbeat: hb,
      history: [sample(hb, now)],
    });
    return "registered";
  }

  /** The master was deaf for `ms` (see LoopLateness): no lease runs down for that time. */
  creditDeafTime(ms: number): void {
    this.deafMs += ms;
  }

  /** Marks workers unheard for the lease as DEAD; returns them. */
  expire(now: number): WorkerInfo[] {
    const dead: WorkerInfo[] = [];
    for (const w of this.workers.values()) {
      const silent = now - w.lastHeartbeatAt - (this.deafMs - (this.deafAtBeat.get(w.id) ?? this.deafMs));
      if (w.state === "ALIVE" && silent > this.leaseMs) {
        w.state = "DEAD";
        this.deafAtBeat.delete(w.id);
        dead.push(w);
      }
    }
    return dead;
  }

  /** A worker deregistered: it is gone for good, like a dead one, but on purpose. */
  leave(id: WorkerId): WorkerInfo | undefined {
    const w = this.workers.get(id);
    if (w?.state !== "ALIVE") return undefined;
    w.state = "LEFT";
    return w;
  }

  get(id: WorkerId): WorkerInfo | undefined {
    return this.workers.get(id);
  }

  isAlive(id: WorkerId): boolean {
    return this.workers.get(id)?.state === "ALIVE";
  }

  alive(): WorkerInfo[] {
    return [...this.workers.values()].filter((w) => w.state === "ALIVE");
  }

  /** Live workers that take new tasks: not those draining (shutting down, still serving their shuffle output). */
  schedulable(): WorkerInfo[] {
    return this.alive().filter((w) => !w.heartbeat.draining);
  }

  all(): WorkerInfo[] {
    return [...this.workers.values()];
  }
}
