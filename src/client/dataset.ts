// Dataset<T>: the library's lazy, typed RDD (DESIGN.md sections 3 and 5). Each
// transformation returns a new Dataset holding one more lineage node; each
// action ships the lineage as a JobSpec through the Context that made it and
// resolves to the typed value. Pair operations take `this: Dataset<[K, V]>`, so
// calling one on a dataset that is not of pairs is a compile-time error.
// Methods keep PySpark's names and positional parameters; every op that takes
// user functions also takes a last `{ env }` argument whose values reach the
// functions as their last parameter (the only way values reach the workers).
// Created by context.ts (sources) and by Dataset's own methods.
import { shipFunction } from "./closure.js";
import { shipAccumulators } from "./accumulator.js";
import { shipBroadcasts } from "./broadcast.js";
import { checkJson, type ActionRequest, type Json, type LineageNode } from "./job-builder.js";
import { checkpointFilesPath, NO_CHECKPOINT_DIRECTORY } from "./checkpoint.js";
import { STORAGE_LEVELS, isStorageLevel, type StorageLevel } from "../plan/storage-level.js";

/** The values a node's functions receive as their last argument. */
export type Env = Record<string, unknown>;
/** The env of a function that needs none. */
export type NoEnv = Record<never, never>;
/** The last argument of every op that takes functions. */
export interface EnvOption<E extends Env> {
  /** Values the functions need, passed to each as its last argument; JSON values only. */
  env?: E;
}

/** What a Dataset needs from its Context: running an action over a lineage. */
export interface ActionRunner {
  runAction<R>(input: LineageNode, action: ActionRequest): Promise<R>;
  /** The application its jobs belong to, or null (persisted datasets need one). */
  readonly applicationId: string | null;
  /** Releases a persisted dataset's blocks on the cluster. */
  unpersistDataset(datasetId: string): Promise<void>;
}

/** How {@link Dataset.save} writes its part files. */
export interface SaveOptions {
  /** One record per line as text (the default), as JSON, or as CSV rows; or Parquet files (`part-00000.parquet`), a row per record. */
  format?: "text" | "jsonl" | "csv" | "parquet";
  /** `"error"` (the default) fails the job if the output exists; `"overwrite"` replaces it once the new output is complete. */
  mode?: "error" | "overwrite";
  /** csv only: write the keys of the first record as a header line. */
  header?: boolean;
  /**
   * Lines: compress each part file, named with the codec's extension (`part-00000.gz`); `"none"` (the default) writes plain files.
   * Parquet: the pages' codec, `"snappy"` (the default), `"gzip"`, `"zstd"` or `"none"`. zstd needs Node.js 22.15 or later on the workers.
   */
  compression?: "none" | "gzip" | "deflate" | "zstd" | "bzip2" | "snappy";
  /** parquet only: the columns as Spark's DDL (`"id BIGINT, name STRING, price DOUBLE"`); without it each part's columns are inferred from its records. */
  schema?: string;
}

/** What {@link Dataset.save} wrote. */
export interface SaveResult {
  /** The output's path under the outputs directory. */
  path: string;
  /** The part files, in partition order. */
  files: string[];
  /** The number of records written. */
  records: number;
}

/** What {@link Dataset.stats} computes in one pass, as Spark's StatCounter. */
export interface StatCounter {
  /** The number of values. */
  count: number;
  /** Their arithmetic mean. */
  mean: number;
  /** Their sum. */
  sum: number;
  /** The smallest value. */
  min: number;
  /** The largest value. */
  max: number;
  /** The population variance. */
  variance: number;
  /** The population standard deviation. */
  stdev: number;
  /** The sample variance (divided by count - 1). */
  sampleVariance: number;
  /** The sample standard deviation. */
  sampleStdev: number;
}

/** A user function to ship, and how many arguments it takes before env (for error messages). */
class UserFn {
  constructor(
    readonly fn: unknown,
    readonly arity: number,
  ) {}
}
type Param = Json | UserFn | undefined;

const fn = (f: unknown, arity = 1): UserFn | undefined => (f === undefined ? undefined : new UserFn(f, arity));

