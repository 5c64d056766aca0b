// The jobs page (#/jobs): one row per job, newest first as the API lists them,
// each linking to its job page.
import { getJobs } from "./api.js";
import { badge, bar, h, num, table, type View } from "./dom.js";
import { elapsed, fmtMs, fmtTime } from "./format.js";

const jobLink = (id: string, text: string): HTMLAnchorElement => h("a", { href: "#/jobs/" + encodeURIComponent(id) }, text);

export async function jobsView(): Promise<View> {
  const { jobs } = await getJobs();
  const rows = jobs.map((j) =>
    h(
      "tr",
      { "data-job": j.id },
      h("td", { class: "mono" }, jobLink(j.id, j.id)),
      h("td", {}, jobLink(j.id, j.name)),
      h("td", {}, badge(j.status)),
      h("td", {}, bar(j.progress, j.status)),
      num(fmtMs(j.metrics?.durationMs ?? elapsed(j.startedAt, j.finishedAt))),
      h("td", {}, fmtTime(j.submittedAt)),
    ),
  );
  return [h("h1", {}, "Jobs"), table(["Job", "Name", "Status", "Progress", "Duration", "Submitted"], rows, "No jobs yet. Submit one with: minispark submit job.json")];
}
