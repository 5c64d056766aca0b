// A small Prometheus registry: counters, gauges and histograms with labels,
// rendered in the text exposition format (version 0.0.4) for GET /metrics on
// the master and the workers. Gauges may be read from a callback at scrape time.

type Labels = Record<string, string>;

interface Metric {
  render(): string[];
}

function labelText(labels: Labels): string {
  const keys = Object.keys(labels);
  if (keys.length === 0) return "";
  const escapeValue = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
  return "{" + keys.map((k) => `${k}="${escapeValue(labels[k]!)}"`).join(",") + "}";
}

/** A series' identity: cheap for no label or one (every increment computes it), sorted entries beyond. */
function key(labels: Labels): string {
  const names = Object.keys(labels);
  if (names.length === 0) return "";
  // A label name is [a-zA-Z_][a-zA-Z0-9_]*, so this cannot collide with the JSON form below.
  if (names.length === 1) return `${names[0]}\u0000${labels[names[0]!]}`;
  return JSON.stringify(Object.entries(labels).sort());
}

class Series<V> {
  readonly values = new Map<string, { labels: Labels; value: V }>();
  get(labels: Labels, init: () => V): { labels: Labels; value: V } {
    const k = key(labels);
    let s = this.values.get(k);
    if (!s) this.values.set(k, (s = { labels, value: init() }));
    return s;
  }
}

/**
 * A counter without labels, or with one label whose values are known up front:
 * each of those starts at 0, so no series appears late or a sample without the
 * label stands in for them before the first increment (which then vanished).
 */
export class Counter implements Metric {
  private readonly series = new Series<number>();
  constructor(
    private readonly name: string,
    private readonly help: string,
    private readonly label?: { name: string; values: readonly string[] },
  ) {
    if (label) for (const v of label.values) this.series.get({ [label.name]: v }, () => 0);
  }
  inc(by = 1, labels: Labels = {}): void {
    this.series.get(labels, () => 0).value += by;
  }
  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    if (this.series.values.size === 0 && !this.label) lines.push(`${this.name} 0`);
    for (const { labels, value } of this.series.values.values()) lines.push(`${this.name}${labelText(labels)} ${value}`);
    return lines;
  }
}

export class Gauge implements Metric {
  private readonly series = new Series<number>();
  constructor(
    private readonly name: string,
    private readonly help: string,
    private readonly read?: () => { labels?: Labels; value: number }[],
  ) {}
  set(value: number, labels: Labels = {}): void {
    this.series.get(labels, () => 0).value = value;
  }
  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} gauge`];
    const samples = this.read ? this.read() : [...this.series.values.values()];
    for (const s of samples) lines.push(`${this.name}${labelText(s.labels ?? {})} ${s.value}`);
    return lines;
  }
}

/** A value read from the process at scrape time, typed as the standard name it carries says (a counter or a gauge). */
export class Sampled implements Metric {
  constructor(
    private readonly name: string,
    private readonly help: string,
    private readonly type: "counter" | "gauge",
    private readonly read: () => { labels?: Labels; value: number }[],
  ) {}
  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`];
    for (const s of this.read()) lines.push(`${this.name}${labelText(s.labels ?? {})} ${s.value}`);
    return lines;
  }
}

export class Histogram implements Metric {
  private readonly series = new Series<{ counts: number[]; sum: number; count: number }>();
  /** As for Counter, a label's known values are series from the start, so a query by that label finds them before the first observation. */
  constructor(
    private readonly name: string,
    private readonly help: string,
    private readonly buckets: number[],
    label?: { name: string; values: readonly string[] },
  ) {
    if (label) for (const v of label.values) this.series.get({ [label.name]: v }, () => this.empty());
  }
  private empty(): { counts: number[]; sum: number; count: number } {
    return { counts: this.buckets.map(() => 0), sum: 0, count: 0 };
  }
  observe(value: number, labels: Labels = {}): void {
    const s = this.series.get(labels, () => this.empty()).value;
    this.buckets.forEach((b, i) => {
      if (value <= b) s.counts[i]!++;
    });
    s.sum += value;
    s.count++;
  }
  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const { labels, value } of this.series.values.values()) {
      this.buckets.forEach((b, i) => {
        lines.push(`${this.name}_bucket${labelText({ ...labels, le: String(b) })} ${value.counts[i]}`);
      });
      lines.push(`${this.name}_bucket${labelText({ ...labels, le: "+Inf" })} ${value.count}`);
      lines.push(`${this.name}_sum${labelText(labels)} ${value.sum}`);
      lines.push(`${this.name}_count${labelText(labels)} ${value.count}`);
    }
    return lines;
  }
}

export class Registry {
  private readonly metrics: Metric[] = [];
  add<M extends Metric>(m: M): M {
    this.metrics.push(m);
    return m;
  }
  render(): string {
    return this.metrics.flatMap((m) => m.render()).join("\n") + "\n";
  }
}

/** Seconds buckets for task and job durations. */
export const DURATION_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
