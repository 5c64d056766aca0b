// Turns a JavaScript function into the source the JobSpec ships (DESIGN.md 3.1)
// and proves, before anything is submitted, that the function needs nothing it
// cannot see on a worker. Workers rebuild a function from its source alone
// (`new Function`), so a closure over a submitter variable would fail there
// with a ReferenceError on the first record; here it fails at build time, with
// the fix spelled out. Called by dataset.ts for every user function.
import { parse, type AnyNode, type Function as FnNode, type Identifier, type Pattern, type Program, type Statement } from "acorn";

/** How a function is used, for the error messages: `map`'s `fn`, `aggregate`'s `seqOp`, … */
export interface FunctionUse {
  op: string;
  param: string;
  /** Arguments before env, e.g. 2 for reduce's `(a, b, env)`. */
  arity: number;
  /** The keys of the env the op was given. */
  envKeys: readonly string[];
}

/** Thrown (as a rejection of the action) when a function cannot be shipped to the workers: it uses a variable of the program instead of its env, or is no function expression. */
export class ClosureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ClosureError";
  }
}

/** A free variable read by a function, with its place in the source. */
export interface FreeReference {
  name: string;
  start: number;
  end: number;
  /** Read as a shorthand property, `{ name }`. */
  shorthand: boolean;
}

/**
 * Standard globals every worker thread has. Not `process`, `require` or
 * `module`: a worker's `process.env` is not the submitter's, which is exactly
 * the kind of silent difference this check exists to catch.
 */
const GLOBALS: ReadonlySet<string> = new Set([
  "globalThis",
  "undefined",
  "NaN",
  "Infinity",
  "Math",
  "JSON",
  "Number",
  "String",
  "Boolean",
  "Symbol",
  "BigInt",
  "Object",
  "Array",
  "Function",
  "Date",
  "RegExp",
  "Map",
  "Set",
  "WeakMap",
  "WeakSet",
  "WeakRef",
  "Promise",
  "Proxy",
  "Reflect",
  "Intl",
  "Error",
  "TypeError",
  "RangeError",
  "SyntaxError",
  "ReferenceError",
  "EvalError",
  "URIError",
  "AggregateError",
  "ArrayBuffer",
  "SharedArrayBuffer",
  "DataView",
  "Atomics",
  "Int8Array",
  "Uint8Array",
  "Uint8ClampedArray",
  "Int16Array",
  "Uint16Array",
  "Int32Array",
  "Uint32Array",
  "Float32Array",
  "Float64Array",
  "BigInt64Array",
  "BigUint64Array",
  "parseInt",
  "parseFloat",
  "isNaN",
  "isFinite",
  "encodeURIComponent",
  "decodeURIComponent",
  "encodeURI",
  "decodeURI",
  "escape",
  "unescape",
  "console",
  "structuredClone",
  "queueMicrotask",
  "atob",
  "btoa",
  // minispark's own: TaskContext.get().attemptNumber() and friends, as in Spark.
  "TaskContext",
  "TextEncoder",
  "TextDecoder",
  "URL",
  "URLSearchParams",
  "Buffer",
]);

const NATIVE = /\{\s*\[native code\]\s*\}\s*$/;

/** The shippable source of `fn`, checked; throws a ClosureError naming the op if it cannot be shipped. */
export function shipFunction(fn: unknown, use: FunctionUse): string {
  const what = `the ${use.param === "fn" ? "function" : use.param + " function"} passed to ${use.op}`;
  if (typeof fn !== "function") throw new ClosureError(`${what} must be a function, got ${typeof fn}`);
  const source = functionSource(fn, what);
  const node = parseFunction(source)!;
  if (node.async) throw new ClosureError(`${what} is async; workers call user functions synchronously, so return values, not promises`);
  const free = freeVariables(source);
  if (free.length > 0) throw new ClosureError(freeVariableMessage(what, source, node, free, use));
  return source;
}

/**
 * `fn.toString()` as a function expression. Method shorthand (`foo(x) { … }`,
 * which is how methods of objects and classes print) is not an expression, so
 * it is rewritten as `function foo(x) { … }`.
 */
