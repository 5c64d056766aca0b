// The stage graph on a job page: one column per depth, edges from parents. A
// stage's depth is its longest path from a source, then each stage moves right to
// sit just left of its nearest child, so edges never cross a column.
import type { StageInfo } from "./api.js";
import { h, svg } from "./dom.js";
import { fmtMs } from "./format.js";

export function dagView(stages: StageInfo[]): HTMLDivElement {
  const W = 200;
  const H = 66;
  const GX = 64;
  const GY = 16;
  const PAD = 8;
  const byId = new Map(stages.map((s) => [s.id, s]));
  const depth = new Map<number, number>();
  const depthOf = (s: StageInfo): number => {
    if (!depth.has(s.id)) depth.set(s.id, Math.max(0, ...s.parents.filter((p) => byId.has(p)).map((p) => depthOf(byId.get(p)!) + 1)));
    return depth.get(s.id)!;
  };
  const children = new Map(stages.map((s): [number, number[]] => [s.id, []]));
  for (const s of stages) for (const p of s.parents) if (children.has(p)) children.get(p)!.push(s.id);
  for (const s of stages) depthOf(s);
  for (const s of [...stages].sort((a, b) => depth.get(b.id)! - depth.get(a.id)!)) {
    const kids = children.get(s.id)!;
    if (kids.length) depth.set(s.id, Math.min(...kids.map((k) => depth.get(k)!)) - 1);
  }
  const columns: StageInfo[][] = [];
  for (const s of [...stages].sort((a, b) => a.id - b.id)) {
    const d = depth.get(s.id)!;
    columns[d] = columns[d] || [];
    columns[d].push(s);
  }
  const tallest = Math.max(...columns.map((c) => c.length));
  const pos = new Map<number, { x: number; y: number }>();
  columns.forEach((col, d) => {
    col.forEach((s, i) => {
      pos.set(s.id, { x: PAD + d * (W + GX), y: PAD + ((tallest - col.length) * (H + GY)) / 2 + i * (H + GY) });
    });
  });
  const width = PAD * 2 + columns.length * W + (columns.length - 1) * GX;
  const height = PAD * 2 + tallest * H + (tallest - 1) * GY;
  const edges = stages.flatMap((s) =>
    s.parents
      .filter((p) => pos.has(p))
      .map((p) => {
        const a = pos.get(p)!;
        const b = pos.get(s.id)!;
        const x1 = a.x + W;
        const y1 = a.y + H / 2;
        const x2 = b.x - 2;
        const y2 = b.y + H / 2;
        return svg("path", {
          class: "edge",
          "data-from": p,
          "data-to": s.id,
          "marker-end": "url(#arrow)",
          d: "M" + x1 + "," + y1 + " C" + (x1 + GX / 2) + "," + y1 + " " + (x2 - GX / 2) + "," + y2 + " " + x2 + "," + y2,
        });
      }),
  );
  const nodes = stages.map((s) => {
    const { x, y } = pos.get(s.id)!;
    const done = s.numTasks ? s.tasks.succeeded / s.numTasks : 0;
    const name = s.name.length > 30 ? s.name.slice(0, 29) + "…" : s.name;
    return svg(
      "g",
      { class: "stage-node status-" + s.status, "data-stage": s.id, transform: "translate(" + x + "," + y + ")" },
      svg("title", {}, "Stage " + s.id + " (" + s.kind + "): " + s.name + " — " + s.status),
      svg("rect", { class: "box", width: W, height: H, rx: 6 }),
      svg("text", { class: "title", x: 10, y: 17 }, "Stage " + s.id + " · " + s.kind),
      svg("text", { class: "name", x: 10, y: 32 }, name),
      svg("rect", { class: "track", x: 10, y: 40, width: W - 20, height: 5, rx: 2.5 }),
      svg("rect", { class: "fill", x: 10, y: 40, width: (W - 20) * done, height: 5, rx: 2.5 }),
      svg("text", { class: "info", x: 10, y: 58 }, s.tasks.succeeded + "/" + s.numTasks + " tasks · " + fmtMs(s.durationMs)),
    );
  });
  return h(
    "div",
    { class: "panel dag" },
    svg(
      "svg",
      { width, height, viewBox: "0 0 " + width + " " + height, role: "img", "aria-label": "Stage graph" },
      svg(
        "defs",
        {},
        svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto" }, svg("path", { class: "arrow", d: "M0,0 L10,5 L0,10 z" })),
      ),
      edges,
      nodes,
    ),
  );
}
