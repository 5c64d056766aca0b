// What each op of the registry declares, as the validator and JobSpec fuzzer
// tests read it: kind, arity and parameter types, by canonical name. A view of
// src/ops/registry.ts for tests; the engine reads the rules themselves.
import type { Arity, OpKind } from "../../src/ops/op-rule.js";
import type { ParamType } from "../../src/ops/params.js";
import { opNames, opRule } from "../../src/ops/registry.js";

export interface OpDef {
  kind: OpKind;
  inputs: Arity;
  required: Record<string, ParamType>;
  optional: Record<string, ParamType>;
}

export const OPS: Readonly<Record<string, OpDef>> = Object.fromEntries(
  opNames().map((name) => {
    const op = opRule(name)!;
    const fields = Object.entries(op.params.fields);
    const types = (optional: boolean) => Object.fromEntries(fields.filter(([, f]) => f.optional === optional).map(([p, f]) => [p, f.type]));
    return [name, { kind: op.kind, inputs: op.inputs, required: types(false), optional: types(true) }];
  }),
);
