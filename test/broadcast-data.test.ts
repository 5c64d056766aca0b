// Broadcast data on a real local cluster (issue 17, item 4): the client uploads
// the JSON once to the worker the master picked; tasks on every worker read it
// as env.<name>.value, and it crossed each worker's network once however many
// tasks read it (the workers' fetch counters); a worker started after the
// broadcast gets it from a peer; destroy and the application's end free it on
// every worker; the worker's PUT refuses hostile bodies and ids; the library's
// sc.broadcast(value) → bc.value in the program, env.<name>.value in functions.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { AppInfo, BroadcastCreated, WorkerList } from "../src/common/api-types.js";
import { peerUrl, requestRaw } from "../src/common/http-client.js";
import { startTestCluster, type TestCluster } from "./helpers/cluster.js";
import { Broadcast, connect } from "../src/index.js";

interface Held {
  bytes: number;
  fetches: number;
  fetchedBytes: number;
  held: { application: string; id: string }[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TABLE = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [String(i), `name-${i}`]));

function lookupJob(application: string, id: string, partitions: number) {
  return {
    application,
    nodes: [
      { id: "r", op: "range", start: 0, end: partitions * 10, numSlices: partitions },
      // A little work per record, so that every worker gets tasks.
      {
        id: "m",
        op: "map",
        input: "r",
        fn: "(x, env) => { const end = Date.now() + 5; while (Date.now() < end); return env.lookup.value.table[String(x % 1000)]; }",
        env: { lookup: { $broadcast: { id } } },
      },
    ],
    action: { op: "collect", input: "m" },
  };
}

