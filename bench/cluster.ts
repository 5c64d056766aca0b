// The cluster every benchmark runs on: a local master and 2 workers × 1 slot
// (the 2-core setting; the scaling benchmark also runs 1 worker),
// workers logging warnings only, stopped however the benchmark ends.
import { LocalCluster } from "../src/client/local-cluster.js";

export async function withCluster<T>(dataDir: string, workerArgs: string[], f: (c: LocalCluster) => Promise<T>, workers = 2): Promise<T> {
  const cluster = await LocalCluster.start({ workers, slots: 1, dataDir, workerArgs: ["--log-level", "warn", ...workerArgs] });
  try {
    return await f(cluster);
  } finally {
    await cluster.stop();
  }
}
