// Building the web UI's DOM: elements, SVG and the small widgets every view uses
// (badge, progress bar, table, facts). Every value enters the DOM as text
// (Text nodes via append, or attributes via setAttribute), never as markup, so a
// job name or an error message from the API cannot inject anything.

/** What a view hands to `h` or `svg` as a child: a node, a value shown as text, or nothing. */
export type Child = Node | string | number | null | undefined;
/** A view's output: children nested in arrays, flattened when the page is redrawn. */
export type View = Child | View[];
/** What a view may ask of the page: redraw now, or show that the API could not be reached. */
export interface PageActions {
  refresh(): void;
  showError(e: unknown): void;
}
type Attrs = Record<string, string | number | null | undefined>;

const SVG_NS = "http://www.w3.org/2000/svg";

function fill(el: Element, attrs: Attrs, children: (Child | Child[])[]): void {
  for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined) el.setAttribute(k, String(v));
  for (const c of children.flat()) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : String(c));
}

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs, ...children: (Child | Child[])[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  fill(el, attrs, children);
  return el;
}

export function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Attrs, ...children: (Child | Child[])[]): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  fill(el, attrs, children);
  return el;
}

export const badge = (status: string): HTMLSpanElement => h("span", { class: "badge " + String(status).toLowerCase() }, status);

export function bar(pct: number, status: string | null): HTMLSpanElement {
  const inner = h("span", {});
  inner.style.width = Math.max(0, Math.min(100, pct)) + "%";
  return h("span", { class: "progress" }, h("span", { class: "bar " + String(status || "").toLowerCase() }, inner), h("span", { class: "pct" }, Math.round(pct * 10) / 10 + "%"));
}

/** A table in a panel; a heading is right-aligned when its column's cells are numbers. */
export const table = (heads: string[], rows: HTMLTableRowElement[], empty: string): HTMLDivElement =>
  h(
    "div",
    { class: "panel" },
    rows.length === 0
      ? h("div", { class: "empty" }, empty)
      : h(
          "table",
          {},
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              heads.map((t, i) => h("th", { class: rows[0].children[i].className === "num" ? "num" : null }, t)),
            ),
          ),
          h("tbody", {}, rows),
        ),
  );

export const num = (v: Child): HTMLTableCellElement => h("td", { class: "num" }, v);

/** A view's nodes in order: its nesting flattened, its empty slots (null, undefined, "", 0) dropped. */
export function nodesOf(view: View): (Node | string)[] {
  if (Array.isArray(view)) return view.flatMap(nodesOf);
  if (!view) return [];
  return [view instanceof Node ? view : String(view)];
}

export const facts = (pairs: [string, Child][]): HTMLDivElement =>
  h(
    "div",
    { class: "panel facts" },
    pairs.map(([k, v]) => h("div", {}, h("div", { class: "k" }, k), h("div", { class: "v" }, v))),
  );
