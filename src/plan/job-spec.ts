// The JobSpec as users write it (DESIGN.md section 3) and the validated form the
// planner consumes. Raw specs are untrusted JSON; a ValidJob has canonical op
// names, explicit inputs, checked parameters and a topological order.
import type { AppId } from "../common/ids.js";
import type { Json } from "./keys.js";
import type { StorageLevel } from "./storage-level.js";

export interface RawNode {
  id?: unknown;
  op?: unknown;
  input?: unknown;
  inputs?: unknown;
  env?: unknown;
  [param: string]: unknown;
}

export interface RawJobSpec {
  name?: unknown;
  nodes?: unknown;
  edges?: unknown;
  action?: unknown;
  parallelism?: unknown;
  maxTaskRetries?: unknown;
  taskTimeoutMs?: unknown;
  application?: unknown;
  s3?: unknown;
  [other: string]: unknown;
}

/** A node after validation: canonical op, its inputs, and its checked parameters. */
export interface NodeSpec {
  id: string;
  op: string;
  inputs: string[];
  params: Record<string, Json>;
  env: Record<string, Json>;
  /** Present only on a node whose dataset is kept for later jobs of its application. */
  persist?: StorageLevel;
}

export interface ActionSpec {
  op: string;
  input: string;
  params: Record<string, Json>;
  env: Record<string, Json>;
}

/**
 * A job's own S3 settings (the JobSpec's "s3"), each over what every worker's
 * environment and AWS files say. They hold secrets: kept in the master's memory
 * for the job's run and sent to workers with its tasks, never stored, logged or shown.
 */
export interface S3JobSettings {
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  region?: string;
  endpoint?: string;
  profile?: string;
}

export interface ValidJob {
  name: string;
  /** In topological order: every node comes after its inputs. */
  nodes: NodeSpec[];
  action: ActionSpec;
  parallelism: number | null;
  maxTaskRetries: number;
  /** A task attempt running longer is stopped and counts as failed; null: the cluster's default. */
  taskTimeoutMs: number | null;
  /** The application the job belongs to (its shape checked here, that it is ACTIVE at submit), or null. */
  application: AppId | null;
  /** The job's own S3 settings, or null: the workers' own. */
  s3: S3JobSettings | null;
}
