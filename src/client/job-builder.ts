// Assembles the JobSpec JSON (DESIGN.md section 3) from a Dataset's lineage:
// every node reachable from the action's input once (a Dataset read by two
// others is one node), in topological order, with readable unique ids. Pure;
// called by dataset.ts when an action runs, and by tests to see the JSON.
import { readsInputList } from "../ops/registry.js";

import type { Json } from "../common/api-types.js";
import type { StorageLevel } from "../plan/storage-level.js";
import { checkpointSource, type CheckpointMark } from "./checkpoint.js";
export type { Json };

/** What a Dataset remembers of how it is computed: one JobSpec node, not yet named. */
export interface LineageNode {
  readonly op: string;
  readonly parents: readonly LineageNode[];
  /** The op's parameters, functions already shipped as source. */
  readonly params: Readonly<Record<string, Json>>;
  readonly env: Readonly<Record<string, Json>> | null;
  /** Set by Dataset.setName; becomes the node's id. */
  name: string | null;
  /** Set by Dataset.persist/cache, cleared by unpersist: the node's "persist". */
  persist?: StorageLevel | null;
  /** The master's id of this dataset once a job persisted it (JobInfo.datasets), what unpersist releases. */
  datasetId?: string | null;
  /** Set by Dataset.checkpoint; once written, the node is emitted as a source reading the files and its parents are not walked. */
  checkpoint?: CheckpointMark | null;
}

/** A source or transformation of a JobSpec (DESIGN.md section 3); its other members are the op's parameters. */
export interface JobSpecNode {
  /** Unique within the job (the library uses setName() names where given). */
  id: string;
  /** The RDD method, e.g. "textFile", "map", "reduceByKey". */
  op: string;
  /** The id of the one node it reads. */
  input?: string;
  /** The ids of the nodes it reads (union, join, cogroup, …). */
  inputs?: string[];
  /** Values its functions receive as their last argument. */
  env?: Record<string, Json>;
  [param: string]: Json | undefined;
}

/** The action of a JobSpec; its other members are the action's parameters. */
export interface JobSpecAction {
  /** The action, e.g. "collect", "count", "save". */
  op: string;
  /** The id of the node whose records it reads. */
  input: string;
  /** Values its functions receive as their last argument. */
  env?: Record<string, Json>;
  [param: string]: Json | undefined;
}

/** A job as JSON: a DAG of nodes and one action (DESIGN.md section 3; schema/jobspec.schema.json). */
export interface JobSpec {
  /** Shown in job lists and the UI. */
  name: string;
  /** The sources and transformations, each before the nodes that read it. */
  nodes: JobSpecNode[];
  /** What the job computes. */
  action: JobSpecAction;
  /** The application the job belongs to (an id POST /api/v1/apps returned; connect() sets it): it must be ACTIVE, and its end cancels the job. */
  application?: string;
  /** The job's own S3 settings, over each worker's AWS environment and files (never stored or shown by the master). */
  s3?: S3Settings;
}

/** S3 settings for a job's `s3://` inputs and outputs; each wins over what the workers' environment and AWS files say. */
export interface S3Settings {
  /** An access key id; with secretAccessKey, instead of the workers' AWS_ACCESS_KEY_ID. */
  accessKeyId?: string;
  /** The access key's secret; never stored, logged or shown by the master. */
  secretAccessKey?: string;
  /** The session token of temporary credentials. */
  sessionToken?: string;
  /** The region requests are signed for, e.g. `eu-west-1`. */
  region?: string;
  /** An S3-compatible server, e.g. `http://minio.internal:9000`; addressed path-style. */
  endpoint?: string;
  /** A profile of the workers' AWS files, instead of AWS_PROFILE. */
  profile?: string;
}

export interface ActionRequest {
  op: string;
  params: Record<string, Json>;
  env: Record<string, Json> | null;
}

export function buildJobSpec(name: string, input: LineageNode, action: ActionRequest): JobSpec {
  return buildJob(name, input, action).spec;
}

