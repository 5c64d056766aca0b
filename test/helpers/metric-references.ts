// What a Grafana dashboard's PromQL asks of the metrics, against what a scrape
// has (pure): the series names a scrape exposes with the labels and values each
// carries, the metric names, label matchers and grouping labels of an
// expression, and the references a scrape cannot satisfy. Used by
// test/dashboard.test.ts on deploy/grafana/minispark.json.

/** Series name → label name → the values seen (a histogram's _bucket, _sum and _count are names of their own). */
export type Exposed = Map<string, Map<string, Set<string>>>;

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? \S+$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Adds what Prometheus text exposition `text` declares and samples to `into`. */
export function exposed(text: string, into: Exposed = new Map()): Exposed {
  const series = (name: string) => into.get(name) ?? into.set(name, new Map()).get(name)!;
  for (const line of text.split("\n")) {
    const type = /^# TYPE (\S+) (\w+)$/.exec(line);
    if (type) {
      // Declared but maybe not sampled yet (a histogram nothing observed).
      for (const suffix of type[2] === "histogram" ? ["_bucket", "_sum", "_count"] : [""]) series(type[1] + suffix);
      continue;
    }
    const sample = SAMPLE.exec(line);
    if (!sample) continue;
    const labels = series(sample[1]!);
    for (const [, name, value] of (sample[2] ?? "").matchAll(LABEL)) (labels.get(name!) ?? labels.set(name!, new Set()).get(name!)!).add(value!);
  }
  return into;
}

/** The metric, label and value references of one PromQL expression. */
export interface References {
  metrics: string[];
  /** name{label op "value"}: the label, and the value when the matcher compares with a literal (= or !=; a misspelt value matches nothing, or everything). */
  matchers: { metric: string; label: string; value: string | null }[];
  /** by (…) / without (…) labels. */
  grouping: string[];
}

const FUNCTIONS = new Set([
  "sum",
  "avg",
  "min",
  "max",
  "count",
  "rate",
  "irate",
  "increase",
  "histogram_quantile",
  "time",
  "by",
  "without",
  "on",
  "ignoring",
  "group_left",
  "group_right",
  "topk",
  "bottomk",
  "abs",
  "clamp_min",
  "clamp_max",
  "delta",
  "deriv",
  "label_replace",
  "vector",
  "scalar",
  "and",
  "or",
  "unless",
  "offset",
  "bool",
]);

export function references(expr: string): References {
  // Grafana's variables ($job, $__rate_interval) are not PromQL.
  const plain = expr.replace(/\$\{?\w+\}?/g, "");
  const metrics: string[] = [];
  const matchers: References["matchers"] = [];
  const grouping: string[] = [];
  for (const [, labels] of plain.matchAll(/\b(?:by|without)\s*\(([^)]*)\)/g))
    grouping.push(
      ...labels!
        .split(",")
        .map((l) => l.trim())
        .filter(Boolean),
    );
  const withoutGrouping = plain.replace(/\b(?:by|without)\s*\([^)]*\)/g, " ");
  for (const m of withoutGrouping.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\{[^}]*\})?/g)) {
    const name = m[1]!;
    const index = m.index!;
    // A function call, a number's exponent or a string's content is no metric.
    if (FUNCTIONS.has(name) || /[\d."]$/.test(withoutGrouping.slice(0, index))) continue;
    if (/^\s*\(/.test(withoutGrouping.slice(index + name.length)) && !m[2]) continue;
    metrics.push(name);
    for (const [, label, op, value] of (m[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"([^"]*)"/g))
      matchers.push({ metric: name, label: label!, value: (op === "=" || op === "!=") && value !== "" ? value! : null });
  }
  return { metrics, matchers, grouping };
}

/** Labels Prometheus adds to every target's series, and the histogram bucket bound. */
const TARGET_LABELS = new Set(["job", "instance", "le"]);

/** What `expr` refers to that `have` lacks, one line each (none: every name, label and value is there). */
export function missingReferences(expr: string, have: Exposed): string[] {
  const refs = references(expr);
  const problems: string[] = [];
  if (!refs.metrics.length) problems.push(`no metric in ${expr}`);
  for (const m of refs.metrics) if (!have.has(m)) problems.push(`no metric ${m}`);
  for (const { metric, label, value } of refs.matchers) {
    const values = have.get(metric)?.get(label);
    if (TARGET_LABELS.has(label) || !have.has(metric)) continue;
    if (!values) problems.push(`${metric} has no label ${label}`);
    else if (value !== null && !values.has(value)) problems.push(`${metric} has no ${label}="${value}" (only ${[...values].join(", ")})`);
  }
  for (const label of refs.grouping) {
    if (!TARGET_LABELS.has(label) && !refs.metrics.some((m) => have.get(m)?.has(label))) problems.push(`no metric of ${expr} has the label ${label}`);
  }
  return problems;
}
