// Unit tests for key comparison, canonical JSON, key hashing (src/plan/keys.ts) and KeyMap (src/plan/key-map.ts).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { canonicalJson, compareKeys, compareStrings, hashKey } from "../src/plan/keys.js";
import { KeyMap } from "../src/plan/key-map.js";

/** Reference FNV-1a over UTF-16 units followed by murmur3's fmix32, written independently with BigInt. */
function referenceHash(text: string, seed: number): number {
  const M = 0xffffffffn;
  let h = BigInt(seed >>> 0);
  for (let i = 0; i < text.length; i++) {
    h ^= BigInt(text.charCodeAt(i));
    h = (h * 0x01000193n) & M;
  }
  h ^= h >> 16n;
  h = (h * 0x85ebca6bn) & M;
  h ^= h >> 13n;
  h = (h * 0xc2b2ae35n) & M;
  h ^= h >> 16n;
  return Number(h);
}

describe("compareStrings", () => {
  it("returns exactly -1, 0 or 1", () => {
    assert.equal(compareStrings("a", "a"), 0);
    assert.equal(compareStrings("a", "b"), -1);
    assert.equal(compareStrings("b", "a"), 1);
    assert.equal(compareStrings("ab", "abc"), -1);
    assert.equal(compareStrings("abc", "ab"), 1);
    assert.equal(compareStrings("", "a"), -1);
  });

  it("orders by code point, not by UTF-16 unit, around surrogates", () => {
    // U+FFFF is one unit 0xFFFF; U+1F600 starts with the surrogate 0xD83D (smaller as a unit).
    assert.equal(compareStrings("\uffff", "\u{1F600}"), -1);
    assert.equal(compareStrings("\u{1F600}", "\uffff"), 1);
    assert.equal(compareStrings("\ue000", "\u{10000}"), -1);
    assert.equal(compareStrings("\ud7ff", "\u{10000}"), -1);
    assert.equal(compareStrings("\u{10000}", "\u{10FFFF}"), -1);
    const sorted = ["b", "\u{1F600}", "a", "\uffff", "é", "Z", "", "\ue000"].sort(compareStrings);
    assert.deepEqual(sorted, ["", "Z", "a", "b", "é", "\ue000", "\uffff", "\u{1F600}"]);
  });
});

describe("compareKeys", () => {
  it("orders numbers numerically with NaN last and -0 equal to 0", () => {
    const sorted = [3, -1, 2.5, NaN, -Infinity, Infinity, 0, 10].sort(compareKeys);
    assert.deepEqual(sorted, [-Infinity, -1, 0, 2.5, 3, 10, Infinity, NaN]);
    assert.equal(compareKeys(NaN, NaN), 0);
    assert.equal(compareKeys(NaN, 1), 1);
    assert.equal(compareKeys(1, NaN), -1);
    assert.equal(compareKeys(-0, 0), 0);
    assert.equal(compareKeys(2, 10), -1);
  });

  it("ranks types null < boolean < number < string < array < object", () => {
    const sorted = [{ a: 1 }, [1], "a", 1, true, null, false, "0", [], {}].sort(compareKeys);
    // Objects compare by canonical text: '{"a":1}' < '{}' because '"' < '}'.
    assert.deepEqual(sorted, [null, false, true, 1, "0", "a", [], [1], { a: 1 }, {}]);
    assert.equal(compareKeys(undefined, null), 0);
    assert.equal(compareKeys("1", 1), 1);
    assert.equal(compareKeys(1, "1"), -1);
  });

  it("compares arrays element by element, then by length", () => {
    assert.equal(compareKeys([1, 2], [1, 3]), -1);
    assert.equal(compareKeys([1], [1, 0]), -1);
    assert.equal(compareKeys([1, 0], [1]), 1);
    assert.equal(compareKeys([2], [1, 99]), 1);
    assert.equal(compareKeys(["a", [1]], ["a", [0, 5]]), 1);
    assert.equal(compareKeys(["x", null], ["x", null]), 0);
    assert.equal(compareKeys([10, "b"], [9, "z"]), 1);
  });

  it("compares objects by canonical JSON, so key order does not matter", () => {
    assert.equal(compareKeys({ b: 1, a: 2 }, { a: 2, b: 1 }), 0);
    assert.equal(compareKeys({ a: 1 }, { a: 2 }), -1);
    assert.equal(compareKeys({ a: 1 }, { b: 0 }), -1);
  });

  it("is antisymmetric and consistent over a mixed set", () => {
    const values: unknown[] = [null, false, true, -5, 0, 7, NaN, "", "a", "\u{1F600}", [], [1], [1, "a"], { a: 1 }, { b: [2] }];
    for (const a of values) {
      for (const b of values) {
        const ab = compareKeys(a, b);
        assert.ok(ab === -1 || ab === 0 || ab === 1, `compareKeys(${String(a)}, ${String(b)}) = ${ab}`);
        assert.equal(ab, -compareKeys(b, a) || 0);
      }
    }
    // The list above is written in ascending order.
    assert.deepEqual([...values].reverse().sort(compareKeys), values);
  });
});

