// The built-in functions a JobSpec may name instead of giving source ("fn":
// "sum"): their names and what they do, for validation on the master and for the
// documentation. Their code is builtins.ts, which
// the type system keeps in step with this table. Jobs written only with
// built-ins run even where user code is disabled.

export const BUILTINS = {
  identity: { args: "x", does: "returns x" },
  sum: { args: "a, b", does: "a + b (reduce, reduceByKey, fold, foldByKey, …)" },
  count: { args: "acc, x", does: "acc + 1 (aggregate/aggregateByKey seqOp with zeroValue 0)" },
  min: { args: "a, b", does: "the smaller of a and b in minispark's key order" },
  max: { args: "a, b", does: "the larger of a and b in minispark's key order" },
  concat: { args: "a, b", does: "arrays: a.concat(b); otherwise string concatenation" },
  tokenize: { args: "line", does: "lower-cased words: runs of letters, digits and apostrophes" },
  split_whitespace: { args: "line", does: "the line split at whitespace, without empty strings" },
  to_lower: { args: "s", does: "s.toLowerCase()" },
  to_upper: { args: "s", does: "s.toUpperCase()" },
  trim: { args: "s", does: "s.trim()" },
  length: { args: "x", does: "x.length" },
  to_number: { args: "x", does: "Number(x)" },
  negate: { args: "x", does: "-x (e.g. sortBy descending by a number)" },
  parse_csv: { args: "line", does: 'the fields of one CSV line (",", RFC 4180 quotes)' },
  parse_json: { args: "s", does: "JSON.parse(s)" },
  to_json: { args: "x", does: "JSON.stringify(x)" },
  pair_with_one: { args: "x", does: "[x, 1]" },
  swap: { args: "[k, v]", does: "[v, k]" },
  first: { args: "[a, b]", does: "a (the key of a pair)" },
  second: { args: "[a, b]", does: "b (the value of a pair)" },
  not_empty: { args: "x", does: 'true unless x is "", null or an empty array (filter)' },
} as const;

export type BuiltinName = keyof typeof BUILTINS;

export function isBuiltin(name: string): name is BuiltinName {
  return Object.hasOwn(BUILTINS, name);
}
