// The join benchmark's hand-written program, run as its own process:
//   node join.js <catalogue.csv> <sales.csv>
// A single-process hash join: the catalogue (product id → category) in a Map,
// the sales streamed past it in 4 MiB reads, revenue summed per category in
// integer cents. Prints {"revenue": [[category, cents], …] (by revenue
// descending, then category), "maxRssKiB": …} on stdout.
import { eachLine } from "./each-line.js";

const [catalogueFile, salesFile] = process.argv.slice(2);
const categoryOf = new Map<string, string>();
eachLine(catalogueFile!, (line) => {
  const a = line.indexOf(",");
  categoryOf.set(line.slice(0, a), line.slice(line.lastIndexOf(",") + 1));
});

// sale id, product id, quantity, price, timestamp
const revenue = new Map<string, number>();
eachLine(salesFile!, (line) => {
  const a = line.indexOf(",");
  const b = line.indexOf(",", a + 1);
  const c = line.indexOf(",", b + 1);
  const d = line.indexOf(",", c + 1);
  const category = categoryOf.get(line.slice(a + 1, b));
  if (category === undefined) return;
  const cents = Number(line.slice(b + 1, c)) * Math.round(Number(line.slice(c + 1, d)) * 100);
  revenue.set(category, (revenue.get(category) ?? 0) + cents);
});

const ranked = [...revenue].sort(([ca, ra], [cb, rb]) => rb - ra || (ca < cb ? -1 : ca > cb ? 1 : 0));
process.stdout.write(JSON.stringify({ revenue: ranked, maxRssKiB: process.resourceUsage().maxRSS }));