/** A lazy, typed, distributed collection of records (Spark's RDD). Transformations return new Datasets and run nothing; actions ship the lineage to the cluster as a JobSpec and resolve to the typed value. Functions passed to its methods run on the workers and see no variables of the program: values they need go in the last `{ env }` argument. */
export class Dataset<T> {
  /** @internal Use the Context's sources and the Dataset's methods to make datasets. */
  constructor(
    private readonly context: ActionRunner,
    /** @internal */ readonly lineage: LineageNode,
  ) {}

  /** @internal A source: a dataset with no parents. */
  static source<T>(context: ActionRunner, op: string, params: Record<string, Param>): Dataset<T> {
    return new Dataset<T>(context, { op, parents: [], params: shipParams(op, params, null), env: null, name: null });
  }

  /** Names this dataset; the name becomes its node's id in the JobSpec (and in the job's stages). */
  setName(name: string): this {
    this.lineage.name = name;
    return this;
  }

  /** The name given by {@link Dataset.setName}, or null. */
  name(): string | null {
    return this.lineage.name;
  }

  // ---- persistence (Spark's cache/persist; the blocks live on the workers until unpersist or the application ends) ----

  /** {@link Dataset.persist} at MEMORY_ONLY. */
  cache(): this {
    return this.persist("MEMORY_ONLY");
  }

  /**
   * Marks this dataset to be kept on the workers at `level` by the first action
   * that computes it; later actions of this context read its partitions instead
   * of computing them again. Lazy, as Spark's: nothing runs now. A context
   * without an application on a master (a Context over an inline runner) has
   * nowhere to keep blocks between jobs: this throws rather than silently
   * recomputing. Persisting again at another level replaces the mark.
   */
  persist(level: StorageLevel = "MEMORY_ONLY"): this {
    if (!isStorageLevel(level)) throw new TypeError(`persist(): the storage level must be one of ${STORAGE_LEVELS.join(", ")}, got ${String(level).slice(0, 80)}`);
    if (this.context.applicationId === null) throw new Error("persist(): this context has no application on a master (connect() to a cluster), so there is nowhere to keep the dataset between jobs");
    this.lineage.persist = level;
    return this;
  }

  /** True once {@link Dataset.cache} or {@link Dataset.persist} marked it, until {@link Dataset.unpersist}. */
  get isCached(): boolean {
    return this.storageLevel !== null;
  }

  /** The level it is persisted at, or null. */
  get storageLevel(): StorageLevel | null {
    return this.lineage.persist ?? null;
  }

  /** Clears the mark, and once an action has persisted it, releases its blocks on the workers (resolves when the master has forgotten them; workers drop them with their next heartbeat). */
  async unpersist(): Promise<this> {
    const id = this.lineage.datasetId ?? null;
    this.lineage.persist = null;
    this.lineage.datasetId = null;
    if (id !== null) await this.context.unpersistDataset(id);
    return this;
  }

  // ---- checkpoints (client/checkpoint.ts; the files stay when the application ends) ----

  /**
   * Marks this dataset to be written under the data directory by the first
   * action that computes it, which then reads the files instead of computing
   * it: that action and every later one of this context see a lineage that
   * starts at the files (Spark's checkpoint, for iterative lineages that would
   * otherwise grow without bound). Lazy, as Spark's: nothing runs now; marking
   * a marked or written dataset again does nothing. Persist it too, and the
   * first action after the write caches what it reads. A context without an
   * application on a master has no directory for it: this throws.
   */
  checkpoint(): this {
    if (this.context.applicationId === null) throw new Error(NO_CHECKPOINT_DIRECTORY);
    this.lineage.checkpoint ??= { saved: null, writing: null };
    return this;
  }

  /** True once an action wrote the checkpoint {@link Dataset.checkpoint} asked for. */
  get isCheckpointed(): boolean {
    return (this.lineage.checkpoint?.saved ?? null) !== null;
  }

  /** The checkpoint's directory relative to the data directory (part-NNNNN files and _SUCCESS), or null before it is written (Spark's getCheckpointFile). */
  get checkpointPath(): string | null {
    const saved = this.lineage.checkpoint?.saved ?? null;
    return saved === null ? null : checkpointFilesPath(saved);
  }

  // ---- narrow transformations -------------------------------------------

