// The web UI's browser script: hash routing (#/cluster, #/jobs, #/jobs/{id}), the
// token taken from the URL fragment or a login form and kept in sessionStorage,
// and a poll of the JSON API every second that redraws the current view. Every
// value from the API enters the DOM as text (textContent or an attribute), never
// as markup. Kept as plain browser JS so the master serves it with no build step.
export const APP_JS = String.raw`"use strict";
(() => {
  const POLL_MS = 1000;
  const TOKEN_KEY = "minispark.token";
  const main = document.getElementById("main");
  const live = document.getElementById("live");
  const signout = document.getElementById("signout");
  let timer = 0;
  let generation = 0;

  class AuthError extends Error {}

  // ---- token ------------------------------------------------------------
  function takeTokenFromFragment() {
    const m = /^#token=([^&]*)/.exec(location.hash);
    if (!m) return;
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1]));
    history.replaceState(null, "", location.pathname + location.search + "#/cluster");
  }
  const token = () => sessionStorage.getItem(TOKEN_KEY);

  async function api(path, method) {
    const headers = { accept: "application/json" };
    if (token()) headers.authorization = "Bearer " + token();
    const res = await fetch(path, { method: method || "GET", headers });
    if (res.status === 401) throw new AuthError(token() ? "That token was not accepted." : "This cluster needs its access token.");
    const body = await res.json().catch(() => null);
    if (!res.ok) throw new Error((body && body.error && body.error.message) || "HTTP " + res.status);
    return body;
  }

  // ---- DOM helpers --------------------------------------------------------
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) if (v !== null && v !== undefined) el.setAttribute(k, String(v));
    for (const c of children.flat()) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : String(c));
    return el;
  }
  function svg(tag, attrs, ...children) {
    const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
    for (const c of children.flat()) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : String(c));
    return el;
  }
  const badge = (status) => h("span", { class: "badge " + String(status).toLowerCase() }, status);
  function bar(pct, status) {
    const fill = h("span");
    fill.style.width = Math.max(0, Math.min(100, pct)) + "%";
    return h("span", { class: "progress" }, h("span", { class: "bar " + String(status || "").toLowerCase() }, fill),
      h("span", { class: "pct" }, (Math.round(pct * 10) / 10) + "%"));
  }
  // A table in a panel; a heading is right-aligned when its column's cells are numbers.
  const table = (heads, rows, empty) => h("div", { class: "panel" }, rows.length === 0 ? h("div", { class: "empty" }, empty) :
    h("table", {}, h("thead", {}, h("tr", {}, heads.map((t, i) => h("th", { class: rows[0].children[i].className === "num" ? "num" : null }, t)))),
      h("tbody", {}, rows)));
  const num = (v) => h("td", { class: "num" }, v);
  const facts = (pairs) => h("div", { class: "panel facts" }, pairs.map(([k, v]) => h("div", {}, h("div", { class: "k" }, k), h("div", { class: "v" }, v))));

  // ---- formatting -------------------------------------------------------
  function fmtMs(ms) {
    if (ms === null || ms === undefined) return "–";
    if (ms < 1000) return Math.round(ms) + " ms";
    if (ms < 60000) return (ms / 1000).toFixed(1) + " s";
    const s = Math.round(ms / 1000);
    return Math.floor(s / 60) + "m " + String(s % 60).padStart(2, "0") + "s";
  }
  function fmtBytes(n) {
    if (n === null || n === undefined) return "–";
    const units = ["B", "KiB", "MiB", "GiB"];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
    return (i === 0 ? n : n.toFixed(1)) + " " + units[i];
  }
  const fmtNum = (n) => (n === null || n === undefined ? "–" : Number(n).toLocaleString("en-US"));
  // Today's times alone, older ones with their date.
  function fmtTime(t) {
    if (!t) return "–";
    const d = new Date(t);
    return d.toDateString() === new Date().toDateString() ? d.toLocaleTimeString() : d.toLocaleString();
  }
  const fmtAge = (t) => (t ? fmtMs(Math.max(0, Date.now() - new Date(t).getTime())) + " ago" : "–");
  const elapsed = (from, to) => (from ? (to ? new Date(to) : new Date()).getTime() - new Date(from).getTime() : null);

  // ---- views ------------------------------------------------------------
  function sparkline(history) {
    const W = 120, H = 28;
    const pts = history.map((s, i) => [history.length === 1 ? W : (i / (history.length - 1)) * W, H - 2 - (Math.min(100, s.cpu_percent) / 100) * (H - 4)]);
    if (pts.length === 1) pts.unshift([0, pts[0][1]]);
    const line = pts.map(([x, y]) => x.toFixed(1) + "," + y.toFixed(1)).join(" ");
    const last = history[history.length - 1];
    const peak = Math.max(...history.map((s) => s.cpu_percent));
    return svg("svg", { class: "spark", width: W, height: H, viewBox: "0 0 " + W + " " + H },
      svg("title", {}, "CPU over the last " + history.length + " heartbeats: now " + Math.round(last.cpu_percent) + "%, peak " + Math.round(peak) + "% (ticks: heartbeats with running tasks)"),
      svg("polygon", { class: "area", points: "0," + H + " " + line + " " + W + "," + H }),
      svg("polyline", { class: "line", points: line }),
      history.map((s, i) => s.active_tasks > 0 ? svg("rect", { class: "tasks", x: pts[pts.length - history.length + i][0] - 1.5, y: H - 4, width: 3, height: 4 }) : null));
  }

  async function clusterView() {
    const { workers } = await api("/api/v1/workers");
    const alive = workers.filter((w) => w.status === "ALIVE");
    const rows = workers.map((w) => h("tr", { "data-worker": w.id },
      h("td", { class: "mono" }, w.id), h("td", { class: "mono" }, w.address), h("td", {}, badge(w.status)),
      num(w.slots), num(w.active_tasks), num(Math.round(w.cpu_percent) + "%"), num(fmtNum(Math.round(w.mem_usage_mb)) + " MB"),
      num(fmtNum(Math.round(w.heap_used_mb)) + " MB"),
      num(fmtNum(Math.round(w.execution_memory_mb)) + " / " + fmtNum(Math.round(w.memory_budget_mb)) + " MB"),
      num(fmtNum(w.spill_count) + (w.spill_count ? " · " + fmtBytes(w.spill_bytes) : "")), h("td", {}, fmtNum(w.tasks_completed) + " / " + fmtNum(w.tasks_failed)),
      num(fmtMs(w.avg_task_ms)), h("td", {}, fmtAge(w.lastHeartbeatAt)), h("td", {}, w.history.length ? sparkline(w.history) : "–")));
    return [
      h("h1", {}, "Cluster"),
      h("div", { class: "summary" },
        h("span", {}, h("b", {}, alive.length), " alive"), h("span", {}, h("b", {}, workers.length - alive.length), " dead"),
        h("span", {}, h("b", {}, alive.reduce((n, w) => n + w.slots, 0)), " slots"),
        h("span", {}, h("b", {}, alive.reduce((n, w) => n + w.active_tasks, 0)), " active tasks")),
      table(["Worker", "Address", "Status", "Slots", "Active", "CPU", "Memory", "Heap", "Buffers / budget", "Spills", "Tasks done / failed", "Avg task", "Last heartbeat", "CPU load"],
        rows, "No workers have registered yet."),
    ];
  }

  const jobLink = (id, text) => h("a", { href: "#/jobs/" + encodeURIComponent(id) }, text);

  async function jobsView() {
    const { jobs } = await api("/api/v1/jobs");
    const rows = jobs.map((j) => h("tr", { "data-job": j.id },
      h("td", { class: "mono" }, jobLink(j.id, j.id)), h("td", {}, jobLink(j.id, j.name)), h("td", {}, badge(j.status)),
      h("td", {}, bar(j.progress, j.status)), num(fmtMs(j.metrics && j.metrics.durationMs != null ? j.metrics.durationMs : elapsed(j.startedAt, j.finishedAt))),
      h("td", {}, fmtTime(j.submittedAt))));
    return [h("h1", {}, "Jobs"), table(["Job", "Name", "Status", "Progress", "Duration", "Submitted"], rows, "No jobs yet. Submit one with: minispark submit job.json")];
  }

  // The stage DAG: one column per depth, edges from parents. A stage's depth is its longest path from a
  // source, then each stage moves right to sit just left of its nearest child, so edges never cross a column.
  function dagView(stages) {
    const W = 200, H = 66, GX = 64, GY = 16, PAD = 8;
    const byId = new Map(stages.map((s) => [s.id, s]));
    const depth = new Map();
    const depthOf = (s) => {
      if (!depth.has(s.id)) depth.set(s.id, Math.max(0, ...s.parents.filter((p) => byId.has(p)).map((p) => depthOf(byId.get(p)) + 1)));
      return depth.get(s.id);
    };
    const children = new Map(stages.map((s) => [s.id, []]));
    for (const s of stages) for (const p of s.parents) if (children.has(p)) children.get(p).push(s.id);
    for (const s of stages) depthOf(s);
    for (const s of [...stages].sort((a, b) => depth.get(b.id) - depth.get(a.id))) {
      const kids = children.get(s.id);
      if (kids.length) depth.set(s.id, Math.min(...kids.map((k) => depth.get(k))) - 1);
    }
    const columns = [];
    for (const s of [...stages].sort((a, b) => a.id - b.id)) (columns[depth.get(s.id)] = columns[depth.get(s.id)] || []).push(s);
    const tallest = Math.max(...columns.map((c) => c.length));
    const pos = new Map();
    columns.forEach((col, d) => col.forEach((s, i) => pos.set(s.id, {
      x: PAD + d * (W + GX), y: PAD + ((tallest - col.length) * (H + GY)) / 2 + i * (H + GY) })));
    const width = PAD * 2 + columns.length * W + (columns.length - 1) * GX;
    const height = PAD * 2 + tallest * H + (tallest - 1) * GY;
    const edges = stages.flatMap((s) => s.parents.filter((p) => pos.has(p)).map((p) => {
      const a = pos.get(p), b = pos.get(s.id);
      const x1 = a.x + W, y1 = a.y + H / 2, x2 = b.x - 2, y2 = b.y + H / 2;
      return svg("path", { class: "edge", "data-from": p, "data-to": s.id, "marker-end": "url(#arrow)",
        d: "M" + x1 + "," + y1 + " C" + (x1 + GX / 2) + "," + y1 + " " + (x2 - GX / 2) + "," + y2 + " " + x2 + "," + y2 });
    }));
    const nodes = stages.map((s) => {
      const { x, y } = pos.get(s.id);
      const done = s.numTasks ? s.tasks.succeeded / s.numTasks : 0;
      const name = s.name.length > 30 ? s.name.slice(0, 29) + "…" : s.name;
      return svg("g", { class: "stage-node status-" + s.status, "data-stage": s.id, transform: "translate(" + x + "," + y + ")" },
        svg("title", {}, "Stage " + s.id + " (" + s.kind + "): " + s.name + " — " + s.status),
        svg("rect", { class: "box", width: W, height: H, rx: 6 }),
        svg("text", { class: "title", x: 10, y: 17 }, "Stage " + s.id + " · " + s.kind),
        svg("text", { class: "name", x: 10, y: 32 }, name),
        svg("rect", { class: "track", x: 10, y: 40, width: W - 20, height: 5, rx: 2.5 }),
        svg("rect", { class: "fill", x: 10, y: 40, width: (W - 20) * done, height: 5, rx: 2.5 }),
        svg("text", { class: "info", x: 10, y: 58 }, s.tasks.succeeded + "/" + s.numTasks + " tasks · " + fmtMs(s.durationMs)));
    });
    return h("div", { class: "panel dag" }, svg("svg", { width, height, viewBox: "0 0 " + width + " " + height, role: "img", "aria-label": "Stage graph" },
      svg("defs", {}, svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto" },
        svg("path", { class: "arrow", d: "M0,0 L10,5 L0,10 z" }))),
      edges, nodes));
  }

  const METRIC_LABELS = {
    durationMs: ["Duration", fmtMs], taskTimeMs: ["Task time", fmtMs], stages: ["Stages", fmtNum], stagesCompleted: ["Stages done", fmtNum],
    tasks: ["Tasks", fmtNum], tasksSucceeded: ["Tasks done", fmtNum], attempts: ["Attempts", fmtNum], failedAttempts: ["Failed attempts", fmtNum],
    retries: ["Retries", fmtNum], recordsIn: ["Records in", fmtNum], recordsOut: ["Records out", fmtNum], bytesRead: ["Bytes read", fmtBytes],
    shuffleBytesWritten: ["Shuffle written", fmtBytes], shuffleBytesRead: ["Shuffle read", fmtBytes], shuffleBytesFetchedRemote: ["Shuffle fetched remotely", fmtBytes],
    spillCount: ["Spills", fmtNum], spillBytes: ["Spilled", fmtBytes],
  };

  async function jobView(id, stage) {
    const j = await api("/api/v1/jobs/" + encodeURIComponent(id));
    const stageTasks = stage === null ? null : await api("/api/v1/jobs/" + encodeURIComponent(id) + "/stages/" + stage + "/tasks");
    const active = j.status === "RUNNING" || j.status === "PENDING";
    const cancel = active ? h("button", { class: "danger", id: "cancel", type: "button" }, "Cancel job") : null;
    if (cancel) cancel.addEventListener("click", async () => {
      cancel.disabled = true;
      try { await api("/api/v1/jobs/" + encodeURIComponent(id) + "/cancel", "POST"); } catch (e) { showError(e); }
      refresh();
    });
    const stageRows = j.stages.map((s) => h("tr", { "data-stage": s.id },
      num(s.id), h("td", { class: "wrap" }, h("a", { href: "#/jobs/" + encodeURIComponent(id) + "/stages/" + s.id }, s.name)), h("td", {}, s.kind), h("td", {}, badge(s.status)),
      h("td", {}, bar(s.numTasks ? (100 * s.tasks.succeeded) / s.numTasks : 0, s.status)),
      h("td", {}, s.tasks.succeeded + "/" + s.numTasks + (s.tasks.running ? " · " + s.tasks.running + " running" : "") + (s.tasks.failed ? " · " + s.tasks.failed + " failed" : "")),
      num(s.attempts + (s.failedAttempts ? " (" + s.failedAttempts + " failed)" : "")), num(fmtMs(s.durationMs)),
      num(fmtNum(s.metrics.recordsIn) + " / " + fmtNum(s.metrics.recordsOut)),
      num(fmtBytes(s.metrics.shuffleBytesWritten) + " / " + fmtBytes(s.metrics.shuffleBytesRead))));
    const metrics = Object.entries(j.metrics || {}).filter(([, v]) => v !== null && v !== undefined)
      .map(([k, v]) => [METRIC_LABELS[k] ? METRIC_LABELS[k][0] : k, (METRIC_LABELS[k] ? METRIC_LABELS[k][1] : fmtNum)(v)]);
    const failed = j.failedTasks.map((t) => h("div", { class: "panel task", "data-task": t.stage + "/" + t.partition },
      h("div", { class: "head" }, "Stage " + t.stage + ", partition " + t.partition + " ", badge(t.status)),
      h("table", {}, h("thead", {}, h("tr", {}, ["Attempt", "Worker", "State", "Duration", "Error"].map((c) => h("th", {}, c)))),
        h("tbody", {}, t.attempts.map((a) => h("tr", {}, h("td", { class: "mono" }, a.id), h("td", { class: "mono" }, a.worker),
          h("td", {}, badge(a.state)), h("td", {}, fmtMs(a.durationMs)), h("td", { class: "wrap mono" }, a.error || "–")))))));
    const events = (j.events || []).slice().reverse().map((e) => h("tr", {},
      h("td", {}, new Date(e.time).toLocaleTimeString()), h("td", {}, e.kind),
      h("td", { class: "wrap mono" }, e.detail === null || e.detail === undefined ? "" : JSON.stringify(e.detail))));
    return [
      h("div", { class: "muted" }, h("a", { href: "#/jobs" }, "Jobs"), " / ", h("span", { class: "mono" }, j.id)),
      h("h1", {}, j.name, badge(j.status), cancel),
      j.error ? h("div", { class: "error", id: "job-error" }, h("b", {}, "Failure"), j.error) : null,
      h("div", { class: "panel facts" },
        h("div", {}, h("div", { class: "k" }, "Progress"), h("div", { class: "v" }, bar(j.progress, j.status))),
        [["Action", j.action || "–"], ["Submitted", fmtTime(j.submittedAt)], ["Started", fmtTime(j.startedAt)],
          ["Finished", fmtTime(j.finishedAt)], ["Duration", fmtMs(elapsed(j.startedAt, j.finishedAt))]]
          .map(([k, v]) => h("div", {}, h("div", { class: "k" }, k), h("div", { class: "v" }, v)))),
      h("h2", {}, "Stages"),
      j.stages.length ? dagView(j.stages) : null,
      table(["#", "Name", "Kind", "Status", "Progress", "Tasks", "Attempts", "Duration", "Records in / out", "Shuffle write / read"],
        stageRows, "No stages yet (the job has not been planned)."),
      stageTasks ? tasksView(id, stageTasks) : null,
      h("h2", {}, "Metrics"),
      facts(metrics),
      failed.length ? [h("h2", {}, "Failed tasks"), h("div", { id: "failed-tasks" }, failed)] : null,
      h("h2", {}, "Events"),
      h("div", { class: "events" }, table(["Time", "Event", "Detail"], events, "No events recorded.")),
    ];
  }

  /** A stage's tasks with every attempt: worker, attempt, state, duration, error. */
  function tasksView(id, st) {
    const rows = st.tasks.flatMap((t) => t.attempts.map((a, i) => h("tr", { "data-attempt": a.id },
      num(i === 0 ? t.partition : ""), num(a.n), h("td", { class: "mono" }, a.worker), h("td", {}, badge(a.state)),
      num(fmtMs(a.durationMs)), h("td", { class: "wrap mono" }, a.error || "–"))));
    return [
      h("h2", { id: "stage-tasks" }, "Tasks of stage " + st.stage + " ", h("a", { class: "muted", href: "#/jobs/" + encodeURIComponent(id) }, "(close)")),
      table(["Partition", "Attempt", "Worker", "State", "Duration", "Error"], rows, "No task of this stage has run yet."),
    ];
  }

  function loginView(message) {
    const input = h("input", { type: "password", id: "token", autocomplete: "off", placeholder: "Access token" });
    const form = h("form", { class: "panel login", id: "login" },
      h("h1", {}, "Sign in"),
      h("p", { class: "muted" }, "Paste the cluster's access token (MINISPARK_TOKEN). It stays in this browser tab."),
      h("p", { class: "msg", id: "login-message" }, message),
      input, h("button", { class: "primary", type: "submit" }, "Open the dashboard"));
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      if (!input.value.trim()) return;
      sessionStorage.setItem(TOKEN_KEY, input.value.trim());
      refresh();
    });
    return form;
  }

  // ---- routing and polling -------------------------------------------------
  function route() {
    const m = /^#\/jobs\/([^/]+)(?:\/stages\/(\d+))?$/.exec(location.hash);
    if (m) return { tab: "jobs", render: () => jobView(decodeURIComponent(m[1]), m[2] === undefined ? null : Number(m[2])) };
    if (location.hash === "#/jobs") return { tab: "jobs", render: jobsView };
    return { tab: "cluster", render: clusterView };
  }

  function showError(e) {
    live.className = "live bad";
    live.textContent = "disconnected: " + e.message;
  }

  async function refresh() {
    clearTimeout(timer);
    const mine = ++generation;
    const r = route();
    for (const t of document.querySelectorAll(".tab")) t.classList.toggle("active", t.dataset.tab === r.tab);
    try {
      const view = await r.render();
      if (mine !== generation) return;
      main.replaceChildren(...[view].flat(Infinity).filter(Boolean));
      live.className = "live ok";
      live.textContent = "live · updated " + new Date().toLocaleTimeString();
      signout.hidden = !token();
    } catch (e) {
      if (mine !== generation) return;
      if (e instanceof AuthError) {
        sessionStorage.removeItem(TOKEN_KEY);
        signout.hidden = true;
        live.className = "live bad";
        live.textContent = "signed out";
        const message = document.getElementById("login-message");
        if (message) message.textContent = e.message;
        else main.replaceChildren(loginView(e.message));
        return; // no polling until a token is entered
      }
      showError(e);
    }
    timer = setTimeout(refresh, POLL_MS);
  }

  signout.addEventListener("click", () => { sessionStorage.removeItem(TOKEN_KEY); refresh(); });
  window.addEventListener("hashchange", () => { takeTokenFromFragment(); refresh(); });
  takeTokenFromFragment();
  refresh();
})();
`;
