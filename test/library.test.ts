// The TypeScript library (src/client/dataset.ts, context.ts, job-builder.ts):
// the exact JobSpec each op emits, its types (this file compiles only if pair
// ops are refused on non-pairs and results have the DESIGN 3.1 shapes), and
// pipelines run for real — in-process through runInline, and on a local
// cluster of real processes through connect("local[2]") — plus
// `minispark submit job.ts`.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import zlib from "node:zlib";
import { runInline } from "../src/inline/inline-runner.js";
import { connect, Context, type Dataset, JobFailedError, type CsvValue, type JobRunner, type ParquetValue, type JobSpec, type SaveResult } from "../src/index.js";

// ---- helpers --------------------------------------------------------------

type Equal<A, B> = (<G>() => G extends A ? 1 : 2) extends <G>() => G extends B ? 1 : 2 ? true : false;
/** Compiles only when `value`'s type is exactly `T`. */
function expectType<T>() {
  return <V>(_value: V, ..._proof: Equal<V, T> extends true ? [] : [never]) => undefined;
}

/** A Context whose jobs are recorded instead of run; each action resolves to `value`. */
function recording(value: unknown = null): { sc: Context; specs: JobSpec[] } {
  const specs: JobSpec[] = [];
  const runner: JobRunner = {
    run: async (spec) => {
      specs.push(spec);
      return value;
    },
    close: async () => {},
  };
  return { sc: new Context(runner), specs };
}

const byJson = <T>(xs: T[]): T[] => [...xs].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));

// ---- the JobSpec ------------------------------------------------------------

