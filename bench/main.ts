// `npm run bench [name] [--flag value …]`: runs the named benchmark (all of
// them without a name) and prints its table. Inputs are generated once into
// MINISPARK_BENCH_DIR (default <tmp>/minispark-bench) and reused.
import os from "node:os";
import { join } from "node:path";
import { joinBench } from "./join.js";
import { memoryBench } from "./memory.js";
import { wordcountBench } from "./wordcount.js";
import { storageBench } from "./storage.js";
import { latencyBench, schedulerBench } from "./latency.js";
import { recordsBench } from "./records.js";
import { scalingBench } from "./scaling.js";
import { sortBench } from "./sort.js";
import { kmeansBench } from "./kmeans.js";
import { logregBench } from "./logreg.js";
import { pagerankBench } from "./pagerank.js";
import type { BenchOptions } from "./report.js";

const BENCHES: Record<string, { about: string; run: (opts: BenchOptions) => Promise<void> }> = {
  wordcount: {
    about: "word count, user functions and built-ins, against hand-written 1- and 2-thread Node programs (--size 1gb --runs 3)",
    run: wordcountBench,
  },
  storage: {
    about: "word count read from local disk and from S3 (radosgw on loopback), plain and gzip, built-ins and user functions (--size 1gb --runs 3)",
    run: storageBench,
  },
  "records-1m": {
    about: "1,000,000 CSV records through map → filter → reduceByKey: records per second (--records 1000000 --runs 3)",
    run: recordsBench,
  },
  latency: {
    about: "200 trivial jobs (parallelize 1,000 numbers + count) on a warm cluster: p50/p99 end to end (--jobs 200)",
    run: latencyBench,
  },
  scheduler: {
    about: "one job of 20,000 no-op tasks: tasks per second (--tasks 20000)",
    run: schedulerBench,
  },
  join: {
    about: "sales × catalogue → revenue per category, ranked, against a hand-written hash join (--rows 5000000 --products 100000 --runs 3)",
    run: joinBench,
  },
  sort: {
    about: "100-byte records sorted by a 10-byte key with sortBy → save, against LC_ALL=C sort with the same memory (--size 1gb --memory 1gb --runs 3)",
    run: sortBench,
  },
  scaling: {
    about: "word count at 256 MiB and 1 GiB on 2 workers, and at 1 GiB on 1 worker: how wall time grows (--sizes 256mb,1gb --runs 3)",
    run: scalingBench,
  },
  memory: {
    about: "word count and sort over 1×, 4×, 10× of --memory: peak RSS, spill bytes, time (--memory 128mb --sizes 1,4,10 --jobs wordcount,sort)",
    run: memoryBench,
  },
  kmeans: {
    about: "k-means, k = 8, 10 iterations over 10,000,000 2-D points, cached and uncached, against a plain Node program (--scale 1 --iterations 10 --memory 2gb --combine partitions|records)",
    run: kmeansBench,
  },
  logreg: {
    about: "logistic regression, 10 iterations of gradient descent over 5,000,000 points × 4 features, cached and uncached, against a plain Node program (--scale 1 --iterations 10 --memory 2gb)",
    run: logregBench,
  },
  pagerank: {
    about:
      "PageRank, 10 iterations over a generated 5,000,000-edge graph (join, flatMap, reduceByKey), links cached and uncached, against a plain Node program (--scale 1 --iterations 10 --memory 2gb --ranks parallelize|broadcast)",
    run: pagerankBench,
  },
};

function parseArgs(argv: string[]): { names: string[]; flags: Record<string, string> } {
  const names: string[] = [];
  const flags: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith("--")) {
      const value = argv[++i];
      if (value === undefined) throw new Error(`${a} needs a value`);
      flags[a.slice(2)] = value;
    } else names.push(a);
  }
  return { names, flags };
}

async function main(): Promise<void> {
  const { names, flags } = parseArgs(process.argv.slice(2));
  if (names.includes("help")) {
    for (const [name, b] of Object.entries(BENCHES)) console.log(`${name.padEnd(10)} ${b.about}`);
    return;
  }
  const unknown = names.filter((n) => !BENCHES[n]);
  if (unknown.length) throw new Error(`unknown benchmark ${unknown.join(", ")}; choose from ${Object.keys(BENCHES).join(", ")}`);
  const dataDir = process.env.MINISPARK_BENCH_DIR ?? join(os.tmpdir(), "minispark-bench");
  for (const name of names.length ? names : Object.keys(BENCHES)) await BENCHES[name]!.run({ dataDir, flags });
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
