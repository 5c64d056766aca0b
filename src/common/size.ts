// Parses human sizes such as "256mb", "1.5g" or "1048576" into bytes, for flags
// like --memory and --max-result-size.

const UNITS: Record<string, number> = { "": 1, b: 1, k: 1024, kb: 1024, m: 1024 ** 2, mb: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3 };

export function parseSize(s: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(s);
  const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new Error(`cannot read "${s}" as a size; write e.g. 256mb or 2gb`);
  return Math.floor(Number(m[1]) * unit);
}
