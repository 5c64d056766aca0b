// The worker's cached blocks: the LRU's decisions (src/worker/memory/block-lru.ts), storage beside execution in a
// slot's share (src/worker/memory/memory-pool.ts), a thread's block store and a task's view of it
// (src/worker/thread-block-store.ts), and which blocks a task reads (src/plan/cached-reads.ts).
import { after, describe, it } from "node:test";
import fs from "node:fs";
import os from "node:os";
import { join } from "node:path";
import assert from "node:assert/strict";
import { BlockLru } from "../src/worker/memory/block-lru.js";
import { MemoryPool, memoryLayout } from "../src/worker/memory/memory-pool.js";
import { ThreadBlockStore } from "../src/worker/thread-block-store.js";
import { cachedBlockKey, cachedReads } from "../src/plan/cached-reads.js";
import type { AppId } from "../src/common/ids.js";
import { asDatasetId, type CacheMarker } from "../src/plan/storage-level.js";
import type { Rdd } from "../src/plan/physical.js";

const MB = 1024 * 1024;
const APP = "app-1" as AppId;
const DS = asDatasetId(`ds-${"a".repeat(32)}`);
const DS2 = asDatasetId(`ds-${"b".repeat(32)}`);
const marker = (datasetId = DS): CacheMarker => ({ datasetId, level: "MEMORY_ONLY" });

describe("BlockLru", () => {
  const lru = () => {
    const l = new BlockLru<{ bytes: number }>();
    for (const [k, bytes] of [
      ["a", 10],
      ["b", 20],
      ["c", 30],
    ] as const)
      l.add(k, { bytes });
    return l;
  };

  it("evicts least recently used first, a use making a block the newest", () => {
    const l = lru();
    assert.equal(l.bytes, 60);
    assert.deepEqual(
      l.victims(10, () => false),
      ["a"],
    );
    assert.deepEqual(
      l.victims(11, () => false),
      ["a", "b"],
    );
    l.use("a");
    assert.deepEqual(l.keys(), ["b", "c", "a"]);
    assert.deepEqual(
      l.victims(25, () => false),
      ["b", "c"],
    );
    assert.deepEqual(
      l.victims(0, () => false),
      [],
    );
  });

  it("skips the blocks it must keep, and evicts nothing when the others cannot free enough", () => {
    const l = lru();
    assert.deepEqual(
      l.victims(30, (k) => k === "b"),
      ["a", "c"],
    );
    assert.equal(
      l.victims(41, (k) => k === "b"),
      null,
    );
    assert.equal(
      l.victims(61, () => false),
      null,
    );
    assert.equal(
      l.victims(1e9, () => false),
      null,
    );
    assert.equal(l.size, 3, "deciding evicts nothing");
  });

  it("keeps its byte count through replace and remove", () => {
    const l = lru();
    l.add("a", { bytes: 5 });
    assert.equal(l.bytes, 55);
    assert.deepEqual(l.keys(), ["b", "c", "a"]);
    assert.equal(l.remove("b")?.bytes, 20);
    assert.equal(l.remove("b"), undefined);
    assert.equal(l.bytes, 35);
  });
});

describe("storage memory beside execution in a slot's share", () => {
  const pool = () => new MemoryPool(memoryLayout(64 * MB, 2, 0.5).pool);

  it("storage takes only what execution leaves; execution takes it back through the evictor", () => {
    const p = pool();
    const cap = p.shape.taskCapBytes;
    const storage = p.storage(0);
    let evicted = 0;
    const exec = p.task(0, (bytes) => {
      evicted += bytes;
      return storage.release(bytes);
    });
    assert.ok(exec.tryAcquire(cap / 2));
    assert.equal(storage.tryAcquire(cap / 2 + 1024), false, "not beyond what execution leaves");
    assert.ok(storage.tryAcquire(cap / 2));
    assert.equal(p.storageBytes(), cap / 2);
    assert.equal(p.storage(1).freeBytes(), cap, "another slot's share is its own");
    assert.ok(exec.tryAcquire(cap / 4), "execution evicts storage");
    assert.equal(evicted, cap / 4);
    assert.equal(exec.tryAcquire(cap), false, "never beyond the slot's share");
  });

  it("execution is refused (it spills) when storage cannot free enough, and takes nothing", () => {
    const p = pool();
    const cap = p.shape.taskCapBytes;
    assert.ok(p.storage(0).tryAcquire(cap));
    const exec = p.task(0, () => 0);
    assert.equal(exec.tryAcquire(MB), false);
    assert.equal(p.usedBytes(), 0);
    assert.equal(p.task(0).tryAcquire(MB), false, "without an evictor storage stays");
    p.resetSlot(0);
    assert.equal(p.storageBytes(), 0, "a dead thread's blocks are gone with its heap");
  });

  it("releases exactly what it granted, and never below zero", () => {
    const p = pool();
    const s = p.storage(0);
    assert.ok(s.tryAcquire(1500));
    assert.equal(p.storageBytes(), 2048);
    s.release(1500);
    s.release(1e9);
    assert.equal(p.storageBytes(), 0);
  });
});

