// A well-formed heartbeat of an idle worker, for unit tests that drive the
// registry or the scheduler without a worker process.
import { asWorkerId } from "../../src/common/ids.js";
import type { Heartbeat } from "../../src/cluster/protocol.js";
import { PROTOCOL_VERSION } from "../../src/common/version.js";

export function idleHeartbeat(id: string, slots = 1): Heartbeat {
  return {
    protocol: PROTOCOL_VERSION,
    worker_id: asWorkerId(id),
    address: `${id}:7000`,
    status: "IDLE",
    active_tasks: 0,
    mem_usage_mb: 0,
    last_heartbeat: 0,
    slots,
    cpu_percent: 0,
    avg_task_ms: 0,
    tasks_completed: 0,
    tasks_failed: 0,
    heap_used_mb: 0,
    shuffle_bytes_served: 0,
    memory_budget_mb: 1024,
    execution_memory_mb: 0,
    spill_count: 0,
    spill_bytes: 0,
    running_attempts: [],
  };
}