  /** Applies `fn` to every record; a function returning `[key, value]` makes a pair dataset. */
  map<K, V, E extends Env = NoEnv>(fn: (x: T, env: E) => [K, V], opts?: EnvOption<E>): Dataset<[K, V]>;
  /** Applies `fn` to every record. */
  map<U, E extends Env = NoEnv>(fn: (x: T, env: E) => U, opts?: EnvOption<E>): Dataset<U>;
  map<U, E extends Env>(f: (x: T, env: E) => U, opts?: EnvOption<E>): Dataset<U> {
    return this.derive("map", { fn: fn(f) }, opts);
  }

  /** Keeps the records for which the type guard `fn` holds, narrowing the record type. */
  filter<S extends T, E extends Env = NoEnv>(fn: (x: T, env: E) => x is S, opts?: EnvOption<E>): Dataset<S>;
  /** Keeps the records for which `fn` returns a truthy value. */
  filter<E extends Env = NoEnv>(fn: (x: T, env: E) => unknown, opts?: EnvOption<E>): Dataset<T>;
  filter<E extends Env>(f: (x: T, env: E) => unknown, opts?: EnvOption<E>): Dataset<T> {
    return this.derive("filter", { fn: fn(f) }, opts);
  }

  /** Applies `fn` to every record and flattens the pairs it returns. */
  flatMap<K, V, E extends Env = NoEnv>(fn: (x: T, env: E) => Iterable<[K, V]>, opts?: EnvOption<E>): Dataset<[K, V]>;
  /** Applies `fn` to every record and flattens the iterables it returns. */
  flatMap<U, E extends Env = NoEnv>(fn: (x: T, env: E) => Iterable<U>, opts?: EnvOption<E>): Dataset<U>;
  flatMap<U, E extends Env>(f: (x: T, env: E) => Iterable<U>, opts?: EnvOption<E>): Dataset<U> {
    return this.derive("flatMap", { fn: fn(f) }, opts);
  }

  /** `fn` gets the partition's records as an iterable and returns an iterable (an array or a generator). */
  mapPartitions<U, E extends Env = NoEnv>(f: (records: Iterable<T>, env: E) => Iterable<U>, opts?: EnvOption<E>): Dataset<U> {
    return this.derive("mapPartitions", { fn: fn(f) }, opts);
  }

  /** As {@link Dataset.mapPartitions}, with the partition's index as the first argument. */
  mapPartitionsWithIndex<U, E extends Env = NoEnv>(f: (index: number, records: Iterable<T>, env: E) => Iterable<U>, opts?: EnvOption<E>): Dataset<U> {
    return this.derive("mapPartitionsWithIndex", { fn: fn(f, 2) }, opts);
  }

  /** Pairs each record with the key `fn` computes: `[fn(record), record]`. */
  keyBy<K, E extends Env = NoEnv>(f: (x: T, env: E) => K, opts?: EnvOption<E>): Dataset<[K, T]> {
    return this.derive("keyBy", { fn: fn(f) }, opts);
  }

  /** Each partition as one array. */
  glom(): Dataset<T[]> {
    return this.derive("glom", {});
  }

  /** The records of this dataset and of the others, without removing duplicates (narrow: no shuffle). */
  union<U = T>(...others: Dataset<U>[]): Dataset<T | U> {
    return this.derive("union", {}, undefined, others);
  }

  /** Merges partitions down to `numPartitions` without a shuffle. */
  coalesce(numPartitions: number): Dataset<T> {
    return this.derive("coalesce", { numPartitions });
  }

  /** Pairs each record with its position in the dataset: `[record, index]`. */
  zipWithIndex(): Dataset<[T, number]> {
    return this.derive("zipWithIndex", {});
  }

  /** A random sample: each record kept with probability `fraction`, or drawn a Poisson number of times with replacement; `seed` makes it repeatable. */
  sample(withReplacement: boolean, fraction: number, seed?: number): Dataset<T> {
    return this.derive("sample", { withReplacement, fraction, seed });
  }

  /** Pairs the i-th record of each partition with the i-th of `other`'s: `[a, b]`; both must have as many partitions and records per partition (else the job fails with Spark's message). */
  zip<U>(other: Dataset<U>): Dataset<[T, U]> {
    return this.derive("zip", {}, undefined, [other]);
  }

  /** Pairs each record with a unique id, k, n + k, 2n + k, … in partition k of n: `[record, id]`; no job runs first, unlike {@link Dataset.zipWithIndex}, at the cost of gaps. */
  zipWithUniqueId(): Dataset<[T, number]> {
    return this.derive("zipWithUniqueId", {});
  }