describe("broadcast data on a cluster", () => {
  let t: TestCluster;
  before(async () => {
    t = await startTestCluster({ workers: 2, slots: 2, workerArgs: ["--heartbeat", "200ms", "--max-broadcast-size", "1mb"] });
  });
  after(async () => {
    await t.stop();
  });

  const workers = async () => ((await t.http("/api/v1/workers")).body as WorkerList).workers.filter((w) => w.status === "ALIVE").map((w) => w.address);
  const held = async (address: string): Promise<Held> => JSON.parse((await requestRaw(peerUrl(address, "/broadcasts"), { token: t.cluster.token })).body.toString("utf8"));
  const register = async () => (await t.http("/api/v1/apps", { method: "POST", body: { name: "bc-data" } })).body as AppInfo;
  const put = (url: string, body: string, token: string | null = t.cluster.token) => requestRaw(url, { method: "PUT", body, token });
  async function broadcast(app: string, value: unknown): Promise<BroadcastCreated> {
    const text = JSON.stringify(value);
    const created = (await t.http(`/api/v1/apps/${app}/broadcasts`, { method: "POST", body: { bytes: Buffer.byteLength(text) } })).body as BroadcastCreated;
    const r = await put(`${created.uploadTo}/broadcasts/${app}/${created.id}`, text);
    assert.equal(r.status, 200, r.body.toString());
    return created;
  }
  async function until(what: string, ok: () => Promise<boolean>, ms = 10_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!(await ok())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(100);
    }
  }

  it("many tasks on every worker read the value; each worker's network carried it once; a worker started later gets it from a peer", async () => {
    const app = await register();
    const bc = await broadcast(app.id, { table: TABLE });
    const expected = (n: number) => Array.from({ length: n * 10 }, (_, x) => TABLE[String(x % 1000)]);
    assert.deepEqual(await t.run(lookupJob(app.id, bc.id, 16)), expected(16));
    assert.deepEqual(await t.run(lookupJob(app.id, bc.id, 16)), expected(16), "a second job reads the workers' copies");
    const [a, b] = await workers();
    const counts = await Promise.all([a!, b!].map(held));
    const uploader = `http://${a}` === bc.uploadTo ? 0 : 1;
    assert.equal(counts[uploader]!.fetches, 0, "the upload's worker never fetched it");
    assert.equal(counts[1 - uploader]!.fetches, 1, "the other fetched it once for its 32 tasks");
    for (const c of counts) assert.deepEqual(c.held, [{ application: app.id, id: bc.id }]);
    assert.equal(counts[1 - uploader]!.fetchedBytes, Buffer.byteLength(JSON.stringify({ table: TABLE })));

    t.cluster.startWorker();
    await t.cluster.waitForWorkers(3);
    const late = (await workers()).find((w) => w !== a && w !== b)!;
    assert.equal((await held(late)).fetches, 0);
    // Enough tasks that the new worker runs some: it has the value from a peer, the master never had it.
    assert.deepEqual(await t.run(lookupJob(app.id, bc.id, 48)), expected(48));
    const lateCounts = await held(late);
    assert.equal(lateCounts.fetches, 1, "the late worker fetched it once from a peer");
    assert.deepEqual(lateCounts.held, [{ application: app.id, id: bc.id }]);
  });

  it("destroy frees it on every worker with their next heartbeat, and the application's end frees the rest", async () => {
    const app = await register();
    const one = await broadcast(app.id, { table: TABLE });
    const two = await broadcast(app.id, { table: TABLE });
    await t.run(lookupJob(app.id, one.id, 12));
    await t.run(lookupJob(app.id, two.id, 12));
    const holding = async (id: string) => (await Promise.all((await workers()).map(held))).filter((h) => h.held.some((x) => x.id === id)).length;
    assert.ok((await holding(one.id)) >= 2);
    const destroyed = await t.http(`/api/v1/apps/${app.id}/broadcasts/${one.id}`, { method: "DELETE" });
    assert.ok(destroyed.body.workers >= 2, JSON.stringify(destroyed.body));
    await until("every worker dropped the destroyed broadcast", async () => (await holding(one.id)) === 0);
    assert.ok((await holding(two.id)) >= 2, "the other is kept");
    assert.equal((await t.http(`/api/v1/apps/${app.id}`, { method: "DELETE" })).status, 200);
    await until("every worker dropped the ended application's broadcast", async () => (await holding(two.id)) === 0);
  });

  it("the library: await sc.broadcast(value), read as env.lookup.value in functions and bc.value in the program; destroy() and close() free it", async () => {
    const sc = await connect(t.cluster.masterUrl, { token: t.cluster.token, appName: "bc-library" });
    try {
      const source = { table: TABLE, factor: 3 };
      const bc = await sc.broadcast(source);
      assert.ok(bc instanceof Broadcast);
      assert.match(bc.id, /^bc-/);
      source.factor = 100;
      assert.equal(bc.value.factor, 3, "the program's value is what was sent, whatever the caller changes later");
      const out = await sc
        .range(0, 200, 1, 10)
        .map((x: number, env: { lookup: { value: { table: Record<string, string>; factor: number } } }) => `${env.lookup.value.table[String(x % 1000)]}*${env.lookup.value.factor}`, {
          env: { lookup: bc },
        })
        .collect();
      assert.deepEqual(
        out,
        Array.from({ length: 200 }, (_, x) => `name-${x}*3`),
      );
      const holding = async () => (await Promise.all((await workers()).map(held))).filter((h) => h.held.some((x) => x.id === bc.id)).length;
      assert.ok((await holding()) >= 1);
      await bc.destroy();
      await bc.destroy();
      assert.throws(() => bc.value, /was destroyed/);
      // As any env that cannot be shipped: refused when the dataset is defined.
      assert.throws(() => sc.range(0, 4).map((x: number, env: { b: { value: unknown } }) => [x, env.b.value], { env: { b: bc } }), /was destroyed; a job cannot use it/);
      await until("the destroyed broadcast is dropped everywhere", async () => (await holding()) === 0);
      const kept = await sc.broadcast([1, 2, 3]);
      assert.deepEqual(
        await sc
          .range(0, 3, 1, 3)
          .map((i: number, env: { xs: { value: number[] } }) => env.xs.value[i], { env: { xs: kept } })
          .collect(),
        [1, 2, 3],
      );
      await sc.close();
      const keptHolders = async () => (await Promise.all((await workers()).map(held))).filter((h) => h.held.some((x) => x.id === kept.id)).length;
      await until("close() (the application's end) dropped it everywhere", async () => (await keptHolders()) === 0);
      await assert.rejects(() => sc.broadcast(1), /context is closed/);
      const tooBig = await connect(t.cluster.masterUrl, { token: t.cluster.token, appName: "bc-big" });
      await assert.rejects(() => tooBig.broadcast("x".repeat(2 * 1024 * 1024)), /larger than 1048576 bytes \(over the worker's --max-broadcast-size\)/);
      await assert.rejects(() => tooBig.broadcast({ f: () => 1 }), /must be JSON data/);
      await tooBig.close();
    } finally {
      await sc.close();
    }
  });

  it("a worker's PUT refuses hostile bodies and ids, and over its limit names it", async () => {
    const app = await register();
    const created = (await t.http(`/api/v1/apps/${app.id}/broadcasts`, { method: "POST", body: { bytes: 10 } })).body as BroadcastCreated;
    const url = `${created.uploadTo}/broadcasts/${app.id}/${created.id}`;
    assert.equal((await put(url, "[1, 2]", null)).status, 401, "token-checked");
    assert.equal((await put(url, "[1, 2]", "wrong")).status, 401);
    assert.equal((await put(url, '{"a": ')).status, 400);
    assert.equal((await put(url, "")).status, 400);
    const big = await put(url, JSON.stringify("x".repeat(1024 * 1024)));
    assert.equal(big.status, 413);
    for (const path of [`/broadcasts/${app.id}/nope`, `/broadcasts/app-x/${created.id}`, `/broadcasts/${app.id}/..%2F..%2Fetc`]) {
      assert.equal((await put(`${created.uploadTo}${path}`, "1")).status, 400, path);
    }
    const nested = await put(url, `${"[".repeat(100_000)}${"]".repeat(100_000)}`);
    assert.equal(nested.status, 400, "a value too deep to keep is refused, not a crash");
    assert.match(JSON.parse(nested.body.toString()).error.message, /nests too deeply/);
    const wrongType = await requestRaw(url, { method: "PUT", token: t.cluster.token });
    assert.ok(wrongType.status === 400 || wrongType.status === 415);
    const health = await requestRaw(`${created.uploadTo}/healthz`);
    assert.equal(health.status, 200);
  });
});
