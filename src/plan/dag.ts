// Orders a job's nodes so that every node follows its inputs (Kahn's algorithm,
// stable in the order the user wrote them), reporting a cycle by the nodes on it.

export interface DagNode {
  id: string;
  inputs: string[];
}

export type TopoResult<N> = { ok: true; order: N[] } | { ok: false; cycle: string[] };

export function topoSort<N extends DagNode>(nodes: N[]): TopoResult<N> {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const indegree = new Map<string, number>();
  const consumers = new Map<string, string[]>();
  for (const n of nodes) {
    indegree.set(n.id, n.inputs.length);
    for (const i of n.inputs) {
      const list = consumers.get(i);
      if (list) list.push(n.id);
      else consumers.set(i, [n.id]);
    }
  }
  const ready = nodes.filter((n) => n.inputs.length === 0).map((n) => n.id);
  const order: N[] = [];
  // An index, not shift(): shifting a long queue is quadratic.
  for (let next = 0; next < ready.length; next++) {
    const id = ready[next]!;
    order.push(byId.get(id)!);
    for (const c of consumers.get(id) ?? []) {
      const d = indegree.get(c)! - 1;
      indegree.set(c, d);
      if (d === 0) ready.push(c);
    }
  }
  if (order.length === nodes.length) return { ok: true, order };
  return { ok: false, cycle: findCycle(nodes, byId, new Set(order.map((n) => n.id))) };
}

function findCycle<N extends DagNode>(nodes: N[], byId: Map<string, N>, done: Set<string>): string[] {
  // Walk inputs from any unsorted node; every unsorted node has an unsorted
  // input, so the walk must revisit a node, and the revisited stretch is a cycle.
  const start = nodes.find((n) => !done.has(n.id))!;
  const path: string[] = [];
  const seen = new Map<string, number>();
  let cur = start.id;
  while (!seen.has(cur)) {
    seen.set(cur, path.length);
    path.push(cur);
    cur = byId.get(cur)!.inputs.find((i) => !done.has(i))!;
  }
  const cycle = path.slice(seen.get(cur)!);
  return [...cycle.reverse(), cycle[0]!];
}
