// The pieces of bounded-memory execution: the size estimate, how --memory is
// divided, spill runs on disk, the k-way merge, and the spilling
// aggregation table, group table and sorter compared with plain in-memory answers.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { compareKeys, canonicalJson } from "../src/plan/keys.js";
import { ExternalSorter } from "../src/worker/memory/external-sorter.js";
import { HEAP_SAMPLE_ASKS, HEAP_SPILL_FRACTION, MemoryPool, Reservation, memoryLayout, type TaskMemory } from "../src/worker/memory/memory-pool.js";
import { estimateSize } from "../src/worker/memory/size-estimate.js";
import { combineAdjacent, mergeSorted } from "../src/worker/memory/sorted-merge.js";
import { TaskSpills, removeSpillFiles, spillPrefix } from "../src/worker/memory/spill-files.js";
import { SpillableGroups } from "../src/worker/memory/spillable-groups.js";
import { GroupTooLargeError, SpilledGroup } from "../src/worker/memory/spilled-group.js";
import { SpillableMap } from "../src/worker/memory/spillable-map.js";
import { UserCodeError } from "../src/functions/user-function.js";
import { decodeFrames } from "../src/common/codec.js";
import { asShuffleId, asStageId } from "../src/common/ids.js";
import type { Combine } from "../src/plan/physical.js";
import { readBlockChunks } from "../src/worker/shuffle-files.js";
import { ShuffleWriter } from "../src/worker/shuffle-writer.js";
import { removeOrphanedWorkDirs } from "../src/worker/work-dirs.js";
import { logger } from "../src/common/log.js";

const dir = fs.mkdtempSync(join(os.tmpdir(), "minispark-spill-test-"));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const KB = 1024;
const MB = 1024 * KB;
let taskN = 0;

/** A task with `bytes` of memory and its own spill files. */
function task(bytes: number): { memory: TaskMemory; spills: TaskSpills; pool: MemoryPool } {
  const pool = new MemoryPool(memoryLayout(bytes * 2, 1, 0.5).pool);
  const memory = pool.task(0);
  memory.reset();
  return { memory, spills: new TaskSpills(dir, spillPrefix("job", `t${taskN++}`)), pool };
}

/** Keys of every JSON type, in the order compareKeys puts them (code points; objects by canonical text). */
const EVERY_TYPE: unknown[] = [null, false, true, -1.5, 0, 2, 1e21, "", "a", "b\u00e9", "\uFFFF", "\u{1F600}", [], [1], [1, "x"], [2], { a: 1, b: [null] }, { a: 1 }, { b: 0 }, {}];

describe("estimateSize", () => {
  it("grows with the data and samples long arrays instead of walking them", () => {
    assert.ok(estimateSize("x".repeat(100)) > estimateSize("x"));
    assert.ok(estimateSize([1, 2, 3]) < estimateSize(["a long string", 2, 3]));
    assert.ok(estimateSize({ a: "xxxxxxxxxxxxxxxx" }) > estimateSize({ a: 1 }));
    const long = Array.from({ length: 100_000 }, (_, i) => `value-${i}`);
    const est = estimateSize(long);
    const exact = 48 + 8 * long.length + long.reduce((n, s) => n + estimateSize(s), 0);
    assert.ok(Math.abs(est - exact) / exact < 0.05, `sampled ${est} vs walked ${exact}`);
  });
});

