// x → [x, null]: whole records as keys, for the shuffles of distinct, subtract
// and intersection. Registered with distinct's family.
import type { RecordStep } from "./op-rule.js";

export const PAIR_WITH_NULL: RecordStep<null> = { name: "pairWithNull", kind: "record", push: (_s, next) => (x) => next([x, null]) };
