// What the master accepts from workers: heartbeats and task reports, every
// field with its type and range, so that a malformed or hostile message is
// refused with the name of the field instead of reaching the registry, the
// scheduler, the API or the metrics. A heartbeat's address must be host:port:
// the master connects to it. Pure.
import { s3PartUploadProblem } from "../common/s3-part-upload.js";
import { MinisparkError } from "../common/errors.js";
import { MAX_REPORTED_EVICTIONS, type EvictedBlock, type Heartbeat, type TaskReport } from "../cluster/protocol.js";
import { APP_ID_PATTERN, type AppId, type WorkerId } from "../common/ids.js";
import { DATASET_ID_PATTERN, type DatasetId } from "../plan/storage-level.js";
import { MAX_PRECISION } from "../ops/kernels/hyperloglog.js";

/** The fields DESIGN.md requires of every heartbeat, besides worker_id, address and status. */
const REQUIRED = ["active_tasks", "mem_usage_mb", "last_heartbeat"] as const;
/** Metrics a heartbeat may carry; a missing one counts as 0. */
const METRIC_FIELDS = [
  "cpu_percent",
  "avg_task_ms",
  "tasks_completed",
  "tasks_failed",
  "heap_used_mb",
  "shuffle_bytes_served",
  "memory_budget_mb",
  "execution_memory_mb",
  "spill_count",
  "spill_bytes",
] as const;

const WORKER_ID = /^[\w.-]{1,128}$/;
/** host:port, the host a name, IPv4 or bracketed IPv6 address. */
const ADDRESS = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]{1,253}):(\d{1,5})$/;
const MAX_SLOTS = 1024;
const MAX_LISTED_ATTEMPTS = 100_000;
/** The base64 of the largest sketch a job may ask for: 2^MAX_PRECISION one-byte registers. */
const MAX_SKETCH_BASE64 = 4 * Math.ceil(2 ** MAX_PRECISION / 3);