describe("MemoryPool", () => {
  it("splits --memory into thread heaps and equal per-slot shares", () => {
    const layout = memoryLayout(512 * MB, 2, 0.5); // 256 MiB per slot
    assert.equal(layout.threadHeapMb, 192, "three quarters of a slot's share for V8's old generation");
    assert.equal(layout.threadYoungMb, 32);
    assert.equal(layout.pool.taskCapBytes, 128 * MB);
    assert.equal(memoryLayout(512 * MB, 2, 0.9).pool.taskCapBytes, 128 * MB, "never past two thirds of the thread's heap");
    const pool = new MemoryPool(layout.pool);
    const a = pool.task(0);
    const b = pool.task(1);
    assert.equal(a.tryAcquire(129 * MB), false, "a task is capped at its slot's share");
    assert.equal(a.tryAcquire(100 * MB), true);
    assert.equal(b.tryAcquire(128 * MB), true, "one slot's grant does not shrink another's");
    assert.equal(pool.usedBytes(), 228 * MB);
    a.release(40 * MB);
    assert.equal(pool.usedBytes(), 188 * MB);
    pool.resetSlot(1);
    b.reset();
    a.reset();
    assert.equal(pool.usedBytes(), 0);
  });

  it("a Reservation grows in steps and says no past the share", () => {
    const { memory, pool } = task(4 * MB);
    const r = new Reservation(memory);
    assert.equal(r.fits(10), true);
    assert.equal(pool.usedBytes(), MB, "the first step is a whole MiB");
    assert.equal(r.fits(3 * MB), true);
    assert.equal(r.fits(5 * MB), false);
    r.release();
    assert.equal(pool.usedBytes(), 0);
  });

  it("says no, although the estimate fits, when the real heap is nearly full and the structure is worth a spill", () => {
    let fullness = 0.1;
    let reads = 0;
    const layout = memoryLayout(64 * MB, 1, 0.5);
    const memory = new MemoryPool(layout.pool, {
      fullness: () => {
        reads++;
        return fullness;
      },
    }).task(0);
    memory.reset();
    const r = new Reservation(memory);
    const asks = (bytes: number, n: number) => Array.from({ length: n }, () => r.fits(bytes));
    assert.ok(asks(8 * MB, HEAP_SAMPLE_ASKS).every(Boolean));
    assert.equal(reads, 1, "the heap is sampled, not read per ask");
    fullness = HEAP_SPILL_FRACTION + 0.05;
    const answers = asks(8 * MB, HEAP_SAMPLE_ASKS);
    assert.deepEqual([answers.slice(0, -1).every(Boolean), answers.at(-1)], [true, false], "no from the sample that saw the heap full");
    assert.equal(r.fits(layout.pool.minSpillBytes - 1), true, "too small to be worth a run: it grows on");
    r.release();
    assert.equal(r.fits(8 * MB), true, "a spill's memory is garbage until collected: the heap counts as full again only when sampled so");
    assert.equal(new Reservation(new MemoryPool(layout.pool).task(0)).fits(8 * MB), true, "without a gauge only the estimates count");
  });
});

describe("spill runs", () => {
  it("round-trip keys of every JSON type, empty runs and records larger than the read buffer", () => {
    const { spills } = task(MB);
    const big = "x".repeat(700 * KB);
    const records = [...EVERY_TYPE.map((k) => [k, k]), ["big", big], ["after", 1]];
    const path = spills.writeRun(records);
    assert.deepStrictEqual([...spills.records(path)], records);
    const empty = spills.writeRun([]);
    assert.deepStrictEqual([...spills.records(empty)], []);
    assert.equal(spills.count, 2);
    assert.ok(spills.bytes > 700 * KB);
    assert.ok(fs.readdirSync(dir).some((f) => f.startsWith(spillPrefix("job"))));
    spills.removeAll();
    assert.ok(!fs.existsSync(path) && !fs.existsSync(empty));
  });

  it("a truncated run is an error, not a short read", () => {
    const { spills } = task(MB);
    const path = spills.writeRun([
      [1, 2],
      [3, 4],
    ]);
    fs.truncateSync(path, fs.statSync(path).size - 2);
    assert.throws(() => [...spills.records(path)], /truncated spill file/);
    spills.removeAll();
  });

  it("a reader abandoned mid-run has its file closed when the task's spills are removed", () => {
    const { spills } = task(MB);
    const path = spills.writeRun(Array.from({ length: 5000 }, (_, i) => [i, "x".repeat(100)]));
    const fds = () => fs.readdirSync("/proc/self/fd").length;
    const before = fds();
    const reader = spills.records(path);
    reader.next();
    assert.equal(fds(), before + 1);
    spills.removeAll();
    assert.equal(fds(), before);
    assert.ok(!fs.existsSync(path));
  });

  it("removeSpillFiles deletes one attempt's files, or a whole job's", () => {
    for (const name of ["spill_j1_a1_0", "spill_j1_a1_1", "spill_j1_a2_0", "spill_j2_a1_0"]) fs.writeFileSync(join(dir, name), "");
    removeSpillFiles(dir, spillPrefix("j1", "a1"));
    assert.deepStrictEqual(
      fs
        .readdirSync(dir)
        .filter((f) => /^spill_j\d/.test(f))
        .sort(),
      ["spill_j1_a2_0", "spill_j2_a1_0"],
    );
    removeSpillFiles(dir, spillPrefix("j1"));
    assert.deepStrictEqual(
      fs.readdirSync(dir).filter((f) => /^spill_j\d/.test(f)),
      ["spill_j2_a1_0"],
    );
    removeSpillFiles(dir, spillPrefix("j2"));
  });

  it("a worker removes only directories it recognises as a dead worker's", () => {
    const root = join(dir, "orphans");
    const host = os.hostname().replace(/[^A-Za-z0-9-]/g, "_");
    for (const name of [`${host}.999999999.worker-0a1b2c3d`, `${host}.${process.pid}.worker-00000000`, "vm.backup", `${host}.notes`, "other.999999999.worker-0a1b2c3d"]) {
      fs.mkdirSync(join(root, name), { recursive: true });
    }
    removeOrphanedWorkDirs(root, logger("worker"));
    assert.deepStrictEqual(fs.readdirSync(root).sort(), [`${host}.${process.pid}.worker-00000000`, `${host}.notes`, "other.999999999.worker-0a1b2c3d", "vm.backup"].sort());
  });
});