/** The JobSpec and the lineage node behind each of its node ids (how a job's JobInfo.datasets map back to Datasets). */
export function buildJob(name: string, input: LineageNode, action: ActionRequest): { spec: JobSpec; nodes: Map<string, LineageNode> } {
  const order = topologicalOrder(input);
  const ids = assignIds(order);
  const nodes = order.map((n) => specNode(n, ids));
  const act: JobSpecAction = { op: action.op, input: ids.get(input)!, ...action.params };
  if (action.env) act.env = action.env;
  return { spec: { name, nodes, action: act }, nodes: new Map([...ids].map(([n, id]) => [id, n])) };
}

function specNode(n: LineageNode, ids: Map<LineageNode, string>): JobSpecNode {
  const saved = n.checkpoint?.saved ?? null;
  if (saved !== null) {
    const cut: JobSpecNode = { id: ids.get(n)!, ...checkpointSource(saved) };
    if (n.persist) cut.persist = n.persist;
    return cut;
  }
  const node: JobSpecNode = { id: ids.get(n)!, op: n.op };
  const parents = parentsOf(n).map((p) => ids.get(p)!);
  // Ops that read several inputs get a list (`inputs`), even when it has one entry.
  if (readsInputList(n.op) || parents.length > 1) node.inputs = parents;
  else if (parents.length === 1) node.input = parents[0]!;
  Object.assign(node, n.params);
  if (n.env) node.env = n.env;
  if (n.persist) node.persist = n.persist;
  return node;
}

/** The parents a job walks: none past a written checkpoint (the lineage cut). */
function parentsOf(n: LineageNode): readonly LineageNode[] {
  return n.checkpoint?.saved ? [] : n.parents;
}

/** Parents before children; each node once, however many paths lead to it; nothing behind a written checkpoint. */
export function topologicalOrder(root: LineageNode): LineageNode[] {
  const order: LineageNode[] = [];
  const seen = new Set<LineageNode>();
  // Iterative, so a lineage thousands of ops long does not overflow the stack.
  const stack: { node: LineageNode; next: number }[] = [{ node: root, next: 0 }];
  seen.add(root);
  while (stack.length > 0) {
    const top = stack.at(-1)!;
    const parent = parentsOf(top.node)[top.next++];
    if (parent === undefined) {
      order.push(top.node);
      stack.pop();
    } else if (!seen.has(parent)) {
      seen.add(parent);
      stack.push({ node: parent, next: 0 });
    }
  }
  return order;
}

/** Ids are the names given with setName, else the op; repeats get "-2", "-3", …. Given names are served first. */
function assignIds(order: LineageNode[]): Map<LineageNode, string> {
  const ids = new Map<LineageNode, string>();
  const taken = new Set<string>();
  const claim = (n: LineageNode, base: string) => {
    let id = base;
    for (let i = 2; taken.has(id); i++) id = `${base}-${i}`;
    taken.add(id);
    ids.set(n, id);
  };
  for (const n of order) if (n.name) claim(n, n.name);
  for (const n of order) if (!n.name) claim(n, n.op);
  return ids;
}

/** Throws unless `value` survives JSON unchanged (what env, data and zero values travel as). */
export function checkJson(value: unknown, what: string): Json {
  const problem = jsonProblem(value, "", new Set());
  if (problem) throw new TypeError(`${what} must be JSON data: ${problem}`);
  return value as Json;
}

function jsonProblem(v: unknown, path: string, seen: Set<object>): string | null {
  const at = path ? ` at ${path}` : "";
  switch (typeof v) {
    case "string":
    case "boolean":
      return null;
    case "number":
      return Number.isFinite(v) ? null : `${v}${at} is not a JSON number`;
    case "object": {
      if (v === null) return null;
      if (seen.has(v)) return `a cycle${at}`;
      seen.add(v);
      const proto = Object.getPrototypeOf(v);
      if (!Array.isArray(v) && proto !== Object.prototype && proto !== null) {
        return `a ${v.constructor?.name ?? "class instance"}${at} is not a plain object or array`;
      }
      for (const [k, item] of Object.entries(v)) {
        const p = jsonProblem(item, Array.isArray(v) ? `${path}[${k}]` : `${path}.${k}`, seen);
        if (p) return p;
      }
      seen.delete(v);
      return null;
    }
    default:
      return `${v === undefined ? "undefined" : `a ${typeof v}`}${at} cannot be sent to the workers`;
  }
}
