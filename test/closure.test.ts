// Free-variable detection and function shipping (src/client/closure.ts): which
// identifiers a user function reads that a worker could not resolve, the
// rewriting of method shorthand, and the error a closure over a local gets.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ClosureError, freeVariables, functionSource, shipFunction } from "../src/client/closure.js";

const free = (src: string) => freeVariables(src).map((f) => f.name);
const use = { op: "map", param: "fn", arity: 1, envKeys: [] };

describe("freeVariables", () => {
  it("does not count parameters, including destructured, defaulted and rest ones", () => {
    assert.deepEqual(free("(x, [a, { b, c: d }], e = a + k, ...rest) => x + a + b + d + e + rest.length"), ["k"]);
    assert.deepEqual(free("({ [key]: v }) => v"), ["key"]);
  });

  it("sees declarations in the body, hoisted vars and nested functions", () => {
    assert.deepEqual(free("function (x) { const y = x * 2; let z; z = y; return z + w + helper(); function helper() { return v; } }"), ["w", "v"]);
    assert.deepEqual(free("x => { if (x) { var hoisted = 1; } return hoisted; }"), []);
    assert.deepEqual(free("function f(n) { return n <= 1 ? 1 : n * f(n - 1); }"), []);
    assert.deepEqual(free("x => ((inner) => inner + x + outer)(1)"), ["outer"]);
  });

  it("respects block scopes", () => {
    assert.deepEqual(free("x => { { const a = 1; } return a; }"), ["a"]);
    assert.deepEqual(free("xs => { for (const x of xs) {} for (let i = 0; i < 3; i++) {} return [x, i]; }"), ["x", "i"]);
    assert.deepEqual(free("x => { try { return x(); } catch (err) { return err; } finally { cleanup(); } }"), ["cleanup"]);
    assert.deepEqual(free("xs => { for (const [k, v] of xs) { total += k + v; } }"), ["total"]);
  });

  it("allows the standard globals but not process or require", () => {
    assert.deepEqual(free("x => Math.max(JSON.parse(x).n, Number.MAX_SAFE_INTEGER, parseInt('1'), new Map().size, Infinity, undefined)"), []);
    assert.deepEqual(free("x => new Date(x).toISOString() + String(NaN) + Object.keys({}) + globalThis.toString()"), []);
    assert.deepEqual(free("x => process.env.HOME + require('fs')"), ["process", "require"]);
  });

  it("counts only the object of a member access, and computed properties", () => {
    assert.deepEqual(free("x => x.a.b + config.limit + x[index] + x?.y?.z"), ["config", "index"]);
  });

  it("counts shorthand properties, not property names", () => {
    const refs = freeVariables("x => ({ x, threshold, other: 1, [k]: 2 })");
    assert.deepEqual(
      refs.map((r) => [r.name, r.shorthand]),
      [
        ["threshold", true],
        ["k", false],
      ],
    );
  });

  it("handles class bodies", () => {
    const src = "x => { class Acc extends Base { total = start; static s = 1; add(v) { this.total += v; return Acc.s; } } return new Acc().add(x); }";
    assert.deepEqual(free(src), ["Base", "start"]);
  });

  it("ignores labels, typeof probes and arguments of functions", () => {
    assert.deepEqual(free("xs => { outer: for (const x of xs) { for (;;) { if (x) break outer; continue outer; } } }"), []);
    assert.deepEqual(free("x => typeof window === 'undefined' ? x : window"), ["window"]);
    assert.deepEqual(free("function () { return arguments.length; }"), []);
    assert.deepEqual(free("() => arguments.length"), ["arguments"]);
  });

  it("counts assignments to undeclared variables", () => {
    assert.deepEqual(free("x => { counter++; seen = x; [a, b] = x; }"), ["counter", "seen", "a", "b"]);
  });
});

