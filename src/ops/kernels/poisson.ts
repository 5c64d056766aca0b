// One Poisson(mean) draw, the number of copies of a record that sampling with
// replacement keeps (sample and sampleByKey). Below a mean of 20 it is Knuth's
// product of uniforms, drawn exactly as sample's sampler drew before it used
// this; from 20 up, as PySpark's RDDSamplerBase,
// it counts exponential gaps instead, because exp(-mean) underflows to 0 past
// a mean of about 745 and the product would then stop at about 745 copies.
// Called by sample-by-key.ts and src/ops/sample.ts.

const KNUTH_LIMIT = 20;

export function poissonDraw(mean: number, rand: () => number): number {
  if (mean < KNUTH_LIMIT) {
    const limit = Math.exp(-mean);
    let k = 0;
    let p = rand();
    while (p > limit) {
      k++;
      p *= rand();
    }
    return k;
  }
  // Arrivals of a rate-`mean` process within one unit of time.
  let k = 0;
  let t = exponential(mean, rand);
  while (t < 1) {
    k++;
    t += exponential(mean, rand);
  }
  return k;
}

function exponential(rate: number, rand: () => number): number {
  return -Math.log(1 - rand()) / rate;
}
