// The web UI's hash routes: #/cluster (the default), #/jobs, #/jobs/{id} and
// #/jobs/{id}/stages/{n}. Each names the header tab to highlight and the view
// that draws the page.
import { clusterView } from "./cluster-view.js";
import type { PageActions, View } from "./dom.js";
import { jobPage } from "./job-page.js";
import { jobsView } from "./jobs-view.js";

export interface Route {
  tab: "cluster" | "jobs";
  render(actions: PageActions): Promise<View>;
}

export function route(hash: string): Route {
  const m = /^#\/jobs\/([^/]+)(?:\/stages\/(\d+))?$/.exec(hash);
  if (m) return { tab: "jobs", render: (actions) => jobPage(decodeURIComponent(m[1]), m[2] === undefined ? null : Number(m[2]), actions) };
  if (hash === "#/jobs") return { tab: "jobs", render: jobsView };
  return { tab: "cluster", render: clusterView };
}