describe("canonicalJson", () => {
  it("sorts object keys at every depth and keeps array order", () => {
    assert.equal(canonicalJson({ b: 1, a: [{ d: 1, c: 2 }, 3] }), '{"a":[{"c":2,"d":1},3],"b":1}');
    assert.equal(canonicalJson([3, 1, 2]), "[3,1,2]");
    assert.equal(canonicalJson({}), "{}");
    assert.equal(canonicalJson([]), "[]");
  });

  it("writes primitives as JSON, undefined as null, and escapes strings", () => {
    assert.equal(canonicalJson(null), "null");
    assert.equal(canonicalJson(undefined), "null");
    assert.equal(canonicalJson(true), "true");
    assert.equal(canonicalJson(1.5), "1.5");
    assert.equal(canonicalJson('a"b\n'), '"a\\"b\\n"');
    assert.equal(canonicalJson({ 'k"': "é" }), '{"k\\"":"é"}');
  });

  it("gives equal text to equal values built in different orders", () => {
    const a = { x: { q: 1, p: [null, { z: 0, y: "v" }] }, w: true };
    const b = { w: true, x: { p: [null, { y: "v", z: 0 }], q: 1 } };
    assert.equal(canonicalJson(a), canonicalJson(b));
  });
});

describe("hashKey", () => {
  it("is FNV-1a then fmix32 of the UTF-16 units, with a seed per kind of key", () => {
    for (const s of ["", "a", "hello world", "é", "\u{1F600}", "x".repeat(300)]) {
      assert.equal(hashKey(s), referenceHash(s, 0x811c9dc5), `string ${JSON.stringify(s)}`);
    }
    for (const n of [0, 1, -1, 1.5, 1e21, NaN]) assert.equal(hashKey(n), referenceHash(String(n), 0x050c5d1f), `number ${n}`);
    for (const k of [null, true, [1, "a"], { b: 1, a: 2 }]) {
      assert.equal(hashKey(k), referenceHash(canonicalJson(k), 0x2b9f1d3a), `key ${canonicalJson(k)}`);
    }
  });

  it("has stable pinned values (every process and version must agree)", () => {
    assert.equal(PINNED.wordcount, referenceHash("wordcount", 0x811c9dc5));
    assert.deepEqual(["a", "wordcount", 1, null, [1, 2]].map(hashKey), [PINNED.a, PINNED.wordcount, PINNED.one, PINNED.null, PINNED.pair]);
  });

  it("returns unsigned 32-bit integers", () => {
    for (const k of ["a", "b", 42, -7, null, false, [1], { a: "b" }, "\u{1F600}"]) {
      const h = hashKey(k);
      assert.ok(Number.isInteger(h) && h >= 0 && h <= 0xffffffff, `hashKey(${canonicalJson(k)}) = ${h}`);
    }
  });

  it("equates equal keys and tells apart keys of different types", () => {
    assert.equal(hashKey(-0), hashKey(0));
    assert.equal(hashKey({ a: 1, b: 2 }), hashKey({ b: 2, a: 1 }));
    assert.equal(hashKey([1, [2, "x"]]), hashKey([1, [2, "x"]]));
    assert.notEqual(hashKey(1), hashKey("1"));
    assert.notEqual(hashKey(true), hashKey("true"));
    assert.notEqual(hashKey(null), hashKey("null"));
    assert.notEqual(hashKey([1]), hashKey("[1]"));
  });
});

/** Pinned outputs (also equal to referenceHash): a change here breaks shuffles between processes. */
const PINNED = { a: 444641715, wordcount: 837574589, one: 1790654188, null: 438789345, pair: 980911723 };

describe("KeyMap", () => {
  it("keys primitives by value and type", () => {
    const m = new KeyMap<string>();
    m.set(1, "one-number");
    m.set("1", "one-string");
    m.set(null, "null");
    m.set(true, "true");
    m.set(NaN, "nan");
    assert.equal(m.size, 5);
    assert.equal(m.get(1), "one-number");
    assert.equal(m.get("1"), "one-string");
    assert.equal(m.get(null), "null");
    assert.equal(m.get(true), "true");
    assert.equal(m.get(NaN), "nan");
    assert.equal(m.get(false), undefined);
    assert.equal(m.get(0), undefined);
    m.set(0, "zero");
    assert.equal(m.get(-0), "zero");
  });

  it("keys arrays and objects by canonical JSON, keeping the first key instance", () => {
    const m = new KeyMap<number>();
    const first = { a: 1, b: [2, 3] };
    m.set(first, 1);
    m.set({ b: [2, 3], a: 1 }, 2);
    m.set([1, 2], 3);
    m.set([1, 2], 4);
    assert.equal(m.size, 2);
    assert.equal(m.get({ b: [2, 3], a: 1 }), 2);
    assert.equal(m.get([1, 2]), 4);
    assert.equal(m.get([2, 1]), undefined);
    const entries = [...m.entries()];
    assert.equal(entries[0]![0], first);
    assert.deepEqual(entries, [
      [first, 2],
      [[1, 2], 4],
    ]);
  });

  it("never confuses a string with a composite key of the same text", () => {
    const m = new KeyMap<string>();
    m.set("[1,2]", "string");
    m.set([1, 2], "array");
    m.set("{}", "string-obj");
    m.set({}, "object");
    assert.equal(m.size, 4);
    assert.equal(m.get("[1,2]"), "string");
    assert.equal(m.get([1, 2]), "array");
    assert.equal(m.get("{}"), "string-obj");
    assert.equal(m.get({}), "object");
  });

  it("lists primitives in insertion order, then composites in insertion order", () => {
    const m = new KeyMap<number>();
    m.set(["z"], 1);
    m.set("b", 2);
    m.set({ k: 1 }, 3);
    m.set("a", 4);
    m.set("b", 5);
    assert.deepEqual(
      [...m.entries()],
      [
        ["b", 5],
        ["a", 4],
        [["z"], 1],
        [{ k: 1 }, 3],
      ],
    );
  });

  it("clear empties both maps", () => {
    const m = new KeyMap<number>();
    m.set("a", 1);
    m.set([1], 2);
    m.clear();
    assert.equal(m.size, 0);
    assert.equal(m.get("a"), undefined);
    assert.equal(m.get([1]), undefined);
    assert.deepEqual([...m.entries()], []);
  });
});
