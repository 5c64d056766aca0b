// Test helpers for integration tests: a real local cluster (master and worker
// processes on loopback) over a temporary data directory, and plain-JS
// reference computations to compare its answers with.
import fs from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { LocalCluster, type LocalClusterOptions } from "../../src/client/local-cluster.js";
import { requestRaw } from "../../src/common/http-client.js";

export interface TestCluster {
  cluster: LocalCluster;
  dataDir: string;
  /** Submits, waits, and returns the value (throws JobFailedError if it fails). */
  run<T = unknown>(spec: unknown): Promise<T>;
  /** Raw HTTP to the master with the cluster's token unless `token` is given. */
  http(path: string, init?: { method?: string; body?: unknown; token?: string | null }): Promise<{ status: number; body: any }>;
  stop(): Promise<void>;
}

export async function startTestCluster(opts: Partial<LocalClusterOptions> = {}): Promise<TestCluster> {
  const dataDir = opts.dataDir ?? fs.mkdtempSync(join(os.tmpdir(), "minispark-test-data-"));
  const logFile = join(dataDir, "..", `${dataDir.split("/").pop()}-cluster.log`);
  const cluster = await LocalCluster.start({ workers: 2, slots: 1, dataDir, logFile, ...opts });
  return {
    cluster,
    dataDir,
    run: async <T>(spec: unknown) => (await cluster.client.run<T>(spec)).value,
    http: async (path, init = {}) => {
      const token = init.token === undefined ? cluster.token : init.token;
      const body = init.body === undefined ? undefined : typeof init.body === "string" ? init.body : JSON.stringify(init.body);
      const res = await requestRaw(cluster.masterUrl + path, { method: init.method, body, token });
      const text = res.body.toString("utf8");
      return { status: res.status, body: text ? JSON.parse(text) : null };
    },
    stop: async () => {
      await cluster.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
      fs.rmSync(logFile, { force: true });
    },
  };
}

export function writeFile(dataDir: string, rel: string, content: string): void {
  const abs = join(dataDir, rel);
  fs.mkdirSync(join(abs, ".."), { recursive: true });
  fs.writeFileSync(abs, content);
}

export function wordCounts(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const w of text.split(/\s+/)) if (w) counts.set(w, (counts.get(w) ?? 0) + 1);
  return counts;
}

/** Reads every part file of a saved output, in part order, as lines. */
export function readParts(dataDir: string, path: string): { files: string[]; lines: string[] } {
  const dir = join(dataDir, "outputs", path);
  const files = fs.readdirSync(dir).sort();
  const lines = files
    .filter((f) => f.startsWith("part-"))
    .flatMap((f) =>
      fs
        .readFileSync(join(dir, f), "utf8")
        .split("\n")
        .filter((l) => l !== ""),
    );
  return { files, lines };
}

export function sortedPairs<T>(pairs: [T, unknown][]): [T, unknown][] {
  return [...pairs].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
}
