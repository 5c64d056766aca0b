// Benchmark inputs, generated deterministically (seeded) and kept between runs
// under the benchmark's data directory, so that a run measures the engine and
// not the generator, and two runs see the same bytes.
import fs from "node:fs";
import { join } from "node:path";
import { mulberry32 } from "../src/common/random.js";

export interface TextInput {
  path: string;
  bytes: number;
  lines: number;
  distinctWords: number;
}

/**
 * English-like text: lines of 6–14 words drawn from `vocabulary` words with a
 * Zipf-like (log-uniform) rank distribution, so a few words are very common
 * and most are rare, as in real text.
 */
export function textInput(dataDir: string, name: string, bytes: number, vocabulary: number, seed: number): TextInput {
  const path = join(dataDir, name);
  const meta = `${path}.meta.json`;
  if (fs.existsSync(path) && fs.existsSync(meta)) {
    const m = JSON.parse(fs.readFileSync(meta, "utf8")) as TextInput & { requested: number; seed: number };
    if (m.requested === bytes && m.seed === seed) return m;
  }
  fs.mkdirSync(dataDir, { recursive: true });
  const rand = mulberry32(seed);
  const seen = new Uint8Array(vocabulary);
  const fd = fs.openSync(`${path}.tmp`, "w");
  let written = 0;
  let lines = 0;
  let chunk = "";
  while (written + chunk.length < bytes) {
    const n = 6 + Math.floor(rand() * 9);
    let line = "";
    for (let i = 0; i < n; i++) {
      const rank = Math.min(vocabulary - 1, Math.floor(vocabulary ** rand()) - 1);
      seen[rank] = 1;
      line += (i ? " " : "") + word(rank);
    }
    chunk += line + "\n";
    lines++;
    if (chunk.length >= 1 << 20) {
      written += fs.writeSync(fd, chunk);
      chunk = "";
    }
  }
  written += fs.writeSync(fd, chunk);
  fs.closeSync(fd);
  fs.renameSync(`${path}.tmp`, path);
  const out: TextInput = { path: name, bytes: written, lines, distinctWords: seen.reduce((a, b) => a + b, 0) };
  fs.writeFileSync(meta, JSON.stringify({ ...out, requested: bytes, seed }));
  return out;
}

/** Rank → a distinct lowercase token (base 26): frequent words are short. */
function word(rank: number): string {
  let s = "";
  do {
    s = String.fromCharCode(97 + (rank % 26)) + s;
    rank = Math.floor(rank / 26);
  } while (rank > 0);
  return s;
}

/**
 * `name` under dataDir, written from `chunks` unless it is already there: to
 * `<name>.tmp` first and renamed once complete, so that an interrupted
 * generation is never mistaken for an input. The name must say everything the
 * bytes depend on (sizes, seed).
 */
export function generatedFile(dataDir: string, name: string, chunks: () => Iterable<string | Uint8Array>): string {
  const path = join(dataDir, name);
  if (fs.existsSync(path)) return path;
  fs.mkdirSync(dataDir, { recursive: true });
  const fd = fs.openSync(`${path}.tmp`, "w");
  try {
    for (const chunk of chunks()) {
      // Two calls because writeSync's overloads take a string or bytes, not either.
      if (typeof chunk === "string") fs.writeSync(fd, chunk);
      else fs.writeSync(fd, chunk);
    }
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(`${path}.tmp`, path);
  return path;
}