  // ---- wide transformations ---------------------------------------------

  /** Shuffles the records into `numPartitions` partitions. */
  repartition(numPartitions: number): Dataset<T> {
    return this.derive("repartition", { numPartitions });
  }

  /** The distinct records; records compare by value (canonical JSON). */
  distinct(numPartitions?: number): Dataset<T> {
    return this.derive("distinct", { numPartitions });
  }

  /** Groups the records by the key `fn` computes: `[key, records]` pairs. */
  groupBy<K, E extends Env = NoEnv>(f: (x: T, env: E) => K, numPartitions?: number, opts?: EnvOption<E>): Dataset<[K, T[]]> {
    return this.derive("groupBy", { fn: fn(f), numPartitions }, opts);
  }

  /** Sorts the records by `keyfunc(record)`, globally across partitions (a range-partitioned shuffle); `ascending` defaults to true. */
  sortBy<E extends Env = NoEnv>(keyfunc: (x: T, env: E) => unknown, ascending?: boolean, numPartitions?: number, opts?: EnvOption<E>): Dataset<T> {
    return this.derive("sortBy", { fn: fn(keyfunc), ascending, numPartitions }, opts);
  }

  /** The distinct records present in both datasets. */
  intersection(other: Dataset<T>, numPartitions?: number): Dataset<T> {
    return this.derive("intersection", { numPartitions }, undefined, [other]);
  }

  /** The records of this dataset that are not in `other`. */
  subtract(other: Dataset<T>, numPartitions?: number): Dataset<T> {
    return this.derive("subtract", { numPartitions }, undefined, [other]);
  }

  /** Every pair `[a, b]` of a record of this dataset and one of `other`. */
  cartesian<U>(other: Dataset<U>): Dataset<[T, U]> {
    return this.derive("cartesian", {}, undefined, [other]);
  }

  // ---- pair transformations ([K, V] records only) ------------------------

  /** Applies `fn` to the value of every pair, keeping its key and the partitioning. */
  mapValues<K, V, U, E extends Env = NoEnv>(this: Dataset<[K, V]>, f: (v: V, env: E) => U, opts?: EnvOption<E>): Dataset<[K, U]> {
    return this.derive("mapValues", { fn: fn(f) }, opts);
  }

  /** Applies `fn` to the value of every pair and pairs the key with each value it returns. */
  flatMapValues<K, V, U, E extends Env = NoEnv>(this: Dataset<[K, V]>, f: (v: V, env: E) => Iterable<U>, opts?: EnvOption<E>): Dataset<[K, U]> {
    return this.derive("flatMapValues", { fn: fn(f) }, opts);
  }

  /** The key of every pair. */
  keys<K, V>(this: Dataset<[K, V]>): Dataset<K> {
    return this.derive("keys", {});
  }

  /** The value of every pair. */
  values<K, V>(this: Dataset<[K, V]>): Dataset<V> {
    return this.derive("values", {});
  }

  /** Merges the values of each key with the associative function `fn`: one `[key, value]` pair per key. */
  reduceByKey<K, V, E extends Env = NoEnv>(this: Dataset<[K, V]>, f: (a: V, b: V, env: E) => V, numPartitions?: number, opts?: EnvOption<E>): Dataset<[K, V]> {
    return this.derive("reduceByKey", { fn: fn(f, 2), numPartitions }, opts);
  }

  /** As {@link Dataset.reduceByKey}, starting each key's fold at `zeroValue`. */
  foldByKey<K, V, E extends Env = NoEnv>(this: Dataset<[K, V]>, zeroValue: V, f: (a: V, b: V, env: E) => V, numPartitions?: number, opts?: EnvOption<E>): Dataset<[K, V]> {
    return this.derive("foldByKey", { zeroValue: zeroValue as Json, fn: fn(f, 2), numPartitions }, opts);
  }

  /** Folds each key's values into an accumulator starting at `zeroValue` with `seqFunc`, and merges accumulators with `combFunc`. */
  aggregateByKey<K, V, U, E extends Env = NoEnv>(
    this: Dataset<[K, V]>,
    zeroValue: U,
    seqFunc: (acc: U, v: V, env: E) => U,
    combFunc: (a: U, b: U, env: E) => U,
    numPartitions?: number,
    opts?: EnvOption<E>,
  ): Dataset<[K, U]> {
    return this.derive("aggregateByKey", { zeroValue: zeroValue as Json, seqFunc: fn(seqFunc, 2), combFunc: fn(combFunc, 2), numPartitions }, opts);
  }