// biome-ignore lint/complexity/noBannedTypes: any callable, as `typeof fn === "function"` narrows to; only its source is read
export function functionSource(fn: Function, what = "the function"): string {
  const src = Function.prototype.toString.call(fn);
  if (NATIVE.test(src)) {
    throw new ClosureError(`${what} is a built-in or bound function, whose source cannot be shipped; wrap it, e.g. x => Math.abs(x)`);
  }
  if (parseFunction(src)) return src;
  const method = methodAsFunction(src);
  if (method) return method;
  throw new ClosureError(`${what} cannot be shipped: its source is not a function expression (${src.slice(0, 60)}…)`);
}

/** The function node when `src` is exactly one function expression (positions relative to `src`), else null. */
function parseFunction(src: string): FnNode | null {
  const expr = parseExpression(`(${src}\n)`, 1);
  return expr && (expr.type === "ArrowFunctionExpression" || expr.type === "FunctionExpression") ? expr : null;
}

/** Parses `text` as one expression statement, shifting positions back by `offset`; null if it is not one. */
function parseExpression(text: string, offset: number): AnyNode | null {
  let program: Program;
  try {
    program = parse(text, { ecmaVersion: "latest", ranges: false });
  } catch {
    return null;
  }
  const stmt = program.body.length === 1 ? program.body[0] : undefined;
  if (stmt?.type !== "ExpressionStatement") return null;
  shift(stmt.expression, offset);
  return stmt.expression;
}

function shift(node: AnyNode, offset: number): void {
  node.start -= offset;
  node.end -= offset;
  for (const child of children(node)) shift(child, offset);
}

function methodAsFunction(src: string): string | null {
  const obj = parseExpression(`({${src}\n})`, 2);
  if (obj?.type !== "ObjectExpression" || obj.properties.length !== 1) return null;
  const prop = obj.properties[0]!;
  if (prop.type !== "Property" || !(prop.method || prop.kind !== "init") || prop.value.type !== "FunctionExpression") return null;
  const fn = prop.value;
  const head = `${fn.async ? "async " : ""}function${fn.generator ? "*" : ""}`;
  const rest = src.slice(fn.start, fn.end);
  // Keep the name so a recursive method still finds itself, unless it is not a valid binding (`default`, `"a b"`).
  const named = !prop.computed && prop.key.type === "Identifier" ? `${head} ${prop.key.name}${rest}` : null;
  if (named && parseFunction(named)) return named;
  const anonymous = `${head} ${rest}`;
  return parseFunction(anonymous) ? anonymous : null;
}

/** The variables `source` (a function expression) reads without declaring them, in source order. */
export function freeVariables(source: string): FreeReference[] {
  const fn = parseFunction(source);
  if (!fn) throw new ClosureError(`not a function expression: ${source.slice(0, 60)}`);
  const free: FreeReference[] = [];
  new ScopeWalker(free).fn(fn, new Scope(null));
  return free;
}

class Scope {
  readonly names = new Set<string>();
  constructor(readonly parent: Scope | null) {}

  resolves(name: string): boolean {
    for (let s: Scope | null = this; s; s = s.parent) if (s.names.has(name)) return true;
    return GLOBALS.has(name);
  }

  declare(pattern: Pattern | null): void {
    for (const name of bindingNames(pattern)) this.names.add(name);
  }
}

/** A single pass over a function's AST that records every identifier read outside any scope that declares it. */
class ScopeWalker {
  constructor(private readonly free: FreeReference[]) {}

  fn(node: FnNode, outer: Scope): void {
    const scope = new Scope(outer);
    if (node.type === "FunctionExpression" && node.id) scope.names.add(node.id.name);
    if (node.type !== "ArrowFunctionExpression") scope.names.add("arguments");
    for (const p of node.params) scope.declare(p);
    for (const p of node.params) this.binding(p, scope);
    if (node.body.type === "BlockStatement") {
      hoistVars(node.body, scope);
      this.statements(node.body.body, scope);
    } else this.visit(node.body, scope);
  }

  private statements(body: Statement[], scope: Scope): void {
    for (const st of body) declareLexical(st, scope);
    for (const st of body) this.visit(st, scope);
  }

  private ref(id: Identifier, scope: Scope, shorthand = false): void {
    if (!scope.resolves(id.name)) this.free.push({ name: id.name, start: id.start, end: id.end, shorthand });
  }

