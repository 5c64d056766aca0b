// zip: the i-th record of the first input paired with the i-th of the second,
// partition by partition (an RDD of kind "zip": partition p reads each
// parent's partition p). Spark's two checks (kernels/zip-partitions.ts): equal
// partition counts when planning, equal partition sizes while computing.
import type { Rdd } from "../plan/physical.js";
import { ZipError, zipPartitionsProblem } from "./kernels/zip-partitions.js";
import { defineOp, type OpFamily } from "./op-rule.js";
import { params } from "./params.js";

export const ZIP: OpFamily = {
  ops: {
    zip: defineOp({
      kind: "narrow",
      inputs: 2,
      params: params({}),
      plan: (pl, _p, node, parents) => {
        const [a, b] = node.inputs.map((i) => pl.input(i, parents)) as [Rdd, Rdd];
        const problem = zipPartitionsProblem(a.numPartitions, b.numPartitions);
        if (problem) throw new ZipError(`node "${node.id}" (zip): ${problem} (${a.numPartitions} and ${b.numPartitions})`);
        return { kind: "zip", node: node.id, parents: [a, b], numPartitions: a.numPartitions };
      },
    }),
  },
};
