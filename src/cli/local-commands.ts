// `minispark local <job.json>` runs a job on an embedded cluster (a master and N
// worker processes on loopback, started and torn down here), with --conf's and
// the defaults file's job settings (conf.ts); `minispark demo`
// is the README's main job: word count over a generated corpus, checked against
// a plain single-process count.
import fs from "node:fs";
import { join, resolve } from "node:path";
import { LocalCluster } from "../client/local-cluster.js";
import { JobFailedError } from "../client/rest-client.js";
import { MAX_CORPUS_MB, corpusFits, writeCorpus } from "./corpus.js";
import { MAX_LOCAL_WORKERS } from "../common/local-master.js";
import { UsageError } from "./usage-error.js";
import { MAX_WORKER_SLOTS, countRule, requireDataDir } from "./flag-values.js";
import { HELP_FLAG, helpText, parseCommand, type CommandSpec, type FlagTable, type Parsed } from "./flag-table.js";
import { ProgressPrinter, duration, showValue } from "./format.js";
import { finish, readJobFile } from "./client-commands.js";
import { CLIENT_KEYS, jobSettings, parseConfFlag, readDefaults, withJobSettings } from "./conf.js";
import { minisparkHome } from "./token-file.js";

const CLUSTER_FLAGS = {
  workers: { type: "string", arg: "<n>", help: "worker processes", default: "2", rule: countRule(1, MAX_LOCAL_WORKERS) },
  slots: { type: "string", arg: "<n>", help: "task slots per worker", defaultNote: "this machine's cores shared out", rule: countRule(1, MAX_WORKER_SLOTS) },
  "data-dir": { type: "string", arg: "<dir>", help: "inputs are read from here, outputs go to <dir>/outputs", default: "./data", env: "MINISPARK_DATA_DIR" },
  "log-file": { type: "string", arg: "<file>", help: "keep the cluster's logs in this file" },
} as const satisfies FlagTable;

const LOCAL_FLAGS = {
  ...CLUSTER_FLAGS,
  conf: { type: "string", multiple: true, arg: "<key=value>", help: "a job setting: name, parallelism, maxTaskRetries or taskTimeoutMs (repeatable)" },
  "properties-file": { type: "string", arg: "<file>", help: "job settings' defaults, as for `minispark submit`", defaultNote: "$MINISPARK_HOME/defaults.conf, if there" },
  json: { type: "boolean", help: "machine-readable output" },
  ...HELP_FLAG,
} as const satisfies FlagTable;
const DEMO_FLAGS = {
  ...CLUSTER_FLAGS,
  "size-mb": { type: "string", arg: "<n>", help: "corpus size in MiB (and at most the free space of --data-dir)", default: "32", rule: countRule(1, MAX_CORPUS_MB) },
  ...HELP_FLAG,
} as const satisfies FlagTable;

export const LOCAL_COMMAND: CommandSpec<typeof LOCAL_FLAGS> = {
  name: "local",
  synopsis: "local <job.json> [options]",
  summary: "run a job on an embedded cluster (--workers N)",
  about: `Runs the job on an embedded cluster: a master and N worker processes on
loopback, started for this run and torn down at the end.`,
  flags: LOCAL_FLAGS,
  operands: 1,
  notes: "The job file's own fields win over --conf, which wins over the defaults file.",
};

export const DEMO_COMMAND: CommandSpec<typeof DEMO_FLAGS> = {
  name: "demo",
  synopsis: "demo [options]",
  summary: "word count over a generated corpus on a local cluster",
  about: `Word count over a generated English-like corpus, on a local cluster of worker
processes: prints the top words, the job's time, and where the output went.`,
  flags: DEMO_FLAGS,
  operands: 0,
};

interface ClusterValues {
  readonly workers: number;
  readonly slots: number | undefined;
  readonly "data-dir": string;
  readonly "log-file"?: string;
}

function clusterValues(parsed: Parsed<typeof CLUSTER_FLAGS>): ClusterValues {
  return { workers: parsed.number("workers")!, slots: parsed.number("slots"), "data-dir": parsed.values["data-dir"], "log-file": parsed.values["log-file"] };
}

async function withCluster<T>(values: ClusterValues, fn: (c: LocalCluster) => Promise<T>): Promise<T> {
  const cluster = await LocalCluster.start({
    workers: values.workers,
    slots: values.slots,
    dataDir: values["data-dir"],
    logFile: values["log-file"] ? resolve(values["log-file"]) : undefined,
  });
  const stop = () => void cluster.stop().then(() => process.exit(130));
  process.once("SIGINT", stop);
  try {
    return await fn(cluster);
  } finally {
    process.off("SIGINT", stop);
    await cluster.stop();
  }
}

