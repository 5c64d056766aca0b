// The PageRank benchmark (issue 17): Spark's PageRank example, 10 iterations
// over a generated graph of 5,000,000 edges ("src dst" lines in 8 files):
// out-degrees log-uniform over 1–127 (a few hubs, many small pages: ~190,000
// vertices), destinations skewed toward low ids (v = ⌊V·u²⌋, so in-degrees
// are power-law-ish too). Through the library: `links =
// edges.groupByKey()` — cached, or not — `ranks = links.mapValues(() => 1)`,
// and per iteration `links.join(ranks).flatMap(contributions)
// .reduceByKey(add).mapValues(r => 0.15 + 0.85 · r)`, collected.
//
// How ranks travel between iterations: each iteration's job collects them to
// the driver, and the next one starts from `sc.parallelize(ranks)`. So every
// iteration is one job of the same shape in both variants: the cached one
// reads `links` from its blocks and skips the groupByKey shuffle below it
// (SKIPPED stages); the uncached one reads the groupByKey's shuffle output the
// first job kept (its map stage is SKIPPED too, as Spark skips a stage whose
// shuffle files exist) and groups it again. Keeping the lineage instead
// (ranks_i = f(links, ranks_{i-1})) would make iteration i's job hold i joins,
// of which only the last would run (the others' shuffles are reused). The cost of collecting: the ranks' JSON
// (~5 MB here) goes to the driver and back in the next JobSpec (a JobSpec may
// hold 2,000,000 JSON values, so this way carries up to ~650,000 ranks; a
// bigger graph would broadcast them). `--ranks broadcast` does that: the
// collected ranks go out as `sc.broadcast(ranks)` and the next iteration's
// ranks dataset is each of 8 partitions' share of the broadcast (by vertex
// mod 8), which keeps the JobSpec small. The JSON of a double reads back as
// the same double, so carrying them through the driver loses nothing.
//
// The result is compared within a tolerance: each rank is a floating-point
// sum of its in-neighbours' contributions, which the shuffle adds in another
// order than the reference's. A regrouped sum of k terms differs by at most
// about k·ε of the sum (ε = 2.2e-16, k ≤ ~15,000 in-links for the biggest hub),
// and the damping (0.85) keeps such differences from growing over the
// iterations, so the benchmark allows 1e-9 relative per rank (|a − b| ≤ 1e-9 ·
// max(1, |b|)), and requires exactly the same vertices to have ranks; a lost
// or doubled contribution shows at 1e-3 or more. It reports the largest
// difference seen.
import { join } from "node:path";
import { mulberry32 } from "../src/common/random.js";
import type { Broadcast } from "../src/client/broadcast.js";
import type { Context } from "../src/client/context.js";
import type { Dataset } from "../src/client/dataset.js";
import { generatedFile } from "./inputs.js";
import { reference, report, runVariant, settings } from "./iterative.js";
import type { BenchOptions } from "./report.js";

const FILES = 8;
const PARTITIONS = 8;
const TOLERANCE = 1e-9;

type Rank = [vertex: number, rank: number];

/** Out-degree of every vertex, log-uniform over 1–127, until they add up to `edges` (the last one cut short). */
function degrees(edges: number): Int32Array {
  const rand = mulberry32(3000);
  const out: number[] = [];
  for (let total = 0; total < edges; ) {
    const d = Math.min(Math.floor(2 ** (rand() * 7)), edges - total);
    out.push(d);
    total += d;
  }
  return Int32Array.from(out);
}

/** The edges of vertices [from, to), each vertex's in a row. */
function* edgeLines(deg: Int32Array, from: number, to: number, seed: number): Generator<string> {
  const rand = mulberry32(seed);
  const vertices = deg.length;
  let chunk = "";
  for (let v = from; v < to; v++) {
    for (let e = 0; e < deg[v]!; e++) {
      const u = rand();
      chunk += `${v} ${Math.floor(vertices * u * u)}\n`;
    }
    if (chunk.length >= 1 << 20) {
      yield chunk;
      chunk = "";
    }
  }
  yield chunk;
}