describe("ShuffleWriter under memory pressure", () => {
  const dep = (combine: Combine | null) => ({ id: asShuffleId(0), mapStage: asStageId(0), numPartitions: 3, partitioner: { type: "hash" as const }, combine, lineage: null });

  /** The map output's records, every partition, decoded. */
  function output(path: string): [unknown, unknown][] {
    const out: [unknown, unknown][] = [];
    for (let p = 0; p < 3; p++) for (const chunk of readBlockChunks(path, p)) for (const frame of decodeFrames(chunk)) out.push(...(frame as [unknown, unknown][]));
    return out;
  }

  it("merges a key's combiners from every spill into one record per map task", () => {
    const { memory, spills } = task(64 * KB);
    const fold: Combine = { type: "combiner", createCombiner: null, zero: 0, mergeValue: "(a, b) => a + b", mergeCombiners: "(a, b) => a + b", env: {} };
    const w = new ShuffleWriter(dep(fold), "test", memory, spills);
    for (let i = 0; i < 40_000; i++) w.add([`k${i % 4000}`, 1]);
    const path = join(dir, "fold.data");
    w.finish(path, "t");
    assert.ok(spills.count > 0, "the combine table spilled");
    const out = output(path);
    assert.equal(out.length, 4000, "one record per key");
    assert.ok(
      out.every(([, v]) => v === 10),
      "ten ones a key",
    );
    spills.removeAll();
  });

  it("counts a combiner that grows in place, and spills it", () => {
    const { memory, spills } = task(256 * KB);
    const lists: Combine = { type: "combiner", createCombiner: "v => [v]", zero: null, mergeValue: "(c, v) => { c.push(v); return c; }", mergeCombiners: "(a, b) => a.concat(b)", env: {} };
    const w = new ShuffleWriter(dep(lists), "test", memory, spills);
    for (let i = 0; i < 100_000; i++) w.add(["one", `value-${i}`]);
    const path = join(dir, "lists.data");
    w.finish(path, "t");
    assert.ok(spills.count > 0, "in-place growth is seen");
    const out = output(path);
    assert.equal(out.length, 1);
    assert.equal((out[0]![1] as unknown[]).length, 100_000);
    spills.removeAll();
  });

  it("spills encoded blocks and concatenates them, with or without a combiner", () => {
    const { memory, spills } = task(64 * KB);
    const w = new ShuffleWriter(dep(null), "test", memory, spills);
    const records = Array.from({ length: 30_000 }, (_, i): [unknown, unknown] => [i % 977, `record ${i}`]);
    for (const r of records) w.add(r);
    const path = join(dir, "plain.data");
    w.finish(path, "t");
    assert.ok(spills.count > 32, `more spills than parts kept open (${spills.count})`);
    const canonOf = (xs: [unknown, unknown][]) => xs.map((x) => JSON.stringify(x)).sort();
    assert.deepStrictEqual(canonOf(output(path)), canonOf(records));
    spills.removeAll();
  });
});

