// The standard process and Node.js runtime metrics that Prometheus dashboards
// for Node expect (the names prom-client's default metrics use): CPU seconds,
// resident memory, open descriptors, start time, heap, event-loop lag, GC
// pauses by kind, and the Node and minispark versions as build info. Read at scrape time;
// added to their registries by master-metrics.ts and worker-metrics.ts.
import fs from "node:fs";
import { PerformanceObserver, constants, monitorEventLoopDelay, type PerformanceEntry } from "node:perf_hooks";
import { getHeapStatistics } from "node:v8";
import { Gauge, Histogram, type Registry, Sampled } from "./prometheus.js";
import { packageVersion } from "./version.js";

const GC_KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MAJOR]: "major",
  [constants.NODE_PERFORMANCE_GC_MINOR]: "minor",
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: "incremental",
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: "weakcb",
};

const GC_BUCKETS = [0.001, 0.01, 0.1, 1, 2, 5];

/** Seconds since the epoch at which this process started. */
const START_TIME_S = Math.round(Date.now() / 1000 - process.uptime());

export function addRuntimeMetrics(registry: Registry): void {
  const lag = monitorEventLoopDelay({ resolution: 20 });
  lag.enable();
  const gc = registry.add(new Histogram("nodejs_gc_duration_seconds", "Garbage collection pauses, by kind.", GC_BUCKETS, { name: "kind", values: Object.values(GC_KINDS) }));
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gc.observe(e.duration / 1000, { kind: GC_KINDS[(e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind ?? -1] ?? "other" });
  });
  observer.observe({ entryTypes: ["gc"] });

  registry.add(
    new Sampled("process_cpu_seconds_total", "User and system CPU time spent, in seconds.", "counter", () => {
      const u = process.cpuUsage();
      return [{ value: (u.user + u.system) / 1e6 }];
    }),
  );
  registry.add(new Sampled("process_resident_memory_bytes", "Resident memory size in bytes.", "gauge", () => [{ value: process.memoryUsage.rss() }]));
  registry.add(new Sampled("process_start_time_seconds", "Start time of the process since the Unix epoch, in seconds.", "gauge", () => [{ value: START_TIME_S }]));
  registry.add(new Sampled("process_open_fds", "Open file descriptors.", "gauge", () => openFds()));
  registry.add(new Sampled("nodejs_heap_size_used_bytes", "V8 heap in use, in bytes.", "gauge", () => [{ value: process.memoryUsage().heapUsed }]));
  registry.add(new Sampled("nodejs_heap_size_total_bytes", "V8 heap reserved, in bytes.", "gauge", () => [{ value: process.memoryUsage().heapTotal }]));
  registry.add(new Sampled("nodejs_heap_size_limit_bytes", "V8 heap limit, in bytes.", "gauge", () => [{ value: getHeapStatistics().heap_size_limit }]));
  registry.add(new Sampled("nodejs_external_memory_bytes", "Memory of Buffers and other objects outside the V8 heap, in bytes.", "gauge", () => [{ value: process.memoryUsage().external }]));
  registry.add(
    new Gauge("nodejs_eventloop_lag_seconds", "Event loop delay since the last scrape: mean and 99th percentile.", () => {
      const samples = [
        { labels: { quantile: "mean" }, value: nanosToSeconds(lag.mean) },
        { labels: { quantile: "0.99" }, value: nanosToSeconds(lag.percentile(99)) },
      ];
      lag.reset();
      return samples;
    }),
  );
  registry.add(new Gauge("nodejs_version_info", "Node.js version.", () => [{ labels: { version: process.version }, value: 1 }]));
  // What a dashboard shows to spot a cluster running mixed versions (they refuse each other's messages).
  registry.add(new Gauge("minispark_build_info", "minispark and Node.js versions.", () => [{ labels: { version: packageVersion(), node: process.version }, value: 1 }]));
}

function nanosToSeconds(ns: number): number {
  return Number.isFinite(ns) ? ns / 1e9 : 0;
}

/** Open descriptors where /proc tells them (Linux); no sample elsewhere. */
function openFds(): { value: number }[] {
  try {
    return [{ value: fs.readdirSync("/proc/self/fd").length }];
  } catch {
    return [];
  }
}