  visit(node: AnyNode | null | undefined, scope: Scope): void {
    if (!node) return;
    switch (node.type) {
      case "Identifier":
        return this.ref(node, scope);
      case "FunctionExpression":
      case "ArrowFunctionExpression":
      case "FunctionDeclaration":
        return this.fn(node, scope);
      case "ClassDeclaration":
      case "ClassExpression":
        return this.cls(node, scope);
      case "BlockStatement":
      case "StaticBlock":
        return this.statements(node.body, new Scope(scope));
      case "ForStatement":
      case "ForInStatement":
      case "ForOfStatement":
        return this.loop(node, scope);
      case "CatchClause": {
        const inner = new Scope(scope);
        inner.declare(node.param ?? null);
        this.binding(node.param ?? null, inner);
        return this.visit(node.body, inner);
      }
      case "VariableDeclarator":
        this.binding(node.id, scope);
        return this.visit(node.init, scope);
      case "MemberExpression":
        // In `a.b` only `a` is a variable.
        this.visit(node.object, scope);
        if (node.computed) this.visit(node.property, scope);
        return;
      case "Property":
        if (node.computed) this.visit(node.key, scope);
        if (node.shorthand && node.value.type === "Identifier") return this.ref(node.value, scope, true);
        return this.visit(node.value, scope);
      case "AssignmentExpression":
        this.target(node.left, scope);
        return this.visit(node.right, scope);
      case "UnaryExpression":
        // `typeof x` of an undeclared x is safe: it is how code probes for a global.
        if (node.operator === "typeof" && node.argument.type === "Identifier") return;
        return this.visit(node.argument, scope);
      case "LabeledStatement":
        return this.visit(node.body, scope);
      case "BreakStatement":
      case "ContinueStatement":
      case "MetaProperty":
        return;
      default:
        for (const child of children(node)) this.visit(child, scope);
    }
  }

  private cls(node: AnyNode & { type: "ClassDeclaration" | "ClassExpression" }, scope: Scope): void {
    this.visit(node.superClass, scope);
    const inner = new Scope(scope);
    if (node.id) inner.names.add(node.id.name);
    for (const member of node.body.body) {
      if (member.type === "StaticBlock") {
        this.visit(member, inner);
        continue;
      }
      if (member.computed) this.visit(member.key, inner);
      this.visit(member.value, inner);
    }
  }

  private loop(node: AnyNode & { type: "ForStatement" | "ForInStatement" | "ForOfStatement" }, scope: Scope): void {
    const inner = new Scope(scope);
    const head = node.type === "ForStatement" ? node.init : node.left;
    if (head?.type === "VariableDeclaration" && head.kind !== "var") for (const d of head.declarations) inner.declare(d.id);
    if (head && node.type !== "ForStatement" && head.type !== "VariableDeclaration") this.target(head as Pattern, inner);
    else this.visit(head, inner);
    for (const child of children(node)) if (child !== head) this.visit(child, inner);
  }

  /** The expressions inside a binding pattern: defaults and computed keys. */
  private binding(p: Pattern | null, scope: Scope): void {
    this.pattern(p, scope, () => {});
  }

  /** An assignment target: unlike a binding, its identifiers are variables that must exist. */
  private target(p: Pattern, scope: Scope): void {
    this.pattern(p, scope, (id) => this.ref(id, scope));
  }

  /** Walks a pattern: visits its defaults and computed keys, and hands each identifier to `identifier`. */
  private pattern(p: Pattern | null, scope: Scope, identifier: (id: Identifier) => void): void {
    if (!p) return;
    switch (p.type) {
      case "Identifier":
        return identifier(p);
      case "ObjectPattern":
        for (const prop of p.properties) {
          if (prop.type === "RestElement") this.pattern(prop.argument, scope, identifier);
          else {
            if (prop.computed) this.visit(prop.key, scope);
            this.pattern(prop.value, scope, identifier);
          }
        }
        return;
      case "ArrayPattern":
        for (const el of p.elements) this.pattern(el, scope, identifier);
        return;
      case "AssignmentPattern":
        this.pattern(p.left, scope, identifier);
        return this.visit(p.right, scope);
      case "RestElement":
        return this.pattern(p.argument, scope, identifier);
      case "MemberExpression":
        return this.visit(p, scope);
    }
  }
}

function bindingNames(p: Pattern | null): string[] {
  if (!p) return [];
  switch (p.type) {
    case "Identifier":
      return [p.name];
    case "ObjectPattern":
      return p.properties.flatMap((prop) => bindingNames(prop.type === "RestElement" ? prop.argument : prop.value));
    case "ArrayPattern":
      return p.elements.flatMap((el) => bindingNames(el));
    case "AssignmentPattern":
      return bindingNames(p.left);
    case "RestElement":
      return bindingNames(p.argument);
    case "MemberExpression":
      return [];
  }
}