function bad(message: string, what = "heartbeat"): MinisparkError {
  return new MinisparkError("BAD_REQUEST", `invalid ${what}: ${message}`);
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
const isCount = (v: unknown): boolean => typeof v === "number" && Number.isFinite(v) && v >= 0;
const isNumber = (v: unknown): boolean => typeof v === "number" && Number.isFinite(v);
const everyIs = (v: unknown, f: (x: unknown) => boolean): boolean => Array.isArray(v) && v.every(f);

export function checkHeartbeat(body: unknown): Heartbeat {
  if (!isObject(body)) throw bad("the body must be a JSON object");
  const hb = body;
  if (typeof hb.worker_id !== "string" || !WORKER_ID.test(hb.worker_id)) throw bad("worker_id must be 1 to 128 letters, digits, '.', '_' or '-'");
  const address = typeof hb.address === "string" ? ADDRESS.exec(hb.address) : null;
  if (!address || Number(address[2]) < 1 || Number(address[2]) > 65535) throw bad(`address must be host:port, got ${JSON.stringify(hb.address)}`);
  if (!Number.isInteger(hb.slots) || (hb.slots as number) < 1 || (hb.slots as number) > MAX_SLOTS) throw bad(`slots must be an integer from 1 to ${MAX_SLOTS}`);
  if (hb.status !== "IDLE" && hb.status !== "BUSY") throw bad('status must be "IDLE" or "BUSY"');
  for (const field of REQUIRED) {
    if (!isCount(hb[field])) throw bad(`${field} must be a number ≥ 0`);
  }
  const metrics: Record<string, number> = {};
  for (const field of METRIC_FIELDS) {
    const v = hb[field] ?? 0;
    if (!isCount(v)) throw bad(`${field} must be a number ≥ 0`);
    metrics[field] = v as number;
  }
  const running = hb.running_attempts ?? [];
  if (!Array.isArray(running) || running.length > MAX_LISTED_ATTEMPTS || !running.every((a) => typeof a === "string")) {
    throw bad(`running_attempts must be a list of at most ${MAX_LISTED_ATTEMPTS} attempt ids`);
  }
  if (hb.draining !== undefined && typeof hb.draining !== "boolean") throw bad("draining must be true or false");
  // The credential is checked by the handler and never kept with the heartbeat.
  const { credential: _credential, ...kept } = hb;
  return { ...kept, ...metrics, running_attempts: running } as unknown as Heartbeat;
}

/** A heartbeat's `blocks_evicted` (a peer's list: entries of another shape are skipped, and past MAX_REPORTED_EVICTIONS). */
export function evictedBlocks(body: unknown): EvictedBlock[] {
  const list = (body as { blocks_evicted?: unknown }).blocks_evicted;
  if (!Array.isArray(list)) return [];
  const out: EvictedBlock[] = [];
  for (const b of list.slice(0, MAX_REPORTED_EVICTIONS)) {
    if (!isObject(b)) continue;
    const { application, datasetId, partition, diskBytes } = b;
    if (typeof application !== "string" || !APP_ID_PATTERN.test(application) || typeof datasetId !== "string" || !DATASET_ID_PATTERN.test(datasetId)) continue;
    if (typeof partition !== "number" || !Number.isSafeInteger(partition) || partition < 0 || typeof diskBytes !== "number" || !isCount(diskBytes)) continue;
    out.push({ application: application as AppId, datasetId: datasetId as DatasetId, partition, diskBytes });
  }
  return out;
}

/** A message's worker credential, if it carries one; a credential is a short string. */
export function credentialOf(body: unknown): string | undefined {
  const c = isObject(body) ? body.credential : undefined;
  if (c === undefined) return undefined;
  if (typeof c !== "string" || c.length > 256) throw bad("credential must be a string of at most 256 characters", "message");
  return c;
}

/** The worker_id of a deregistration or report batch. */
export function workerIdOf(body: unknown): WorkerId {
  const id = isObject(body) ? body.worker_id : undefined;
  if (typeof id !== "string" || !WORKER_ID.test(id)) throw bad("worker_id must be 1 to 128 letters, digits, '.', '_' or '-'", "message");
  return id as WorkerId;
}

const TASK_METRICS = ["durationMs", "recordsIn", "recordsOut", "bytesRead", "shuffleBytesWritten", "shuffleBytesRead", "shuffleBytesFetchedRemote", "spillCount", "spillBytes"];

/** Each kind of task result and the shape of its fields. */
const RESULTS: Record<string, (r: Record<string, unknown>) => boolean> = {
  mapStatus: (r) => everyIs(r.sizes, isCount) && isCount(r.records),
  sample: (r) => isObject(r.sample) && Array.isArray(r.sample.keys) && isCount(r.sample.total),
  collect: (r) => Array.isArray(r.records),
  count: (r) => isCount(r.count),
  saved: (r) => typeof r.file === "string" && isCount(r.records) && (r.upload === undefined || s3PartUploadProblem(r.upload) === null),
  keyed: (r) => everyIs(r.entries, (e) => Array.isArray(e) && e.length === 2),
  stats: (r) => isCount(r.count) && ["sum", "min", "max", "m2"].every((k) => r[k] === null || typeof r[k] === "number"),
  // Edges from a dataset holding ±Infinity or NaN arrive as null (JSON has no such numbers); given edges may be of any one kind (report-check.ts).
  histogram: (r) => Array.isArray(r.edges) && everyIs(r.counts, isCount),
  // Bounded here; the precision, the length and the base64 itself are checked against the job (report-check.ts).
  hyperLogLog: (r) => isCount(r.p) && typeof r.registers === "string" && r.registers.length <= MAX_SKETCH_BASE64,
  sampled: (r) => isCount(r.count) && everyIs(r.entries, (e) => Array.isArray(e) && e.length === 2 && isNumber(e[0])),
  // Each type's name is checked against the job's kinds in report-check.ts.
  csvTypes: (r) => everyIs(r.types, (t) => typeof t === "string"),
};

/** One report of a batch; `i` names it in the message. */
export function checkTaskReport(body: unknown, i: number): TaskReport {
  const what = `task report ${i}`;
  if (!isObject(body)) throw bad("it must be a JSON object", what);
  if (typeof body.worker_id !== "string" || typeof body.attemptId !== "string") throw bad("worker_id and attemptId must be strings", what);
  if (body.metrics !== null && !(isObject(body.metrics) && TASK_METRICS.every((k) => isCount((body.metrics as Record<string, unknown>)[k])))) {
    throw bad(`metrics must be null or hold ${TASK_METRICS.join(", ")} as numbers ≥ 0`, what);
  }
  switch (body.state) {
    case "FINISHED": {
      const r = body.result;
      // Own keys only: "constructor" or "__proto__" must not find Object.prototype's members.
      const check = isObject(r) && typeof r.type === "string" && Object.hasOwn(RESULTS, r.type) ? RESULTS[r.type] : undefined;
      if (!check?.(r as Record<string, unknown>)) throw bad(`result must be one of ${Object.keys(RESULTS).join(", ")} in its shape`, what);
      break;
    }
    case "FETCH_FAILED": {
      const f = body.fetchFailure;
      if (!(isObject(f) && isCount(f.shuffleId) && isCount(f.mapId) && typeof f.workerId === "string" && typeof f.address === "string")) {
        throw bad("fetchFailure must name shuffleId, mapId, workerId and address", what);
      }
      if (typeof body.error !== "string") throw bad("error must be a string", what);
      break;
    }
    case "FAILED": {
      const m = body.blockMissing;
      if (m !== undefined && !(isObject(m) && typeof m.datasetId === "string" && isCount(m.partition) && isCount(m.shuffleId))) {
        throw bad("blockMissing must name datasetId, partition and shuffleId", what);
      }
      if (typeof body.error !== "string") throw bad("error must be a string", what);
      break;
    }
    case "KILLED":
      if (typeof body.error !== "string") throw bad("error must be a string", what);
      break;
    default:
      throw bad('state must be "FINISHED", "FAILED", "FETCH_FAILED" or "KILLED"', what);
  }
  return body as unknown as TaskReport;
}
