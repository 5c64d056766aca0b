// How the web UI spells durations, sizes, counts and times: pure functions of a
// value, "–" for a value the API does not have. Called by the views.

export function fmtMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "–";
  if (ms < 1000) return Math.round(ms) + " ms";
  if (ms < 60000) return (ms / 1000).toFixed(1) + " s";
  const s = Math.round(ms / 1000);
  return Math.floor(s / 60) + "m " + String(s % 60).padStart(2, "0") + "s";
}

export function fmtBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return "–";
  const units = ["B", "KiB", "MiB", "GiB"];
  let n = bytes;
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return (i === 0 ? n : n.toFixed(1)) + " " + units[i];
}

export const fmtNum = (n: number | null | undefined): string => (n === null || n === undefined ? "–" : Number(n).toLocaleString("en-US"));

/** Today's times alone, older ones with their date. */
export function fmtTime(t: string | null): string {
  if (!t) return "–";
  const d = new Date(t);
  return d.toDateString() === new Date().toDateString() ? d.toLocaleTimeString() : d.toLocaleString();
}

export const fmtAge = (t: string | null): string => (t ? fmtMs(Math.max(0, Date.now() - new Date(t).getTime())) + " ago" : "–");

/** Milliseconds from `from` to `to`, or to now while `to` is not reached; null before `from`. */
export const elapsed = (from: string | null, to: string | null): number | null => (from ? (to ? new Date(to) : new Date()).getTime() - new Date(from).getTime() : null);
