// The "local" / "local[N]" master: an embedded cluster of N worker processes
// started by one program. One parser for connect() (src/client/context.ts) and
// for the CLI's `submit --master local[N]`, so both refuse the same N with the
// same words before anything is forked. Pure.

/**
 * The most worker processes one local cluster starts. Each is a Node process
 * (tens of MiB before any task) on one machine; past a few dozen they only
 * compete for the same cores, and a typo such as local[1000000000] must not
 * fork until the machine gives out.
 */
export const MAX_LOCAL_WORKERS = 64;

const LOCAL = /^local(?:\[(.*)\])?$/;

/** The worker count `master` asks for: 2 for "local", N for "local[N]"; null if it is not a local master. Throws on an N outside 1..MAX_LOCAL_WORKERS. */
export function localWorkers(master: string): number | null {
  const m = LOCAL.exec(master);
  if (!m) return null;
  if (m[1] === undefined) return 2;
  const n = /^\d+$/.test(m[1]) ? Number(m[1]) : NaN;
  if (!(n >= 1 && n <= MAX_LOCAL_WORKERS)) throw new RangeError(`"${master}": a local cluster takes 1 to ${MAX_LOCAL_WORKERS} workers, local[1] .. local[${MAX_LOCAL_WORKERS}]`);
  return n;
}
