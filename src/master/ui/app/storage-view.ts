// The storage pages, as Spark's: #/storage lists every cached dataset (its
// application, node, level, partitions cached of total, size in memory and on
// disk) and the applications with their jobs and cached datasets;
// #/storage/{app}/{dataset} is one dataset with each worker's share. The
// sizes are the master's block tracker's (GET /api/v1/storage), summed there.
import { type AppInfo, type CachedDatasetInfo, getApps, getStorage, getWorkers } from "./api.js";
import { badge, facts, h, num, table, type View } from "./dom.js";
import { fmtAge, fmtBytes, fmtNum } from "./format.js";

const datasetHref = (d: CachedDatasetInfo): string => "#/storage/" + encodeURIComponent(d.application) + "/" + encodeURIComponent(d.datasetId);

/** "2 / 4", or the cached count alone when no job named the dataset's partition count. */
const partitionsText = (d: CachedDatasetInfo): string => fmtNum(d.cachedPartitions) + (d.numPartitions === null ? "" : " / " + fmtNum(d.numPartitions));

/** An application as a table cell: its name, with its id beneath (the id alone when the listing did not include it). */
function appCell(id: string, apps: Map<string, AppInfo>): HTMLTableCellElement {
  const app = apps.get(id);
  return h("td", {}, app ? [app.name, h("div", { class: "muted mono" }, id)] : h("span", { class: "mono" }, id));
}

export async function storageView(): Promise<View> {
  const [{ datasets }, { apps: list }] = await Promise.all([getStorage(), getApps()]);
  const apps = new Map(list.map((a) => [a.id, a]));
  const rows = datasets.map((d) =>
    h(
      "tr",
      { "data-dataset": d.datasetId, "data-app": d.application },
      appCell(d.application, apps),
      h("td", {}, h("a", { href: datasetHref(d) }, d.node ?? "–"), h("div", { class: "muted mono" }, d.datasetId)),
      h("td", {}, d.level),
      num(partitionsText(d)),
      num(fmtBytes(d.memoryBytes)),
      num(fmtBytes(d.diskBytes)),
      num(fmtNum(d.workers.length)),
    ),
  );
  const cachedBy = new Map<string, number>();
  for (const d of datasets) cachedBy.set(d.application, (cachedBy.get(d.application) ?? 0) + 1);
  const appRows = list.map((a) =>
    h(
      "tr",
      { "data-application": a.id },
      h("td", { class: "mono" }, a.id),
      h("td", {}, a.name),
      h("td", {}, badge(a.status)),
      num(fmtNum(a.jobs)),
      num(fmtNum(cachedBy.get(a.id) ?? 0)),
      h("td", {}, fmtAge(new Date(a.createdAt).toISOString())),
    ),
  );
  return [
    h("h1", {}, "Storage"),
    h(
      "div",
      { id: "datasets" },
      table(
        ["Application", "Dataset", "Storage level", "Cached partitions", "Size in memory", "Size on disk", "Workers"],
        rows,
        'No cached datasets. Persist one with ds.cache() or a node\'s "persist"; it lives until its application ends.',
      ),
    ),
    h("h2", {}, "Applications"),
    h("div", { id: "applications" }, table(["Application", "Name", "Status", "Jobs", "Cached datasets", "Registered"], appRows, "No applications yet: connect() registers one.")),
  ];
}

export async function datasetPage(app: string, datasetId: string): Promise<View> {
  const [{ datasets }, { workers }] = await Promise.all([getStorage(), getWorkers()]);
  const d = datasets.find((x) => x.application === app && x.datasetId === datasetId);
  const crumbs = h("div", { class: "muted" }, h("a", { href: "#/storage" }, "Storage"), " / ", h("span", { class: "mono" }, app), " / ", h("span", { class: "mono" }, datasetId));
  if (!d)
    return [
      crumbs,
      h("h1", {}, datasetId),
      h("div", { class: "panel empty", id: "no-dataset" }, "No worker holds a block of this dataset: it was unpersisted, its application ended, or the workers holding it were lost."),
    ];
  const address = new Map(workers.map((w) => [w.id, w.address]));
  const rows = d.workers.map((w) =>
    h(
      "tr",
      { "data-holder": w.worker },
      h("td", { class: "mono" }, w.worker),
      h("td", { class: "mono" }, address.get(w.worker) ?? "–"),
      num(fmtNum(w.partitions)),
      num(fmtBytes(w.memoryBytes)),
      num(fmtBytes(w.diskBytes)),
    ),
  );
  return [
    crumbs,
    h("h1", {}, d.node ?? d.datasetId),
    facts([
      ["Application", app],
      ["Storage level", d.level],
      ["Cached partitions", partitionsText(d)],
      ["Size in memory", fmtBytes(d.memoryBytes)],
      ["Size on disk", fmtBytes(d.diskBytes)],
    ]),
    h("h2", {}, "Per worker"),
    h("div", { id: "holders" }, table(["Worker", "Address", "Partitions", "Size in memory", "Size on disk"], rows, "No worker holds a block.")),
  ];
}
