// Turns an untrusted JobSpec (either style of DESIGN.md 3.1) into a ValidJob, or
// a list of problems each naming the node and what is wrong. Pure: the path
// checks are textual (the master never touches the file system) and functions
// are parsed, never run. Called by the master at submit time and by the library.
import type { Op } from "../ops/op-rule.js";
import { canonicalOpName, opRule } from "../ops/registry.js";
import { topoSort } from "../plan/dag.js";
import type { ActionSpec, NodeSpec, RawJobSpec, RawNode, ValidJob } from "../plan/job-spec.js";
import type { Json } from "../plan/keys.js";
import { DEFAULT_MAX_TASK_RETRIES, MAX_NAME_LENGTH, MAX_PARTITIONS, MAX_TASK_RETRIES } from "../plan/spec-limits.js";
import { APP_ID_PATTERN, asAppId, type AppId } from "../common/ids.js";
import { accumulatorProblems } from "./accumulator-check.js";
import { isStorageLevel, STORAGE_LEVELS } from "../plan/storage-level.js";
import { broadcastProblems } from "./broadcast-check.js";
import { parseS3Settings } from "../plan/s3-settings.js";

/** Limits that keep one job spec from swamping the master's planner and scheduler. */
export const MAX_NODES = 10_000;
/**
 * The longest chain of nodes from a source to the action. Planning, the plan's
 * JSON and a task's RDD tree all recurse along it; Spark's own lineage
 * overflows its stack at a few thousand without checkpoints.
 */
export const MAX_DEPTH = 1000;
/** Inputs of all nodes together (edges or input lists): ten per node at the node limit. */
export const MAX_EDGES = 100_000;
/**
 * How deep a spec's JSON may nest (data, env, zero values). The master stores
 * the spec and its plan with JSON.stringify and workers compare and hash keys
 * by recursion, all on the stack: JSON.parse takes 100,000 levels, they do not.
 */
export const MAX_JSON_DEPTH = 256;
/**
 * JSON values in one submitted spec, counted on its text before it is parsed
 * (a parsed value costs the master up to ~20 times its bytes): two million
 * parallelized records fit; bigger inputs belong in files.
 */
export const MAX_SPEC_VALUES = 2_000_000;
/** Problems reported at most, so that a spec with a million bad edges gets a short answer. */
const MAX_PROBLEMS = 20;
const RESERVED = new Set(["id", "op", "input", "inputs", "env", "persist"]);

export class JobSpecError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    const shown = problems.length > MAX_PROBLEMS ? [...problems.slice(0, MAX_PROBLEMS), `and ${problems.length - MAX_PROBLEMS} more problems`] : problems;
    super(shown.join("; "));
    this.name = "JobSpecError";
    this.problems = shown;
  }
}

export interface ValidateOptions {
  /** false on a cluster started with --no-user-code: only built-in functions are accepted. */
  userCode?: boolean;
}

