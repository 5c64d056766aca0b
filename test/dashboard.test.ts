// The Grafana dashboard (deploy/grafana/minispark.json) and the Prometheus
// example (deploy/prometheus.yml), against a real cluster: every metric, label
// and label value a panel's PromQL names is in what a master and a worker
// serve on /metrics after a job; the standard process_* and nodejs_* names and
// minispark_build_info are there; the scrape example finds the Kubernetes
// manifests' pods and ports and sends the token.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { Histogram, Registry } from "../src/common/prometheus.js";
import { packageVersion } from "../src/common/version.js";
import { startTestCluster, writeFile, type TestCluster } from "./helpers/cluster.js";
import { loadManifests } from "./helpers/kubernetes-manifests.js";
import { exposed, missingReferences, references, type Exposed } from "./helpers/metric-references.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const dashboard = JSON.parse(fs.readFileSync(`${ROOT}deploy/grafana/minispark.json`, "utf8"));

interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  targets?: { expr: string; datasource?: { uid: string } }[];
  panels?: Panel[];
}

const panels = (dashboard.panels as Panel[]).flatMap((p) => [p, ...(p.panels ?? [])]);
const queries = panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));

let t: TestCluster;
let master = "";
let worker = "";
let have: Exposed;

async function scrape(url: string, token: string | null): Promise<{ status: number; text: string }> {
  const res = await fetch(`${url}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.status, text: await res.text() };
}

before(async () => {
  t = await startTestCluster({ workers: 2, slots: 1 });
  writeFile(t.dataDir, "text/a.txt", Array.from({ length: 20_000 }, (_, i) => `w${i % 997} x${i % 13}`).join("\n"));
  await t.run({
    name: "dashboard",
    nodes: [
      { id: "lines", op: "textFile", path: "text/*.txt" },
      { id: "words", op: "flatMap", input: "lines", fn: "line => line.split(' ')" },
      { id: "pairs", op: "map", input: "words", fn: "w => [w, 1]" },
      { id: "counts", op: "reduceByKey", input: "pairs", fn: "(a, b) => a + b", numPartitions: 2 },
    ],
    action: { op: "count", input: "counts" },
  });
  const [w] = await t.cluster.client.workers();
  master = (await scrape(t.cluster.masterUrl, t.cluster.token)).text;
  worker = (await scrape(`http://${w!.address}`, t.cluster.token)).text;
  have = exposed(worker, exposed(master));
});

after(() => t?.stop());

describe("Grafana dashboard", () => {
  it("takes its Prometheus data source as a variable, used by every panel and query", () => {
    const vars = dashboard.templating.list as { name: string; type: string; query: unknown; datasource?: { uid: string } }[];
    const ds = vars.find((v) => v.type === "datasource");
    assert.deepEqual([ds?.name, ds?.query], ["datasource", "prometheus"]);
    // biome-ignore-start lint/suspicious/noTemplateCurlyInString: "${datasource}" is Grafana's variable syntax, not a template literal
    for (const v of vars.filter((x) => x.type === "query")) assert.equal(v.datasource?.uid, "${datasource}", v.name);
    for (const p of panels.filter((x) => x.type !== "row")) {
      assert.deepEqual(p.datasource, { type: "prometheus", uid: "${datasource}" }, p.title);
      for (const q of p.targets ?? []) assert.equal(q.datasource?.uid, "${datasource}", p.title);
    }
    // biome-ignore-end lint/suspicious/noTemplateCurlyInString: the Grafana variables end here
    assert.equal(new Set(panels.map((p) => p.id)).size, panels.length, "panel ids are unique");
  });

  it("charts jobs, tasks, shuffle, spill, worker memory and each process's CPU, memory, heap, event loop and GC", () => {
    const used = new Set(queries.flatMap((q) => references(q.expr).metrics));
    for (const name of [
      "minispark_jobs_ended_total",
      "minispark_worker_active_tasks",
      "minispark_task_attempts_ended_total",
      "minispark_worker_shuffle_written_bytes_total",
      "minispark_worker_shuffle_fetched_bytes_total",
      "minispark_worker_spilled_bytes_total",
      "minispark_worker_execution_memory_bytes",
      "minispark_worker_memory_budget_bytes",
      "minispark_build_info",
      "process_cpu_seconds_total",
      "process_resident_memory_bytes",
      "process_start_time_seconds",
      "nodejs_eventloop_lag_seconds",
      "nodejs_heap_size_used_bytes",
      "nodejs_gc_duration_seconds_sum",
    ]) {
      assert.ok(used.has(name), `no panel charts ${name}`);
    }
  });

  it("every metric, label and value its queries name is in what a master and a worker serve", () => {
    for (const q of queries) assert.deepEqual(missingReferences(q.expr, have), [], `${q.panel}: ${q.expr}`);
    // The template variables' queries too: Grafana's label_values(<selector>, <label>).
    for (const v of dashboard.templating.list.filter((x: { type: string }) => x.type === "query")) {
      const [, selector, label] = /^label_values\((.+), *(\w+)\)$/.exec(v.definition) ?? [];
      assert.ok(selector && label, v.definition);
      assert.deepEqual(missingReferences(`count by (${label}) (${selector})`, have), [], v.name);
    }
  });

  it("the check refuses a name, label or value no scrape has", () => {
    assert.deepEqual(missingReferences("rate(minispark_jobs_failed_total[5m])", have), ["no metric minispark_jobs_failed_total"]);
    assert.deepEqual(missingReferences('minispark_workers{status="alive"}', have), ["minispark_workers has no label status"]);
    assert.match(missingReferences('nodejs_eventloop_lag_seconds{quantile="0.999"}', have).join(), /no quantile="0.999" \(only mean, 0.99\)/);
    assert.deepEqual(missingReferences("sum by (node) (rate(process_cpu_seconds_total[1m]))", have), ["no metric of sum by (node) (rate(process_cpu_seconds_total[1m])) has the label node"]);
    assert.deepEqual(missingReferences('rate(minispark_task_attempts_ended_total{state!="finshed"}[1m])', have).length, 1);
    assert.deepEqual(missingReferences("time()", have), ["no metric in time()"]);
  });
});

