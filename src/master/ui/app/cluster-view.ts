// The cluster page (#/cluster): a summary of live workers, slots and tasks, and
// one row per worker with its load and a CPU sparkline of its recent heartbeats.
import { getWorkers, type LoadSample } from "./api.js";
import { badge, h, num, svg, table, type View } from "./dom.js";
import { fmtAge, fmtBytes, fmtMs, fmtNum } from "./format.js";

function sparkline(samples: LoadSample[]): SVGSVGElement {
  const W = 120;
  const H = 28;
  const pts = samples.map((s, i): [number, number] => [samples.length === 1 ? W : (i / (samples.length - 1)) * W, H - 2 - (Math.min(100, s.cpu_percent) / 100) * (H - 4)]);
  if (pts.length === 1) pts.unshift([0, pts[0][1]]);
  const line = pts.map(([x, y]) => x.toFixed(1) + "," + y.toFixed(1)).join(" ");
  const last = samples[samples.length - 1];
  const peak = Math.max(...samples.map((s) => s.cpu_percent));
  return svg(
    "svg",
    { class: "spark", width: W, height: H, viewBox: "0 0 " + W + " " + H },
    svg("title", {}, "CPU over the last " + samples.length + " heartbeats: now " + Math.round(last.cpu_percent) + "%, peak " + Math.round(peak) + "% (ticks: heartbeats with running tasks)"),
    svg("polygon", { class: "area", points: "0," + H + " " + line + " " + W + "," + H }),
    svg("polyline", { class: "line", points: line }),
    samples.map((s, i) => (s.active_tasks > 0 ? svg("rect", { class: "tasks", x: pts[pts.length - samples.length + i][0] - 1.5, y: H - 4, width: 3, height: 4 }) : null)),
  );
}

export async function clusterView(): Promise<View> {
  const { workers } = await getWorkers();
  const alive = workers.filter((w) => w.status === "ALIVE");
  const rows = workers.map((w) =>
    h(
      "tr",
      { "data-worker": w.id },
      h("td", { class: "mono" }, w.id),
      h("td", { class: "mono" }, w.address),
      h("td", {}, badge(w.status)),
      num(w.slots),
      num(w.active_tasks),
      num(Math.round(w.cpu_percent) + "%"),
      num(fmtNum(Math.round(w.mem_usage_mb)) + " MB"),
      num(fmtNum(Math.round(w.heap_used_mb)) + " MB"),
      num(fmtNum(Math.round(w.execution_memory_mb)) + " / " + fmtNum(Math.round(w.memory_budget_mb)) + " MB"),
      num(fmtNum(w.spill_count) + (w.spill_count ? " · " + fmtBytes(w.spill_bytes) : "")),
      h("td", {}, fmtNum(w.tasks_completed) + " / " + fmtNum(w.tasks_failed)),
      num(fmtMs(w.avg_task_ms)),
      h("td", {}, fmtAge(w.lastHeartbeatAt)),
      h("td", {}, w.history.length ? sparkline(w.history) : "–"),
    ),
  );
  return [
    h("h1", {}, "Cluster"),
    h(
      "div",
      { class: "summary" },
      h("span", {}, h("b", {}, alive.length), " alive"),
      h("span", {}, h("b", {}, workers.length - alive.length), " dead"),
      h(
        "span",
        {},
        h(
          "b",
          {},
          alive.reduce((n, w) => n + w.slots, 0),
        ),
        " slots",
      ),
      h(
        "span",
        {},
        h(
          "b",
          {},
          alive.reduce((n, w) => n + w.active_tasks, 0),
        ),
        " active tasks",
      ),
    ),
    table(
      ["Worker", "Address", "Status", "Slots", "Active", "CPU", "Memory", "Heap", "Buffers / budget", "Spills", "Tasks done / failed", "Avg task", "Last heartbeat", "CPU load"],
      rows,
      "No workers have registered yet.",
    ),
  ];
}
