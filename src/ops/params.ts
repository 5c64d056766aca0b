// The small typed schema builder every op rule declares its parameters with.
// One declaration gives the three things that used to be written apart: the
// check of an untrusted JobSpec node's parameters (with validate.ts's exact
// messages), the typed parameters `P` the rule's planning reads, and the JSON
// Schema fragment of schema/jobspec.schema.json. The casts from checked JSON to
// `P` happen here and nowhere else. Used by every module of src/ops.
import { BUILTINS, isBuiltin } from "../functions/builtin-names.js";
import { checkFunctionSource } from "../plan/function-source.js";
import type { Json } from "../plan/keys.js";
import { checkOutputPath, checkRelativePath } from "../plan/paths.js";
import { commandProblem } from "./kernels/pipe-command.js";
import { MAX_PARTITIONS } from "../plan/spec-limits.js";

export type ParamType =
  | "fn" // JavaScript source of a function expression
  | "int" // any integer
  | "number" // any finite number
  | "count" // integer >= 0
  | "positive" // integer >= 1
  | "string"
  | "boolean"
  | "array"
  | "json" // any JSON value
  | "inputPath" // relative path, glob or array of them, inside the data directory
  | "outputPath" // relative path inside the outputs directory
  | "command" // an external command line or argv: refused when user code is disabled
  | { enum: readonly string[] };

/** A node's parameters after checking, under their canonical names: what NodeSpec.params holds and the plan stores. */
export type CheckedParams = Record<string, Json>;

export type JsonSchema = Record<string, unknown>;

const SAFE_INT = { type: "integer", minimum: Number.MIN_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER };

/** One parameter: its type, whether it may be left out, its older spellings and its JSON Schema. */
export class Field<T, Optional extends boolean = false> {
  private constructor(
    readonly type: ParamType,
    readonly optional: Optional,
    /** A partition count: at most MAX_PARTITIONS, and spelled "partitions" in older specs. */
    readonly partitionCount: boolean,
    readonly aliases: readonly string[],
    private readonly refineSchema: ((s: JsonSchema) => JsonSchema) | null,
  ) {}

  static of<T>(type: ParamType): Field<T> {
    return new Field<T>(type, false, false, [], null);
  }

  maybe(): Field<T, true> {
    return new Field<T, true>(this.type, true, this.partitionCount, this.aliases, this.refineSchema);
  }

  partitions(): Field<T, Optional> {
    return new Field<T, Optional>(this.type, this.optional, true, [...this.aliases, "partitions"], this.refineSchema);
  }

  alias(name: string): Field<T, Optional> {
    return new Field<T, Optional>(this.type, this.optional, this.partitionCount, [...this.aliases, name], this.refineSchema);
  }

  /** A JSON Schema stricter than the type's, for a rule the op's `check` enforces. */
  refine(f: (s: JsonSchema) => JsonSchema): Field<T, Optional> {
    return new Field<T, Optional>(this.type, this.optional, this.partitionCount, this.aliases, f);
  }

  /** What is wrong with a value, as a phrase after `parameter "x"`, or null. */
  problem(v: unknown, userCode: boolean): string | null {
    return checkParam(v, this.type, userCode) ?? (this.partitionCount && (v as number) > MAX_PARTITIONS ? `must be at most ${MAX_PARTITIONS}` : null);
  }

  jsonSchema(): JsonSchema {
    const base = paramSchema(this.type, this.partitionCount);
    return this.refineSchema ? this.refineSchema(base) : base;
  }

  /** The checked value as the type it was checked to be. */
  read(v: Json): T {
    return v as T;
  }
}

export const fn = (): Field<string> => Field.of("fn");
export const int = (): Field<number> => Field.of("int");
export const number = (): Field<number> => Field.of("number");
export const count = (): Field<number> => Field.of("count");
export const positive = (): Field<number> => Field.of("positive");
export const string = (): Field<string> => Field.of("string");
export const boolean = (): Field<boolean> => Field.of("boolean");
export const array = (): Field<Json[]> => Field.of("array");
export const json = (): Field<Json> => Field.of("json");
export const inputPath = (): Field<string | string[]> => Field.of("inputPath");
export const outputPath = (): Field<string> => Field.of("outputPath");
export const command = (): Field<string | string[]> => Field.of("command");
export const oneOf = <const E extends readonly string[]>(values: E): Field<E[number]> => Field.of({ enum: values });

// biome-ignore lint/suspicious/noExplicitAny: a field of any value type, for the constraint below
type AnyField = Field<any, boolean>;
type Fields = Record<string, AnyField>;
type ValueOf<F> = F extends Field<infer T, boolean> ? T : never;

/** The typed parameters a set of fields yields: optional fields may be absent. */
export type ParamsOf<F extends Fields> = {
  [K in keyof F as F[K] extends Field<unknown, false> ? K : never]: ValueOf<F[K]>;
} & {
  [K in keyof F as F[K] extends Field<unknown, false> ? never : K]?: ValueOf<F[K]>;
};

export interface ParseResult {
  params: CheckedParams;
  /** Each a phrase to follow the node's description ("node \"x\" (map): "). */
  problems: string[];
}

/** The declared parameters of one op, with its rules across parameters. */
export class ParamSchema<P> {
  /** Rules the types alone do not say; sees only the parameters that passed their own check. */
  private readonly rules: (params: CheckedParams) => string[];

  constructor(
    readonly fields: Readonly<Fields>,
    rules: (p: Partial<P>) => string[],
  ) {
    this.rules = (checked) => rules(this.readPartial(checked));
  }

