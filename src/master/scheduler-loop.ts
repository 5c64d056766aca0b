// The scheduler's thin I/O shell: any part of the master posts an event here;
// one loop hands each, in order, to the pure Scheduler with the time, and
// carries out the commands it returns through a SchedulerBackend (where tasks
// physically go) and a SchedulerListener (the job service, the store, metrics).
// An event posted while commands are being carried out (a job's end settling
// starts the next job) waits its turn, so every event meets a scheduler that
// has finished deciding the last. Built by master-process.ts; the tests drive
// it with a fake backend and clock.
import type { AttemptId, JobId, WorkerId } from "../common/ids.js";
import type { Attempt, JobRun, StageRun, TaskRun } from "./job-run.js";
import type { MapStatus } from "./map-output-tracker.js";
import type { Scheduler, SchedulerQueries } from "./scheduler.js";
import type { SchedulerCommand, SchedulerEvent } from "./scheduler-events.js";
import type { WorkerInfo } from "./worker-registry.js";
import type { TaskLaunch } from "../plan/task.js";

export interface SchedulerBackend {
  launch(worker: WorkerInfo, task: TaskLaunch): void;
  kill(worker: WorkerInfo, attemptId: AttemptId): void;
}

export interface SchedulerListener {
  /** The job reached COMPLETED, FAILED or CANCELLED. */
  jobEnded(job: JobRun): void;
  /** For durability: map output registered or forgotten, and the job's resolution changed (a probe stage completed). */
  mapOutputAdded?(job: JobRun, shuffle: number, mapId: number, status: MapStatus): void;
  mapOutputLost?(job: JobId, shuffle: number, mapId: number): void;
  resolutionChanged?(job: JobRun): void;
  /** No retained shuffle output is in these jobs' shuffle directories any more. */
  shuffleFilesReleased?(jobs: JobId[]): void;
  attemptStarted?(job: JobRun, stage: StageRun, task: TaskRun, attempt: Attempt): void;
  attemptEnded?(job: JobRun, stage: StageRun, task: TaskRun, attempt: Attempt): void;
}

export class SchedulerLoop implements SchedulerQueries {
  private readonly queue: SchedulerEvent[] = [];
  private running = false;

  constructor(
    private readonly scheduler: Scheduler,
    private readonly backend: SchedulerBackend,
    private readonly listener: SchedulerListener,
    private readonly now: () => number,
  ) {}

  /**
   * Decides on the event and carries out what follows before returning (when
   * called from within a command, the event waits until that one's commands are
   * done). A command that throws does not stop the others, which were decided
   * together, nor does an event that throws stop the events queued behind it:
   * the first error is thrown once the queue is empty.
   */
  post(event: SchedulerEvent): void {
    this.queue.push(event);
    if (this.running) return;
    this.running = true;
    let failure: { error: unknown } | null = null;
    try {
      for (let e = this.queue.shift(); e; e = this.queue.shift()) {
        let commands: SchedulerCommand[];
        try {
          commands = this.scheduler.handle(e, this.now());
        } catch (error) {
          failure ??= { error };
          continue;
        }
        for (const c of commands) {
          try {
            this.execute(c);
          } catch (error) {
            failure ??= { error };
          }
        }
      }
    } finally {
      this.running = false;
    }
    if (failure) throw failure.error;
  }

  private execute(c: SchedulerCommand): void {
    const l = this.listener;
    switch (c.type) {
      case "launch":
        return this.backend.launch(c.worker, c.task);
      case "kill":
        return this.backend.kill(c.worker, c.attemptId);
      case "jobEnded":
        return l.jobEnded(c.job);
      case "mapOutputAdded":
        return l.mapOutputAdded?.(c.job, c.shuffle, c.mapId, c.status);
      case "mapOutputLost":
        return l.mapOutputLost?.(c.jobId, c.shuffle, c.mapId);
      case "resolutionChanged":
        return l.resolutionChanged?.(c.job);
      case "shuffleFilesReleased":
        return l.shuffleFilesReleased?.(c.jobs);
      case "attemptStarted":
        return l.attemptStarted?.(c.job, c.stage, c.task, c.attempt);
      case "attemptEnded":
        return l.attemptEnded?.(c.job, c.stage, c.task, c.attempt);
      default:
        throw new Error(`unknown scheduler command ${(c satisfies never as { type: string }).type}`);
    }
  }

  job(id: JobId): JobRun | undefined {
    return this.scheduler.job(id);
  }

  jobOf(attemptId: AttemptId): JobRun | undefined {
    return this.scheduler.jobOf(attemptId);
  }

  isRunning(attemptId: AttemptId, worker: WorkerId): boolean {
    return this.scheduler.isRunning(attemptId, worker);
  }

  attemptsOn(worker: WorkerId): number {
    return this.scheduler.attemptsOn(worker);
  }

  pendingTasks(): number {
    return this.scheduler.pendingTasks();
  }
}
