// The web UI's page, stylesheet and icon, embedded so the master serves them offline
// (no CDN, no web fonts). The script is compiled from app/ (see ui-routes.ts).

/** The page, naming the master's version and wire protocol so a user can tell which build answers. */
export function indexHtml(version: string, protocol: number): string {
  const v = escapeHtml(version);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>minispark</title>
<link rel="stylesheet" href="/ui/app.css">
<link rel="icon" href="/ui/favicon.svg" type="image/svg+xml">
</head>
<body>
<header class="top">
  <a class="brand" href="#/cluster">minispark</a>
  <span class="version" title="minispark ${v}, wire protocol ${protocol}">v${v}</span>
  <nav>
    <a class="tab" data-tab="cluster" href="#/cluster">Cluster</a>
    <a class="tab" data-tab="jobs" href="#/jobs">Jobs</a>
    <a class="tab" data-tab="storage" href="#/storage">Storage</a>
  </nav>
  <span id="live" class="live"></span>
  <button id="signout" class="link" type="button" hidden>Sign out</button>
</header>
<main id="main"></main>
<script type="module" src="/ui/app/main.js"></script>
</body>
</html>
`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export const APP_CSS = `
:root {
  --bg: #f5f6f8; --panel: #fff; --ink: #1d2330; --muted: #6b7385; --line: #e2e5eb;
  --blue: #2f6fd6; --green: #1f9d55; --red: #d64545; --amber: #c98a0b; --grey: #8a93a6;
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
a { color: var(--blue); text-decoration: none; }
a:hover { text-decoration: underline; }
code, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 12.5px; }
.top { display: flex; align-items: center; gap: 24px; padding: 0 24px; height: 52px;
  background: #1d2330; color: #fff; }
.brand { color: #fff; font-weight: 700; font-size: 18px; letter-spacing: .3px; }
.brand:hover { text-decoration: none; }
.version { color: #8a93a6; font-size: 12px; margin-left: -16px; }
nav { display: flex; gap: 4px; }
.tab { color: #c7cdda; padding: 6px 12px; border-radius: 6px; }
.tab:hover { background: #2c3446; text-decoration: none; }
.tab.active { background: #3a4560; color: #fff; }
.live { margin-left: auto; font-size: 12px; color: #c7cdda; }
.live::before { content: "\\25CF"; margin-right: 6px; color: var(--grey); }
.live.ok::before { color: #4cc38a; }
.live.bad::before { color: #ff7b7b; }
button { font: inherit; cursor: pointer; border-radius: 6px; border: 1px solid var(--line);
  background: var(--panel); padding: 5px 12px; }
button.link { background: none; border: none; color: #c7cdda; padding: 0; }
button.danger { border-color: var(--red); color: var(--red); }
button.danger:hover { background: var(--red); color: #fff; }
button.primary { background: var(--blue); border-color: var(--blue); color: #fff; }
main { max-width: 1280px; margin: 0 auto; padding: 20px 24px 48px; }
h1 { font-size: 20px; margin: 4px 0 14px; display: flex; align-items: center; gap: 12px; }
h2 { font-size: 15px; margin: 24px 0 10px; }
.muted { color: var(--muted); }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; overflow-x: auto; }
table { width: 100%; border-collapse: collapse; }
th, td { text-align: left; padding: 8px 10px; border-bottom: 1px solid var(--line); white-space: nowrap; vertical-align: middle; }
th { font-size: 12px; font-weight: 600; color: var(--muted); text-transform: uppercase; letter-spacing: .4px; background: #fafbfc; }
tr:last-child td { border-bottom: none; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.wrap { white-space: normal; word-break: break-word; min-width: 160px; }
.empty { padding: 24px; text-align: center; color: var(--muted); }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 11.5px; font-weight: 600;
  letter-spacing: .3px; color: #fff; background: var(--grey); }
.badge.alive, .badge.completed, .badge.succeeded, .badge.finished { background: var(--green); }
.badge.running { background: var(--blue); }
.badge.dead, .badge.failed, .badge.fetch_failed, .badge.timed_out, .badge.lost, .badge.launch_failed { background: var(--red); }
.badge.cancelled { background: var(--amber); }
.badge.skipped { background: #9aa3b5; }
.badge.active { background: var(--green); }
.badge.expired { background: var(--amber); }
.bar { display: inline-block; width: 110px; height: 8px; border-radius: 4px; background: #e6e9ef; overflow: hidden; vertical-align: middle; }
.bar > span { display: block; height: 100%; background: var(--blue); transition: width .6s ease; }
.bar.completed > span { background: var(--green); }
.bar.failed > span { background: var(--red); }
.bar.cancelled > span { background: var(--amber); }
.pct { margin-left: 8px; font-size: 12px; color: var(--muted); font-variant-numeric: tabular-nums; }
.summary { display: flex; flex-wrap: wrap; gap: 10px 28px; margin-bottom: 14px; color: var(--muted); }
.summary b { color: var(--ink); font-weight: 600; }
.facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); overflow: hidden; }
.facts > div { padding: 10px 14px; box-shadow: 1px 0 0 var(--line), 0 1px 0 var(--line); }
.facts .bar { width: 90px; }
.facts .k { font-size: 11.5px; color: var(--muted); text-transform: uppercase; letter-spacing: .4px; }
.facts .v { font-size: 15px; font-weight: 600; margin-top: 2px; font-variant-numeric: tabular-nums; }
.error { background: #fdecec; border: 1px solid #f3c1c1; color: #8f1f1f; border-radius: 8px; padding: 10px 14px;
  margin: 0 0 14px; white-space: pre-wrap; word-break: break-word; }
.error b { display: block; margin-bottom: 2px; }
.dag { padding: 12px; margin-bottom: 12px; }
.dag svg { display: block; max-width: 100%; height: auto; }
.dag .edge { fill: none; stroke: #9aa3b5; stroke-width: 1.5; }
.dag .arrow { fill: #9aa3b5; }
.dag .box { fill: #fff; stroke: #b9c0ce; stroke-width: 1.5; }
.dag .status-RUNNING .box { stroke: var(--blue); fill: #eef4ff; }
.dag .status-COMPLETED .box { stroke: var(--green); fill: #eefaf3; }
.dag .status-FAILED .box { stroke: var(--red); fill: #fdf0f0; }
.dag .status-CANCELLED .box { stroke: var(--amber); fill: #fdf7ea; }
.dag .status-SKIPPED .box { stroke: #b9c0ce; stroke-dasharray: 4 3; fill: #f6f7f9; }
.dag .title { font-size: 12px; font-weight: 700; fill: var(--ink); }
.dag .name { font-size: 11.5px; fill: var(--muted); }
.dag .info { font-size: 11px; fill: var(--muted); }
.dag .track { fill: #e6e9ef; }
.dag .fill { fill: var(--blue); }
.dag .status-COMPLETED .fill { fill: var(--green); }
.dag .status-FAILED .fill { fill: var(--red); }
.spark .area { fill: rgba(47, 111, 214, .15); stroke: none; }
.spark .line { fill: none; stroke: var(--blue); stroke-width: 1.5; }
.spark .tasks { fill: var(--amber); }
.task { margin-bottom: 10px; }
.task > .head { padding: 8px 12px; border-bottom: 1px solid var(--line); font-weight: 600; }
.events { max-height: 320px; overflow-y: auto; }
.login { max-width: 380px; margin: 80px auto; padding: 24px; }
.login h1 { margin-top: 0; }
.login input { width: 100%; font: inherit; padding: 7px 10px; border: 1px solid var(--line); border-radius: 6px; margin: 6px 0 12px; }
.login .msg { color: var(--red); min-height: 1.4em; margin: 0 0 8px; }
`;

export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#1d2330"/><path d="M18 4 8 18h7l-2 10 10-14h-7z" fill="#4cc38a"/></svg>
`;
