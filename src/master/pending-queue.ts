// The partitions of a stage waiting to be launched, in the order they became
// pending. A stage can have 100k tasks and every launch takes one out, mostly
// from the head but from anywhere when locality passes some over or a task is
// recovered, so every operation is O(1) amortized: removal marks the entry
// dead, the head skips dead entries, and the list is compacted when half of it
// is dead. (An array's shift, or a Set iterated from its start after many
// deletions, is O(n) per launch: quadratic in the stage's size.)

export class PendingQueue implements Iterable<number> {
  /** Partitions in the order they were added; an entry is live when `at[p]` is its index. */
  private order: number[] = [];
  /** The index in `order` of each pending partition's live entry; -1 when it is not pending. */
  private readonly at: Int32Array;
  private head = 0;
  private live = 0;
  /** Walks in progress: the list is not compacted under one, whose place is an index into it. */
  private walks = 0;

  /** A queue for partitions 0..`partitions`-1, holding all of them in order. */
  constructor(partitions: number) {
    this.at = new Int32Array(partitions);
    for (let p = 0; p < partitions; p++) {
      this.at[p] = p;
      this.order.push(p);
    }
    this.live = partitions;
  }

  get size(): number {
    return this.live;
  }

  has(partition: number): boolean {
    return this.at[partition]! >= 0;
  }

  /** Puts a partition at the end of the line; one already pending keeps its place. */
  add(partition: number): void {
    if (this.has(partition)) return;
    this.at[partition] = this.order.length;
    this.order.push(partition);
    this.live++;
  }

  delete(partition: number): void {
    if (!this.has(partition)) return;
    this.at[partition] = -1;
    this.live--;
    this.skipDead();
    if (this.walks === 0 && this.order.length - this.head > 64 && this.live * 2 < this.order.length - this.head) this.compact();
  }

  clear(): void {
    for (const p of this) this.at[p] = -1;
    this.order = [];
    this.head = 0;
    this.live = 0;
  }

  /** The pending partitions in order; one removed during the walk is not visited, one added is. */
  *[Symbol.iterator](): Iterator<number> {
    this.walks++;
    try {
      for (let i = this.head; i < this.order.length; i++) {
        const p = this.order[i]!;
        if (this.at[p] === i) yield p;
      }
    } finally {
      this.walks--;
    }
  }

  private skipDead(): void {
    while (this.head < this.order.length && this.at[this.order[this.head]!] !== this.head) this.head++;
  }

  private compact(): void {
    const next: number[] = [];
    for (const p of this) {
      this.at[p] = next.length;
      next.push(p);
    }
    this.order = next;
    this.head = 0;
  }
}