/** let, const, class and (strict mode) function declarations belong to the block they are written in. */
function declareLexical(st: Statement, scope: Scope): void {
  if (st.type === "VariableDeclaration" && st.kind !== "var") for (const d of st.declarations) scope.declare(d.id);
  if ((st.type === "ClassDeclaration" || st.type === "FunctionDeclaration") && st.id) scope.names.add(st.id.name);
}

/** `var` belongs to the whole function, wherever in it it is written (but not to nested functions). */
function hoistVars(node: AnyNode, scope: Scope): void {
  if (node.type === "VariableDeclaration" && node.kind === "var") for (const d of node.declarations) scope.declare(d.id);
  for (const child of children(node)) {
    if (child.type !== "FunctionExpression" && child.type !== "ArrowFunctionExpression" && child.type !== "FunctionDeclaration") {
      hoistVars(child, scope);
    }
  }
}

function children(node: AnyNode): AnyNode[] {
  const out: AnyNode[] = [];
  for (const [key, value] of Object.entries(node)) {
    if (key === "type" || key === "start" || key === "end" || key === "loc") continue;
    if (Array.isArray(value)) {
      for (const v of value) if (isNode(v)) out.push(v);
    } else if (isNode(value)) out.push(value);
  }
  return out;
}

function isNode(v: unknown): v is AnyNode {
  return typeof v === "object" && v !== null && typeof (v as { type?: unknown }).type === "string";
}

// ---- the error message ----------------------------------------------------

const MAX_SUGGESTION = 160;

function freeVariableMessage(what: string, source: string, node: FnNode, free: FreeReference[], use: FunctionUse): string {
  const names = [...new Set(free.map((f) => f.name))];
  const quoted = names.map((n) => `"${n}"`);
  const list = quoted.length === 1 ? quoted[0]! : `${quoted.slice(0, -1).join(", ")} and ${quoted.at(-1)}`;
  const envName = envParamName(node, use.arity);
  const inEnv = names.filter((n) => use.envKeys.includes(n));
  const cause =
    inEnv.length === names.length
      ? `${names.length === 1 ? "it is" : "they are"} in env, so read ${names.map((n) => `${envName}.${n}`).join(", ")}`
      : `pass ${names.length === 1 ? "it" : "them"} in env`;
  let fix = rewriteWithEnv(source, node, free, use.arity, envName);
  if (fix.length > MAX_SUGGESTION) fix = `(…, ${envName}) => … ${envName}.${names[0]} …`;
  const args = use.param === "fn" ? fix : `…, ${fix}, …`;
  return `${what} uses ${list}, which it cannot see on the workers; ${cause}: .${use.op}(${args}, { env: { ${names.join(", ")} } })`;
}

function envParamName(node: FnNode, arity: number): string {
  const p = node.params[arity];
  return p?.type === "Identifier" ? p.name : "env";
}

/** `source` with each free variable read from env, and an env parameter added if it has none. */
function rewriteWithEnv(source: string, node: FnNode, free: FreeReference[], arity: number, envName: string): string {
  const edits: { start: number; end: number; text: string }[] = free.map((f) => ({
    start: f.start,
    end: f.end,
    text: f.shorthand ? `${f.name}: ${envName}.${f.name}` : `${envName}.${f.name}`,
  }));
  if (node.params.length <= arity) edits.push(paramsEdit(source, node, arity, envName));
  let out = source;
  for (const e of edits.sort((a, b) => b.start - a.start)) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}

function paramsEdit(source: string, node: FnNode, arity: number, envName: string): { start: number; end: number; text: string } {
  const names = node.params.map((p) => source.slice(p.start, p.end));
  while (names.length < arity) names.push(names.length === 0 ? "_" : `_${names.length}`);
  const list = [...names, envName].join(", ");
  const first = node.params[0];
  const last = node.params.at(-1);
  if (first && last) {
    // `x => …` has no parentheses to put a second parameter in.
    const bare = node.type === "ArrowFunctionExpression" && source[first.start - 1] !== "(" && !source.slice(node.start, first.start).includes("(");
    return bare ? { start: first.start, end: last.end, text: `(${list})` } : { start: first.start, end: last.end, text: list };
  }
  const from = node.type === "FunctionExpression" && node.id ? node.id.end : node.start;
  const open = source.indexOf("(", from);
  return { start: open + 1, end: open + 1, text: list };
}