describe("mergeSorted", () => {
  const cmp = (a: [number, string], b: [number, string]) => a[0] - b[0];

  it("merges runs, including empty ones, and keeps run order for equal items", () => {
    const runs: [number, string][][] = [
      [],
      [
        [1, "a"],
        [3, "a"],
        [3, "a2"],
      ],
      [],
      [
        [1, "b"],
        [2, "b"],
        [3, "b"],
      ],
      [[0, "c"]],
    ];
    assert.deepStrictEqual(
      [...mergeSorted(runs, cmp)],
      [
        [0, "c"],
        [1, "a"],
        [1, "b"],
        [2, "b"],
        [3, "a"],
        [3, "a2"],
        [3, "b"],
      ],
    );
    assert.deepStrictEqual([...mergeSorted([], cmp)], []);
    assert.deepStrictEqual([...mergeSorted([[], []], cmp)], []);
  });

  it("closes every run when the merge stops early", () => {
    let closed = 0;
    function* run(xs: number[]) {
      try {
        yield* xs;
      } finally {
        closed++;
      }
    }
    for (const x of mergeSorted([run([1, 4]), run([2, 3]), run([5])], (a, b) => a - b)) if (x === 2) break;
    assert.equal(closed, 3);
  });

  it("orders keys of every JSON type by compareKeys and combines equal neighbours", () => {
    const shuffled = [...EVERY_TYPE].reverse();
    const runs = [shuffled.filter((_, i) => i % 2 === 0), shuffled.filter((_, i) => i % 2 === 1), EVERY_TYPE.slice(3, 8)].map((r) => [...r].sort(compareKeys).map((k) => [k, 1] as [unknown, number]));
    const merged = [
      ...combineAdjacent(
        mergeSorted(runs, (a, b) => compareKeys(a[0], b[0])),
        (a, b) => compareKeys(a[0], b[0]) === 0,
        (a, b) => [a[0], a[1] + b[1]] as [unknown, number],
      ),
    ];
    assert.deepStrictEqual(
      merged.map((e) => e[0]),
      EVERY_TYPE,
    );
    assert.deepStrictEqual(
      merged.map((e) => e[1]),
      EVERY_TYPE.map((_, i) => (i >= 3 && i < 8 ? 2 : 1)),
    );
  });
});

/** Sorted canonical text of a [key, value] list: the order-free way to compare aggregation results. */
const canon = (entries: Iterable<[unknown, unknown]>) => [...entries].map((e) => canonicalJson(e)).sort();

describe("SpillableMap", () => {
  const words = Array.from({ length: 60_000 }, (_, i) => `w${(i * 7919) % 20_000}`);

  it("reduces by key over many spills to the in-memory answer", () => {
    const { memory, spills, pool } = task(256 * KB);
    const map = new SpillableMap<number>(new Reservation(memory), spills, (a, b) => a + b);
    const plain = new Map<string, number>();
    for (const w of words) {
      plain.set(w, (plain.get(w) ?? 0) + 1);
      const cur = map.get(w);
      map.set(w, cur === undefined ? 1 : cur + 1, cur === undefined ? 80 : 0);
    }
    assert.ok(spills.count >= 3, `expected spills, got ${spills.count}`);
    assert.deepStrictEqual(canon(map.entries()), canon(plain));
    assert.equal(pool.usedBytes(), 0, "the table gives its memory back when drained");
    spills.removeAll();
  });

  it("merges more runs than one merge may open, in passes", () => {
    const { memory, spills } = task(16 * KB); // a run every 80 keys
    const map = new SpillableMap<number>(new Reservation(memory), spills, (a, b) => a + b);
    for (let i = 0; i < 10_000; i++) {
      const cur = map.get(i % 5000);
      map.set(i % 5000, (cur ?? 0) + 1, cur === undefined ? 200 : 0);
    }
    assert.ok(spills.count > 64, `expected > 64 runs, got ${spills.count}`);
    const out = [...map.entries()];
    assert.deepStrictEqual(
      out,
      Array.from({ length: 5000 }, (_, i) => [i, 2]),
      "key order after a spill",
    );
    spills.removeAll();
  });

  it("an empty table yields nothing", () => {
    const { memory, spills } = task(256 * KB);
    assert.deepStrictEqual([...new SpillableMap<number>(new Reservation(memory), spills, (a, b) => a + b).entries()], []);
  });
});

/** A task whose thread's heap fills as the gauge is read: `fullness(n)` for the n-th reading. */
function taskWithHeap(bytes: number, fullness: (n: number) => number): { memory: TaskMemory; spills: TaskSpills } {
  let n = 0;
  const pool = new MemoryPool(memoryLayout(bytes * 2, 1, 0.5).pool, { fullness: () => fullness(n++) });
  const memory = pool.task(0);
  memory.reset();
  return { memory, spills: new TaskSpills(dir, spillPrefix("job", `t${taskN++}`)) };
}