describe("functionSource", () => {
  // biome-ignore format: the functions' source text, as written here, is what the test checks
  it("keeps arrow functions and function expressions as they are", () => {
    assert.equal(functionSource((x: number) => x * 2), "(x) => x * 2");
    assert.equal(functionSource(function double(x: number) { return x * 2; }), "function double(x) { return x * 2; }");
  });

  // biome-ignore format: the functions' source text, as written here, is what the test checks
  it("rewrites method shorthand as a function expression", () => {
    const obj = { triple(x: number) { return x * 3; }, *gen(xs: number[]) { yield* xs; }, default(x: number) { return x; } };
    assert.equal(functionSource(obj.triple), "function triple(x) { return x * 3; }");
    assert.equal(functionSource(obj.gen), "function* gen(xs) { yield* xs; }");
    assert.equal(functionSource(obj.default), "function (x) { return x; }");
    // biome-ignore lint/complexity/noStaticOnlyClass: the test is how a static method's source prints
    class Rules {
      static keep(x: number) { return x > 0; }
    }
    assert.equal(functionSource(Rules.keep), "function keep(x) { return x > 0; }");
  });

  it("refuses built-in and bound functions", () => {
    assert.throws(() => functionSource(Math.abs), /built-in or bound function/);
    assert.throws(() => functionSource(((x: number) => x).bind(null)), /built-in or bound function/);
  });
});

describe("shipFunction", () => {
  it("returns the source of a self-contained function", () => {
    assert.equal(
      shipFunction((x: number, env: { k: number }) => x * env.k, use),
      "(x, env) => x * env.k",
    );
  });

  it("explains how to pass a captured variable in env", () => {
    const threshold = 3;
    assert.throws(
      () => shipFunction((x: number) => x > threshold, { ...use, op: "filter" }),
      (e: Error) => {
        assert.ok(e instanceof ClosureError);
        assert.equal(e.message, 'the function passed to filter uses "threshold", which it cannot see on the workers; pass it in env: .filter((x, env) => x > env.threshold, { env: { threshold } })');
        return true;
      },
    );
  });

  it("names every captured variable, and rewrites shorthand and bare parameters", () => {
    const lo = 1;
    const hi = 2;
    assert.throws(() => shipFunction((x: number) => ({ x, lo, hi }), use), {
      message: 'the function passed to map uses "lo" and "hi", which it cannot see on the workers; pass them in env: .map((x, env) => ({ x, lo: env.lo, hi: env.hi }), { env: { lo, hi } })',
    });
    const k = 2;
    // Compiled by tsc, `x => x * k` keeps its bare parameter.
    assert.throws(() => shipFunction(new Function("k", "return x => x * k")(k), use), /\.map\(\(x, env\) => x \* env\.k, \{ env: \{ k \} \}\)/);
  });

  it("says so when the variable is in env but read directly", () => {
    const k = 2;
    assert.throws(() => shipFunction((a: number, b: number, e: { k: number }) => a + b + k + e.k, { op: "reduce", param: "fn", arity: 2, envKeys: ["k"] }), {
      message: 'the function passed to reduce uses "k", which it cannot see on the workers; it is in env, so read e.k: .reduce((a, b, e) => a + b + e.k + e.k, { env: { k } })',
    });
  });

  it("names the parameter of multi-function ops", () => {
    const bonus = 1;
    assert.throws(() => shipFunction((acc: number, x: number) => acc + x + bonus, { op: "aggregate", param: "seqOp", arity: 2, envKeys: [] }), {
      message: 'the seqOp function passed to aggregate uses "bonus", which it cannot see on the workers; pass it in env: .aggregate(…, (acc, x, env) => acc + x + env.bonus, …, { env: { bonus } })',
    });
  });

  it("refuses async functions and non-functions", () => {
    assert.throws(() => shipFunction(async (x: number) => x, use), /is async/);
    assert.throws(() => shipFunction("x => x", use), /must be a function, got string/);
  });
});
