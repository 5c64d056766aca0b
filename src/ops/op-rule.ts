// What one op is, in one place: the OpRule type every module of src/ops
// exports. A rule says what kind of op it is, how many inputs it reads and
// which parameters it takes (params.ts); the registry (registry.ts) lists every
// rule, and validation, the JSON Schema, the planner and the workers ask it.
// `defineOp` hides a rule's parameter type so that rules of different ops sit
// in one table without casts.
import type { ParamSchema } from "./params.js";

export type OpKind = "source" | "narrow" | "wide" | "action";

/** Number of inputs: exact, or at least `min` when `many`. */
export type Arity = number | { many: true; min: number };

export interface OpRule<P> {
  kind: OpKind;
  inputs: Arity;
  params: ParamSchema<P>;
  /** Names from the older JobSpec style that are not plain snake_case of the canonical one. */
  aliases?: readonly string[];
}

/** A rule as the registry holds it: every use of its parameters goes through its own schema. */
export interface Op {
  readonly kind: OpKind;
  readonly inputs: Arity;
  readonly aliases: readonly string[];
  readonly params: ParamSchema<unknown>;
}

export function defineOp<P>(rule: OpRule<P>): Op {
  return { kind: rule.kind, inputs: rule.inputs, aliases: rule.aliases ?? [], params: rule.params };
}

/** The ops of one module, by canonical name. */
export type OpFamily = Readonly<Record<string, Op>>;

