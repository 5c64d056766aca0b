// How a dataset is recognised across the jobs of one application: a hash of its
// lineage, not an id a client hands out. It needs no client state, so JobSpec,
// REST and CLI users get reuse as the library does, and two jobs that describe
// the same computation (whatever they name their nodes) share its cached
// blocks. What the hash covers is what decides the records: the op, its
// checked parameters (function sources and a source's paths or data included),
// its env, its number of partitions and its inputs' ids, in order. A file
// source hashes its paths, not the files' contents: a cached dataset is a
// snapshot, as in Spark. Pure; the planner computes one per node.
import { createHash } from "node:crypto";
import type { NodeSpec } from "../plan/job-spec.js";
import { canonicalJson } from "../plan/keys.js";
import { asDatasetId, type DatasetId } from "../plan/storage-level.js";

export function datasetId(node: Pick<NodeSpec, "op" | "params" | "env">, numPartitions: number, inputs: readonly DatasetId[]): DatasetId {
  // Versioned, so that a change to what the hash covers never matches an id of the old rule.
  const lineage = canonicalJson({ v: 1, op: node.op, params: node.params, env: node.env, numPartitions, inputs });
  return asDatasetId(`ds-${createHash("sha256").update(lineage).digest("hex").slice(0, 32)}`);
}