  /** The field a raw parameter name means: canonical, snake_case or an older spelling. */
  private fieldName(rawName: string): string | undefined {
    for (const [name, f] of Object.entries(this.fields)) if (f.aliases.includes(rawName)) return name;
    const name = snakeToCamel(rawName);
    // Own entries only: "__proto__" or "constructor" is no parameter of any op.
    return Object.hasOwn(this.fields, name) ? name : undefined;
  }

  /** Checks the parameters of a raw node (every member not in `reserved`). */
  parse(raw: Record<string, unknown>, reserved: ReadonlySet<string>, userCode: boolean): ParseResult {
    const params: CheckedParams = {};
    const problems: string[] = [];
    const refused = new Set<string>();
    for (const [rawName, value] of Object.entries(raw)) {
      if (reserved.has(rawName)) continue;
      const name = this.fieldName(rawName);
      if (name === undefined) {
        problems.push(`unknown parameter "${rawName}"`);
        continue;
      }
      const problem = this.fields[name]!.problem(value, userCode);
      if (problem) {
        problems.push(`parameter "${rawName}" ${problem}`);
        refused.add(rawName);
      } else params[name] = value as Json;
    }
    for (const [name, f] of Object.entries(this.fields)) {
      if (!f.optional && !Object.hasOwn(params, name) && !refused.has(name)) problems.push(`missing parameter "${name}"`);
    }
    problems.push(...this.rules(params));
    return { params, problems };
  }

  /** The typed parameters of a checked node. */
  read(params: CheckedParams): P {
    return this.readPartial(params) as P;
  }

  private readPartial(params: CheckedParams): Partial<P> {
    const out: Record<string, unknown> = {};
    for (const [name, f] of Object.entries(this.fields)) if (Object.hasOwn(params, name)) out[name] = f.read(params[name]!);
    return out as Partial<P>;
  }

  /** Every spelling of a parameter: its name, snake_case and its older ones. */
  spellings(name: string): string[] {
    return [...new Set([name, camelToSnake(name), ...this.fields[name]!.aliases])];
  }
}

export function params<F extends Fields>(fields: F, rules: (p: Partial<ParamsOf<F>>) => string[] = () => []): ParamSchema<ParamsOf<F>> {
  return new ParamSchema(fields, rules);
}

export function snakeToCamel(s: string): string {
  return s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

export function camelToSnake(s: string): string {
  return s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function checkParam(v: unknown, type: ParamType, userCode: boolean): string | null {
  if (typeof type === "object") {
    return typeof v === "string" && type.enum.includes(v) ? null : `must be one of ${type.enum.map((e) => `"${e}"`).join(", ")}`;
  }
  switch (type) {
    case "fn":
      if (typeof v !== "string") return 'must be the source of a function, e.g. "x => x * 2", or a built-in\'s name';
      if (isBuiltin(v)) return null;
      if (!userCode) return `names no built-in function, and this cluster runs built-ins only (user code is disabled); built-ins: ${Object.keys(BUILTINS).join(", ")}`;
      return checkFunctionSource(v);
    case "int":
      return Number.isSafeInteger(v) ? null : "must be an integer";
    case "number":
      return typeof v === "number" && Number.isFinite(v) ? null : "must be a number";
    case "count":
      return Number.isSafeInteger(v) && (v as number) >= 0 ? null : "must be an integer >= 0";
    case "positive":
      return Number.isSafeInteger(v) && (v as number) >= 1 ? null : "must be an integer >= 1";
    case "string":
      return typeof v === "string" ? null : "must be a string";
    case "boolean":
      return typeof v === "boolean" ? null : "must be true or false";
    case "array":
      return Array.isArray(v) ? null : "must be an array";
    case "json":
      return null;
    case "inputPath": {
      const paths = Array.isArray(v) ? v : [v];
      if (paths.length === 0) return "must name at least one path";
      for (const p of paths) {
        if (typeof p !== "string") return "must be a path or an array of paths";
        const bad = checkRelativePath(p);
        if (bad) return bad;
      }
      return null;
    }
    case "outputPath":
      return typeof v === "string" ? checkOutputPath(v) : "must be a path";
    case "command": {
      // A command is code as much as a function is: a built-ins-only cluster runs none.
      if (!userCode) return "runs an external command, and this cluster runs built-ins only (user code is disabled)";
      if (typeof v !== "string" && !(Array.isArray(v) && v.every((w) => typeof w === "string"))) return "must be a command line or an array of its words";
      const problem = commandProblem(v);
      return problem ? `cannot run: ${problem}` : null;
    }
  }
}

function paramSchema(type: ParamType, partitionCount: boolean): JsonSchema {
  if (typeof type === "object") return { enum: [...type.enum] };
  switch (type) {
    case "fn":
      return { type: "string", description: `JavaScript source of a function expression, e.g. "x => x * 2", or a built-in: ${Object.keys(BUILTINS).join(", ")}` };
    case "int":
      return { ...SAFE_INT };
    case "number":
      return { type: "number" };
    case "count":
      return { ...SAFE_INT, minimum: 0 };
    case "positive":
      return { ...SAFE_INT, minimum: 1, ...(partitionCount ? { maximum: MAX_PARTITIONS } : {}) };
    case "string":
      return { type: "string" };
    case "boolean":
      return { type: "boolean" };
    case "array":
      return { type: "array" };
    case "json":
      return {};
    case "inputPath":
      return { description: "a path or glob relative to the data directory, or an array of them", anyOf: [{ type: "string" }, { type: "array", items: { type: "string" }, minItems: 1 }] };
    case "outputPath":
      return { type: "string", description: "a path under the outputs directory" };
    case "command":
      return { description: "a command line (split as Python's shlex.split does, no shell) or its argv", anyOf: [{ type: "string" }, { type: "array", items: { type: "string" }, minItems: 1 }] };
  }
}