/** A partition of `n` records in batches of 100, counting how often it is computed. */
function source(n: number) {
  const counter = { computed: 0 };
  const compute = function* () {
    counter.computed++;
    for (let i = 0; i < n; i += 100) yield Array.from({ length: Math.min(100, n - i) }, (_, j) => `record-${i + j}`);
  };
  return { counter, compute };
}

const blockRoot = fs.mkdtempSync(join(os.tmpdir(), "minispark-blocks-"));
after(() => fs.rmSync(blockRoot, { recursive: true, force: true }));

/** A store of its own (one slot of a pool) over a fresh block directory, or `blockDir` to share one as a worker's threads do. */
function storeOf(memoryBytes = 64 * MB, blockDir = fs.mkdtempSync(join(blockRoot, "w-"))) {
  const pool = new MemoryPool(memoryLayout(memoryBytes, 1, 0.5).pool);
  return { pool, store: new ThreadBlockStore(pool.storage(0), blockDir), blockDir };
}

/** Every file under dir, relative. */
const filesUnder = (dir: string) =>
  fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => e.name);

describe("a thread's block store", () => {
  it("keeps a partition computed whole by a task that succeeds, and a later task reads it without computing", () => {
    const { pool, store } = storeOf();
    const { counter, compute } = source(1000);
    const first = store.task(APP, "attempt-1")!;
    const records = [...first.read(marker(), 3, compute)].flat();
    assert.equal(records.length, 1000);
    assert.deepEqual(store.held(), [], "nothing before the task succeeded");
    const stored = first.commit();
    assert.deepEqual(
      stored.map((b) => [b.key, b.partition, b.level, b.application]),
      [[cachedBlockKey(APP, DS, 3), 3, "MEMORY_ONLY", APP]],
    );
    assert.ok(stored[0]!.memoryBytes > 1000 * 16, "its size is estimated");
    assert.equal(pool.storageBytes(), Math.ceil(stored[0]!.memoryBytes / 1024) * 1024, "and counted as storage");
    const again = [...store.task(APP, "attempt-1")!.read(marker(), 3, compute)].flat();
    assert.deepEqual(again, records);
    assert.equal(counter.computed, 1);
    assert.equal([...store.task("app-2" as AppId, "attempt-1")!.read(marker(), 3, compute)].flat().length, 1000, "another application's block is another block");
    assert.equal(counter.computed, 2);
  });

  it("a reader reordering its batch does not change the block", () => {
    const { store } = storeOf();
    const { compute } = source(10);
    const t = store.task(APP, "attempt-1")!;
    for (const b of t.read(marker(), 0, compute)) b.reverse();
    t.commit();
    for (const b of store.task(APP, "attempt-1")!.read(marker(), 0, compute)) b.reverse();
    assert.deepEqual(
      [...store.task(APP, "attempt-1")!.read(marker(), 0, compute)].flat(),
      Array.from({ length: 10 }, (_, i) => `record-${i}`),
    );
  });

  it("stores nothing for a task that stops reading early or fails midway", () => {
    const { store } = storeOf();
    const { compute } = source(1000);
    const early = store.task(APP, "attempt-1")!;
    for (const _ of early.read(marker(), 0, compute)) break;
    assert.deepEqual(early.commit(), []);
    const failing = store.task(APP, "attempt-1")!;
    const throwing = function* () {
      yield* compute();
      throw new Error("user code failed at the end");
    };
    assert.throws(() => [...failing.read(marker(), 1, throwing)], /user code failed/);
    assert.deepEqual(store.held(), []);
  });

  it("caches nothing for a job without an application", () => {
    assert.equal(storeOf().store.task(null, "attempt-1"), null);
  });

  it("does not keep a partition larger than the slot's share", () => {
    const { store } = storeOf(8 * MB);
    const { compute } = source(200_000);
    const t = store.task(APP, "attempt-1")!;
    assert.equal([...t.read(marker(), 0, compute)].flat().length, 200_000, "the records still all stream");
    assert.deepEqual(t.commit(), []);
  });

  it("makes room by evicting older blocks of other datasets, never of its own", () => {
    const { pool, store } = storeOf(8 * MB);
    const cap = pool.shape.taskCapBytes;
    // Each block a bit over a third of the share.
    const n = Math.ceil(cap / 3 / 40);
    const put = (ds: typeof DS, p: number) => {
      const t = store.task(APP, "attempt-1")!;
      [...t.read(marker(ds), p, source(n).compute)];
      return t.commit().length === 1;
    };
    assert.ok(put(DS, 0) && put(DS, 1));
    assert.equal(put(DS, 2), false, "a third block of the same dataset does not evict its siblings");
    assert.ok(put(DS2, 0), "another dataset's block evicts the least recently used");
    assert.deepEqual(store.held(), [cachedBlockKey(APP, DS, 1), cachedBlockKey(APP, DS2, 0)]);
    assert.ok(pool.storageBytes() <= cap);
  });

  it("execution evicts blocks least recently used first, but not one the running task reads", () => {
    const { pool, store } = storeOf(8 * MB);
    const cap = pool.shape.taskCapBytes;
    const n = Math.ceil(cap / 3 / 40);
    for (const p of [0, 1]) {
      const t = store.task(APP, "attempt-1")!;
      [...t.read(marker(), p, source(n).compute)];
      t.commit();
    }
    const reader = store.task(APP, "attempt-1")!;
    [...reader.read(marker(), 0, source(n).compute)];
    const exec = pool.task(0, store.evict);
    assert.ok(exec.tryAcquire(cap / 2), "evicts partition 1, which the task does not read");
    assert.deepEqual(store.held(), [cachedBlockKey(APP, DS, 0)]);
    assert.equal(exec.tryAcquire(cap / 3), false, "partition 0 is being read: execution spills instead");
    assert.deepEqual(store.held(), [cachedBlockKey(APP, DS, 0)]);
    exec.reset();
    store.task(APP, "attempt-1");
    assert.ok(pool.task(0, store.evict).tryAcquire(cap), "once the reader is done, it may go");
    assert.deepEqual(store.held(), []);
    assert.equal(pool.storageBytes(), 0);
  });

  it("drops the blocks of ended applications only", () => {
    const { pool, store } = storeOf();
    for (const app of ["app-1", "app-2"] as AppId[]) {
      const t = store.task(app, "attempt-1")!;
      [...t.read(marker(), 0, source(10).compute)];
      t.commit();
    }
    assert.equal(store.drop(new Set(["app-1", "app-9"])), 1);
    assert.deepEqual(store.held(), [cachedBlockKey("app-2", DS, 0)]);
    assert.equal(store.drop(new Set(), [`app-2/${DS2}/`]), 0, "another dataset's prefix");
    assert.equal(store.drop(new Set(), [`app-2/${DS}/`]), 1);
    assert.equal(pool.storageBytes(), 0);
  });
});