interface State {
  sc: Context;
  links: Dataset<[number, number[]]>;
  ranks: Rank[] | null;
}

export async function pagerankBench(opts: BenchOptions): Promise<void> {
  const set = settings(opts);
  const edges = Math.round(5_000_000 * set.scale);
  const deg = degrees(edges);
  const vertices = deg.length;
  const dir = `pagerank-${edges}`;
  console.error(`pagerank: generating ${edges} edges over ${vertices} vertices (once)…`);
  const files: string[] = [];
  for (let f = 0; f < FILES; f++) {
    const from = Math.floor((vertices * f) / FILES);
    const to = Math.floor((vertices * (f + 1)) / FILES);
    files.push(generatedFile(join(opts.dataDir, dir), `edges-${f}.txt`, () => edgeLines(deg, from, to, 3001 + f)));
  }
  console.error("pagerank: plain Node reference…");
  const plain = await reference<Rank[]>(["pagerank", files.join(","), String(set.iterations), String(vertices)]);
  const setup = (sc: Context, cached: boolean): State => {
    const links = sc
      .textFile(`${dir}/*.txt`)
      .map((l): [number, number] => {
        const i = l.indexOf(" ");
        return [Number(l.slice(0, i)), Number(l.slice(i + 1))];
      })
      .groupByKey(PARTITIONS);
    return { sc, links: cached ? links.cache() : links, ranks: null };
  };
  const carry = opts.flags.ranks ?? "parallelize";
  if (carry !== "parallelize" && carry !== "broadcast") throw new Error(`--ranks must be "parallelize" or "broadcast", got ${carry}`);
  const step = async (s: State): Promise<void> => {
    let bc: Broadcast<Rank[]> | null = null;
    let ranks: Dataset<[number, number]>;
    if (s.ranks === null) ranks = s.links.mapValues(() => 1);
    else if (carry === "parallelize") ranks = s.sc.parallelize(s.ranks, PARTITIONS);
    else {
      bc = await s.sc.broadcast(s.ranks);
      ranks = s.sc.range(0, PARTITIONS, 1, PARTITIONS).flatMap((i, env: { r: Broadcast<Rank[]>; n: number }) => env.r.value.filter((r) => r[0] % env.n === i), { env: { r: bc, n: PARTITIONS } });
    }
    s.ranks = await s.links
      .join(ranks, PARTITIONS)
      .flatMap(([, [dsts, rank]]) => dsts.map((d): [number, number] => [d, rank / dsts.length]))
      .reduceByKey((a, b) => a + b, PARTITIONS)
      .mapValues((r) => 0.15 + 0.85 * r)
      .collect();
    await bc?.destroy();
  };
  const expected = new Map(plain.result);
  const runs = [];
  let worst = 0;
  for (const variant of ["cached", "uncached"] as const) {
    const r = await runVariant("pagerank", variant, opts, set, setup, step, (s) => s.ranks!);
    if (r.result.length !== expected.size) throw new Error(`pagerank (${variant}): ${r.result.length} vertices have a rank, in the plain Node reference ${expected.size}`);
    for (const [v, rank] of r.result) {
      const want = expected.get(v);
      const diff = want === undefined ? Infinity : Math.abs(rank - want) / Math.max(1, Math.abs(want));
      worst = Math.max(worst, diff);
      if (!(diff <= TOLERANCE)) throw new Error(`pagerank (${variant}): vertex ${v} ranks ${rank}, in the plain Node reference ${want} (tolerance ${TOLERANCE} relative)`);
    }
    runs.push(r);
  }
  const top = [...plain.result].sort((a, b) => b[1] - a[1]).slice(0, 5);
  report(
    "pagerank",
    { edges, vertices, ranks: carry, ranked: expected.size, top, tolerance: TOLERANCE, largestDifference: worst },
    set,
    runs,
    plain,
    `within ${TOLERANCE} relative of the plain Node reference's ${expected.size} ranks (largest difference ${worst.toExponential(1)})`,
  );
}
