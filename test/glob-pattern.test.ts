// The glob grammar and matcher (plan/glob-pattern.ts) and split counting:
// the matcher agrees with a regex reference on small random cases and stays
// fast on the inputs that made the old backtracking regex hang; braces expand
// in bash order and are capped before expansion; the master's path check
// refuses bad shapes; splitCount agrees with the splits actually cut.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { MAX_BRACE_ALTERNATIVES, MAX_GLOBSTARS, MAX_PATTERN_LENGTH, compileSegment, expandBraces, globShapeProblem } from "../src/plan/glob-pattern.js";
import { checkOutputPath, checkRelativePath } from "../src/plan/paths.js";
import { mulberry32 } from "../src/common/random.js";
import { MAX_SPLITS_PER_FILE, listSplits, splitCount } from "../src/storage/splits.js";

/** A reference for short inputs only: the regex the old matcher built (exponential on long ones). */
function referenceMatch(segment: string, name: string): boolean {
  let re = "";
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i]!;
    if (c === "*") re += "[\\s\\S]*";
    else if (c === "?") re += "[\\s\\S]";
    else if (c === "[") {
      let j = i + 1;
      const negated = segment[j] === "!" || segment[j] === "^";
      if (negated) j++;
      const close = segment.indexOf("]", segment[j] === "]" ? j + 1 : j);
      if (close < 0) re += "\\[";
      else {
        const members = [...segment.slice(j, close)].map((m) => (m === "-" ? m : m.replace(/[\\^$.*+?()[\]{}|/-]/g, "\\$&"))).join("");
        re += `[${negated ? "^" : ""}${members}]`;
        i = close;
      }
    } else re += c.replace(/[\\^$.*+?()[\]{}|/-]/g, "\\$&");
  }
  return new RegExp(`^${re}$`).test(name);
}

describe("segment matcher", () => {
  it("agrees with the regex reference on random short patterns and names", () => {
    const rand = mulberry32(14);
    const pick = (alphabet: string, n: number) => Array.from({ length: n }, () => alphabet[Math.floor(rand() * alphabet.length)]).join("");
    let matched = 0;
    for (let i = 0; i < 5000; i++) {
      const segment = pick("ab*?[]!-c", 1 + Math.floor(rand() * 7));
      const name = pick("abc-[]", Math.floor(rand() * 8));
      let expected: boolean;
      try {
        expected = referenceMatch(segment, name);
      } catch {
        continue; // an out-of-order range such as [b-a] was a regex syntax error before
      }
      assert.equal(compileSegment(segment)(name), expected, `${JSON.stringify(segment)} vs ${JSON.stringify(name)}`);
      if (expected) matched++;
    }
    assert.ok(matched > 100, `the random cases include matches (${matched})`);
  });

  it("matches the classic backtracking bombs in linear time", () => {
    const name = "a".repeat(20_000);
    const started = Date.now();
    assert.equal(compileSegment(`${"*a".repeat(40)}*b`)(name), false);
    assert.equal(compileSegment(`${"*a".repeat(40)}*`)(name), true);
    assert.equal(compileSegment(`${"?".repeat(100)}*[!a]`)(name), false);
    assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
  });
});

describe("brace expansion", () => {
  it("expands in bash order, nested, leaving {x} and unbalanced braces literal", () => {
    assert.deepEqual(expandBraces("{a,b}.txt"), ["a.txt", "b.txt"]);
    assert.deepEqual(expandBraces("{a.txt,dir{2,}/*}"), ["a.txt", "dir2/*", "dir/*"]);
    assert.deepEqual(expandBraces("x{1,2}{a,b}"), ["x1a", "x1b", "x2a", "x2b"]);
    assert.deepEqual(expandBraces("{x}{a,b}"), ["{x}a", "{x}b"]);
    assert.deepEqual(expandBraces("{x{a,b}}"), ["{xa}", "{xb}"]);
    assert.deepEqual(expandBraces("{{a,b}"), ["{a", "{b"]);
    assert.deepEqual(expandBraces("a,b}"), ["a,b}"]);
    assert.deepEqual(expandBraces("{,}"), ["", ""]);
  });

  it("counts alternatives before expanding and refuses past the cap, naming it", () => {
    assert.equal(expandBraces("{a,b}".repeat(10)).length, 1024);
    for (const bomb of ["{a,b}".repeat(30), "{a,b}".repeat(11), `{${"x,".repeat(5000)}y}`, "{a,{b,{c,{d,e}}}}".repeat(40)]) {
      const started = Date.now();
      assert.match(globShapeProblem(bomb) ?? "", new RegExp(`more than ${MAX_BRACE_ALTERNATIVES} brace alternatives|at most ${MAX_PATTERN_LENGTH}`));
      assert.throws(() => expandBraces(bomb), /at most/);
      assert.ok(Date.now() - started < 500);
    }
  });

  it("caps ** segments and pattern length", () => {
    assert.equal(globShapeProblem("a/**/b/**/c/**/d/**/e"), null);
    assert.match(globShapeProblem("**/**/**/**/**") ?? "", new RegExp(`5 "\\*\\*" segments; at most ${MAX_GLOBSTARS}`));
    assert.match(globShapeProblem("{**,**,**,**,**}") ?? "", /"\*\*" segments/);
    assert.equal(globShapeProblem("a**/b**"), null, "** inside a segment is a plain star pair");
    assert.match(globShapeProblem("a".repeat(MAX_PATTERN_LENGTH + 1)) ?? "", /characters long/);
  });

  it("the master's path check refuses bad shapes for inputs only, quoting a shortened path", () => {
    assert.match(checkRelativePath("{a,b}".repeat(30)) ?? "", /brace alternatives/);
    assert.ok((checkRelativePath("{a,b}".repeat(3000)) ?? "").length < 400);
    assert.equal(checkOutputPath("{a,b}".repeat(30)), null, "an output path is a literal name, not a glob");
  });
});

describe("split counting", () => {
  it("agrees with the splits cut, and refuses a file past the per-file cap before cutting", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "minispark-splitcount-"));
    try {
      const rand = mulberry32(7);
      for (let i = 0; i < 40; i++) {
        const size = Math.floor(rand() * 5000);
        const splitSize = 1 + Math.floor(rand() * 300);
        fs.writeFileSync(path.join(dir, "f.txt"), Buffer.alloc(size, 0x61));
        const cut = listSplits(dir, "f.txt", { minPartitions: 1, maxPartitionBytes: splitSize, splittable: true });
        assert.equal(size === 0 ? 1 : splitCount(size, splitSize), cut.length, `size ${size}, split ${splitSize}`);
      }
      assert.equal(splitCount(1e15, 1), 1e15);
      fs.writeFileSync(path.join(dir, "f.txt"), Buffer.alloc(MAX_SPLITS_PER_FILE + 100, 0x61));
      assert.throws(() => listSplits(dir, "f.txt", { minPartitions: 1, maxPartitionBytes: 1, splittable: true }), new RegExp(`at most ${MAX_SPLITS_PER_FILE} splits per file`));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
