// The code of the built-in functions named in builtin-names.ts. Trusted
// code of ours, so it runs even on a worker started with user code disabled.
// Like user functions, each gets its arguments and then the node's env.
import type { BuiltinName } from "./builtin-names.js";
import { compareKeys } from "../plan/keys.js";
import { parseCsvLine } from "../common/csv.js";

const WORD = /[\p{L}\p{N}']+/gu;

// Each is a UserFn (user-function.ts), its type spelled out below so that the
// table imports nothing of the compiler that looks it up.
export const BUILTIN_CODE = {
  identity: (x) => x,
  sum: (a, b) => (a as number) + (b as number),
  count: (acc) => (acc as number) + 1,
  min: (a, b) => (compareKeys(a, b) <= 0 ? a : b),
  max: (a, b) => (compareKeys(a, b) >= 0 ? a : b),
  concat: (a, b) => (Array.isArray(a) ? a.concat(b) : String(a) + String(b)),
  tokenize: (line) => (String(line).toLowerCase().match(WORD) ?? []) as unknown,
  split_whitespace: (line) =>
    String(line)
      .split(/\s+/)
      .filter((w) => w !== ""),
  to_lower: (s) => String(s).toLowerCase(),
  to_upper: (s) => String(s).toUpperCase(),
  trim: (s) => String(s).trim(),
  length: (x) => (x as { length: number }).length,
  to_number: (x) => Number(x),
  negate: (x) => -(x as number),
  parse_csv: (line) => parseCsvLine(String(line), ",", '"'),
  parse_json: (s) => JSON.parse(String(s)) as unknown,
  to_json: (x) => JSON.stringify(x),
  pair_with_one: (x) => [x, 1],
  swap: (p) => [(p as unknown[])[1], (p as unknown[])[0]],
  first: (p) => (p as unknown[])[0],
  second: (p) => (p as unknown[])[1],
  not_empty: (x) => !(x === "" || x === null || x === undefined || (Array.isArray(x) && x.length === 0)),
} satisfies Record<BuiltinName, (...args: unknown[]) => unknown>;
