// The bzip2 program (Debian's bzip2, the reference implementation), for tests
// that check minispark's own bzip2 reader and writer against it.
import { execFileSync } from "node:child_process";

const MAX_BUFFER = 1 << 30;

/** `data` compressed by `bzip2 -<level>`. */
export function bzip2Compress(data: Uint8Array, level = 9): Buffer {
  return execFileSync("bzip2", [`-${level}`, "-c"], { input: data, maxBuffer: MAX_BUFFER });
}

/** `data` decompressed by `bzip2 -d` (which checks every CRC and fails on a bad stream). */
export function bzip2Decompress(data: Uint8Array): Buffer {
  return execFileSync("bzip2", ["-d", "-c"], { input: data, maxBuffer: MAX_BUFFER });
}
