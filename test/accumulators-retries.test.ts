// What test/accumulators-cluster.test.ts leaves out: retries in a shuffle's map stage and in its reduce stage of one
// JobSpec job, each task of both failing on its first attempt after it has added, and a task that fails on its first
// two attempts; every accumulator (sum, max, list, set) holds exactly what one successful attempt per partition added.
import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import { startTestCluster, type TestCluster } from "./helpers/cluster.js";

let t: TestCluster;
before(async () => {
  t = await startTestCluster({ workers: 2, slots: 1 });
});
after(() => t?.stop());

const acc = (id: string, merge: string) => ({ $accumulator: { id, merge } });

it("every task of a map stage and of its reduce stage fails once after adding: each partition's adds count once", async () => {
  const spec = {
    nodes: [
      { id: "n", op: "range", start: 0, end: 1200, numSlices: 6 },
      {
        id: "m",
        op: "map",
        input: "n",
        // Partition 5 fails twice; the others once, after their last add.
        fn: "(x, env) => { env.mapped.add(1); env.top.add(x); const c = TaskContext.get(); if (x % 200 === 199 && c.attemptNumber() < (c.partitionId() === 5 ? 2 : 1)) throw new Error('flaky map'); return [x % 4, x]; }",
        env: { mapped: acc("mapped", "sum"), top: acc("top", "max") },
      },
      { id: "r", op: "reduceByKey", input: "m", fn: "(a, b) => a + b", numPartitions: 4 },
      {
        id: "after",
        op: "mapPartitions",
        input: "r",
        // Every reduce task (an empty partition too) fails on its first attempt, after its adds.
        fn: "(kvs, env) => { const out = []; for (const kv of kvs) { env.keys.add(kv[0]); env.kinds.add(kv[0] % 2); out.push(kv); } if (TaskContext.get().attemptNumber() === 0) throw new Error('flaky reduce'); return out; }",
        env: { keys: acc("keys", "list"), kinds: acc("kinds", "set") },
      },
    ],
    action: { op: "collect", input: "after" },
  };
  const { job, value } = await t.cluster.client.run(spec);
  const expected = [0, 1, 2, 3].map((k) => [k, Array.from({ length: 300 }, (_, i) => i * 4 + k).reduce((a, b) => a + b, 0)]);
  assert.deepEqual(
    (value as [number, number][]).sort((a, b) => a[0] - b[0]),
    expected,
  );
  assert.equal(job.metrics.retries, 6 + 1 + 4, "each map task failed once (partition 5 twice), each reduce task once");
  const byId = Object.fromEntries((job.accumulators ?? []).map((a) => [a.id, a]));
  assert.deepEqual([byId.mapped!.value, byId.mapped!.partitions], [1200, 6], "each record's add counted once");
  assert.equal(byId.top!.value, 1199);
  assert.deepEqual([...(byId.keys!.value as number[])].sort(), [0, 1, 2, 3]);
  assert.deepEqual([...(byId.kinds!.value as number[])].sort(), [0, 1]);
});