export function validateJobSpec(raw: unknown, opts: ValidateOptions = {}): ValidJob {
  const userCode = opts.userCode ?? true;
  const problems: string[] = [];
  if (!isObject(raw)) throw new JobSpecError(["the job spec must be a JSON object"]);
  const spec = raw as RawJobSpec;
  const rawNodes = spec.nodes;
  if (!Array.isArray(rawNodes) || rawNodes.length === 0) {
    throw new JobSpecError(['"nodes" must be a non-empty array']);
  }
  if (rawNodes.length > MAX_NODES) throw new JobSpecError([`a job may have at most ${MAX_NODES} nodes, this one has ${rawNodes.length}`]);
  if (Array.isArray(spec.edges) && spec.edges.length > MAX_EDGES) throw new JobSpecError([`"edges" has ${spec.edges.length} entries; a job may have at most ${MAX_EDGES}`]);
  // After the counts, which are cheap; before anything that recurses into the spec.
  if (nestsDeeperThan(raw, MAX_JSON_DEPTH)) throw new JobSpecError([`the job spec nests deeper than ${MAX_JSON_DEPTH} levels of arrays and objects`]);
  const declared = new Set(rawNodes.map((n: unknown) => (isObject(n) && typeof n.id === "string" ? n.id : null)));
  // Edges into no node are reported after the nodes' own problems, as the nodes are read first.
  const danglingEdges: string[] = [];
  const edges = inputsByEdges(parseEdges(spec.edges, declared, problems, danglingEdges));
  const nodes: NodeSpec[] = [];
  const ids = new Set<string>();
  rawNodes.forEach((rn, i) => {
    const node = parseNode(rn, i, edges, problems, userCode);
    if (!node) return;
    if (ids.has(node.id)) problems.push(`node "${node.id}": duplicate id`);
    ids.add(node.id);
    nodes.push(node);
  });
  for (const n of nodes) {
    for (const input of n.inputs) {
      if (!ids.has(input)) problems.push(`node "${n.id}" (${n.op}): input "${input}" is not a node of this job`);
    }
  }
  problems.push(...danglingEdges);
  const totalInputs = nodes.reduce((n, node) => n + node.inputs.length, 0);
  if (totalInputs > MAX_EDGES) problems.push(`the nodes have ${totalInputs} inputs in all; a job may have at most ${MAX_EDGES}`);
  const action = parseAction(spec.action, nodes, problems, userCode);
  problems.push(...accumulatorProblems(nodes, action, userCode));
  const parallelism = optionalInt(spec.parallelism, 1, "parallelism", problems);
  if (parallelism !== null && parallelism > MAX_PARTITIONS) problems.push(`"parallelism" must be at most ${MAX_PARTITIONS}`);
  const retries = optionalInt(spec.maxTaskRetries, 1, "maxTaskRetries", problems);
  if (retries !== null && retries > MAX_TASK_RETRIES) problems.push(`"maxTaskRetries" must be at most ${MAX_TASK_RETRIES}`);
  const taskTimeoutMs = optionalInt(spec.taskTimeoutMs, 1, "taskTimeoutMs", problems);
  const name = spec.name === undefined ? (action?.op ?? "job") : spec.name;
  if (typeof name !== "string" || name.length > MAX_NAME_LENGTH) problems.push(`"name" must be a string of at most ${MAX_NAME_LENGTH} characters`);
  const application = parseApplication(spec.application, problems);
  for (const n of nodes) {
    if (n.persist !== undefined && application === null) problems.push(`node "${n.id}" (${n.op}): "persist" needs an "application": a cached dataset lives until its application ends`);
  }
  problems.push(...broadcastProblems(nodes, action, application));
  const s3 = parseS3Settings(spec.s3, problems);
  if (problems.length > 0) throw new JobSpecError(problems);

  const sorted = topoSort(nodes);
  if (!sorted.ok) throw new JobSpecError([`the nodes form a cycle: ${sorted.cycle.join(" → ")}`]);
  const deepest = deepestNode(sorted.order);
  if (deepest.depth > MAX_DEPTH) {
    throw new JobSpecError([`node "${deepest.id}" is ${deepest.depth} nodes deep (the longest chain from a source to it); a job may be at most ${MAX_DEPTH} deep`]);
  }
  return {
    name: name as string,
    nodes: sorted.order,
    action: action!,
    parallelism,
    maxTaskRetries: retries ?? DEFAULT_MAX_TASK_RETRIES,
    taskTimeoutMs,
    application,
    s3,
  };
}

/** The edges into declared nodes; one into no node is a problem, reported and dropped at once. */
function parseEdges(raw: unknown, declared: Set<string | null>, problems: string[], dangling: string[]): [string, string][] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) {
    problems.push('"edges" must be an array of [from, to] pairs');
    return [];
  }
  const edges: [string, string][] = [];
  // Only the first few bad edges are described: a million messages would cost more than the edges.
  let bad = 0;
  for (const [i, e] of raw.entries()) {
    if (Array.isArray(e) && e.length === 2 && typeof e[0] === "string" && typeof e[1] === "string") {
      if (declared.has(e[1])) edges.push([e[0], e[1]]);
      else if (bad++ < MAX_PROBLEMS) dangling.push(`edge ["${e[0]}", "${e[1]}"]: "${e[1]}" is not a node of this job`);
    } else if (bad++ < MAX_PROBLEMS) {
      problems.push(`edge ${preview(e) ?? `#${i}`} must be a pair of node ids ["from", "to"]`);
    }
  }
  if (bad > MAX_PROBLEMS) problems.push(`and ${bad - MAX_PROBLEMS} more bad edges`);
  return edges;
}