  /** The general per-key aggregation: `createCombiner` turns a key's first value into a combiner, `mergeValue` adds values to it, `mergeCombiners` merges combiners. */
  combineByKey<K, V, C, E extends Env = NoEnv>(
    this: Dataset<[K, V]>,
    createCombiner: (v: V, env: E) => C,
    mergeValue: (c: C, v: V, env: E) => C,
    mergeCombiners: (a: C, b: C, env: E) => C,
    numPartitions?: number,
    opts?: EnvOption<E>,
  ): Dataset<[K, C]> {
    const params = { createCombiner: fn(createCombiner), mergeValue: fn(mergeValue, 2), mergeCombiners: fn(mergeCombiners, 2), numPartitions };
    return this.derive("combineByKey", params, opts);
  }

  /** All values of each key: `[key, values]` pairs. */
  groupByKey<K, V>(this: Dataset<[K, V]>, numPartitions?: number): Dataset<[K, V[]]> {
    return this.derive("groupByKey", { numPartitions });
  }

  /** Sorts the pairs by key (or by `keyfunc(key)`), globally across partitions; `ascending` defaults to true. */
  sortByKey<K, V, E extends Env = NoEnv>(this: Dataset<[K, V]>, ascending?: boolean, numPartitions?: number, keyfunc?: (k: K, env: E) => unknown, opts?: EnvOption<E>): Dataset<[K, V]> {
    return this.derive("sortByKey", { ascending, numPartitions, fn: fn(keyfunc) }, opts);
  }

  /** Hash-partitions by key, or by `partitionFunc(key)` modulo numPartitions. */
  partitionBy<K, V, E extends Env = NoEnv>(this: Dataset<[K, V]>, numPartitions: number, partitionFunc?: (k: K, env: E) => number, opts?: EnvOption<E>): Dataset<[K, V]> {
    return this.derive("partitionBy", { numPartitions, fn: fn(partitionFunc) }, opts);
  }

  /** Inner join on the key: `[k, [v, w]]` for every pair of values with equal keys. */
  join<K, V, W>(this: Dataset<[K, V]>, other: Dataset<[K, W]>, numPartitions?: number): Dataset<[K, [V, W]]> {
    return this.derive("join", { numPartitions }, undefined, [other]);
  }

  /** As {@link Dataset.join}, keeping the keys of this dataset missing from `other` with `null` for w. */
  leftOuterJoin<K, V, W>(this: Dataset<[K, V]>, other: Dataset<[K, W]>, numPartitions?: number): Dataset<[K, [V, W | null]]> {
    return this.derive("leftOuterJoin", { numPartitions }, undefined, [other]);
  }

  /** As {@link Dataset.join}, keeping the keys of `other` missing from this dataset with `null` for v. */
  rightOuterJoin<K, V, W>(this: Dataset<[K, V]>, other: Dataset<[K, W]>, numPartitions?: number): Dataset<[K, [V | null, W]]> {
    return this.derive("rightOuterJoin", { numPartitions }, undefined, [other]);
  }

  /** As {@link Dataset.join}, keeping the keys missing from either side with `null` for that side. */
  fullOuterJoin<K, V, W>(this: Dataset<[K, V]>, other: Dataset<[K, W]>, numPartitions?: number): Dataset<[K, [V | null, W | null]]> {
    return this.derive("fullOuterJoin", { numPartitions }, undefined, [other]);
  }

  /** For each key of either dataset, its values in each: `[k, [vs, ws]]`. */
  cogroup<K, V, W>(this: Dataset<[K, V]>, other: Dataset<[K, W]>, numPartitions?: number): Dataset<[K, [V[], W[]]]> {
    return this.derive("cogroup", { numPartitions }, undefined, [other]);
  }

  /** cogroup of this and any number of others: `[k, [vs, ws, xs, …]]`. */
  groupWith<K, V, Ws extends unknown[]>(this: Dataset<[K, V]>, ...others: { [I in keyof Ws]: Dataset<[K, Ws[I]]> }): Dataset<[K, [V[], ...{ [I in keyof Ws]: Ws[I][] }]]> {
    return this.derive("cogroup", {}, undefined, others as Dataset<unknown>[]);
  }

