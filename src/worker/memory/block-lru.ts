// The order in which cached blocks leave memory: least recently used first, as
// Spark's MemoryStore evicts. Holds each block's size and the value kept for it,
// and decides which blocks go when some room is needed, skipping blocks that
// may not go (those the running task is reading). Pure; the thread's block
// store (src/worker/thread-block-store.ts) acts on its decisions.

export class BlockLru<V extends { bytes: number }> {
  /** A Map iterates in insertion order: re-inserting a block on use keeps the least recently used first. */
  private readonly blocks = new Map<string, V>();
  private total = 0;

  get bytes(): number {
    return this.total;
  }

  get size(): number {
    return this.blocks.size;
  }

  has(key: string): boolean {
    return this.blocks.has(key);
  }

  /** The block, now the most recently used. */
  use(key: string): V | undefined {
    const v = this.blocks.get(key);
    if (v === undefined) return undefined;
    this.blocks.delete(key);
    this.blocks.set(key, v);
    return v;
  }

  /** Adds (or replaces) a block as the most recently used. */
  add(key: string, v: V): void {
    this.remove(key);
    this.blocks.set(key, v);
    this.total += v.bytes;
  }

  remove(key: string): V | undefined {
    const v = this.blocks.get(key);
    if (v === undefined) return undefined;
    this.blocks.delete(key);
    this.total -= v.bytes;
    return v;
  }

  /**
   * The blocks to evict, least recently used first, so that at least `need`
   * bytes come free, never one `keep` holds on to; null when even all the others
   * would not free that much (then none is evicted: a partial eviction would
   * lose blocks and still not make the room).
   */
  victims(need: number, keep: (key: string, v: V) => boolean): string[] | null {
    if (need <= 0) return [];
    const out: string[] = [];
    let freed = 0;
    for (const [key, v] of this.blocks) {
      if (keep(key, v)) continue;
      out.push(key);
      freed += v.bytes;
      if (freed >= need) return out;
    }
    return null;
  }

  keys(): string[] {
    return [...this.blocks.keys()];
  }

  entries(): [string, V][] {
    return [...this.blocks.entries()];
  }
}