describe("SpillableGroups", () => {
  /** Keys of every type, one value in ten; "hot" gets the rest: a group far larger than the table's share. */
  function fill(groups: SpillableGroups, n: number, side = 0): Map<string, number[]> {
    const expected = new Map<string, number[]>();
    for (let i = 0; i < n; i++) {
      const k = i % 10 === 0 ? EVERY_TYPE[(i / 10) % EVERY_TYPE.length] : "hot";
      const id = canonicalJson(k);
      const e = expected.get(id);
      if (e) e.push(i);
      else expected.set(id, [i]);
      groups.add(k, side, i);
    }
    return expected;
  }

  it("keeps each key's values in arrival order over the runs, and streams the one that outgrows memory from disk, as often as it is read", () => {
    const { memory, spills, pool } = task(256 * KB);
    const groups = new SpillableGroups(1, memory, spills);
    const expected = fill(groups, 200_000);
    assert.ok(spills.count >= 2);
    const got = [...groups.batches()].flat();
    assert.deepStrictEqual(got.map((e) => canonicalJson(e[0])).sort(), [...expected.keys()].sort(), "every key once");
    for (const [k, [vs]] of got) {
      if (k === "hot") continue;
      assert.ok(Array.isArray(vs), "a small group is an array");
      assert.deepStrictEqual(vs, expected.get(canonicalJson(k)));
    }
    const hot = got.find((e) => e[0] === "hot")![1][0]!;
    assert.ok(hot instanceof SpilledGroup, "the hot group (1.4 MiB of 256 KiB) is on disk");
    assert.equal(hot.length, 180_000);
    assert.deepStrictEqual([...hot], expected.get('"hot"'));
    assert.deepStrictEqual([...hot], expected.get('"hot"'), "a second read gives the same values");
    assert.equal(
      hot.reduce((a, v) => (a as number) + (v as number), 0),
      expected.get('"hot"')!.reduce((a, v) => a + v, 0),
    );
    assert.equal(
      hot.some((v) => v === 199_999),
      true,
    );
    assert.equal(pool.usedBytes(), 0, "the table gives its memory back when drained");
    spills.removeAll();
  });

  it("fails by name, with the key, the size and what to do instead, where the group would be made an array or encoded", () => {
    const { memory, spills } = task(256 * KB);
    const groups = new SpillableGroups(1, memory, spills);
    fill(groups, 100_000);
    const hot = [...groups.batches()].flat().find((e) => e[0] === "hot")![1][0] as SpilledGroup;
    const named = /^GroupTooLargeError: the group of key "hot" holds 90000 values \(about [\d.]+ MiB\), more than its task's memory \([\d.]+ MiB\).*reduceByKey or aggregateByKey/;
    const fails = (f: () => unknown, what: RegExp) =>
      assert.throws(f, (e: Error) => {
        assert.match(`${e.name}: ${e.message}`, named);
        assert.match(e.message, what);
        return e instanceof GroupTooLargeError && e instanceof UserCodeError;
      });
    fails(() => (hot as unknown as unknown[]).map((x) => x), /\.map\(\)/);
    fails(() => (hot as unknown as unknown[]).sort(), /\.sort\(\)/);
    fails(() => JSON.stringify(["hot", hot]), /encoded as one record/);
    assert.equal(estimateSize(["hot", hot]), Number.POSITIVE_INFINITY, "no cache or buffer keeps it");
    spills.removeAll();
  });

  it("fails by name when an iteration keeps the values, as the thread's heap shows", () => {
    // The heap reads half full until the group's iteration starts, then fills.
    let iterating = false;
    let reads = 0;
    const { memory, spills } = taskWithHeap(256 * KB, () => (iterating ? Math.min(0.95, 0.5 + 0.01 * reads++) : 0.1));
    const groups = new SpillableGroups(1, memory, spills);
    fill(groups, 100_000);
    const hot = [...groups.batches()].flat().find((e) => e[0] === "hot")![1][0] as SpilledGroup;
    iterating = true;
    assert.throws(() => [...hot], /GroupTooLargeError: .*"hot".*kept in memory while it is iterated/);
    reads = 0;
    iterating = false;
    assert.equal([...hot].length, 90_000, "a heap that does not grow while the group is read is not a failure");
    spills.removeAll();
  });

  it("keeps a cogroup's sides apart, each on disk or in memory", () => {
    const { memory, spills } = task(256 * KB);
    const groups = new SpillableGroups(2, memory, spills);
    for (let i = 0; i < 100_000; i++) groups.add(i % 100 === 0 ? `k${i % 7}` : "hot", i % 3 === 0 ? 1 : 0, i);
    const got = new Map([...groups.batches()].flat().map(([k, sides]) => [k, sides.map((g) => [...g])]));
    assert.deepStrictEqual([...got.keys()].sort(), ["hot", "k0", "k1", "k2", "k3", "k4", "k5", "k6"]);
    const hot = got.get("hot")!;
    assert.deepStrictEqual(
      hot[0],
      Array.from({ length: 100_000 }, (_, i) => i).filter((i) => i % 100 !== 0 && i % 3 !== 0),
    );
    assert.deepStrictEqual(
      hot[1],
      Array.from({ length: 100_000 }, (_, i) => i).filter((i) => i % 100 !== 0 && i % 3 === 0),
    );
    assert.deepStrictEqual(
      got.get("k3")![1],
      Array.from({ length: 100_000 }, (_, i) => i).filter((i) => i % 100 === 0 && i % 7 === 3 && i % 3 === 0),
    );
    spills.removeAll();
  });

  it("without a spill, hands on arrays in insertion order", () => {
    const { memory, spills } = task(MB);
    const groups = new SpillableGroups(1, memory, spills);
    for (const [k, v] of [
      ["b", 1],
      ["a", 2],
      ["b", 3],
    ] as const)
      groups.add(k, 0, v);
    assert.deepStrictEqual([...groups.batches()].flat(), [
      ["b", [[1, 3]]],
      ["a", [[2]]],
    ]);
    assert.equal(spills.count, 0);
  });
});