  /** The pairs of this dataset whose key does not occur in `other`. */
  subtractByKey<K, V, W>(this: Dataset<[K, V]>, other: Dataset<[K, W]>, numPartitions?: number): Dataset<[K, V]> {
    return this.derive("subtractByKey", { numPartitions }, undefined, [other]);
  }

  /** One shuffle by key hash (or by `partitionFunc(key)` modulo numPartitions), each partition then sorted by key (or by `keyfunc(key)`); `ascending` defaults to true. */
  repartitionAndSortWithinPartitions<K, V, E extends Env = NoEnv>(
    this: Dataset<[K, V]>,
    numPartitions?: number,
    partitionFunc?: (k: K, env: E) => number,
    ascending?: boolean,
    keyfunc?: (k: K, env: E) => unknown,
    opts?: EnvOption<E>,
  ): Dataset<[K, V]> {
    return this.derive("repartitionAndSortWithinPartitions", { numPartitions, partitionFunc: fn(partitionFunc), ascending, keyfunc: fn(keyfunc) }, opts);
  }

  // ---- actions -----------------------------------------------------------

  /** Every record, in partition order. */
  collect(): Promise<T[]> {
    return this.run("collect", {});
  }

  /** The number of records. */
  count(): Promise<number> {
    return this.run("count", {});
  }

  /** The first record; the job fails if the dataset is empty. */
  first(): Promise<T> {
    return this.run("first", {});
  }

  /** The first `num` records, in partition order; reads only as many partitions as it needs. */
  take(num: number): Promise<T[]> {
    return this.run("take", { num });
  }

  /** The `num` smallest records (by `key(record)` if given). */
  takeOrdered<E extends Env = NoEnv>(num: number, key?: (x: T, env: E) => unknown, opts?: EnvOption<E>): Promise<T[]> {
    return this.run("takeOrdered", { num, fn: fn(key) }, opts);
  }

  /** The `num` largest records, largest first (by `key(record)` if given). */
  top<E extends Env = NoEnv>(num: number, key?: (x: T, env: E) => unknown, opts?: EnvOption<E>): Promise<T[]> {
    return this.run("top", { num, fn: fn(key) }, opts);
  }

  /** Merges all records with the associative, commutative function `fn`; the job fails if the dataset is empty. */
  reduce<E extends Env = NoEnv>(f: (a: T, b: T, env: E) => T, opts?: EnvOption<E>): Promise<T> {
    return this.run("reduce", { fn: fn(f, 2) }, opts);
  }

  /** As {@link Dataset.reduce}, starting each partition's fold (and the merge of the partitions) at `zeroValue`. */
  fold<E extends Env = NoEnv>(zeroValue: T, f: (a: T, b: T, env: E) => T, opts?: EnvOption<E>): Promise<T> {
    return this.run("fold", { zeroValue: zeroValue as Json, fn: fn(f, 2) }, opts);
  }

  /** Folds each partition into an accumulator starting at `zeroValue` with `seqOp`, then merges the accumulators with `combOp`. */
  aggregate<U, E extends Env = NoEnv>(zeroValue: U, seqOp: (acc: U, x: T, env: E) => U, combOp: (a: U, b: U, env: E) => U, opts?: EnvOption<E>): Promise<U> {
    return this.run("aggregate", { zeroValue: zeroValue as Json, seqOp: fn(seqOp, 2), combOp: fn(combOp, 2) }, opts);
  }

  /** The sum of the numbers. */
  sum(this: Dataset<number>): Promise<number> {
    return this.run("sum", {});
  }

  /** The smallest record (by `key(record)` if given). */
  min<E extends Env = NoEnv>(key?: (x: T, env: E) => unknown, opts?: EnvOption<E>): Promise<T> {
    return this.run("min", { fn: fn(key) }, opts);
  }

  /** The largest record (by `key(record)` if given). */
  max<E extends Env = NoEnv>(key?: (x: T, env: E) => unknown, opts?: EnvOption<E>): Promise<T> {
    return this.run("max", { fn: fn(key) }, opts);
  }

  /** The arithmetic mean of the numbers. */
  mean(this: Dataset<number>): Promise<number> {
    return this.run("mean", {});
  }

