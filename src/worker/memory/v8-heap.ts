// The HeapGauge of the thread it runs in, read from V8: the heap in use
// (garbage not yet collected included) against the thread's limit, which the
// executor sets for each task thread (memory-pool.ts's memoryLayout).
import v8 from "node:v8";
import type { HeapGauge } from "./memory-pool.js";

export const v8Heap: HeapGauge = {
  fullness(): number {
    const h = v8.getHeapStatistics();
    return h.used_heap_size / h.heap_size_limit;
  },
};
