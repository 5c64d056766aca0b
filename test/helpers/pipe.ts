// Writing test job specs as chains: ids default to n0, n1, …; a non-source node
// with no input/inputs reads the node before it; the action reads the last one.

export type Node = Record<string, unknown>;

export interface Spec {
  name: string;
  nodes: Node[];
  action: Node;
}

const SOURCES = new Set(["parallelize", "range", "textFile", "csv", "jsonl"]);

export function pipe(name: string, nodes: Node[], action: Node): Spec {
  const out: Node[] = [];
  let prev: string | undefined;
  nodes.forEach((n, i) => {
    const id = (n.id as string | undefined) ?? `n${i}`;
    const node: Node = { id, ...n };
    if (!("input" in n) && !("inputs" in n) && !SOURCES.has(n.op as string) && prev !== undefined) node.input = prev;
    out.push(node);
    prev = id;
  });
  return { name, nodes: out, action: { input: prev, ...action } };
}

/** Word count of the text files `glob` matches, saved to `path` (for tests that watch what a save touches). */
export function wordCountSave(glob: string, path: string): Spec {
  return pipe(
    "word count",
    [
      { op: "textFile", path: glob },
      { op: "flatMap", fn: "l => l.split(' ')" },
      { op: "map", fn: "w => [w, 1]" },
      { op: "reduceByKey", fn: "(a, b) => a + b" },
    ],
    { op: "save", path },
  );
}