  /** Count, mean, sum, min, max and variances of the numbers, in one pass. */
  stats(this: Dataset<number>): Promise<StatCounter> {
    return this.run("stats", {});
  }

  /** `buckets`: a number of even buckets between min and max, or the sorted bucket edges. Resolves to `[edges, counts]`. */
  histogram(this: Dataset<number>, buckets: number | number[]): Promise<[number[], number[]]>;
  /** Buckets of another comparable kind, as PySpark allows strings: the sorted edges, buckets [e0, e1), …, [e(n-1), en]. Resolves to `[edges, counts]`. */
  histogram<B>(this: Dataset<B>, buckets: B[]): Promise<[B[], number[]]>;
  histogram(buckets: number | unknown[]): Promise<[unknown[], number[]]> {
    return this.run("histogram", { buckets: buckets as Json });
  }

  /** Each distinct record with its count, as `[record, count]` pairs. */
  countByValue(): Promise<[T, number][]> {
    return this.run("countByValue", {});
  }

  /** Whether the dataset has no records. */
  isEmpty(): Promise<boolean> {
    return this.run("isEmpty", {});
  }

  /** Asks the cluster: file sources are split by the workers' view of the files. */
  getNumPartitions(): Promise<number> {
    return this.run("getNumPartitions", {});
  }

  /** Each key with its number of records, as `[key, count]` pairs. */
  countByKey<K, V>(this: Dataset<[K, V]>): Promise<[K, number][]> {
    return this.run("countByKey", {});
  }

  /** One `[key, value]` pair per key, as an array rather than a Map: keys compare by value, which a JS Map cannot do. */
  collectAsMap<K, V>(this: Dataset<[K, V]>): Promise<[K, V][]> {
    return this.run("collectAsMap", {});
  }

  /** Every value of `key`. */
  lookup<K, V>(this: Dataset<[K, V]>, key: K): Promise<V[]> {
    return this.run("lookup", { key: key as Json });
  }

  /** Writes one part file per partition under the outputs directory, then `_SUCCESS`. */
  save(path: string, opts: SaveOptions = {}): Promise<SaveResult> {
    return this.run("save", { path, format: opts.format, mode: opts.mode, header: opts.header, compression: opts.compression, schema: opts.schema });
  }

  /** Spark's name for `save(path)` as text: one record per line, compressed if `compression` says so (Spark's compressionCodecClass). */
  saveAsTextFile(path: string, compression?: "none" | "gzip" | "deflate" | "zstd" | "bzip2"): Promise<SaveResult> {
    return this.save(path, { format: "text", compression });
  }

  /** As {@link Dataset.aggregate}, merging the partitions' accumulators in a tree of `depth` levels (default 2) of shuffles, as Spark does. */
  treeAggregate<U, E extends Env = NoEnv>(zeroValue: U, seqOp: (acc: U, x: T, env: E) => U, combOp: (a: U, b: U, env: E) => U, depth?: number, opts?: EnvOption<E>): Promise<U> {
    return this.run("treeAggregate", { zeroValue: zeroValue as Json, seqOp: fn(seqOp, 2), combOp: fn(combOp, 2), depth }, opts);
  }

  /** As {@link Dataset.reduce}, merging the partitions' results in a tree of `depth` levels (default 2); the job fails if the dataset is empty. */
  treeReduce<E extends Env = NoEnv>(f: (a: T, b: T, env: E) => T, depth?: number, opts?: EnvOption<E>): Promise<T> {
    return this.run("treeReduce", { fn: fn(f, 2), depth }, opts);
  }

  /** Runs `fn` on every record on the workers, for its side effects; a function that throws fails the job with its message. */
  async foreach<E extends Env = NoEnv>(f: (x: T, env: E) => unknown, opts?: EnvOption<E>): Promise<void> {
    await this.run("foreach", { fn: fn(f) }, opts);
  }

  /** Runs `fn` once per partition with its records, for its side effects (a generator it returns is run to its end). */
  async foreachPartition<E extends Env = NoEnv>(f: (records: Iterable<T>, env: E) => unknown, opts?: EnvOption<E>): Promise<void> {
    await this.run("foreachPartition", { fn: fn(f) }, opts);
  }

