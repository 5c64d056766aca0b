// The scaling benchmark (issue 6): the word count benchmark's job (user
// functions) and corpus at each --sizes (default 256 MiB and 1 GiB) on 2
// workers × 1 slot, then at the largest size on 1 worker × 1 slot. The wall
// time should grow with the input, not faster (largest / smallest ≤ 4.2 for a
// 4× input), and halve, ideally, with twice the workers. The 2-thread plain
// Node word count runs on the same corpora, as the answer to check and as the
// scaling a hand-written program gets on this machine.
import { parseSize } from "../src/common/size.js";
import { withCluster } from "./cluster.js";
import { fmtBytes, fmtMs, median, printTable, writeResults, type BenchOptions } from "./report.js";
import { baseline, corpus, minispark, sameCounts, type Result } from "./wordcount.js";

interface Row {
  result: Result;
  inputBytes: number;
  workers: number | null;
}

export async function scalingBench(opts: BenchOptions): Promise<void> {
  const sizes = (opts.flags.sizes ?? "256mb,1gb")
    .split(",")
    .map(parseSize)
    .sort((a, b) => a - b);
  const runs = Number(opts.flags.runs ?? 3);
  const inputs = sizes.map((size) => corpus(opts.dataDir, size));
  const rel = (dir: string) => dir.slice(opts.dataDir.length + 1);
  const rows: Row[] = [];
  const plain = new Map<number, Result>();
  for (const input of inputs) {
    console.error(`scaling: plain Node over ${fmtBytes(input.bytes)}…`);
    const r = await baseline("threads", "split", input.files, runs);
    plain.set(input.bytes, r);
    rows.push({ result: r, inputBytes: input.bytes, workers: null });
  }
  await withCluster(opts.dataDir, [], async (cluster) => {
    for (const input of inputs) {
      console.error(`scaling: minispark, 2 workers, over ${fmtBytes(input.bytes)}…`);
      rows.push({ result: await minispark(cluster, "user functions", rel(input.dir), runs), inputBytes: input.bytes, workers: 2 });
    }
  });
  const largest = inputs.at(-1)!;
  console.error(`scaling: minispark, 1 worker, over ${fmtBytes(largest.bytes)}…`);
  const one = await withCluster(opts.dataDir, [], (cluster) => minispark(cluster, "user functions", rel(largest.dir), runs), 1);
  rows.push({ result: one, inputBytes: largest.bytes, workers: 1 });
  for (const r of rows) sameCounts(r.result.counts, plain.get(r.inputBytes)!.counts, r.result.name);

  const ms = (r: Row) => median(r.result.wallMs);
  const smallest = (r: Row) => rows.find((s) => s.inputBytes === inputs[0]!.bytes && s.workers === (r.workers === 1 ? 2 : r.workers))!;
  printTable(
    ["program", "input", "wall (median)", "runs", "MB/s", "peak RSS", "vs plain Node", "scaling"],
    rows.map((r) => {
      const base = smallest(r);
      const scaling =
        r.workers === 1
          ? `${(ms(r) / ms(rows.find((s) => s.inputBytes === r.inputBytes && s.workers === 2)!)).toFixed(2)}× the 2-worker wall (ideal 2×)`
          : r === base
            ? ""
            : `${(ms(r) / ms(base)).toFixed(2)}× the ${fmtBytes(base.inputBytes)} wall for ${(r.inputBytes / base.inputBytes).toFixed(1)}× the input${r.workers === 2 ? " (target ≤ 4.2×)" : ""}`;
      return [
        r.result.name,
        fmtBytes(r.inputBytes),
        fmtMs(ms(r)),
        r.result.wallMs.map((x) => (x / 1000).toFixed(1)).join(" "),
        ((r.inputBytes / 1e6 / ms(r)) * 1000).toFixed(1),
        r.result.peakRss.map(fmtBytes).join(", "),
        r.workers === null ? "" : `${(ms(r) / median(plain.get(r.inputBytes)!.wallMs)).toFixed(2)}×`,
        scaling,
      ];
    }),
  );
  writeResults(
    "scaling",
    rows.map((r) => ({ name: r.result.name, inputBytes: r.inputBytes, workers: r.workers, wallMs: r.result.wallMs, medianMs: ms(r), peakRss: r.result.peakRss })),
  );
}
