// A job's life on the master, from submission to its end, as one state machine
// and the one place that knows where each job is. The job service moves jobs
// through it; the API's status, the store row's status and "may this job still
// be cancelled / started / ended?" are all read from here. (The scheduler's
// run of a job, its stages and tasks, is job-run.ts: the RUNNING phase here.)
//
//   QUEUED ──(save: its path is being written)──▶ WAITING_FOR_OUTPUT
//     │  ▲────────────(that writer ended)──────────────┘   │
//     │                                                    │ cancel
//     ├──handed to the scheduler──▶ RUNNING ──run ended──▶ FINISHING ──▶ COMPLETED | FAILED | CANCELLED
//     ├──(restarted master: a stored commit decision)──────▲
//     └──cancel / refused / could not start / quarantined──▶ FAILED | CANCELLED
//
// FINISHING is computing the action's value, committing a save's output and
// persisting: the API still shows RUNNING, and the job can no longer be
// cancelled. A master restarted on the store takes its unfinished jobs back as
// QUEUED (recover). Pure but for the store it reads ended jobs from and writes
// status changes to; time is passed in.
import { hasEnded, type JobEndStatus, type JobStatus } from "../common/api-types.js";
import type { AppId, JobId } from "../common/ids.js";
import type { JobPlan } from "../plan/physical.js";
import type { PlanResolution } from "../plan/resolution.js";
import type { JobRow, JobStore, StoredJobView } from "./job-store.js";
import { IllegalTransition, type Transitions } from "./transitions.js";

export type JobPhase = "QUEUED" | "WAITING_FOR_OUTPUT" | "RUNNING" | "FINISHING" | JobEndStatus;
type LivePhase = Exclude<JobPhase, JobEndStatus>;

/** Every legal move; any other throws. */
export const JOB_TRANSITIONS: Transitions<JobPhase> = {
  QUEUED: ["WAITING_FOR_OUTPUT", "RUNNING", "FINISHING", "FAILED", "CANCELLED"],
  WAITING_FOR_OUTPUT: ["QUEUED", "CANCELLED"],
  RUNNING: ["FINISHING"],
  FINISHING: ["COMPLETED", "FAILED", "CANCELLED"],
  COMPLETED: [],
  FAILED: [],
  CANCELLED: [],
};

/** What the API shows for each phase. */
export const API_STATUS: { readonly [P in JobPhase]: JobStatus } = {
  QUEUED: "PENDING",
  WAITING_FOR_OUTPUT: "PENDING",
  RUNNING: "RUNNING",
  FINISHING: "RUNNING",
  COMPLETED: "COMPLETED",
  FAILED: "FAILED",
  CANCELLED: "CANCELLED",
};

/** Whether a job may move from `from` to `to`. */
export function canMove(from: JobPhase, to: JobPhase): boolean {
  return JOB_TRANSITIONS[from].includes(to);
}

/** The store writes a status change needs; the rest of the store is the service's. */
type StatusStore = Pick<JobStore, "insertJob" | "startJob" | "endJob" | "getJob">;

export class JobLifecycle {
  /** Jobs that have not ended, by id; an ended job's status is its store row's. */
  private readonly live = new Map<JobId, { phase: LivePhase; outcome: JobEndStatus | null }>();

  /** Who waits for each live job's end (GET /api/v1/jobs/{id}/wait). */
  private readonly waiters = new Map<JobId, Set<() => void>>();

  constructor(private readonly store: StatusStore) {}

  /**
   * Resolves when the job has ended (at once if it is not live), or after
   * `timeoutMs`, whichever comes first; the waiter is gone either way.
   */
  whenEnded(id: JobId, timeoutMs: number): Promise<void> {
    if (!this.live.has(id) || timeoutMs <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      let waiting = this.waiters.get(id);
      if (!waiting) this.waiters.set(id, (waiting = new Set()));
      const done = () => {
        clearTimeout(timer);
        waiting.delete(done);
        if (waiting.size === 0 && this.waiters.get(id) === waiting) this.waiters.delete(id);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      // A held request does not keep a stopping master alive.
      timer.unref();
      waiting.add(done);
    });
  }

  /** The job's phase, given its row (which the caller has read anyway): live from here, ended from the row. */
  phase(row: JobRow): JobPhase {
    const live = this.live.get(row.id)?.phase;
    if (live) return live;
    // Every unfinished row is taken back at start (recovered) and every new one enters here (submitted).
    if (!hasEnded(row.status)) throw new Error(`job ${row.id} is ${row.status} in the store but unknown to this master`);
    return row.status;
  }

  /** The status the API shows. */
  status(row: JobRow): JobStatus {
    return API_STATUS[this.phase(row)];
  }

  /** Whether the job has not ended. */
  isLive(id: JobId): boolean {
    return this.live.has(id);
  }

  is(id: JobId, phase: LivePhase): boolean {
    return this.live.get(id)?.phase === phase;
  }

  /** While FINISHING: how the scheduler's run ended. */
  outcome(id: JobId): JobEndStatus | null {
    return this.live.get(id)?.outcome ?? null;
  }

  /** A new job, accepted and stored. */
  submitted(id: JobId, name: string, specJson: string, now: number, application: AppId | null = null): void {
    const known = this.store.getJob(id);
    if (known) throw new IllegalTransition(`job ${id}`, this.phase(known), "QUEUED");
    this.store.insertJob(id, name, specJson, now, application);
    this.live.set(id, { phase: "QUEUED", outcome: null });
  }

  /** A job an earlier master left unfinished (its row PENDING or RUNNING), taken back. */
  recovered(row: JobRow): void {
    if (hasEnded(row.status) || this.live.has(row.id)) throw new IllegalTransition(`job ${row.id}`, this.live.get(row.id)?.phase ?? this.endedAs(row.id), "QUEUED");
    this.live.set(row.id, { phase: "QUEUED", outcome: null });
  }

  waitForOutput(id: JobId): void {
    this.move(id, "WAITING_FOR_OUTPUT");
  }

  outputFree(id: JobId): void {
    this.move(id, "QUEUED");
  }

  /** Handed to the scheduler with this plan (and a resumed job's resolution), which the store keeps for a restart. */
  running(id: JobId, now: number, plan: JobPlan, resolution?: PlanResolution): void {
    // Stored before the move, as end() is: a write that throws leaves the job QUEUED, to be started again.
    this.check(id, "RUNNING");
    this.store.startJob(id, now, plan, resolution);
    this.move(id, "RUNNING");
  }

  /** The scheduler's run ended (`outcome`), or a restarted master carries out a stored commit (COMPLETED). */
  finishing(id: JobId, outcome: JobEndStatus): void {
    this.move(id, "FINISHING");
    this.live.get(id)!.outcome = outcome;
  }

  /** The job ends: its row gets the status, error, result and last view. */
  end(id: JobId, status: JobEndStatus, now: number, error: string | null, result: JobRow["result"], view: StoredJobView | null): void {
    this.check(id, status);
    this.store.endJob(id, status, now, error, result, view);
    this.live.delete(id);
    for (const done of [...(this.waiters.get(id) ?? [])]) done();
  }

  private endedAs(id: JobId): JobEndStatus | null {
    const status = this.store.getJob(id)?.status;
    return status !== undefined && hasEnded(status) ? status : null;
  }

  private move(id: JobId, to: LivePhase): void {
    this.check(id, to);
    this.live.get(id)!.phase = to;
  }

  private check(id: JobId, to: JobPhase): void {
    const from = this.live.get(id)?.phase;
    if (!from || !canMove(from, to)) throw new IllegalTransition(`job ${id}`, from ?? this.endedAs(id), to);
  }
}
