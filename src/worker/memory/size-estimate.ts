// Roughly how many bytes of V8 heap a record takes, so that aggregation tables,
// sort buffers and shuffle buffers know when they have outgrown their share of
// the worker's memory. Calibrated against heap snapshots of records as they
// arrive here (parsed from JSON or split from lines): flat one-byte strings,
// small integers, packed arrays, objects in dictionary-free shapes. Large arrays
// and objects are sampled, as Spark's SizeEstimator does, so that estimating a
// growing group stays cheap. Pure.

/** A Map entry: key, value and chain slots plus the table's spare capacity. */
export const ENTRY_BYTES = 40;

const STRING_HEADER = 16;
const ARRAY_HEADER = 48;
const OBJECT_HEADER = 32;
const SAMPLE_ABOVE = 64;
const SAMPLES = 32;

/**
 * Marks an object that stands for more than memory holds (a group whose values
 * are on disk): it counts as infinitely large, so that no structure keeps it
 * past its task, and whatever tries to hold it spills or encodes it instead.
 */
export const OUTGROWS_MEMORY: unique symbol = Symbol("outgrows memory");

export function estimateSize(v: unknown): number {
  switch (typeof v) {
    case "string":
      return STRING_HEADER + ((v.length + 7) & ~7);
    case "number":
      return Number.isInteger(v) ? 8 : 16;
    case "object":
      if (v === null) return 8;
      if (Array.isArray(v)) return arraySize(v);
      return OUTGROWS_MEMORY in v ? Number.POSITIVE_INFINITY : objectSize(v as Record<string, unknown>);
    default:
      return 8;
  }
}

function arraySize(a: unknown[]): number {
  const n = a.length;
  if (n <= SAMPLE_ABOVE) {
    let s = ARRAY_HEADER + 8 * n;
    for (let i = 0; i < n; i++) s += elementSize(a[i]);
    return s;
  }
  const step = n / SAMPLES;
  let sampled = 0;
  for (let i = 0; i < SAMPLES; i++) sampled += elementSize(a[Math.floor(i * step)]);
  return ARRAY_HEADER + 8 * n + Math.ceil((sampled * n) / SAMPLES);
}

function objectSize(o: Record<string, unknown>): number {
  const keys = Object.keys(o);
  const n = keys.length;
  if (n <= SAMPLE_ABOVE) {
    let s = OBJECT_HEADER + 16 * n;
    for (let i = 0; i < n; i++) s += elementSize(o[keys[i]!]);
    return s;
  }
  const step = n / SAMPLES;
  let sampled = 0;
  for (let i = 0; i < SAMPLES; i++) sampled += elementSize(o[keys[Math.floor(i * step)]!]);
  return OBJECT_HEADER + 16 * n + Math.ceil((sampled * n) / SAMPLES);
}

/** Inside a container the slot itself is counted by the container; small ints live in it. */
function elementSize(v: unknown): number {
  if (typeof v === "number") return Number.isInteger(v) ? 0 : 16;
  if (v === null || typeof v !== "object") return typeof v === "string" ? estimateSize(v) : 0;
  return estimateSize(v);
}
