// A job's page (#/jobs/{id}, and #/jobs/{id}/stages/{n} with that stage's tasks):
// its facts and failure, the stage graph and table, metrics, failed tasks with
// their attempt history, the job's accumulators, the datasets it persists
// (linked to their storage pages), and its events; a cancel button while it runs.
import { cancelJob, getJob, getStageTasks, type AccumulatorInfo, type StageTasks } from "./api.js";
import type { PersistedDatasetInfo } from "./api.js";
import { badge, bar, type Child, facts, h, num, type PageActions, table, type View } from "./dom.js";
import { elapsed, fmtBytes, fmtMs, fmtNum, fmtTime } from "./format.js";
import { dagView } from "./stage-dag.js";

const METRIC_LABELS: Record<string, [label: string, format: (v: number) => string]> = {
  durationMs: ["Duration", fmtMs],
  taskTimeMs: ["Task time", fmtMs],
  stages: ["Stages", fmtNum],
  stagesCompleted: ["Stages done", fmtNum],
  tasks: ["Tasks", fmtNum],
  tasksSucceeded: ["Tasks done", fmtNum],
  attempts: ["Attempts", fmtNum],
  failedAttempts: ["Failed attempts", fmtNum],
  retries: ["Retries", fmtNum],
  recordsIn: ["Records in", fmtNum],
  recordsOut: ["Records out", fmtNum],
  bytesRead: ["Bytes read", fmtBytes],
  shuffleBytesWritten: ["Shuffle written", fmtBytes],
  shuffleBytesRead: ["Shuffle read", fmtBytes],
  shuffleBytesFetchedRemote: ["Shuffle fetched remotely", fmtBytes],
  spillCount: ["Spills", fmtNum],
  spillBytes: ["Spilled", fmtBytes],
};

export async function jobPage(id: string, stage: number | null, actions: PageActions): Promise<View> {
  const j = await getJob(id);
  const stageTasks = stage === null ? null : await getStageTasks(id, stage);
  const active = j.status === "RUNNING" || j.status === "PENDING";
  const cancel = active ? h("button", { class: "danger", id: "cancel", type: "button" }, "Cancel job") : null;
  if (cancel)
    cancel.addEventListener("click", async () => {
      cancel.disabled = true;
      try {
        await cancelJob(id);
      } catch (e) {
        actions.showError(e);
      }
      actions.refresh();
    });
  const stageRows = j.stages.map((s) =>
    h(
      "tr",
      { "data-stage": s.id },
      num(s.id),
      h("td", { class: "wrap" }, h("a", { href: "#/jobs/" + encodeURIComponent(id) + "/stages/" + s.id }, s.name)),
      h("td", {}, s.kind),
      h("td", {}, badge(s.status)),
      h("td", {}, bar(s.numTasks ? (100 * s.tasks.succeeded) / s.numTasks : 0, s.status)),
      h("td", {}, s.tasks.succeeded + "/" + s.numTasks + (s.tasks.running ? " · " + s.tasks.running + " running" : "") + (s.tasks.failed ? " · " + s.tasks.failed + " failed" : "")),
      num(s.attempts + (s.failedAttempts ? " (" + s.failedAttempts + " failed)" : "")),
      num(fmtMs(s.durationMs)),
      num(fmtNum(s.metrics.recordsIn) + " / " + fmtNum(s.metrics.recordsOut)),
      num(fmtBytes(s.metrics.shuffleBytesWritten) + " / " + fmtBytes(s.metrics.shuffleBytesRead)),
    ),
  );
  const metrics = Object.entries(j.metrics ?? {})
    .filter((e): e is [string, number] => e[1] !== null && e[1] !== undefined)
    .map(([k, v]): [string, Child] => [METRIC_LABELS[k] ? METRIC_LABELS[k][0] : k, (METRIC_LABELS[k] ? METRIC_LABELS[k][1] : fmtNum)(v)]);
  const failed = j.failedTasks.map((t) =>
    h(
      "div",
      { class: "panel task", "data-task": t.stage + "/" + t.partition },
      h("div", { class: "head" }, "Stage " + t.stage + ", partition " + t.partition + " ", badge(t.status)),
      h(
        "table",
        {},
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            ["Attempt", "Worker", "State", "Duration", "Error"].map((c) => h("th", {}, c)),
          ),
        ),
        h(
          "tbody",
          {},
          t.attempts.map((a) =>
            h(
              "tr",
              {},
              h("td", { class: "mono" }, a.id),
              h("td", { class: "mono" }, a.worker),
              h("td", {}, badge(a.state)),
              h("td", {}, fmtMs(a.durationMs)),
              h("td", { class: "wrap mono" }, a.error || "–"),
            ),
          ),
        ),
      ),
    ),
  );
  const events = (j.events ?? [])
    .slice()
    .reverse()
    .map((e) =>
      h(
        "tr",
        {},
        h("td", {}, new Date(e.time).toLocaleTimeString()),
        h("td", {}, e.kind),
        h("td", { class: "wrap mono" }, e.detail === null || e.detail === undefined ? "" : JSON.stringify(e.detail)),
      ),
    );
  return [
    h("div", { class: "muted" }, h("a", { href: "#/jobs" }, "Jobs"), " / ", h("span", { class: "mono" }, j.id)),
    h("h1", {}, j.name, badge(j.status), cancel),
    j.error ? h("div", { class: "error", id: "job-error" }, h("b", {}, "Failure"), j.error) : null,
    h(
      "div",
      { class: "panel facts" },
      h("div", {}, h("div", { class: "k" }, "Progress"), h("div", { class: "v" }, bar(j.progress, j.status))),
      (
        [
          ["Action", j.action || "–"],
          ["Submitted", fmtTime(j.submittedAt)],
          ["Started", fmtTime(j.startedAt)],
          ["Finished", fmtTime(j.finishedAt)],
          ["Duration", fmtMs(elapsed(j.startedAt, j.finishedAt))],
        ] as const
      ).map(([k, v]) => h("div", {}, h("div", { class: "k" }, k), h("div", { class: "v" }, v))),
    ),
    h("h2", {}, "Stages"),
    j.stages.length ? dagView(j.stages) : null,
    table(["#", "Name", "Kind", "Status", "Progress", "Tasks", "Attempts", "Duration", "Records in / out", "Shuffle write / read"], stageRows, "No stages yet (the job has not been planned)."),
    stageTasks ? tasksView(id, stageTasks) : null,
    h("h2", {}, "Metrics"),
    facts(metrics),
    j.accumulators?.length ? [h("h2", {}, "Accumulators"), accumulatorsView(j.accumulators)] : null,
    j.datasets?.length && j.application ? [h("h2", {}, "Persisted datasets"), persistedView(j.application, j.datasets)] : null,
    failed.length ? [h("h2", {}, "Failed tasks"), h("div", { id: "failed-tasks" }, failed)] : null,
    h("h2", {}, "Events"),
    h("div", { class: "events" }, table(["Time", "Event", "Detail"], events, "No events recorded.")),
  ];
}