export async function localCommand(argv: string[]): Promise<number> {
  const parsed = parseCommand(LOCAL_COMMAND, argv);
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(helpText(LOCAL_COMMAND));
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(helpText(LOCAL_COMMAND));
  const conf = (values.conf ?? []).map(parseConfFlag);
  // The embedded cluster is its own master, with its own token: a client key given here is a mistake. The defaults file's are for the other commands.
  const client = conf.find((e) => (CLIENT_KEYS as readonly string[]).includes(e.key));
  if (client) throw new UsageError(`${client.from}: "${client.key}" has no meaning for minispark local, which starts its own cluster; --conf takes ${LOCAL_CONF_KEYS} here`);
  const settings = jobSettings([...readDefaults(values["properties-file"], minisparkHome()), ...conf]);
  const spec = withJobSettings(readJobFile(positionals[0]!), settings);
  if (!parsed.defaulted("data-dir")) requireDataDir(values["data-dir"], parsed.from("data-dir"));
  return withCluster(clusterValues(parsed), async (cluster) => {
    const printer = values.json ? null : new ProgressPrinter();
    const id = await cluster.client.submit(spec);
    const job = await cluster.client.wait(id, (j) => printer?.update(j));
    return finish(cluster.client, job, values.json ?? false);
  });
}

const LOCAL_CONF_KEYS = "name, parallelism, maxTaskRetries or taskTimeoutMs";

const TOKENIZE = "line => line.toLowerCase().split(/[^a-z']+/).filter(w => w.length > 0)";

export async function demoCommand(argv: string[]): Promise<number> {
  const parsed = parseCommand(DEMO_COMMAND, argv);
  const { values } = parsed;
  if (values.help) {
    console.log(helpText(DEMO_COMMAND));
    return 0;
  }
  const dataDir = resolve(values["data-dir"]);
  const sizeMb = parsed.number("size-mb")!;
  const corpusDir = join(dataDir, "demo", `corpus-${sizeMb}mb`);
  if (!fs.existsSync(join(corpusDir, "_READY"))) {
    const room = corpusFits(dataDir, sizeMb);
    if (room !== null) throw new UsageError(`${parsed.from("size-mb")} ${sizeMb}: ${room}`);
    console.error(`generating a ${sizeMb} MiB corpus in ${corpusDir} ...`);
    writeCorpus(corpusDir, 4, Math.ceil((sizeMb * 1024 * 1024) / 4));
    fs.writeFileSync(join(corpusDir, "_READY"), "");
  }
  const spec = {
    name: "demo-wordcount",
    nodes: [
      { id: "lines", op: "textFile", path: `demo/corpus-${sizeMb}mb/*.txt` },
      { id: "words", op: "flatMap", input: "lines", fn: TOKENIZE },
      { id: "pairs", op: "map", input: "words", fn: "w => [w, 1]" },
      { id: "counts", op: "reduceByKey", input: "pairs", fn: "(a, b) => a + b" },
      { id: "byCount", op: "sortBy", input: "counts", fn: "p => p[1]", ascending: false },
    ],
    action: { op: "save", input: "byCount", path: "demo-wordcount", format: "jsonl", mode: "overwrite" },
  };
  return withCluster(clusterValues(parsed), async (cluster) => {
    console.error(`local cluster: master ${cluster.masterUrl}, ${values.workers} worker processes`);
    const printer = new ProgressPrinter();
    const started = performance.now();
    let saved: { value: { path: string; files: string[]; records: number } };
    try {
      saved = await cluster.client.run(spec, (j) => printer.update(j));
    } catch (e) {
      if (e instanceof JobFailedError) {
        console.error(e.message);
        return 1;
      }
      throw e;
    }
    const wall = performance.now() - started;
    const top = await cluster.client.run<[string, number][]>({
      name: "demo-top-words",
      nodes: [{ id: "sorted", op: "jsonl", path: "outputs/demo-wordcount/part-*" }],
      action: { op: "take", input: "sorted", num: 10 },
    });
    const expected = countPlainly(corpusDir);
    const ok = top.value.every(([w, n]) => expected.get(w) === n) && saved.value.records === expected.size;
    console.log(`\nTop 10 words of ${saved.value.records} distinct:`);
    console.log(top.value.map(([w, n], i) => `${String(i + 1).padStart(3)}. ${w.padEnd(12)} ${n}`).join("\n"));
    console.log(`\nword count took ${duration(Math.round(wall))} on ${values.workers} workers`);
    console.log(`output: ${join(dataDir, "outputs", saved.value.path)} (${saved.value.files.length} part files, globally sorted by count)`);
    console.log(ok ? "check: matches a plain single-process count" : "check FAILED: differs from a plain single-process count");
    if (!ok) console.log(showValue(top.value));
    return ok ? 0 : 1;
  });
}

function countPlainly(dir: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const f of fs.readdirSync(dir).filter((f) => f.endsWith(".txt"))) {
    for (const line of fs.readFileSync(join(dir, f), "utf8").split("\n")) {
      for (const w of line.toLowerCase().split(/[^a-z']+/)) if (w.length > 0) counts.set(w, (counts.get(w) ?? 0) + 1);
    }
  }
  return counts;
}
