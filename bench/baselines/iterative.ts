// The iterative benchmarks' single-process references, run as their own process:
//   node iterative.js kmeans <files> <iterations> <centres JSON>
//   node iterative.js pagerank <files> <iterations> <vertices>
//   node iterative.js logreg <files> <iterations> <features> <learning rate>
// (<files>: comma-separated, read in that order.)
// Each reads its whole input into typed arrays once (the fastest a single
// process can iterate over it) and runs the same arithmetic as the benchmark's
// jobs, in file order: the same parsing (Number of the same text), the same
// formulas, the same rules for empty clusters and for vertices no edge
// reaches. Prints {"result": …, "ms": …, "maxRssKiB": …} on stdout, ms
// counting from the first read to the last iteration.
import { eachLine as eachLineOf } from "./each-line.js";

/** Calls `f` with every non-empty line of `files` (comma-separated paths, in that order). */
function eachLine(files: string, f: (line: string) => void): void {
  for (const file of files.split(",")) eachLineOf(file, (l) => {
    if (l) f(l);
  });
}

/** A growable Float64Array. */
class Doubles {
  a = new Float64Array(1 << 20);
  n = 0;
  push(x: number): void {
    if (this.n === this.a.length) {
      const b = new Float64Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = x;
  }
}

/** Lines "x,y" (integers); centres move to their points' mean, an empty cluster's centre stays. Result: the final centres. */
function kmeans(file: string, iterations: number, initial: [number, number][]): [number, number][] {
  const xs = new Doubles();
  const ys = new Doubles();
  eachLine(file, (l) => {
    const i = l.indexOf(",");
    xs.push(Number(l.slice(0, i)));
    ys.push(Number(l.slice(i + 1)));
  });
  const n = xs.n;
  const x = xs.a;
  const y = ys.a;
  let centres = initial.map((c) => [c[0], c[1]] as [number, number]);
  const k = centres.length;
  for (let it = 0; it < iterations; it++) {
    const sx = new Float64Array(k);
    const sy = new Float64Array(k);
    const count = new Float64Array(k);
    for (let p = 0; p < n; p++) {
      let best = 0;
      let bestD = Infinity;
      for (let c = 0; c < k; c++) {
        const dx = x[p]! - centres[c]![0];
        const dy = y[p]! - centres[c]![1];
        const d = dx * dx + dy * dy;
        if (d < bestD) {
          bestD = d;
          best = c;
        }
      }
      sx[best] += x[p]!;
      sy[best] += y[p]!;
      count[best]++;
    }
    centres = centres.map((c, i) => (count[i]! > 0 ? [sx[i]! / count[i]!, sy[i]! / count[i]!] : c));
  }
  return centres;
}

/** Lines "src dst"; Spark's PageRank example: every vertex with out-edges starts at 1, a vertex no contribution reaches drops out. Result: [vertex, rank] of the final ranks, by vertex. */
function pagerank(file: string, iterations: number, vertices: number): [number, number][] {
  const src: number[] = [];
  const dst: number[] = [];
  eachLine(file, (l) => {
    const i = l.indexOf(" ");
    src.push(Number(l.slice(0, i)));
    dst.push(Number(l.slice(i + 1)));
  });
  // Compressed rows: vertex v's out-edges are adj[start[v] .. start[v + 1]), in file order.
  const start = new Int32Array(vertices + 1);
  for (const s of src) start[s + 1]!++;
  for (let v = 0; v < vertices; v++) start[v + 1]! += start[v]!;
  const fill = start.slice(0, vertices);
  const adj = new Int32Array(src.length);
  for (let e = 0; e < src.length; e++) adj[fill[src[e]!]!++] = dst[e]!;
  let rank = new Float64Array(vertices);
  let present = new Uint8Array(vertices);
  for (let v = 0; v < vertices; v++) if (start[v + 1]! > start[v]!) (rank[v] = 1), (present[v] = 1);
  for (let it = 0; it < iterations; it++) {
    const sums = new Float64Array(vertices);
    const reached = new Uint8Array(vertices);
    for (let v = 0; v < vertices; v++) {
      const deg = start[v + 1]! - start[v]!;
      if (!present[v] || deg === 0) continue;
      const c = rank[v]! / deg;
      for (let e = start[v]!; e < start[v + 1]!; e++) {
        sums[adj[e]!] += c;
        reached[adj[e]!] = 1;
      }
    }
    rank = new Float64Array(vertices);
    for (let v = 0; v < vertices; v++) if (reached[v]) rank[v] = 0.15 + 0.85 * sums[v]!;
    present = reached;
  }
  const out: [number, number][] = [];
  for (let v = 0; v < vertices; v++) if (present[v]) out.push([v, rank[v]!]);
  return out;
}

/** Lines "y,x1,…,xd" (y = ±1); gradient descent on the logistic loss from w = 0, w -= rate × mean gradient. Result: the final weights. */
function logreg(file: string, iterations: number, d: number, rate: number): number[] {
  const ys = new Doubles();
  const xs = new Doubles();
  eachLine(file, (l) => {
    const f = l.split(",");
    ys.push(Number(f[0]));
    for (let j = 1; j <= d; j++) xs.push(Number(f[j]));
  });
  const n = ys.n;
  const x = xs.a;
  const y = ys.a;
  const w: number[] = new Array(d).fill(0);
  for (let it = 0; it < iterations; it++) {
    const g = new Float64Array(d);
    for (let p = 0; p < n; p++) {
      let dot = 0;
      for (let j = 0; j < d; j++) dot += w[j]! * x[p * d + j]!;
      const s = (1 / (1 + Math.exp(-y[p]! * dot)) - 1) * y[p]!;
      for (let j = 0; j < d; j++) g[j] += s * x[p * d + j]!;
    }
    for (let j = 0; j < d; j++) w[j] -= (rate * g[j]!) / n;
  }
  return w;
}

const [mode, file, iterations, ...rest] = process.argv.slice(2);
const started = performance.now();
const result =
  mode === "kmeans"
    ? kmeans(file!, Number(iterations), JSON.parse(rest[0]!) as [number, number][])
    : mode === "pagerank"
      ? pagerank(file!, Number(iterations), Number(rest[0]))
      : mode === "logreg"
        ? logreg(file!, Number(iterations), Number(rest[0]), Number(rest[1]))
        : (() => {
            throw new Error(`unknown mode ${mode}`);
          })();
const ms = performance.now() - started;
process.stdout.write(JSON.stringify({ result, ms, maxRssKiB: process.resourceUsage().maxRSS }));
