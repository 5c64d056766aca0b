// A deterministic English-like text corpus for the demo (and benchmarks): words
// drawn from a Zipf distribution over a vocabulary of common English words
// followed by generated pseudo-words, in sentences with capitals and
// punctuation so that tokenizing is real work. Same seed, same bytes. A corpus
// is built in a sibling directory and renamed into place when whole, so an
// interrupted or failed run never leaves a partial corpus where a complete one
// is expected; what an interrupted run leaves is swept by the next.
import fs from "node:fs";
import { dirname, join } from "node:path";
import { mulberry32 } from "../common/random.js";
import { processAlive } from "../common/stale-leftovers.js";

const COMMON = `the of and to a in is it you that he was for on are with as his they be at one have this from or had
by not word but what some we can out other were all there when up use your how said an each she which do their time if
will way about many then them write would like so these her long make thing see him two has look more day could go come
did number sound no most people my over know water than call first who may down side been now find any new work part
take get place made live where after back little only round man year came show every good me give our under name very
through just form sentence great think say help low line differ turn cause much mean before move right boy old too same
tell does set three want air well also play small end put home read hand port large spell add even land here must big
high such follow act why ask men change went light kind off need house picture try us again animal point mother world
near build self earth father head stand own page should country found answer school grow study still learn plant cover
food sun four between state keep eye never last let thought city tree cross farm hard start might story saw far sea draw
left late run while press close night real life few north open seem together next white children begin got walk example
ease paper group always music those both mark often letter until mile river car feet care second book carry took science
eat room friend began idea fish mountain stop once base hear horse cut sure watch color face wood main enough plain girl
usual young ready above ever red list though feel talk bird soon body dog family direct pose leave song measure door`
  .split(/\s+/)
  .filter(Boolean);

const SYLLABLES = ["an", "ber", "cor", "dal", "el", "fen", "gar", "hol", "is", "jun", "kel", "lor", "mon", "nar", "or", "pel", "quin", "ros", "sul", "tor", "ul", "ven", "wil", "yar", "zen"];

export function vocabulary(size: number): string[] {
  const words = [...new Set(COMMON)];
  const n = SYLLABLES.length;
  for (let i = 0; words.length < size; i++) {
    let w = "";
    let k = i;
    do {
      w += SYLLABLES[k % n];
      k = Math.floor(k / n);
    } while (k > 0);
    if (!words.includes(w)) words.push(w);
  }
  return words.slice(0, size);
}

/** Cumulative Zipf(s = 1) weights for ranks 1..n. */
function zipfCdf(n: number): Float64Array {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) cdf[i] = sum += 1 / (i + 1);
  for (let i = 0; i < n; i++) cdf[i]! /= sum;
  return cdf;
}

function pick(cdf: Float64Array, u: number): number {
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cdf[mid]! < u) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The largest demo corpus: a word count over more is a benchmark, not a demo, and 10^9 MiB is no disk. */
export const MAX_CORPUS_MB = 64 * 1024;

/** Why a corpus of `sizeMb` MiB cannot be written under `dir` (null if it can): the free space of the file system it would go to. */
export function corpusFits(dir: string, sizeMb: number): string | null {
  let at = dir;
  while (!fs.existsSync(at) && dirname(at) !== at) at = dirname(at);
  const { bavail, bsize } = fs.statfsSync(at);
  const freeMb = Math.floor((bavail * bsize) / 2 ** 20);
  // Room for the job's output and spill too, about the corpus's size again.
  return sizeMb * 2 > freeMb ? `a ${sizeMb} MiB corpus and its output need about ${sizeMb * 2} MiB, and ${at} has ${freeMb} MiB free` : null;
}

const PARTIAL = /\.partial-(\d+)$/;

/**
 * Removes corpora whose writer is gone: generation is synchronous, so Ctrl-C
 * ends the process without a chance to clean up, and the next run does it. A
 * corpus another live process is writing stays.
 */
function sweepPartials(parent: string): void {
  for (const f of fs.readdirSync(parent)) {
    const pid = PARTIAL.exec(f)?.[1];
    if (pid !== undefined && !processAlive(Number(pid))) fs.rmSync(join(parent, f), { recursive: true, force: true });
  }
}

/** Writes `files` files of about `bytesPerFile` bytes each into `dir` (replaced if there); returns their paths. */
export function writeCorpus(dir: string, files: number, bytesPerFile: number, seed = 42, vocabSize = 20_000): string[] {
  const parent = dirname(dir);
  fs.mkdirSync(parent, { recursive: true });
  sweepPartials(parent);
  const building = `${dir}.partial-${process.pid}`;
  fs.mkdirSync(building);
  try {
    fillCorpus(building, files, bytesPerFile, seed, vocabSize);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(building, dir);
  } catch (e) {
    fs.rmSync(building, { recursive: true, force: true });
    throw e;
  }
  return Array.from({ length: files }, (_, f) => join(dir, corpusFile(f)));
}

function corpusFile(f: number): string {
  return `part-${String(f).padStart(3, "0")}.txt`;
}

function fillCorpus(dir: string, files: number, bytesPerFile: number, seed: number, vocabSize: number): void {
  const words = vocabulary(vocabSize);
  const cdf = zipfCdf(words.length);
  for (let f = 0; f < files; f++) {
    const rand = mulberry32(seed * 1000 + f);
    const path = join(dir, corpusFile(f));
    const fd = fs.openSync(path, "w");
    let written = 0;
    let chunk: string[] = [];
    let chunkLen = 0;
    while (written < bytesPerFile) {
      const len = 6 + Math.floor(rand() * 12);
      const line: string[] = [];
      for (let i = 0; i < len; i++) {
        let w = words[pick(cdf, rand())]!;
        if (i === 0) w = w[0]!.toUpperCase() + w.slice(1);
        line.push(w);
      }
      const text = line.join(" ") + (rand() < 0.2 ? ", and" : "") + ".";
      chunk.push(text);
      chunkLen += text.length + 1;
      written += text.length + 1;
      if (chunkLen > 1 << 20) {
        fs.writeSync(fd, chunk.join("\n") + "\n");
        chunk = [];
        chunkLen = 0;
      }
    }
    if (chunk.length > 0) fs.writeSync(fd, chunk.join("\n") + "\n");
    fs.closeSync(fd);
  }
}