describe("cachedReads: the blocks one partition of a stage reads", () => {
  const par = (node: string, n: number, cache?: CacheMarker): Rdd => ({ kind: "parallelize", node, data: [], dataOffset: 0, dataLength: 0, numPartitions: n, ...(cache ? { cache } : {}) });
  const map = (parent: Rdd, cache?: CacheMarker): Rdd => ({ kind: "narrow", node: "m", op: "map", fn: "x => x", env: {}, parent, numPartitions: parent.numPartitions, ...(cache ? { cache } : {}) });

  it("stops at the persisted RDD nearest the top", () => {
    assert.deepEqual(cachedReads(map(map(par("a", 4, marker(DS2)), marker())), 2), [{ datasetId: DS, level: "MEMORY_ONLY", partition: 2 }]);
    assert.deepEqual(cachedReads(map(par("a", 4)), 2), []);
  });

  it("follows union, coalesce and cartesian to the partitions they read", () => {
    const union: Rdd = { kind: "union", node: "u", parents: [par("a", 2, marker()), par("b", 3, marker(DS2))], numPartitions: 5 };
    assert.deepEqual(cachedReads(union, 3), [{ datasetId: DS2, level: "MEMORY_ONLY", partition: 1 }]);
    const coalesce: Rdd = { kind: "coalesce", node: "c", parent: par("a", 6, marker()), numPartitions: 2 };
    assert.deepEqual(
      cachedReads(coalesce, 1).map((r) => r.partition),
      [3, 4, 5],
    );
    const cartesian: Rdd = { kind: "cartesian", node: "x", parents: [par("a", 2, marker()), par("b", 3, marker(DS2))], numPartitions: 6 };
    assert.deepEqual(
      cachedReads(cartesian, 5).map((r) => [r.datasetId, r.partition]),
      [
        [DS, 1],
        [DS2, 2],
      ],
    );
  });
});

