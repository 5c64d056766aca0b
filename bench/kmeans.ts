// The k-means benchmark (issue 17): 10 iterations of Lloyd's algorithm, k = 8,
// over 10,000,000 generated 2-D points (8 Gaussian blobs, integer coordinates,
// one "x,y" line each, in 8 files), through the library: `points =
// sc.textFile(…).map(parse)` — cached, or not — and per iteration each point
// assigned to its nearest centre (the centres in env), reduceByKey summing
// [Σx, Σy, points] per centre, collect, new centres = the sums' means on the
// driver. `--combine partitions` (the default) folds each partition's points
// into at most k sums before the shuffle, as MLlib's KMeans does
// (mapPartitions); `--combine records` maps every point to a [centre,
// [x, y, 1]] record and leaves the folding to reduceByKey's map-side combine,
// which costs two allocations and a hash-table update per point each iteration
// and shows the engine's per-record cost rather than what caching saves.
//
// The result is exact, not within a tolerance: the coordinates are integers
// below 2^21 and there are at most 10^8 points, so every partial sum is an
// integer below 2^53 and exact in any order; the means are then the same
// divisions as the reference's, the distances the same expressions of the same
// numbers, the assignments (ties to the lowest index) the same — so the final
// centres must equal the plain Node program's bit for bit.
import { join } from "node:path";
import { mulberry32 } from "../src/common/random.js";
import type { Context } from "../src/client/context.js";
import type { Dataset } from "../src/client/dataset.js";
import { generatedFile } from "./inputs.js";
import { reference, report, runVariant, settings } from "./iterative.js";
import type { BenchOptions } from "./report.js";

const FILES = 8;
const K = 8;
const BLOBS = 8;
/** Blob centres in [0, SPAN)², points within about 4 spreads of them: |coordinate| < 2^21. */
const SPAN = 1_000_000;
const SPREAD = 40_000;

type Point = [number, number];

/** Box–Muller from the seeded generator. */
function gaussian(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

function* pointLines(count: number, seed: number): Generator<string> {
  const rand = mulberry32(seed);
  const blobs = Array.from({ length: BLOBS }, () => [rand() * SPAN, rand() * SPAN] as const);
  let chunk = "";
  for (let i = 0; i < count; i++) {
    const [cx, cy] = blobs[Math.floor(rand() * BLOBS)]!;
    chunk += `${Math.round(cx + SPREAD * gaussian(rand))},${Math.round(cy + SPREAD * gaussian(rand))}\n`;
    if (chunk.length >= 1 << 20) {
      yield chunk;
      chunk = "";
    }
  }
  yield chunk;
}

/** The initial centres: K random points of the box (the reference starts from the same). */
function initialCentres(): Point[] {
  const rand = mulberry32(7);
  return Array.from({ length: K }, () => [Math.round(rand() * SPAN), Math.round(rand() * SPAN)]);
}

/** A cluster's [Σx, Σy, points]. */
type Sums = [number, number, number];

/** Each point paired with its nearest centre (ties to the lowest index): [centre, [x, y, 1]]. */
function assignRecords(points: Dataset<Point>, centres: Point[]): Dataset<[number, Sums]> {
  return points.map(
    (p, env: { c: Point[] }): [number, Sums] => {
      let best = 0;
      let bestD = Infinity;
      for (let c = 0; c < env.c.length; c++) {
        const dx = p[0] - env.c[c]![0];
        const dy = p[1] - env.c[c]![1];
        const d = dx * dx + dy * dy;
        if (d < bestD) {
          bestD = d;
          best = c;
        }
      }
      return [best, [p[0], p[1], 1]];
    },
    { env: { c: centres } },
  );
}

/** The same assignment folded per partition, as MLlib's KMeans does: at most k [centre, sums] pairs per partition instead of one per point. */
function assignPartitions(points: Dataset<Point>, centres: Point[]): Dataset<[number, Sums]> {
  return points.mapPartitions(
    (part, env: { c: Point[] }) => {
      const k = env.c.length;
      const sums = env.c.map((): Sums => [0, 0, 0]);
      for (const p of part) {
        let best = 0;
        let bestD = Infinity;
        for (let c = 0; c < k; c++) {
          const dx = p[0] - env.c[c]![0];
          const dy = p[1] - env.c[c]![1];
          const d = dx * dx + dy * dy;
          if (d < bestD) {
            bestD = d;
            best = c;
          }
        }
        const t = sums[best]!;
        t[0] += p[0];
        t[1] += p[1];
        t[2]++;
      }
      const out: [number, Sums][] = [];
      for (let c = 0; c < k; c++) if (sums[c]![2] > 0) out.push([c, sums[c]!]);
      return out;
    },
    { env: { c: centres } },
  );
}

interface State {
  points: Dataset<Point>;
  centres: Point[];
}

export async function kmeansBench(opts: BenchOptions): Promise<void> {
  const set = settings(opts);
  const count = Math.round(10_000_000 * set.scale);
  const dir = `kmeans-${count}`;
  console.error(`kmeans: generating ${count} points (once)…`);
  const files: string[] = [];
  for (let f = 0; f < FILES; f++) {
    const n = Math.floor(count / FILES) + (f < count % FILES ? 1 : 0);
    files.push(generatedFile(join(opts.dataDir, dir), `points-${f}.csv`, () => pointLines(n, 1000 + f)));
  }
  const initial = initialCentres();
  console.error("kmeans: plain Node reference…");
  const plain = await reference<Point[]>(["kmeans", files.join(","), String(set.iterations), JSON.stringify(initial)]);
  const setup = (sc: Context, cached: boolean): State => {
    const points = sc.textFile(`${dir}/*.csv`).map((l): Point => {
      const i = l.indexOf(",");
      return [Number(l.slice(0, i)), Number(l.slice(i + 1))];
    });
    return { points: cached ? points.cache() : points, centres: initial };
  };
  const combine = opts.flags.combine ?? "partitions";
  if (combine !== "partitions" && combine !== "records") throw new Error(`--combine must be "partitions" or "records", got ${combine}`);
  const step = async (s: State): Promise<void> => {
    const sums = await (combine === "records" ? assignRecords : assignPartitions)(s.points, s.centres)
      .reduceByKey((a, b): Sums => [a[0] + b[0], a[1] + b[1], a[2] + b[2]])
      .collect();
    const by = new Map(sums);
    s.centres = s.centres.map((c, i) => {
      const t = by.get(i);
      return t ? [t[0] / t[2], t[1] / t[2]] : c;
    });
  };
  const runs = [];
  for (const variant of ["cached", "uncached"] as const) {
    const r = await runVariant("kmeans", variant, opts, set, setup, step, (s) => s.centres);
    const i = plain.result.findIndex((c, j) => c[0] !== r.result[j]![0] || c[1] !== r.result[j]![1]);
    if (i >= 0) throw new Error(`kmeans (${variant}): centre ${i} is ${JSON.stringify(r.result[i])}, the plain Node reference's ${JSON.stringify(plain.result[i])}`);
    runs.push(r);
  }
  report("kmeans", { points: count, k: K, combine, centres: plain.result }, set, runs, plain, `equal to the plain Node reference's bit for bit (${K} centres; integer sums are exact in any order)`);
}