  /** The approximate number of distinct records (HyperLogLog); `relativeSD` (default 0.05) is the accuracy asked for, at least 0.000017 as in Spark. */
  countApproxDistinct(relativeSD?: number): Promise<number> {
    return this.run("countApproxDistinct", { relativeSD });
  }

  // ---- sampling, pipe and streaming (issue 16) -----------------------------

  /** `num` records drawn at random, with or without replacement, in random order; the same for the same seed. One job. */
  takeSample(withReplacement: boolean, num: number, seed?: number): Promise<T[]> {
    return this.run("takeSample", { withReplacement, num, seed });
  }

  /** One dataset per weight: the records split at random in proportion to the (normalised) weights; disjoint, covering, the same for the same seed. */
  randomSplit(weights: number[], seed?: number): Dataset<T>[] {
    return weights.map((_, index) => this.derive<T>("randomSplit", { weights, seed, index }));
  }

  /** A per-key sample of pairs: each pair kept with its key's fraction (a Poisson number of copies with replacement). Fractions as an object (string keys) or `[key, fraction]` pairs; a key with no fraction fails the job. */
  sampleByKey<K, V>(this: Dataset<[K, V]>, withReplacement: boolean, fractions: Record<string, number> | [K, number][], seed?: number): Dataset<[K, V]> {
    return this.derive("sampleByKey", { withReplacement, fractions: fractions as Json, seed });
  }

  /**
   * Each partition's records, one a line, through an external command run with no shell (a command line split as Python's shlex.split
   * does, or its argv); each line of its output one record. `env` is the command's whole environment. A non-zero exit fails the job
   * unless `checkCode` is false. Refused by clusters started with --no-user-code.
   */
  pipe(command: string | string[], env?: Record<string, string>, checkCode?: boolean): Dataset<string> {
    return this.derive("pipe", { command, checkCode }, env === undefined ? undefined : { env });
  }

  /**
   * The records, streamed partition by partition, as Spark's toLocalIterator: one job per partition (after one that asks for their
   * number), each run only when the records before it have been consumed, so the client holds one partition at a time.
   */
  async *toLocalIterator(): AsyncGenerator<T, void, undefined> {
    const partitions = await this.getNumPartitions();
    for (let partition = 0; partition < partitions; partition++) {
      yield* await this.run<T[]>("collectPartition", { partition });
    }
  }

  // ---- plumbing ----------------------------------------------------------

  private derive<U>(op: string, params: Record<string, Param>, opts?: EnvOption<Env>, others: readonly Dataset<unknown>[] = []): Dataset<U> {
    const env = envOf(op, opts);
    const parents = [this.lineage, ...others.map((o) => this.sameContext(o, op).lineage)];
    return new Dataset<U>(this.context, { op, parents, params: shipParams(op, params, env), env, name: null });
  }

  /** Async so that a function that cannot be shipped rejects the action's promise rather than throwing. */
  private async run<R>(op: string, params: Record<string, Param>, opts?: EnvOption<Env>): Promise<R> {
    const env = envOf(op, opts);
    return this.context.runAction<R>(this.lineage, { op, params: shipParams(op, params, env), env });
  }

  private sameContext<U>(other: Dataset<U>, op: string): Dataset<U> {
    if (!(other instanceof Dataset)) throw new TypeError(`${op} takes datasets, got ${typeof other}`);
    if (other.context !== this.context) throw new Error(`${op}: the datasets come from different contexts (connect() calls)`);
    return other;
  }
}

function envOf(op: string, opts: EnvOption<Env> | undefined): Record<string, Json> | null {
  if (opts?.env === undefined) return null;
  if (typeof opts.env !== "object" || opts.env === null || Array.isArray(opts.env)) throw new TypeError(`the env of ${op} must be an object`);
  const env = shipBroadcasts(shipAccumulators(opts.env));
  return checkJson(env, `the env of ${op}`) as Record<string, Json>;
}

function shipParams(op: string, params: Record<string, Param>, env: Record<string, Json> | null): Record<string, Json> {
  const out: Record<string, Json> = {};
  const envKeys = Object.keys(env ?? {});
  for (const [param, value] of Object.entries(params)) {
    if (value === undefined) continue;
    out[param] = value instanceof UserFn ? shipFunction(value.fn, { op, param, arity: value.arity, envKeys }) : checkJson(value, `the ${param} of ${op}`);
  }
  return out;
}
