// The web UI's hash routes: #/cluster (the default), #/jobs, #/jobs/{id},
// #/jobs/{id}/stages/{n}, #/storage and #/storage/{app}/{dataset}. Each names
// the header tab to highlight and the view that draws the page.
import { clusterView } from "./cluster-view.js";
import type { PageActions, View } from "./dom.js";
import { jobPage } from "./job-page.js";
import { jobsView } from "./jobs-view.js";
import { datasetPage, storageView } from "./storage-view.js";

export interface Route {
  tab: "cluster" | "jobs" | "storage";
  render(actions: PageActions): Promise<View>;
}

export function route(hash: string): Route {
  const m = /^#\/jobs\/([^/]+)(?:\/stages\/(\d+))?$/.exec(hash);
  if (m) return { tab: "jobs", render: (actions) => jobPage(decodeURIComponent(m[1]), m[2] === undefined ? null : Number(m[2]), actions) };
  if (hash === "#/jobs") return { tab: "jobs", render: jobsView };
  const d = /^#\/storage\/([^/]+)\/([^/]+)$/.exec(hash);
  if (d) return { tab: "storage", render: () => datasetPage(decodeURIComponent(d[1]), decodeURIComponent(d[2])) };
  if (hash === "#/storage") return { tab: "storage", render: storageView };
  return { tab: "cluster", render: clusterView };
}
