// takeSample's bound on `num`, as PySpark checks it: whole, not negative, and
// below sys.maxsize less ten standard deviations of slack. Called by the
// takeSample op (src/ops/take-sample.ts) for its parameter check; the op draws
// its sample in one job (its header says why PySpark's count, sample and
// resample rounds are not needed).
const NUM_STDEV = 10;
/** PySpark's bound sys.maxsize - int(10 * sqrt(sys.maxsize)), JS's largest safe integer standing for sys.maxsize. */
export const MAX_SAMPLE_SIZE = Number.MAX_SAFE_INTEGER - Math.trunc(NUM_STDEV * Math.sqrt(Number.MAX_SAFE_INTEGER));

/** Why takeSample cannot take this num, or null. */
export function sampleSizeProblem(num: number): string | null {
  if (!Number.isInteger(num)) return "Sample size must be a whole number.";
  if (num < 0) return "Sample size cannot be negative.";
  if (num > MAX_SAMPLE_SIZE) return `Sample size cannot be greater than ${MAX_SAMPLE_SIZE}.`;
  return null;
}