/** A short JSON form of a value for a message, or null if it has none (too long, or too deep to print). */
function preview(v: unknown): string | null {
  try {
    const s = JSON.stringify(v);
    return s.length <= 200 ? s : null;
  } catch {
    return null;
  }
}

/** Each node's inputs as the edges give them, in edge order: one pass, whatever the number of edges. */
function inputsByEdges(edges: [string, string][]): Map<string, string[]> {
  const byTo = new Map<string, string[]>();
  for (const [from, to] of edges) {
    const list = byTo.get(to);
    if (list) list.push(from);
    else byTo.set(to, [from]);
  }
  return byTo;
}

/** The node at the end of the longest chain, with its length in nodes; `order` is topological. */
function deepestNode(order: NodeSpec[]): { id: string; depth: number } {
  const depth = new Map<string, number>();
  let deepest = { id: "", depth: 0 };
  for (const n of order) {
    let d = 1;
    for (const i of n.inputs) d = Math.max(d, depth.get(i)! + 1);
    depth.set(n.id, d);
    if (d > deepest.depth) deepest = { id: n.id, depth: d };
  }
  return deepest;
}

function parseNode(raw: unknown, index: number, edges: Map<string, string[]>, problems: string[], userCode: boolean): NodeSpec | null {
  if (!isObject(raw)) {
    problems.push(`nodes[${index}] must be an object`);
    return null;
  }
  const rn = raw as RawNode;
  if (typeof rn.id !== "string" || rn.id === "") {
    problems.push(`nodes[${index}]: "id" must be a non-empty string`);
    return null;
  }
  const id = rn.id;
  if (typeof rn.op !== "string") {
    problems.push(`node "${id}": "op" must be a string`);
    return null;
  }
  const op = canonicalOpName(rn.op);
  const def = opRule(op);
  if (!def || def.kind === "action") {
    problems.push(`node "${id}": unknown op "${rn.op}"`);
    return null;
  }
  const where = `node "${id}" (${op})`;
  const inputs = parseInputs(rn, id, edges, where, problems);
  checkArity(def, inputs, where, problems);
  const params = parseParams(rn, def, where, problems, userCode);
  const env = parseEnv(rn.env, where, problems);
  const persist = parsePersist(rn.persist, where, problems);
  return { id, op, inputs, params, env, ...(persist === null ? {} : { persist }) };
}

function parseInputs(rn: RawNode, id: string, edges: Map<string, string[]>, where: string, problems: string[]): string[] {
  const fromEdges = edges.get(id) ?? [];
  if (rn.input !== undefined && rn.inputs !== undefined) {
    problems.push(`${where}: give either "input" or "inputs", not both`);
  }
  let inputs: string[] = [];
  if (rn.input !== undefined) {
    if (typeof rn.input !== "string") problems.push(`${where}: "input" must be a node id`);
    else inputs = [rn.input];
  } else if (rn.inputs !== undefined) {
    if (!Array.isArray(rn.inputs) || !rn.inputs.every((x) => typeof x === "string")) {
      problems.push(`${where}: "inputs" must be an array of node ids`);
    } else inputs = rn.inputs as string[];
  }
  if (fromEdges.length > 0 && inputs.length > 0) {
    problems.push(`${where}: inputs are given both by "edges" and by "input"/"inputs"`);
  }
  return inputs.length > 0 ? inputs : fromEdges;
}

