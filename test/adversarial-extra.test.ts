// Attacks found by trying to break the hardened cluster, on real processes:
// each test is an input that crashed, hung or misled a process before its fix.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { requestRaw } from "../src/common/http-client.js";
import { countJsonValues } from "../src/common/json-values.js";
import { MAX_SPEC_VALUES } from "../src/planner/validate.js";
import { BadSplitReplyError, checkSplitReply } from "../src/master/split-reply-check.js";
import { evenEdges } from "../src/plan/resolution.js";
import type { SplitSource } from "../src/plan/physical.js";
import { FakeWorker } from "./helpers/fake-worker.js";
import { startTestCluster, writeFile, type TestCluster } from "./helpers/cluster.js";
import { PROTOCOL_VERSION } from "../src/common/version.js";

let t: TestCluster;

before(async () => {
  t = await startTestCluster({ workers: 0, slots: 2, workerTimeoutMs: 4000 });
});
after(async () => {
  await t?.stop();
});

async function waitJob(id: string, timeoutMs: number): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = (await t.http(`/api/v1/jobs/${id}`)).body;
    if (["COMPLETED", "FAILED", "CANCELLED"].includes(job.status) || Date.now() > deadline) return job;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("histogram buckets over data spanning more than a double holds", () => {
  it("evenEdges(-1e308, 1e308, n): finite, increasing edges from min to max (max - min overflowed to Infinity: edges null in JSON, values dropped)", () => {
    for (const [min, max] of [
      [-1e308, 1e308],
      [-Number.MAX_VALUE, Number.MAX_VALUE],
      [-1.7e308, 1],
    ]) {
      for (const n of [2, 3, 4, 1000]) {
        const edges = evenEdges(min!, max!, n);
        assert.equal(edges.length, n + 1);
        assert.equal(edges[0], min);
        assert.equal(edges[n], max);
        assert.ok(
          edges.every((e, i) => Number.isFinite(e) && (i === 0 || e > edges[i - 1]!)),
          `${min}..${max} in ${n}: ${edges.slice(0, 5).join(", ")}`,
        );
      }
    }
    assert.deepEqual(evenEdges(0, 10, 4), [0, 2.5, 5, 7.5, 10], "ordinary spans keep min + i × width");
  });
});

describe("checkSplitReply", () => {
  const source = (node: string): SplitSource => ({ node, path: "in", minPartitions: 2, maxPartitionBytes: 1 << 25, splittable: true });
  const split = { path: "in/a.txt", start: 0, end: 10, fileSize: 20 };

  it("keeps exactly the requested nodes' splits, an empty file's [0, 0) included, in a map without a prototype", () => {
    const got = checkSplitReply("w", { protocol: PROTOCOL_VERSION, splits: { __proto__: [split], f: [split, { path: "in/e", start: 0, end: 0, fileSize: 0 }], extra: [split] } }, [source("f")], 10);
    assert.deepEqual(Object.keys(got), ["f"]);
    assert.equal(Object.getPrototypeOf(got), null);
    assert.equal(got.f!.length, 2);
    const own = checkSplitReply("w", { splits: JSON.parse(`{"__proto__": [${JSON.stringify(split)}]}`) }, [source("__proto__")], 10);
    // biome-ignore lint/suspicious/noProto lint/complexity/useLiteralKeys: the test is that a key named __proto__ is an own property
    assert.deepEqual(own["__proto__"], [split], "a node named __proto__ gets its own listing");
  });

  it("refuses what no worker lists, naming the worker and the split", () => {
    const cases: [unknown, RegExp][] = [
      [null, /splits object/],
      [{ splits: [] }, /splits object/],
      [{ splits: {} }, /node "f" has no list/],
      [{ splits: { f: [] } }, /node "f" has no list/],
      [{ splits: { f: Array(11).fill(split) } }, /11 splits; at most 10/],
      [{ splits: { f: [{ ...split, path: 7 }] } }, /split 0 of node "f" must be an object with a path/],
      [{ splits: { f: [{ ...split, path: "/etc/passwd" }] } }, /absolute/],
      [{ splits: { f: [{ ...split, path: "a/../../x" }] } }, /leaves the data directory/],
      [{ splits: { f: [split, { ...split, start: -1 }] } }, /split 1 of node "f" must have whole byte offsets/],
      [{ splits: { f: [{ ...split, end: 1e308 }] } }, /whole byte offsets/],
      [{ splits: { f: [{ ...split, start: 11 }] } }, /whole byte offsets/],
      [{ splits: { f: [{ ...split, end: 21 }] } }, /whole byte offsets/],
      [{ splits: { f: [{ ...split, fileSize: 1.5 }] } }, /whole byte offsets/],
    ];
    for (const [reply, message] of cases) {
      assert.throws(
        () => checkSplitReply("127.0.0.1:9", reply, [source("f")], 10),
        (e: unknown) => e instanceof BadSplitReplyError && /worker 127\.0\.0\.1:9/.test(e.message) && message.test(e.message),
        JSON.stringify(reply).slice(0, 80),
      );
    }
  });
});