describe("storage levels", () => {
  const records = (n: number) => Array.from({ length: n }, (_, i) => `record-${i}`);
  const level = (l: CacheMarker["level"]): CacheMarker => ({ datasetId: DS, level: l });

  it("DISK_ONLY writes a file that another thread of the worker reads, and takes no storage memory", () => {
    const { pool, store, blockDir } = storeOf();
    const { counter, compute } = source(1000);
    const t = store.task(APP, "attempt-1")!;
    assert.deepEqual([...t.read(level("DISK_ONLY"), 2, compute)].flat(), records(1000));
    assert.deepEqual(filesUnder(blockDir), [`${DS}-2.block.attempt-1.tmp`], "before the task succeeded, only its unfinished file, named for the attempt");
    const [stored] = t.commit();
    assert.equal(stored!.memoryBytes, 0);
    assert.ok(stored!.diskBytes > 1000 * 10);
    assert.equal(pool.storageBytes(), 0);
    assert.deepEqual(store.held(), [], "nothing in memory: no routing to this thread");
    const other = storeOf(64 * MB, blockDir).store;
    assert.deepEqual([...other.task(APP, "attempt-2")!.read(level("DISK_ONLY"), 2, compute)].flat(), records(1000));
    assert.equal(counter.computed, 1);
  });

  it("MEMORY_ONLY_SER keeps frames counted exactly, and reads back the same records", () => {
    const { pool, store } = storeOf();
    const { counter, compute } = source(1000);
    const t = store.task(APP, "attempt-1")!;
    [...t.read(level("MEMORY_ONLY_SER"), 0, compute)];
    const [stored] = t.commit();
    assert.equal(stored!.diskBytes, 0);
    assert.equal(pool.storageBytes(), Math.ceil(stored!.memoryBytes / 1024) * 1024);
    assert.deepEqual([...store.task(APP, "attempt-2")!.read(level("MEMORY_ONLY_SER"), 0, compute)].flat(), records(1000));
    assert.equal(counter.computed, 1);
  });

  for (const l of ["MEMORY_AND_DISK", "MEMORY_AND_DISK_SER"] as const) {
    it(`${l}: a block evicted from memory is read from its file`, () => {
      const { pool, store } = storeOf(8 * MB);
      const { counter, compute } = source(1000);
      const t = store.task(APP, "attempt-1")!;
      [...t.read(level(l), 0, compute)];
      const [stored] = t.commit();
      assert.ok(stored!.memoryBytes > 0 && stored!.diskBytes > 0);
      assert.deepEqual(store.held(), [cachedBlockKey(APP, DS, 0)]);
      store.task(APP, "attempt-2");
      assert.ok(pool.task(0, store.evict).tryAcquire(pool.shape.taskCapBytes), "execution evicts it");
      assert.deepEqual(store.held(), []);
      assert.deepEqual([...store.task(APP, "attempt-3")!.read(level(l), 0, compute)].flat(), records(1000));
      assert.equal(counter.computed, 1);
    });
  }

  it("a task that fails or stops early leaves no file behind", () => {
    const { store, blockDir } = storeOf();
    const { compute } = source(1000);
    const early = store.task(APP, "attempt-1")!;
    for (const _ of early.read(level("DISK_ONLY"), 0, compute)) break;
    assert.deepEqual(early.commit(), []);
    const done = store.task(APP, "attempt-2")!;
    [...done.read(level("MEMORY_AND_DISK"), 1, compute)];
    done.discard();
    assert.deepEqual(filesUnder(blockDir), [], "a task that failed after computing the partition whole");
    assert.deepEqual(done.commit(), [], "and commits nothing after");
  });

  it("refuses a block whose application or dataset would name another path", () => {
    const { store } = storeOf();
    for (const [app, ds] of [
      ["a/b", DS],
      ["", DS],
      [APP, "../../etc"],
      [APP, `ds-${"A".repeat(32)}`],
    ] as const) {
      const t = store.task(app as AppId, "attempt-1")!;
      assert.throws(() => [...t.read({ datasetId: asDatasetId(ds), level: "DISK_ONLY" }, 0, source(1).compute)], /invalid cached block/);
    }
    assert.ok(store.diskPath(".." as AppId, DS, 0).includes("/app_../"), "a dot-only id is one harmless component");
  });
});
