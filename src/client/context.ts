// The library's entry point (DESIGN.md section 5): connect() returns a Context
// (Spark's `sc`) bound to a cluster — an embedded local one it starts and owns,
// or a running master — whose sources make Datasets and which runs their
// actions as jobs. The Context is the only part of the library that does I/O.
// Called by user programs through src/index.ts.
import fs from "node:fs";
import { configureTls } from "../common/http-client.js";
import { jobSettingsFromEnv, type JobSettings } from "../common/job-settings.js";
import { Dataset, type ActionRunner } from "./dataset.js";
import { randomBytes } from "node:crypto";
import type { CsvParams } from "../ops/csv-options.js";
import { DEFAULT_CHECKPOINT_DIR, checkpointDirProblem, checkpointSavePath, NO_CHECKPOINT_DIRECTORY, type CheckpointMark } from "./checkpoint.js";
import { buildJob, topologicalOrder, type ActionRequest, type JobSpec, type LineageNode, type S3Settings } from "./job-builder.js";
import { LocalCluster } from "./local-cluster.js";
import { localWorkers } from "../common/local-master.js";
import type { JobInfo } from "../common/api-types.js";
import { AppSession } from "./app-session.js";
import { JobFailedError, MinisparkClient } from "./rest-client.js";
import { Broadcast, broadcastJson } from "./broadcast.js";
import { Accumulator, customKind, listKind, numberKind, setKind, type AccumulatorOptions, type CustomAccumulatorOptions, type NumberMerge } from "./accumulator.js";
import type { Json } from "./job-builder.js";

/** Options of {@link connect}. */
export interface ConnectOptions {
  /** The cluster's token (default: MINISPARK_TOKEN); ignored for local clusters, which make their own. */
  token?: string;
  /** PEM of the authority that signed an https master's certificate (default: MINISPARK_TLS_CA's file, else the system's). */
  tlsCa?: string | Buffer;
  /** Where a local cluster's workers read inputs and write outputs (default: MINISPARK_DATA_DIR, else ./data). */
  dataDir?: string;
  /** Names the jobs: "<appName>: <action>" (default "minispark"). */
  appName?: string;
  /** Sees every state of each running job, e.g. to show progress. */
  onProgress?: (job: JobInfo) => void;
  /** How long the master keeps this context's application without a renewal, 1000 to 3600000 ms (default 30000); it is renewed every third of that. */
  leaseMs?: number;
  /** S3 settings for every job of this context (its `s3://` inputs and outputs), over the workers' own. */
  s3?: S3Settings;
}

/** Runs JobSpecs somewhere: a cluster, or anything else that returns an action's value (tests, an inline runner). */
export interface JobRunner {
  /** Runs one job to its end; resolves to the action's value, rejects with JobFailedError. `onEnded` sees the job as it ended, completed or not (accumulators are read from it). */
  run(spec: JobSpec, onEnded?: (job: JobInfo) => void): Promise<unknown>;
  /** Releases what the runner holds (a local cluster's processes). */
  close(): Promise<void>;
  /** The application its jobs belong to on the master, if it holds one. */
  readonly applicationId?: string;
  /** Releases one of the application's persisted datasets (runners with an application). */
  unpersist?(datasetId: string): Promise<void>;
  /** Uploads a broadcast's JSON for the application; resolves to its id (runners with an application). */
  broadcast?(json: string): Promise<string>;
  /** Destroys one of the application's broadcasts. */
  destroyBroadcast?(id: string): Promise<void>;
}

/** Options of {@link Context.csv}, with PySpark's names. */
export interface CsvOptions extends CsvParams, FileOptions {}

/** Options of {@link Context.textFile} and {@link Context.jsonl}. */
export interface FileOptions {
  /** At least this many partitions. */
  minPartitions?: number;
  /** Largest split of a file read by one task (default 32 MiB). */
  maxPartitionBytes?: number;
}

/** Options of {@link Context.parquet}. */
export interface ParquetOptions extends FileOptions {
  /** Read only these top-level columns, in this order (default: every column, in the file's order). */
  columns?: string[];
}

/**
 * A Parquet value as README's "Parquet types" maps it: numbers (64-bit integers
 * beyond ±(2^53 − 1) and decimals as strings), strings, booleans, null, and
 * arrays and objects for LIST, MAP and STRUCT columns.
 */
export type ParquetValue = string | number | boolean | null | ParquetValue[] | { [key: string]: ParquetValue };

/** A CSV field: a string, or with inferSchema a number, a boolean or null. */
export type CsvValue = string | number | boolean | null;