type Pair = [unknown, unknown];
const byKey = (ascending: boolean) => (a: Pair, b: Pair) => (ascending ? 1 : -1) * compareKeys(a[0], b[0]);

describe("ExternalSorter", () => {
  const records = Array.from({ length: 50_000 }, (_, i): [unknown, unknown] => [(i * 7919) % 997, i]);

  for (const ascending of [true, false]) {
    it(`sorts ${ascending ? "ascending" : "descending"} across spills, stably`, () => {
      const { memory, spills } = task(128 * KB);
      const sorter = new ExternalSorter<Pair>(new Reservation(memory), spills, byKey(ascending));
      for (const r of records) sorter.add(r);
      assert.ok(spills.count >= 3, `expected spills, got ${spills.count}`);
      const expected = [...records].sort((a, b) => (ascending ? 1 : -1) * compareKeys(a[0], b[0]));
      assert.deepStrictEqual([...sorter.sorted()], expected);
      spills.removeAll();
    });
  }

  it("sorts keys of every JSON type", () => {
    const { memory, spills } = task(16 * KB);
    const sorter = new ExternalSorter<Pair>(new Reservation(memory), spills, byKey(true));
    const shuffled = [...EVERY_TYPE, ...EVERY_TYPE].reverse();
    for (const [i, k] of shuffled.entries()) sorter.add([k, i]);
    assert.deepStrictEqual(
      [...sorter.sorted()].map((r) => r[0]),
      [...shuffled].sort(compareKeys),
    );
    spills.removeAll();
  });

  it("sorts records that are their own keys, spilling each once, not beside a copy as its key", () => {
    const lines = Array.from({ length: 40_000 }, (_, i) => `line-${(i * 7919) % 40_000}-${"x".repeat(40)}`);
    const spilled = (withKeys: boolean) => {
      const { memory, spills } = task(256 * KB);
      if (withKeys) {
        const sorter = new ExternalSorter<Pair>(new Reservation(memory), spills, byKey(true));
        for (const l of lines) sorter.add([l, l]);
        assert.deepStrictEqual(
          [...sorter.sorted()].map((p) => p[1]),
          [...lines].sort(),
        );
      } else {
        const sorter = new ExternalSorter<unknown>(new Reservation(memory), spills, compareKeys);
        for (const l of lines) sorter.add(l);
        assert.deepStrictEqual([...sorter.sorted()], [...lines].sort());
      }
      const bytes = spills.bytes;
      spills.removeAll();
      return bytes;
    };
    const input = lines.reduce((n, l) => n + l.length + 1, 0);
    const alone = spilled(false);
    assert.ok(alone > 0 && alone <= 1.2 * input, `records alone spilled ${alone} bytes for ${input} of input`);
    assert.ok(spilled(true) > 1.8 * input, "as [key, record] pairs each line is spilled twice");
  });
});
