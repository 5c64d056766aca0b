// The k-way merge under every external algorithm: sorted runs (spill files and
// the in-memory remainder) become one sorted stream, with a binary heap of each
// run's head. Equal items come out in run order, so a merge of stable runs is
// stable. Runs are closed when the merge ends, also on an error, so a failed
// task does not keep spill files open. Pure.

interface Head<T> {
  value: T;
  run: number;
  it: Iterator<T>;
}

export function* mergeSorted<T>(runs: Iterable<T>[], cmp: (a: T, b: T) => number): Generator<T> {
  const its = runs.map((r) => r[Symbol.iterator]());
  const before = (a: Head<T>, b: Head<T>) => {
    const c = cmp(a.value, b.value);
    return c < 0 || (c === 0 && a.run < b.run);
  };
  const heap: Head<T>[] = [];
  try {
    its.forEach((it, run) => {
      const r = it.next();
      if (!r.done) push(heap, { value: r.value, run, it }, before);
    });
    while (heap.length > 0) {
      const top = heap[0]!;
      yield top.value;
      const r = top.it.next();
      if (r.done) {
        const last = heap.pop()!;
        if (heap.length > 0) {
          heap[0] = last;
          siftDown(heap, 0, before);
        }
      } else {
        top.value = r.value;
        siftDown(heap, 0, before);
      }
    }
  } finally {
    for (const it of its) it.return?.();
  }
}

function push<T>(heap: T[], x: T, before: (a: T, b: T) => boolean): void {
  heap.push(x);
  let i = heap.length - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (!before(heap[i]!, heap[parent]!)) break;
    [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
    i = parent;
  }
}

function siftDown<T>(heap: T[], i: number, before: (a: T, b: T) => boolean): void {
  const n = heap.length;
  for (;;) {
    const l = 2 * i + 1;
    const r = l + 1;
    let best = i;
    if (l < n && before(heap[l]!, heap[best]!)) best = l;
    if (r < n && before(heap[r]!, heap[best]!)) best = r;
    if (best === i) return;
    [heap[i], heap[best]] = [heap[best]!, heap[i]!];
    i = best;
  }
}

/**
 * Folds runs of items that compare equal into one: the merge step of an
 * external aggregation, where each run holds a key at most once.
 */
export function* combineAdjacent<T>(sorted: Iterable<T>, same: (a: T, b: T) => boolean, combine: (a: T, b: T) => T): Generator<T> {
  let cur: T | undefined;
  let has = false;
  for (const x of sorted) {
    if (has && same(cur as T, x)) {
      cur = combine(cur as T, x);
    } else {
      if (has) yield cur as T;
      cur = x;
      has = true;
    }
  }
  if (has) yield cur as T;
}