/**
 * Connects to a cluster. `master` is "local" or "local[N]" (start an embedded
 * cluster of N worker processes, default 2, stopped by close()) or a master URL.
 * Without one it is MINISPARK_MASTER, else "local[2]" — so a program run by
 * `minispark submit --master <url>` goes to that master.
 */
export async function connect(master = process.env.MINISPARK_MASTER ?? "local[2]", opts: ConnectOptions = {}): Promise<Context> {
  let workers: number | null;
  try {
    workers = localWorkers(master);
  } catch (e) {
    throw new Error(`connect(): ${(e as Error).message}`);
  }
  if (workers !== null) {
    const cluster = await LocalCluster.start({ workers, dataDir: opts.dataDir ?? process.env.MINISPARK_DATA_DIR ?? "./data" });
    const session = await registered(cluster.client, opts, jobSettingsFromEnv()).catch(async (e: unknown) => {
      await cluster.stop();
      throw e;
    });
    return new Context(
      clusterRunner(cluster.client, opts.onProgress, () => cluster.stop(), session),
      { ...opts, settings: jobSettingsFromEnv() },
    );
  }
  if (!/^https?:\/\//.test(master)) throw new Error(`connect(): master must be "local", "local[N]" or an http(s) URL, got "${master}"`);
  const ca = opts.tlsCa ?? (process.env.MINISPARK_TLS_CA ? fs.readFileSync(process.env.MINISPARK_TLS_CA) : undefined);
  if (ca !== undefined) configureTls({ ca: Buffer.from(ca), peers: false });
  const client = new MinisparkClient(master, opts.token ?? process.env.MINISPARK_TOKEN ?? null);
  const session = await registered(client, opts, jobSettingsFromEnv());
  return new Context(
    clusterRunner(client, opts.onProgress, async () => {}, session),
    { ...opts, settings: jobSettingsFromEnv() },
  );
}

/** The context's application, named as its jobs are (the Context's own rule). */
function registered(client: MinisparkClient, opts: ConnectOptions, settings: JobSettings): Promise<AppSession> {
  return AppSession.register(client, opts.appName ?? settings.name ?? "minispark", opts.leaseMs);
}

function clusterRunner(client: MinisparkClient, onProgress: ConnectOptions["onProgress"], stop: () => Promise<void>, session: AppSession): JobRunner {
  return {
    run: async (spec, onEnded) => {
      session.check(spec.action.op);
      try {
        const { job, value } = await client.run({ ...spec, application: session.id }, onProgress);
        onEnded?.(job);
        return value;
      } catch (e) {
        if (e instanceof JobFailedError) onEnded?.(e.job);
        throw e;
      }
    },
    close: async () => {
      await session.end();
      await stop();
    },
    applicationId: session.id,
    unpersist: async (datasetId) => {
      await client.unpersist(session.id, datasetId);
    },
    broadcast: (json) => client.broadcast(session.id, json),
    destroyBroadcast: async (id) => {
      await client.destroyBroadcast(session.id, id);
    },
  };
}

/** A connection to a cluster (Spark's SparkContext): makes source Datasets, and runs their actions as jobs. Made by {@link connect}; close() it when done. */
export class Context implements ActionRunner {
  private readonly appName: string;
  private readonly settings: Omit<JobSettings, "name"> & { s3?: S3Settings };
  private closed = false;

  /** `settings`: every job's (from `minispark submit --conf` or the defaults file); its name is the default appName. */
  constructor(
    private readonly runner: JobRunner,
    opts: { appName?: string; settings?: JobSettings; s3?: S3Settings } = {},
  ) {
    const { name, ...settings } = opts.settings ?? {};
    this.appName = opts.appName ?? name ?? "minispark";
    this.settings = opts.s3 === undefined ? settings : { ...settings, s3: opts.s3 };
  }

  /** One record per line. `path`: a file, a glob or an array of them, relative to the workers' data directory. */
  textFile(path: string | string[], opts: FileOptions = {}): Dataset<string> {
    return Dataset.source(this, "textFile", { path, ...opts });
  }

  /** With `header: true` or a `schema` each record is an object keyed by column name; without, an array of fields. */
  csv<R extends object = Record<string, CsvValue>>(path: string | string[], opts: CsvOptions & ({ header: true } | { schema: string })): Dataset<R>;
  csv(path: string | string[], opts?: CsvOptions & { header?: false; schema?: undefined }): Dataset<CsvValue[]>;
  csv(path: string | string[], opts: CsvOptions): Dataset<Record<string, CsvValue> | CsvValue[]>;
  csv(path: string | string[], opts: CsvOptions = {}): Dataset<unknown> {
    return Dataset.source(this, "csv", { path, ...opts });
  }

  /** One record per row of the Parquet files, an object keyed by column name; say its type with `parquet<Order>(…)`. A row group is read by the task whose split holds its midpoint. */
  parquet<R extends object = Record<string, ParquetValue>>(path: string | string[], opts: ParquetOptions = {}): Dataset<R> {
    return Dataset.source(this, "parquet", { path, ...opts });
  }

  /** One JSON value per line; say its type with `jsonl<Order>(…)`. */
  jsonl<T = unknown>(path: string | string[], opts: FileOptions = {}): Dataset<T> {
    return Dataset.source(this, "jsonl", { path, ...opts });
  }

  /** The records of `data` (which must be JSON), in `numSlices` partitions. */
  parallelize<K, V>(data: [K, V][], numSlices?: number): Dataset<[K, V]>;
  parallelize<T>(data: T[], numSlices?: number): Dataset<T>;
  parallelize<T>(data: T[], numSlices?: number): Dataset<T> {
    return Dataset.source(this, "parallelize", { data: data as never, numSlices });
  }

  /** Integers from `start` (inclusive) to `end` (exclusive) by `step`; with one argument, 0 to `start`, as in Python. */
  range(start: number, end?: number, step?: number, numSlices?: number): Dataset<number> {
    return Dataset.source(this, "range", { start, end, step, numSlices });
  }

  /** The union of several datasets (PySpark's sc.union). */
  union<T>(datasets: Dataset<T>[]): Dataset<T> {
    const [first, ...rest] = datasets;
    if (!first) throw new Error("union needs at least one dataset");
    return rest.length === 0 ? first : first.union(...rest);
  }

  /** The id of the application this context holds on its master (its jobs belong to it), or null when it runs jobs elsewhere. */
  get applicationId(): string | null {
    return this.runner.applicationId ?? null;
  }

  /** Ends this context's application (cancelling its jobs that have not ended) and stops the local cluster it started, if any. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.runner.close();
  }

  /** @internal Called by Dataset's actions. */
  async runAction<R>(input: LineageNode, action: ActionRequest): Promise<R> {
    if (this.closed) throw new Error(`cannot run ${action.op}: the context is closed`);
    await this.writeCheckpoints(input);
    const built = buildJob(`${this.appName}: ${action.op}`, input, action);
    const spec = { ...this.settings, ...built.spec };
    return (await this.runner.run(spec, (job) => this.jobEnded(job, built.nodes))) as R;
  }

  /** @internal Called by Dataset.unpersist once a job has persisted the dataset. */
  async unpersistDataset(datasetId: string): Promise<void> {
    if (this.closed) return; // closing ended the application, which released its blocks
    await this.runner.unpersist?.(datasetId);
  }

  // ---- accumulators (client/accumulator.ts) ----

  private readonly accumulators = new Map<string, Accumulator<unknown, unknown>>();

  /** A number accumulator: summed (the default), or the max or min of what tasks add. Pass it in an env; read `value` after an action. */
  accumulator(zero: number, merge?: NumberMerge, opts?: AccumulatorOptions): Accumulator<number, number>;
  /** A custom accumulator: tasks fold their adds with `merge`, and the library folds each partition's result into `value` with it. */
  accumulator<T>(zero: T, opts: CustomAccumulatorOptions<T>): Accumulator<T, T>;
  accumulator<T>(zero: T, merge?: NumberMerge | CustomAccumulatorOptions<T>, opts?: AccumulatorOptions): Accumulator<T, T> {
    if (typeof merge === "object" && merge !== null) return this.register(new Accumulator(zero, customKind(merge.merge), merge));
    const m = merge ?? "sum";
    if (!["sum", "max", "min"].includes(m)) throw new TypeError(`accumulator(): merge must be "sum", "max", "min" or { merge: (a, b) => … }, got ${String(m)}`);
    if (typeof zero !== "number" || !Number.isFinite(zero)) throw new TypeError(`accumulator(): a ${m} accumulator's zero must be a finite number`);
    return this.register(new Accumulator(zero, numberKind(m), opts) as unknown as Accumulator<T, T>);
  }

  /** Collects what tasks add, in (stage, partition) order (the order of adds within a task kept). */
  listAccumulator<T extends Json>(opts?: AccumulatorOptions): Accumulator<T[], T> {
    return this.register(new Accumulator<T[], T>([], listKind<T>(), opts));
  }

  /** The distinct values tasks add (equal JSON is one member). */
  setAccumulator<T extends Json>(opts?: AccumulatorOptions): Accumulator<T[], T> {
    return this.register(new Accumulator<T[], T>([], setKind<T>(), opts));
  }

  private register<V, A>(acc: Accumulator<V, A>): Accumulator<V, A> {
    this.accumulators.set(acc.id, acc as unknown as Accumulator<unknown, unknown>);
    return acc;
  }

  /** Merges an ended job's accumulator values into this context's accumulators (the rule: client/accumulator.ts), and remembers the ids of the datasets it persisted (what unpersist releases). */
  private jobEnded(job: JobInfo, nodes: Map<string, LineageNode>): void {
    for (const info of job.accumulators ?? []) this.accumulators.get(info.id)?.applyJob(info);
    for (const d of job.datasets ?? []) {
      const node = nodes.get(d.node);
      if (node?.persist) node.datasetId = d.datasetId;
    }
  }

  // ---- broadcast variables (client/broadcast.ts) ----

  /**
   * A read-only value (JSON) sent once to each worker that runs a task needing
   * it, rather than with every task: pass it in an env,
   * `ds.map(fn, { env: { lookup: bc } })`, and read `env.lookup.value` in the
   * function. Its size is bounded by the cluster's --max-broadcast-size
   * (default 64 MiB). Freed by `bc.destroy()` or by close().
   */
  async broadcast<T>(value: T): Promise<Broadcast<T>> {
    if (this.closed) throw new Error("cannot broadcast: the context is closed");
    const json = broadcastJson(value);
    const runner = this.runner;
    if (!runner.broadcast || !runner.destroyBroadcast) throw new Error("broadcast(): this context runs jobs without an application on a cluster, so no worker can hold a broadcast");
    const id = await runner.broadcast(json);
    // The program's copy is the JSON's: what tasks read, not the caller's object they could go on changing.
    return new Broadcast<T>(id, JSON.parse(json) as T, async (bid) => {
      if (!this.closed) await runner.destroyBroadcast!(bid);
    });
  }

  // ---- checkpoints (client/checkpoint.ts) ----

  private checkpointDir = DEFAULT_CHECKPOINT_DIR;

  /**
   * Where this context's checkpoints go, relative to the outputs directory
   * (default "checkpoints"): each is written to <dir>/<application id>/<id>/.
   * Plain names only (letters, digits, "." and "-" per part, no ".."): the
   * directory stays inside the data directory. Applies to checkpoints written
   * from now on.
   */
  setCheckpointDir(dir: string): void {
    const problem = checkpointDirProblem(dir);
    if (problem !== null) throw new TypeError(`setCheckpointDir(): the directory ${problem}`);
    this.checkpointDir = dir;
  }

  /** The directory checkpoints are written to, relative to the outputs directory. */
  getCheckpointDir(): string {
    return this.checkpointDir;
  }

  /** Writes every marked, unwritten checkpoint in `input`'s lineage, upstream ones first (so each save job reads the files of those before it). */
  private async writeCheckpoints(input: LineageNode): Promise<void> {
    for (const node of topologicalOrder(input)) {
      const mark = node.checkpoint;
      if (!mark || mark.saved !== null) continue;
      // An action that starts while another writes this checkpoint waits for that write rather than starting a second.
      mark.writing ??= this.writeCheckpoint(node, mark).finally(() => {
        mark.writing = null;
      });
      await mark.writing;
    }
  }

  /** One save job; on success the mark holds its path (the cut), on failure it stays unwritten and the error reaches the action. */
  private async writeCheckpoint(node: LineageNode, mark: CheckpointMark): Promise<void> {
    const app = this.runner.applicationId;
    if (app === undefined) throw new Error(NO_CHECKPOINT_DIRECTORY);
    const path = checkpointSavePath(this.checkpointDir, app, `rdd-${randomBytes(6).toString("hex")}`);
    const built = buildJob(`${this.appName}: checkpoint`, node, { op: "save", params: { path, format: "jsonl" }, env: null });
    const spec = { ...this.settings, ...built.spec };
    // A persisted dataset keeps its mark in the save job, so that blocks an earlier action cached are what it writes.
    await this.runner.run(spec, (job) => this.jobEnded(job, built.nodes));
    mark.saved = path;
    // Later jobs name the checkpoint source instead (another dataset id): the blocks of the old lineage would be a second copy no job of this context reads.
    const old = node.datasetId ?? null;
    node.datasetId = null;
    if (old !== null) await this.unpersistDataset(old);
  }
}
