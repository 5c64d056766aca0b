// How a dataset is recognised across the jobs of one application: a hash of its
// lineage, not an id a client hands out. It needs no client state, so JobSpec,
// REST and CLI users get reuse as the library does, and two jobs that describe
// the same computation (whatever they name their nodes) share its cached
// blocks. What the hash covers is what decides the records: the op, its
// checked parameters (function sources and a source's paths or data included),
// its env, its number of partitions and its inputs' ids, in order. A file
// source hashes its paths, not the files' contents: a cached dataset is a
// snapshot, as in Spark. Pure; the planner computes one per persisted node.
//
// A shuffle's output is recognised the same way, for a later job of the
// application to read instead of writing it again (Spark's skipped stages):
// by the lineage of the node whose plan wrote it and which of that node's
// shuffles it is. Unlike a cache, which the user asked for, this reuse is
// implicit, so it must never serve records the job would not compute: its
// hash also covers each file source's listing (every split's path, offsets
// and file size), and a file that grew or shrank is a different lineage. It
// hashes JSON.stringify's text rather than canonical JSON, which costs far
// less on a large inline source (a key order the client changes only misses a
// reuse).
import { createHash } from "node:crypto";
import type { NodeSpec } from "../plan/job-spec.js";
import { canonicalJson } from "../plan/keys.js";
import type { Combine, InputSplit, Partitioner } from "../plan/physical.js";
import { asDatasetId, type DatasetId } from "../plan/storage-level.js";

export function datasetId(node: Pick<NodeSpec, "op" | "params" | "env">, numPartitions: number, inputs: readonly DatasetId[]): DatasetId {
  // Versioned, so that a change to what the hash covers never matches an id of the old rule.
  const lineage = canonicalJson({ v: 1, op: node.op, params: node.params, env: node.env, numPartitions, inputs });
  return asDatasetId(`ds-${createHash("sha256").update(lineage).digest("hex").slice(0, 32)}`);
}

/** What decides a node's records for shuffle reuse: its op, parameters, env, its inputs' lineages and, for a file source, its listing. */
export function nodeLineage(node: Pick<NodeSpec, "op" | "params" | "env">, inputs: readonly string[], splits: readonly InputSplit[] | null): string {
  return sha256(JSON.stringify({ v: 1, op: node.op, params: node.params, env: node.env, inputs, splits }));
}

/** The lineage of the `ordinal`-th shuffle a node's plan writes, to `numPartitions` by `partitioner`. */
export function shuffleLineage(node: string, ordinal: number, numPartitions: number, partitioner: Partitioner, combine: Combine | null): string {
  return `sh-${sha256(JSON.stringify({ v: 1, node, ordinal, numPartitions, partitioner, combine })).slice(0, 32)}`;
}

const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");
