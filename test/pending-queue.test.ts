import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PendingQueue } from "../src/master/pending-queue.js";

describe("PendingQueue", () => {
  it("starts with every partition in order, and a re-added one goes to the back", () => {
    const q = new PendingQueue(4);
    assert.deepEqual([...q], [0, 1, 2, 3]);
    q.delete(0);
    q.delete(2);
    q.add(0);
    q.add(1); // already pending: keeps its place
    assert.deepEqual([[...q], q.size, q.has(2), q.has(0)], [[1, 3, 0], 3, false, true]);
    q.clear();
    assert.deepEqual([[...q], q.size, q.has(1)], [[], 0, false]);
    q.add(2);
    assert.deepEqual([...q], [2]);
  });

  it("lets a walk remove what it visits and passes over, as the scheduling pass does, without compacting under it", () => {
    const q = new PendingQueue(1000);
    const seen: number[] = [];
    for (const p of q) {
      seen.push(p);
      if (p % 10 !== 0) q.delete(p); // launched; multiples of 10 are passed over (locality)
      if (p === 500) q.add(1); // a retry joins the end and is visited
    }
    assert.equal(seen.length, 1001);
    assert.deepEqual(seen.at(-1), 1);
    assert.deepEqual([...q], [...Array.from({ length: 100 }, (_, i) => i * 10)]);
    assert.equal(q.size, 100);
  });

  it("agrees with a plain array model over random operations", () => {
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const n = 300;
    const q = new PendingQueue(n);
    let model = Array.from({ length: n }, (_, i) => i);
    for (let step = 0; step < 20_000; step++) {
      const p = rand(n);
      if (rand(3) === 0) {
        if (!model.includes(p)) model.push(p);
        q.add(p);
      } else {
        model = model.filter((x) => x !== p);
        q.delete(p);
      }
      if (step % 97 === 0) assert.deepEqual([...q], model, `after step ${step}`);
    }
    assert.deepEqual([[...q], q.size], [model, model.length]);
  });

  it("takes 100,000 launches from the head in linear time", () => {
    const q = new PendingQueue(100_000);
    const t = performance.now();
    for (let round = 0; round < 100_000; round++)
      for (const p of q) {
        q.delete(p);
        break;
      }
    assert.equal(q.size, 0);
    // A shift or a Set walked from its start after deletions takes seconds here.
    assert.ok(performance.now() - t < 1000, `${(performance.now() - t).toFixed(0)} ms`);
  });
});