describe("metrics a dashboard expects", () => {
  it("master and workers serve the standard process and Node.js names and minispark_build_info", () => {
    for (const [who, text] of [
      ["master", master],
      ["worker", worker],
    ] as const) {
      const names = exposed(text);
      for (const name of [
        "process_cpu_seconds_total",
        "process_resident_memory_bytes",
        "process_start_time_seconds",
        "nodejs_eventloop_lag_seconds",
        "nodejs_heap_size_used_bytes",
        "nodejs_gc_duration_seconds_sum",
        "nodejs_gc_duration_seconds_count",
        "nodejs_gc_duration_seconds_bucket",
      ]) {
        assert.ok(names.has(name), `${who} has no ${name}`);
      }
      assert.match(text, /^# TYPE minispark_build_info gauge$/m);
      assert.ok(text.split("\n").includes(`minispark_build_info{version="${packageVersion()}",node="${process.version}"} 1`), `${who}: ${text.match(/^minispark_build_info.*$/m)}`);
    }
  });

  it("a histogram's known label values are series before anything is observed (GC by kind on a fresh process)", () => {
    const r = new Registry();
    const h = r.add(new Histogram("gc_seconds", "GC.", [1], { name: "kind", values: ["major", "minor"] }));
    assert.match(r.render(), /^gc_seconds_count\{kind="major"\} 0\ngc_seconds_bucket\{kind="minor",le="1"\} 0$/m);
    h.observe(0.5, { kind: "minor" });
    assert.match(r.render(), /^gc_seconds_count\{kind="minor"\} 1$/m);
  });

  it("/metrics needs the token, /healthz (the probes') does not", async () => {
    assert.equal((await scrape(t.cluster.masterUrl, null)).status, 401);
    assert.equal((await scrape(t.cluster.masterUrl, "not-the-token")).status, 401);
    assert.equal((await fetch(`${t.cluster.masterUrl}/healthz`)).status, 200);
    const [w] = await t.cluster.client.workers();
    assert.equal((await scrape(`http://${w!.address}`, null)).status, 401);
    assert.equal((await fetch(`http://${w!.address}/healthz`)).status, 200);
  });
});

describe("Prometheus scrape example", () => {
  const config = parse(fs.readFileSync(`${ROOT}deploy/prometheus.yml`, "utf8"));
  const jobs = config.scrape_configs as {
    job_name: string;
    metrics_path?: string;
    authorization?: { type?: string; credentials_file?: string };
    kubernetes_sd_configs?: { role: string; namespaces?: { names: string[] } }[];
    relabel_configs?: { source_labels?: string[]; regex?: string; action?: string }[];
  }[];

  it("sends the token from a file to /metrics in every job", () => {
    assert.ok(jobs.length >= 2);
    for (const j of jobs) {
      assert.equal(j.metrics_path ?? "/metrics", "/metrics", j.job_name);
      assert.equal(j.authorization?.type ?? "Bearer", "Bearer", j.job_name);
      assert.match(j.authorization?.credentials_file ?? "", /^\//, `${j.job_name}: the token comes from a file`);
    }
  });

  it("keeps exactly the Kubernetes manifests' master and worker pods, at their http port", () => {
    const k8s = jobs.find((j) => j.kubernetes_sd_configs);
    assert.ok(k8s);
    const pods = loadManifests(fileURLToPath(new URL("../../deploy/kubernetes/", import.meta.url)))
      .filter((m) => m.doc.kind === "Deployment" || m.doc.kind === "StatefulSet")
      .map((m) => (m.doc as any).spec.template);
    assert.deepEqual(k8s.kubernetes_sd_configs![0]!.namespaces?.names, ["minispark"]);
    // Prometheus's pod role: one target per container port, labels as __meta_kubernetes_pod_label_<name with _>.
    const meta = (labels: Record<string, string>, port: string) => ({
      ...Object.fromEntries(Object.entries(labels).map(([k, v]) => [`__meta_kubernetes_pod_label_${k.replace(/[^a-zA-Z0-9_]/g, "_")}`, v])),
      __meta_kubernetes_pod_container_port_name: port,
    });
    const kept = (target: Record<string, string>) =>
      (k8s.relabel_configs ?? []).filter((r) => r.action === "keep").every((r) => new RegExp(`^(?:${r.regex})$`).test((r.source_labels ?? []).map((l) => target[l] ?? "").join(";")));
    let targets = 0;
    for (const pod of pods) {
      for (const c of pod.spec.containers) {
        for (const p of c.ports) {
          assert.equal(kept(meta(pod.metadata.labels, p.name)), p.name === "http", `${pod.metadata.labels["app.kubernetes.io/component"]} port ${p.name}`);
          targets++;
        }
      }
      assert.equal(kept(meta({ ...pod.metadata.labels, "app.kubernetes.io/name": "other" }, "http")), false, "another app's pods are dropped");
    }
    assert.equal(targets, 2, "the master and the worker template");
  });
});