describe("the JobSpec a pipeline builds", () => {
  it("is DESIGN's word count, node for node", async () => {
    const { sc, specs } = recording({ path: "wordcount", files: [], records: 0 });
    const counts = sc
      .textFile("inputs/*.txt", { minPartitions: 4 })
      .flatMap((line) => line.split(/\s+/).filter((w) => w))
      .map((w) => [w, 1] as [string, number])
      .reduceByKey((a, b) => a + b, 4);
    await counts.save("wordcount", { format: "text" });
    assert.deepEqual(specs[0], {
      name: "minispark: save",
      nodes: [
        { id: "textFile", op: "textFile", path: "inputs/*.txt", minPartitions: 4 },
        { id: "flatMap", op: "flatMap", input: "textFile", fn: "(line) => line.split(/\\s+/).filter((w) => w)" },
        { id: "map", op: "map", input: "flatMap", fn: "(w) => [w, 1]" },
        { id: "reduceByKey", op: "reduceByKey", input: "map", fn: "(a, b) => a + b", numPartitions: 4 },
      ],
      action: { op: "save", input: "reduceByKey", path: "wordcount", format: "text" },
    });
  });

  it("emits a dataset read twice once, names nodes, and carries env", async () => {
    const { sc, specs } = recording(0);
    const orders = sc.csv<{ country: string; amount: number }>("shop/orders.csv", { header: true, inferSchema: true }).setName("orders");
    const byCountry = orders.map((o) => [o.country, o.amount]);
    const big = byCountry.filter(([, amount], env) => amount > env.min, { env: { min: 10 } });
    await byCountry
      .join(big, 2)
      .map((x) => x)
      .count();
    assert.deepEqual(specs[0], {
      name: "minispark: count",
      nodes: [
        { id: "orders", op: "csv", path: "shop/orders.csv", header: true, inferSchema: true },
        { id: "map", op: "map", input: "orders", fn: "(o) => [o.country, o.amount]" },
        { id: "filter", op: "filter", input: "map", fn: "([, amount], env) => amount > env.min", env: { min: 10 } },
        { id: "join", op: "join", inputs: ["map", "filter"], numPartitions: 2 },
        { id: "map-2", op: "map", input: "join", fn: "(x) => x" },
      ],
      action: { op: "count", input: "map-2" },
    });
  });

  it("parquet(): the JobSpec's parquet source, with its columns", async () => {
    const { sc, specs } = recording(0);
    await sc.parquet<{ id: number; name: string }>("sales/*.parquet", { columns: ["id", "name"], maxPartitionBytes: 1 << 20 }).count();
    assert.deepEqual(specs[0]!.nodes, [{ id: "parquet", op: "parquet", path: "sales/*.parquet", columns: ["id", "name"], maxPartitionBytes: 1 << 20 }]);
  });

  it("uses Spark's parameter names for multi-function and sampling ops", async () => {
    const { sc, specs } = recording();
    const pairs = sc.parallelize(
      [
        ["a", 1],
        ["b", 2],
      ],
      2,
    );
    const agg = pairs.aggregateByKey(
      0,
      (acc, v) => acc + v,
      (x, y) => x + y,
      3,
    );
    const comb = pairs.combineByKey(
      (v) => [v],
      (c, v) => [...c, v],
      (a, b) => [...a, ...b],
    );
    const folded = pairs.foldByKey(0, (a, b) => a + b);
    await agg.groupWith(comb, folded).sample(false, 0.5, 7).collect();
    assert.deepEqual(specs[0]!.nodes, [
      {
        id: "parallelize",
        op: "parallelize",
        data: [
          ["a", 1],
          ["b", 2],
        ],
        numSlices: 2,
      },
      { id: "aggregateByKey", op: "aggregateByKey", input: "parallelize", zeroValue: 0, seqFunc: "(acc, v) => acc + v", combFunc: "(x, y) => x + y", numPartitions: 3 },
      { id: "combineByKey", op: "combineByKey", input: "parallelize", createCombiner: "(v) => [v]", mergeValue: "(c, v) => [...c, v]", mergeCombiners: "(a, b) => [...a, ...b]" },
      { id: "foldByKey", op: "foldByKey", input: "parallelize", zeroValue: 0, fn: "(a, b) => a + b" },
      { id: "cogroup", op: "cogroup", inputs: ["aggregateByKey", "combineByKey", "foldByKey"] },
      { id: "sample", op: "sample", input: "cogroup", withReplacement: false, fraction: 0.5, seed: 7 },
    ]);
  });

  it("emits every other op with DESIGN's names", async () => {
    const { sc, specs } = recording();
    const nums = sc.range(0, 100, 3, 4);
    const pairs = nums.keyBy((x) => x % 7);
    const ops: Dataset<unknown>[] = [
      // biome-ignore format: the function's source text, as written here, is what the test checks
      nums.mapPartitions(function* (xs) { yield* xs; }),
      nums.mapPartitionsWithIndex((i, xs) => [i, ...xs]),
      nums.glom(),
      nums.coalesce(2),
      nums.repartition(8),
      nums.zipWithIndex(),
      nums.distinct(),
      nums.groupBy((x) => x % 2),
      nums.sortBy((x) => -x, false, 2),
      nums.intersection(nums),
      nums.subtract(nums, 3),
      nums.cartesian(nums),
      nums.union(nums, nums),
      pairs.flatMapValues((v) => [v, v]),
      pairs.keys(),
      pairs.values(),
      pairs.groupByKey(2),
      pairs.sortByKey(false, 2, (k) => -k),
      pairs.partitionBy(4),
      pairs.leftOuterJoin(pairs),
      pairs.rightOuterJoin(pairs),
      pairs.fullOuterJoin(pairs),
      pairs.cogroup(pairs),
      pairs.subtractByKey(pairs),
      pairs.mapValues((v) => v),
    ];
    for (const ds of ops) await ds.count();
    const last = specs.map((s) => {
      const { id: _, input: __, inputs: ___, ...rest } = s.nodes.at(-1)!;
      return rest;
    });
    assert.deepEqual(last, [
      { op: "mapPartitions", fn: "function* (xs) { yield* xs; }" },
      { op: "mapPartitionsWithIndex", fn: "(i, xs) => [i, ...xs]" },
      { op: "glom" },
      { op: "coalesce", numPartitions: 2 },
      { op: "repartition", numPartitions: 8 },
      { op: "zipWithIndex" },
      { op: "distinct" },
      { op: "groupBy", fn: "(x) => x % 2" },
      { op: "sortBy", fn: "(x) => -x", ascending: false, numPartitions: 2 },
      { op: "intersection" },
      { op: "subtract", numPartitions: 3 },
      { op: "cartesian" },
      { op: "union" },
      { op: "flatMapValues", fn: "(v) => [v, v]" },
      { op: "keys" },
      { op: "values" },
      { op: "groupByKey", numPartitions: 2 },
      { op: "sortByKey", ascending: false, numPartitions: 2, fn: "(k) => -k" },
      { op: "partitionBy", numPartitions: 4 },
      { op: "leftOuterJoin" },
      { op: "rightOuterJoin" },
      { op: "fullOuterJoin" },
      { op: "cogroup" },
      { op: "subtractByKey" },
      { op: "mapValues", fn: "(v) => v" },
    ]);
    assert.deepEqual(specs[0]!.nodes[0], { id: "range", op: "range", start: 0, end: 100, step: 3, numSlices: 4 });
    assert.deepEqual(specs.at(-6)!.nodes.at(-1)!.inputs, ["keyBy", "keyBy"]);
    assert.deepEqual(specs[12]!.nodes.at(-1)!.inputs, ["range", "range", "range"]);
  });

  it("puts each action's parameters on the action", async () => {
    const { sc, specs } = recording();
    const nums = sc.parallelize([3, 1, 2]);
    const pairs = nums.map((x) => [String(x), x]);
    await nums.take(2);
    await nums.takeOrdered(2, (x, env) => x * env.sign, { env: { sign: -1 } });
    await nums.top(1);
    await nums.reduce((a, b) => a + b);
    await nums.fold(0, (a, b) => a + b);
    await nums.aggregate(
      [0, 0],
      ([s, n], x) => [s + x, n + 1],
      ([s1, n1], [s2, n2]) => [s1 + s2, n1 + n2],
    );
    await nums.max((x) => -x);
    await nums.histogram([0, 2, 4]);
    await pairs.lookup("3");
    await nums.save("out", { format: "csv", mode: "overwrite", header: true });
    await nums.saveAsTextFile("txt");
    await nums.save("gz", { compression: "gzip" });
    for (const action of [
      nums.collect(),
      nums.count(),
      nums.first(),
      nums.sum(),
      nums.min(),
      nums.mean(),
      nums.stats(),
      nums.countByValue(),
      nums.isEmpty(),
      nums.getNumPartitions(),
      pairs.countByKey(),
      pairs.collectAsMap(),
    ])
      await action;
    assert.deepEqual(
      specs.map((s) => {
        const { input: _, ...rest } = s.action;
        return rest;
      }),
      [
        { op: "take", num: 2 },
        { op: "takeOrdered", num: 2, fn: "(x, env) => x * env.sign", env: { sign: -1 } },
        { op: "top", num: 1 },
        { op: "reduce", fn: "(a, b) => a + b" },
        { op: "fold", zeroValue: 0, fn: "(a, b) => a + b" },
        { op: "aggregate", zeroValue: [0, 0], seqOp: "([s, n], x) => [s + x, n + 1]", combOp: "([s1, n1], [s2, n2]) => [s1 + s2, n1 + n2]" },
        { op: "max", fn: "(x) => -x" },
        { op: "histogram", buckets: [0, 2, 4] },
        { op: "lookup", key: "3" },
        { op: "save", path: "out", format: "csv", mode: "overwrite", header: true },
        { op: "save", path: "txt", format: "text" },
        { op: "save", path: "gz", compression: "gzip" },
        ...["collect", "count", "first", "sum", "min", "mean", "stats", "countByValue", "isEmpty", "getNumPartitions", "countByKey", "collectAsMap"].map((op) => ({ op })),
      ],
    );
  });

  it("refuses closures, non-JSON values and mixed contexts when the dataset is built", async () => {
    const { sc, specs } = recording();
    const limit = 3;
    const nums = sc.range(10);
    assert.throws(() => nums.filter((x) => x < limit), { name: "ClosureError", message: /filter uses "limit".*\{ env: \{ limit \} \}/ });
    await assert.rejects(
      nums.reduce((a, b) => a + b + limit),
      { name: "ClosureError" },
    );
    assert.throws(() => nums.map((x) => x, { env: { f: () => 1 } as never }), /the env of map must be JSON data: a function at \.f/);
    assert.throws(() => sc.parallelize([new Date(0)]), /the data of parallelize must be JSON data: a Date at \[0\]/);
    assert.throws(() => nums.union(recording().sc.range(3)), /different contexts/);
    assert.equal(specs.length, 0);
  });

  it("types results as DESIGN 3.1 says and refuses pair ops on non-pairs", () => {
    const { sc } = recording();
    const words = sc.textFile("t.txt");
    const pairs = sc.parallelize([
      ["a", 1],
      ["b", 2],
    ]);
    const other = words.map((w) => [w, w.length > 3]);
    expectType<Dataset<[string, number]>>()(pairs);
    expectType<Dataset<[string, [number, boolean]]>>()(pairs.join(other));
    expectType<Dataset<[string, [number, boolean | null]]>>()(pairs.leftOuterJoin(other));
    expectType<Dataset<[string, [number | null, boolean]]>>()(pairs.rightOuterJoin(other));
    expectType<Dataset<[string, [number | null, boolean | null]]>>()(pairs.fullOuterJoin(other));
    expectType<Dataset<[string, number[]]>>()(pairs.groupByKey());
    expectType<Dataset<[string, [number[], boolean[]]]>>()(pairs.cogroup(other));
    expectType<Dataset<[string, [number[], boolean[], string[]]]>>()(
      pairs.groupWith(
        other,
        words.keyBy((w) => w),
      ),
    );
    expectType<Dataset<[number, string[]]>>()(words.groupBy((w) => w.length));
    expectType<Dataset<[string, number]>>()(words.zipWithIndex());
    expectType<Dataset<string>>()(pairs.keys());
    expectType<Promise<[string, number][]>>()(pairs.countByKey());
    expectType<Promise<[string, number][]>>()(words.countByValue());
    expectType<Promise<number[]>>()(pairs.lookup("a"));
    expectType<Promise<SaveResult>>()(words.save("out"));
    expectType<Dataset<Record<string, string | number | boolean | null>>>()(sc.csv("x.csv", { header: true }));
    expectType<Dataset<(string | number | boolean | null)[]>>()(sc.csv("x.csv"));
    expectType<Dataset<Record<string, ParquetValue>>>()(sc.parquet("x.parquet"));
    const header = Math.random() > 2;
    expectType<Dataset<Record<string, CsvValue> | CsvValue[]>>()(sc.csv("x.csv", { header }));
    expectType<Dataset<number>>()(
      sc
        .range(3)
        .filter((x): x is 1 | 2 => x > 0)
        .map((x) => x * 2),
    );

    // @ts-expect-error reduceByKey needs [K, V] records
    words.reduceByKey((a, b) => a + b);
    // @ts-expect-error groupByKey needs [K, V] records
    sc.range(3).groupByKey();
    // @ts-expect-error join needs pairs on both sides
    words.join(pairs);
    // @ts-expect-error the keys of a join must have the same type
    pairs.join(sc.parallelize([[1, "x"]]));
    // @ts-expect-error sum needs numbers
    void words.sum();
    // @ts-expect-error env.k is not given
    words.map((w, env) => w + env.k);
    // @ts-expect-error env values must have the types the function reads
    words.filter((w, env) => w.length > env.k.length, { env: { k: 3 } });
    assert.ok(true);
  });
});

