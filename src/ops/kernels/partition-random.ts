// The seeded random stream of one partition, for the ops that draw once per
// record (randomSplit, sampleByKey): the job's seed mixed with the partition's
// index, so partitions draw independent streams and a retried task draws the
// same ones. The mixing is the one sample's sampler used inline, so that it
// takes it from here without changing what it draws. Called by
// random-split.ts, sample-by-key.ts and src/ops/{sample,take-sample}.ts.
import { mulberry32 } from "../../common/random.js";

export function partitionRandom(seed: number, partitionIndex: number): () => number {
  return mulberry32(seed ^ Math.imul(partitionIndex + 1, 0x9e3779b1));
}