/** A stage's tasks with every attempt: worker, attempt, state, duration, error. */
function tasksView(id: string, st: StageTasks): View {
  const rows = st.tasks.flatMap((t) =>
    t.attempts.map((a, i) =>
      h(
        "tr",
        { "data-attempt": a.id },
        num(i === 0 ? t.partition : ""),
        num(a.n),
        h("td", { class: "mono" }, a.worker),
        h("td", {}, badge(a.state)),
        num(fmtMs(a.durationMs)),
        h("td", { class: "wrap mono" }, a.error || "–"),
      ),
    ),
  );
  return [
    h("h2", { id: "stage-tasks" }, "Tasks of stage " + st.stage + " ", h("a", { class: "muted", href: "#/jobs/" + encodeURIComponent(id) }, "(close)")),
    table(["Partition", "Attempt", "Worker", "State", "Duration", "Error"], rows, "No task of this stage has run yet."),
  ];
}

/** The longest accumulator value shown; the API has the whole of it. */
const MAX_SHOWN = 500;

/** The job's accumulators: id and name, merge, value (a custom merge's deltas, which the library folds) and partitions merged. */
function accumulatorsView(accs: AccumulatorInfo[]): View {
  const shown = (v: unknown) => {
    const s = JSON.stringify(v) ?? "null";
    return s.length > MAX_SHOWN ? s.slice(0, MAX_SHOWN) + "…" : s;
  };
  const rows = accs.map((a) =>
    h(
      "tr",
      { "data-accumulator": a.id },
      h("td", { class: "mono" }, a.id),
      h("td", {}, a.name ?? "–"),
      h("td", {}, a.merge),
      h("td", { class: "wrap mono" }, a.merge === "custom" ? (a.deltas?.length ?? 0) + " deltas: " + shown(a.deltas) : shown(a.value)),
      num(a.partitions),
    ),
  );
  return h("div", { id: "accumulators" }, table(["Id", "Name", "Merge", "Value", "Partitions"], rows, "No accumulators."));
}

/** The nodes the job persists, each linked to its dataset's storage page (which says whether its blocks are still cached). */
function persistedView(app: string, datasets: PersistedDatasetInfo[]): View {
  const rows = datasets.map((d) =>
    h(
      "tr",
      { "data-persisted": d.datasetId },
      h("td", {}, d.node),
      h("td", { class: "mono" }, h("a", { href: "#/storage/" + encodeURIComponent(app) + "/" + encodeURIComponent(d.datasetId) }, d.datasetId)),
      h("td", {}, d.level),
    ),
  );
  return h("div", { id: "persisted" }, table(["Node", "Dataset", "Storage level"], rows, "No persisted datasets."));
}