describe("a worker's input listing is checked before the master plans from it", () => {
  it("made-up listings are refused and the start tried again; the job then runs on an honest listing", async () => {
    writeFile(t.dataDir, "listed/a.txt", "one\ntwo\n");
    const split = { path: "listed/a.txt", start: 0, end: 8, fileSize: 8 };
    const hostile: ((node: string) => unknown)[] = [
      () => [],
      () => ({ protocol: PROTOCOL_VERSION, splits: JSON.parse(`{"__proto__": [${JSON.stringify(split)}]}`) }),
      (node) => ({ protocol: PROTOCOL_VERSION, splits: { [node]: [{ ...split, start: -5, end: 1e308, fileSize: -1 }] } }),
      (node) => ({ protocol: PROTOCOL_VERSION, splits: { [node]: [{ ...split, path: "../../../../etc/passwd" }] } }),
      (node) => ({ protocol: PROTOCOL_VERSION, splits: { [node]: Array.from({ length: 100_001 }, () => split) } }),
      // Past the reply cap: refused as it arrives, never parsed.
      (node) => ({ protocol: PROTOCOL_VERSION, splits: { [node]: [split] }, padding: "x".repeat(65 * 1024 * 1024) }),
    ];
    const fake = new FakeWorker(t.cluster.masterUrl, t.cluster.token, "fake-lister", 2);
    let calls = 0;
    fake.splitsReply = async (req) => {
      const node = (req as { sources: { node: string }[] }).sources[0]!.node;
      const reply = hostile[calls++]!(node);
      if (calls === hostile.length) {
        // The last lie: step aside so that the next start is listed by a real worker.
        fake.draining = true;
        await fake.beat();
        t.cluster.startWorker();
      }
      return { status: 200, body: Buffer.from(JSON.stringify(reply)) };
    };
    await fake.start();
    try {
      const id = (await t.http("/api/v1/jobs", { body: { nodes: [{ id: "f", op: "textFile", path: "listed/a.txt" }], action: { op: "count", input: "f" } } })).body.id as string;
      const job = await waitJob(id, 45_000);
      assert.equal(calls, hostile.length, "every made-up listing was refused, so the master asked again");
      assert.equal(job.status, "COMPLETED", job.error);
      assert.equal((await t.http(`/api/v1/jobs/${id}/results`)).body.value, 2);
      assert.equal(fake.launched.length, 0, "no task was planned from a made-up listing");
      assert.equal((await t.http("/healthz")).status, 200);
    } finally {
      await fake.stop();
    }
  });
});

describe("a job spec's values are counted before it is parsed", () => {
  it("countJsonValues: one per comma, array and object outside strings", () => {
    assert.equal(countJsonValues(Buffer.from('{"a":[1,2,{}],"b":"x,[{\\",y"}'), 100), 7);
    assert.equal(countJsonValues(Buffer.from("7"), 100), 1);
    assert.equal(countJsonValues(Buffer.from("[" + "{},".repeat(1000) + "{}]"), 10), 11, "stops past the limit");
    assert.equal(countJsonValues(Buffer.from('"é,ü"'), 1), 1, "UTF-8 inside strings is skipped");
  });

  it("a 64 MiB spec of empty objects is refused before parsing (before: 30 s of blocked loop, and the second one ended the master out of memory)", async () => {
    const n = Math.floor((64 * 1024 * 1024 - 200) / 3);
    const body = `{"nodes":[{"id":"p","op":"parallelize","data":[${"{},".repeat(n - 1)}{}]}],"action":{"op":"count","input":"p"}}`;
    for (let i = 0; i < 2; i++) {
      const started = Date.now();
      const res = await requestRaw(t.cluster.masterUrl + "/api/v1/jobs", { body, token: t.cluster.token, timeoutMs: 60_000 });
      assert.equal(res.status, 413, res.body.toString().slice(0, 200));
      assert.match(res.body.toString(), new RegExp(`more than ${MAX_SPEC_VALUES} JSON values`));
      assert.ok(Date.now() - started < 15_000, `refused in ${Date.now() - started} ms`);
      assert.equal((await t.http("/healthz")).status, 200);
    }
    const data = Array.from({ length: 1000 }, (_, i) => i);
    assert.equal(await t.run({ nodes: [{ id: "p", op: "parallelize", data }], action: { op: "count", input: "p" } }), 1000, "the master still serves a job");
  });
});

describe("the master's calls to a worker read a bounded reply", () => {
  it("a launch, kill or output reply of 8 MiB fails the call instead of being read whole", async () => {
    const { WorkerClient } = await import("../src/master/worker-client.js");
    const http = await import("node:http");
    const huge = Buffer.alloc(8 * 2 ** 20, 0x20);
    const server = http.createServer((req, res) => {
      req.resume();
      req.on("end", () => res.writeHead(200, { "content-type": "application/json" }).end(huge));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const address = `127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const client = new WorkerClient("t");
      await assert.rejects(client.launch(address, []), /larger than|too large|bytes/i);
      await assert.rejects(client.kill(address, "a"), /larger than|too large|bytes/i);
      await assert.rejects(client.finalizeOutput(address, "job-x" as never, "p", 1), /larger than|too large|bytes/i);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