// ---- running pipelines ----------------------------------------------------------

const TEXT = ["the quick brown fox", "jumps over the lazy dog", "the dog sleeps", ""].join("\n");

function pipelines(connectTo: (dataDir: string) => Promise<Context>) {
  let dataDir = "";
  let sc: Context;
  before(async () => {
    dataDir = fs.mkdtempSync(join(os.tmpdir(), "minispark-lib-"));
    fs.mkdirSync(join(dataDir, "text"));
    fs.writeFileSync(join(dataDir, "text", "a.txt"), TEXT);
    fs.writeFileSync(join(dataDir, "text", "b.txt"), "fox and dog\n");
    sc = await connectTo(dataDir);
  });
  after(async () => {
    await sc?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("counts words and orders them by count", async () => {
    const words = sc
      .textFile("text/*.txt")
      .flatMap((l) => l.split(" "))
      .filter((w) => w !== "");
    const counts = words.map((w) => [w, 1]).reduceByKey((a, b) => a + b, 3);
    assert.deepEqual(await counts.sortBy(([w, n]) => [-n, w]).take(3), [
      ["dog", 3],
      ["the", 3],
      ["fox", 2],
    ]);
    assert.equal(await words.count(), 15);
    assert.equal(await words.distinct().count(), 10);
    assert.deepEqual(byJson(await words.filter((w) => w.length === 3).countByValue()), [
      ["and", 1],
      ["dog", 3],
      ["fox", 2],
      ["the", 3],
    ]);
  });

  it("groups, joins and sorts pairs", async () => {
    const people = sc.parallelize(
      [
        ["ann", "uk"],
        ["bob", "fr"],
        ["cy", "uk"],
        ["dee", "jp"],
      ],
      2,
    );
    const capitals = sc.parallelize([
      ["uk", "london"],
      ["fr", "paris"],
    ]);
    const byCountry = people.map(([name, country]) => [country, name]);
    const grouped = byCountry.groupByKey().mapValues((names) => names.sort());
    assert.deepEqual(byJson(await grouped.collect()), [
      ["fr", ["bob"]],
      ["jp", ["dee"]],
      ["uk", ["ann", "cy"]],
    ]);
    assert.deepEqual(byJson(await byCountry.join(capitals).collect()), [
      ["fr", ["bob", "paris"]],
      ["uk", ["ann", "london"]],
      ["uk", ["cy", "london"]],
    ]);
    const left = await byCountry
      .leftOuterJoin(capitals)
      .filter(([, [, city]]) => city === null)
      .collect();
    assert.deepEqual(left, [["jp", ["dee", null]]]);
    assert.deepEqual(
      await people
        .sortByKey(false)
        .map(([n]) => n)
        .collect(),
      ["dee", "cy", "bob", "ann"],
    );
    assert.deepEqual(
      await people
        .keyBy(([n]) => n.length)
        .map(([len]) => len)
        .sortBy((x) => x)
        .collect(),
      [2, 3, 3, 3],
    );
  });

  it("passes env, runs generators per partition, and unions", async () => {
    const nums = sc.range(1, 11, 1, 3);
    const scaled = nums.map((x, env) => x * env.k, { env: { k: 10 } });
    assert.equal(await scaled.reduce((a, b) => a + b), 550);
    assert.equal(await scaled.first(), 10);
    const perPartition = nums.mapPartitions(function* (xs) {
      let n = 0;
      for (const _ of xs) n++;
      yield n;
    });
    assert.equal(await perPartition.reduce((a, b) => a + b), 10);
    assert.equal(await nums.union(sc.parallelize([100])).count(), 11);
  });

  it("saves and reports the files", async () => {
    const out = await sc.parallelize([{ a: 1 }, { a: 2 }], 2).save("objs", { format: "jsonl", mode: "overwrite" });
    assert.deepEqual(out, { path: "objs", files: ["part-00000", "part-00001"], records: 2 });
    const lines = out.files.flatMap((f) =>
      fs
        .readFileSync(join(dataDir, "outputs", "objs", f), "utf8")
        .split("\n")
        .filter((l) => l),
    );
    assert.deepEqual(
      lines.map((l) => JSON.parse(l)),
      [{ a: 1 }, { a: 2 }],
    );
  });

  it('saves gzipped part files with saveAsTextFile(path, "gzip") and reads them back with textFile', async () => {
    const out = await sc.parallelize(["a", "b", "c"], 2).saveAsTextFile("gzipped", "gzip");
    assert.deepEqual(out.files, ["part-00000.gz", "part-00001.gz"]);
    const first = zlib.gunzipSync(fs.readFileSync(join(dataDir, "outputs", "gzipped", "part-00000.gz"))).toString();
    assert.equal(first, "a\n");
    assert.deepEqual((await sc.textFile("outputs/gzipped").collect()).sort(), ["a", "b", "c"]);
  });

  it("fails the action with the function's error", async () => {
    await assert.rejects(
      sc
        .range(3)
        .map((x) => {
          if (x === 2) throw new Error("no twos");
          return x;
        })
        .collect(),
      /no twos/,
    );
  });
}

describe("pipelines run in-process (runInline)", () => {
  pipelines(async (dataDir) => new Context({ run: async (spec) => runInline(spec, { dataDir }), close: async () => {} }));
});

describe('pipelines run on connect("local[2]")', () => {
  pipelines((dataDir) => connect("local[2]", { dataDir, appName: "library-test" }));

  it("rejects with JobFailedError and refuses jobs after close", async () => {
    const dataDir = fs.mkdtempSync(join(os.tmpdir(), "minispark-lib-"));
    const sc = await connect("local[1]", { dataDir });
    try {
      await assert.rejects(sc.textFile("missing/*.txt").count(), (e) => e instanceof JobFailedError);
    } finally {
      await sc.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
    await assert.rejects(sc.range(1).count(), /the context is closed/);
  });
});

// ---- minispark submit job.ts ----------------------------------------------------

describe("minispark submit <program>", () => {
  const bin = fileURLToPath(new URL("../../bin/minispark.js", import.meta.url));
  const root = fileURLToPath(new URL("../../", import.meta.url));
  const run = (args: string[], env: Record<string, string> = {}) => promisify(execFile)(process.execPath, [bin, "submit", ...args], { cwd: root, env: { ...process.env, ...env } });

  it("runs examples/wordcount.ts on a local cluster and removes the transpiled file", async () => {
    const { stdout } = await run(["examples/wordcount.ts"], { MINISPARK_DATA_DIR: join(root, "examples", "data"), MINISPARK_MASTER: "local[2]" });
    assert.match(stdout, /^\s+13 {2}that$/m);
    assert.match(stdout, /272 words, 138 distinct/);
    assert.deepEqual(
      fs.readdirSync(join(root, "examples")).filter((f) => f.startsWith(".")),
      [],
    );
  });

  it("returns the program's exit code", async () => {
    const dir = fs.mkdtempSync(join(os.tmpdir(), "minispark-script-"));
    try {
      fs.writeFileSync(join(dir, "exit.ts"), "const code: number = 3;\nprocess.exit(code);\n");
      await assert.rejects(run([join(dir, "exit.ts")]), { code: 3 });
      assert.deepEqual(fs.readdirSync(dir), ["exit.ts"]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
