// The logistic regression benchmark (issue 17): 10 iterations of gradient
// descent on the logistic loss over 5,000,000 generated points with 4
// features ("y,x1,x2,x3,x4" lines, y = ±1 from a hidden linear rule plus
// noise, in 8 files), through the library: `points = sc.textFile(…).map(parse)`
// — cached, or not — and per iteration the gradient of the current weights
// (in env) summed per partition (mapPartitions, one vector each, as MLlib's
// treeAggregate folds a partition in place) and over partitions (reduce); the
// driver steps w -= rate × gradient / n.
//
// The result is compared within a tolerance: a sum of 5 M floating-point
// terms grouped by partition differs from the reference's sequential sum in
// its last bits (each partition's own sum is in file order, as the
// reference's, but the partials then meet in another grouping). The error of
// a regrouped sum is at most about n·ε·Σ|terms| and in practice √n·ε·Σ|terms|,
// ~1e-13 relative here, and gradient descent at this rate is contracting, so
// it does not grow over 10 iterations; the benchmark allows 1e-9 relative
// (|a − b| ≤ 1e-9 · max(1, |b|)), which a real mistake (a partition missing or
// counted twice, a stale weight) exceeds by orders of magnitude, and reports
// the largest difference seen.
import { join } from "node:path";
import { mulberry32 } from "../src/common/random.js";
import type { Context } from "../src/client/context.js";
import type { Dataset } from "../src/client/dataset.js";
import { generatedFile } from "./inputs.js";
import { reference, report, runVariant, settings } from "./iterative.js";
import type { BenchOptions } from "./report.js";

const FILES = 8;
const FEATURES = 4;
const RATE = 1;
const TOLERANCE = 1e-9;
const HIDDEN = [1.5, -2, 0.75, 0.25];

/** [y, x1, …, xd] */
type Point = number[];

function gaussian(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

function* pointLines(count: number, seed: number): Generator<string> {
  const rand = mulberry32(seed);
  let chunk = "";
  for (let i = 0; i < count; i++) {
    const x = HIDDEN.map(() => Number(gaussian(rand).toFixed(6)));
    const score = x.reduce((s, v, j) => s + v * HIDDEN[j]!, 0) + gaussian(rand);
    chunk += `${score >= 0 ? 1 : -1},${x.join(",")}\n`;
    if (chunk.length >= 1 << 20) {
      yield chunk;
      chunk = "";
    }
  }
  yield chunk;
}

interface State {
  points: Dataset<Point>;
  w: number[];
  n: number;
}

export async function logregBench(opts: BenchOptions): Promise<void> {
  const set = settings(opts);
  const count = Math.round(5_000_000 * set.scale);
  const dir = `logreg-${count}`;
  console.error(`logreg: generating ${count} points (once)…`);
  const files: string[] = [];
  for (let f = 0; f < FILES; f++) {
    const n = Math.floor(count / FILES) + (f < count % FILES ? 1 : 0);
    files.push(generatedFile(join(opts.dataDir, dir), `points-${f}.csv`, () => pointLines(n, 2000 + f)));
  }
  console.error("logreg: plain Node reference…");
  const plain = await reference<number[]>(["logreg", files.join(","), String(set.iterations), String(FEATURES), String(RATE)]);
  const setup = (sc: Context, cached: boolean): State => {
    const points = sc.textFile(`${dir}/*.csv`).map((l): Point => l.split(",").map(Number));
    return { points: cached ? points.cache() : points, w: new Array<number>(FEATURES).fill(0), n: count };
  };
  const step = async (s: State): Promise<void> => {
    const g = await s.points
      .mapPartitions(
        (points, env: { w: number[] }) => {
          const d = env.w.length;
          const grad = new Array<number>(d).fill(0);
          for (const p of points) {
            let dot = 0;
            for (let j = 0; j < d; j++) dot += env.w[j]! * p[j + 1]!;
            const y = p[0]!;
            const scale = (1 / (1 + Math.exp(-y * dot)) - 1) * y;
            for (let j = 0; j < d; j++) grad[j]! += scale * p[j + 1]!;
          }
          return [grad];
        },
        { env: { w: s.w } },
      )
      .reduce((a, b) => a.map((x, j) => x + b[j]!));
    s.w = s.w.map((wj, j) => wj - (RATE * g[j]!) / s.n);
  };
  const runs = [];
  let worst = 0;
  for (const variant of ["cached", "uncached"] as const) {
    const r = await runVariant("logreg", variant, opts, set, setup, step, (s) => s.w);
    for (let j = 0; j < FEATURES; j++) {
      const diff = Math.abs(r.result[j]! - plain.result[j]!) / Math.max(1, Math.abs(plain.result[j]!));
      worst = Math.max(worst, diff);
      if (!(diff <= TOLERANCE))
        throw new Error(`logreg (${variant}): weight ${j} is ${r.result[j]}, the plain Node reference's ${plain.result[j]} (relative difference ${diff}, tolerance ${TOLERANCE})`);
    }
    runs.push(r);
  }
  report(
    "logreg",
    { points: count, features: FEATURES, rate: RATE, weights: plain.result, tolerance: TOLERANCE, largestDifference: worst },
    set,
    runs,
    plain,
    `within ${TOLERANCE} relative of the plain Node reference's ${FEATURES} weights (largest difference ${worst.toExponential(1)})`,
  );
}
