// What a running task may ask about itself, as Spark's TaskContext: user code
// reads `TaskContext.get().attemptNumber()` (or partitionId(), stageId()) to
// behave differently on a retry or per partition. A global of the task thread,
// set by the task runner before a task starts.

export interface TaskInfo {
  jobId: string;
  stageId: number;
  partition: number;
  attempt: number;
}

class TaskContextImpl {
  constructor(private readonly info: TaskInfo) {}
  attemptNumber(): number {
    return this.info.attempt;
  }
  partitionId(): number {
    return this.info.partition;
  }
  stageId(): number {
    return this.info.stageId;
  }
  jobId(): string {
    return this.info.jobId;
  }
}

let current: TaskContextImpl | null = null;

/** What a running task may ask about itself, as Spark's TaskContext; only inside a function that runs on a worker. */
export const TaskContext = {
  /** The running task's context: `attemptNumber()` (0 on the first attempt), `partitionId()`, `stageId()` and `jobId()`; throws outside a task. */
  get(): TaskContextImpl {
    if (!current) throw new Error("TaskContext.get() is only available while a task runs");
    return current;
  },
};

export function enterTask(info: TaskInfo): void {
  current = new TaskContextImpl(info);
  (globalThis as { TaskContext?: typeof TaskContext }).TaskContext = TaskContext;
}