function checkArity(def: Op, inputs: string[], where: string, problems: string[]): void {
  if (typeof def.inputs === "number") {
    if (inputs.length !== def.inputs) {
      const want = def.inputs === 0 ? "no input" : def.inputs === 1 ? "exactly one input" : `exactly ${def.inputs} inputs`;
      problems.push(`${where}: takes ${want}, got ${inputs.length}`);
    }
  } else if (inputs.length < def.inputs.min) {
    problems.push(`${where}: takes at least ${def.inputs.min} inputs, got ${inputs.length}`);
  }
}

/** The op's own schema checks its parameters (src/ops/params.ts); its messages follow the node's description. */
function parseParams(rn: Record<string, unknown>, def: Op, where: string, problems: string[], userCode: boolean): Record<string, Json> {
  const parsed = def.params.parse(rn, RESERVED, userCode);
  problems.push(...parsed.problems.map((p) => `${where}: ${p}`));
  return parsed.params;
}

function parseEnv(raw: unknown, where: string, problems: string[]): Record<string, Json> {
  if (raw === undefined) return {};
  if (!isObject(raw)) {
    problems.push(`${where}: "env" must be an object of the values its functions need`);
    return {};
  }
  return raw as Record<string, Json>;
}

function parseAction(raw: unknown, nodes: NodeSpec[], problems: string[], userCode: boolean): ActionSpec | null {
  const rawAction = typeof raw === "string" ? { op: raw } : raw;
  if (!isObject(rawAction)) {
    problems.push('"action" is missing: give e.g. {"op": "collect", "input": "<node id>"}');
    return null;
  }
  const ra = rawAction as RawNode;
  if (typeof ra.op !== "string") {
    problems.push('action: "op" must be a string');
    return null;
  }
  const op = canonicalOpName(ra.op);
  const def = opRule(op);
  if (def?.kind !== "action") {
    problems.push(`action: unknown action "${ra.op}"`);
    return null;
  }
  const where = `action (${op})`;
  let input = ra.input;
  if (input === undefined) {
    // Older specs leave the action's input implicit: the one node nobody reads.
    const consumed = new Set(nodes.flatMap((n) => n.inputs));
    const sinks = nodes.filter((n) => !consumed.has(n.id));
    if (sinks.length === 1) input = sinks[0]!.id;
    else {
      problems.push(`${where}: "input" is missing and the job has ${sinks.length} final nodes`);
      return null;
    }
  }
  if (typeof input !== "string" || !nodes.some((n) => n.id === input)) {
    problems.push(`${where}: input ${JSON.stringify(input)} is not a node of this job`);
    return null;
  }
  const params = parseParams(ra, def, where, problems, userCode);
  const env = parseEnv(ra.env, where, problems);
  if (ra.persist !== undefined) problems.push(`${where}: an action has no dataset to persist; put "persist" on the node it reads`);
  return { op, input, params, env };
}

function optionalInt(v: unknown, min: number, name: string, problems: string[]): number | null {
  if (v === undefined || v === null) return null;
  if (!Number.isSafeInteger(v) || (v as number) < min) {
    problems.push(`"${name}" must be an integer >= ${min}`);
    return null;
  }
  return v as number;
}

/** Whether arrays and objects nest deeper than `max`: a walk with its own stack, as deep as the input. */
function nestsDeeperThan(root: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[root, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== "object" || v === null) continue;
    if (depth > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (typeof child === "object" && child !== null) stack.push([child, depth + 1]);
    }
  }
  return false;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A JobSpec's "application": absent, or an application id as the master makes them (whether it is ACTIVE is the master's to check). */
function parseApplication(raw: unknown, problems: string[]): AppId | null {
  if (raw === undefined) return null;
  if (typeof raw !== "string" || !APP_ID_PATTERN.test(raw)) {
    problems.push('"application" must be an application id as POST /api/v1/apps returns it (app-<9 letters or digits>-<6 hex digits>)');
    return null;
  }
  return asAppId(raw);
}

function parsePersist(v: unknown, where: string, problems: string[]) {
  if (v === undefined) return null;
  if (!isStorageLevel(v)) {
    problems.push(`${where}: "persist" must be one of ${STORAGE_LEVELS.join(", ")}`);
    return null;
  }
  return v;
}
