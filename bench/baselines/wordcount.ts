// Hand-written word counts to hold minispark against, run as their own process:
//   node wordcount.js single <mode> <files…>   one thread, streamed, strings and a Map
//   node wordcount.js threads <mode> <files…>  the same, the files split over 2 worker_threads
//   node wordcount.js bytes split <files…>     2 threads hashing words straight from the bytes
// <mode> is "split" (line.split(" "), as the benchmark's user functions do) or
// "tokenize" (the built-in tokenize: lower-cased runs of letters, digits, ').
// Prints {"counts": [[word, n], …], "maxRssKiB": …} on stdout.
import fs from "node:fs";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";

const CHUNK = 1 << 20;
const WORD = /[\p{L}\p{N}']+/gu;

function countStrings(files: string[], mode: string): Map<string, number> {
  const counts = new Map<string, number>();
  const add = (w: string) => counts.set(w, (counts.get(w) ?? 0) + 1);
  for (const file of files) {
    const fd = fs.openSync(file, "r");
    const buf = Buffer.allocUnsafe(CHUNK);
    let rest = "";
    for (;;) {
      const n = fs.readSync(fd, buf, 0, CHUNK, null);
      if (n === 0) break;
      const text = rest + buf.toString("utf8", 0, n);
      const lines = text.split("\n");
      rest = lines.pop()!;
      for (const line of lines) countLine(line, mode, add);
    }
    if (rest) countLine(rest, mode, add);
    fs.closeSync(fd);
  }
  return counts;
}

function countLine(line: string, mode: string, add: (w: string) => void): void {
  if (mode === "split") for (const w of line.split(" ")) add(w);
  else for (const w of line.toLowerCase().match(WORD) ?? []) add(w);
}

/** Open addressing over FNV-1a hashes of the words' bytes; a word is decoded once, when the table is read out. */
function countBytes(files: string[]): Map<string, number> {
  let cap = 1 << 16;
  let hashes = new Int32Array(cap);
  let starts = new Int32Array(cap).fill(-1);
  let lens = new Int32Array(cap);
  let counts = new Int32Array(cap);
  let size = 0;
  let arena = Buffer.allocUnsafe(1 << 20);
  let arenaLen = 0;
  const grow = () => {
    const old = { hashes, starts, lens, counts };
    cap *= 2;
    hashes = new Int32Array(cap);
    starts = new Int32Array(cap).fill(-1);
    lens = new Int32Array(cap);
    counts = new Int32Array(cap);
    for (let i = 0; i < old.starts.length; i++) {
      if (old.starts[i]! < 0) continue;
      let j = old.hashes[i]! & (cap - 1);
      while (starts[j]! >= 0) j = (j + 1) & (cap - 1);
      hashes[j] = old.hashes[i]!;
      starts[j] = old.starts[i]!;
      lens[j] = old.lens[i]!;
      counts[j] = old.counts[i]!;
    }
  };
  const add = (buf: Buffer, from: number, to: number, h: number) => {
    let j = h & (cap - 1);
    const len = to - from;
    for (;;) {
      const s = starts[j]!;
      if (s < 0) break;
      if (hashes[j] === h && lens[j] === len && sameBytes(arena, s, buf, from, len)) {
        counts[j]!++;
        return;
      }
      j = (j + 1) & (cap - 1);
    }
    if (arenaLen + len > arena.length) {
      const bigger = Buffer.allocUnsafe(arena.length * 2);
      arena.copy(bigger, 0, 0, arenaLen);
      arena = bigger;
    }
    buf.copy(arena, arenaLen, from, to);
    hashes[j] = h;
    starts[j] = arenaLen;
    lens[j] = len;
    counts[j] = 1;
    arenaLen += len;
    if (++size * 2 > cap) grow();
  };
  for (const file of files) {
    const buf = fs.readFileSync(file);
    let from = 0;
    let h = 0x811c9dc5;
    for (let i = 0; i < buf.length; i++) {
      const b = buf[i]!;
      if (b === 0x20 || b === 0x0a) {
        // As line.split(" "): a space or a line end closes a word, even an empty one.
        add(buf, from, i, h);
        from = i + 1;
        h = 0x811c9dc5;
      } else {
        h = Math.imul(h ^ b, 0x01000193);
      }
    }
    if (from < buf.length) add(buf, from, buf.length, h);
  }
  const out = new Map<string, number>();
  for (let j = 0; j < cap; j++) if (starts[j]! >= 0) out.set(arena.toString("utf8", starts[j]!, starts[j]! + lens[j]!), counts[j]!);
  return out;
}

/** A loop, not Buffer.compare: for words of a few bytes the call into C++ costs more than the comparison. */
function sameBytes(a: Buffer, i: number, b: Buffer, j: number, len: number): boolean {
  for (let k = 0; k < len; k++) if (a[i + k] !== b[j + k]) return false;
  return true;
}

async function inThreads(kind: "threads" | "bytes", mode: string, files: string[]): Promise<Map<string, number>> {
  const halves = [files.filter((_, i) => i % 2 === 0), files.filter((_, i) => i % 2 === 1)];
  const parts = await Promise.all(
    halves.map(
      (part) =>
        new Promise<[string, number][]>((resolve, reject) => {
          const w = new Worker(new URL(import.meta.url), { workerData: { kind, mode, files: part } });
          w.once("message", resolve);
          w.once("error", reject);
        }),
    ),
  );
  const total = new Map<string, number>();
  for (const part of parts) for (const [w, n] of part) total.set(w, (total.get(w) ?? 0) + n);
  return total;
}

if (!isMainThread) {
  const { kind, mode, files } = workerData as { kind: string; mode: string; files: string[] };
  parentPort!.postMessage([...(kind === "bytes" ? countBytes(files) : countStrings(files, mode))]);
} else {
  const [kind, mode, ...files] = process.argv.slice(2);
  const counts = kind === "single" ? countStrings(files, mode!) : await inThreads(kind as "threads" | "bytes", mode!, files);
  process.stdout.write(JSON.stringify({ counts: [...counts], maxRssKiB: process.resourceUsage().maxRSS }));
}
