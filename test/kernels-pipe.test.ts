// Unit tests for pipe's command splitting (src/ops/kernels/shell-words.ts) and
// for running a partition through real commands (src/ops/kernels/pipe-command.ts).
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { ShellWordsError, shellWords } from "../src/ops/kernels/shell-words.js";
import { PipeError, commandProblem, pipePartition, recordText, type PipeOptions } from "../src/ops/kernels/pipe-command.js";

describe("shellWords", () => {
  it("splits as Python’s shlex.split does (cases checked against it)", () => {
    const cases: [string, string[]][] = [
      ["cat", ["cat"]],
      ["tr a-z A-Z", ["tr", "a-z", "A-Z"]],
      ["  sh   -c  'exit 3'  ", ["sh", "-c", "exit 3"]],
      ['echo "a b" c', ["echo", "a b", "c"]],
      ['echo "a\\"b"', ["echo", 'a"b']],
      ['echo "a\\nb"', ["echo", "a\\nb"]],
      ["echo a\\ b", ["echo", "a b"]],
      ["echo 'a\\b'", ["echo", "a\\b"]],
      ['echo ""', ["echo", ""]],
      ["echo ''", ["echo", ""]],
      ['a"b c"d', ["ab cd"]],
      ["x\\\\y", ["x\\y"]],
      ['echo "\\\\"', ["echo", "\\"]],
      ['grep -e "#" f # not a comment', ["grep", "-e", "#", "f", "#", "not", "a", "comment"]],
      ["a\tb\nc\rd", ["a", "b", "c", "d"]],
      ["", []],
      ["   ", []],
      ['echo "it\'s"', ["echo", "it's"]],
      ["echo 'say \"hi\"'", ["echo", 'say "hi"']],
      ["\\ x", [" x"]],
      ["a''b", ["ab"]],
      ["'' ''", ["", ""]],
      ["a\\\nb", ["a\nb"]],
    ];
    for (const [line, argv] of cases) assert.deepEqual(shellWords(line), argv, JSON.stringify(line));
  });

  it("fails with shlex's messages", () => {
    for (const [line, msg] of [
      ["a\\", "No escaped character"],
      ['echo "abc\\', "No escaped character"],
      ['echo "abc', "No closing quotation"],
      ["echo 'abc", "No closing quotation"],
    ]) {
      assert.throws(
        () => shellWords(line!),
        (e: unknown) => e instanceof ShellWordsError && e.message === msg,
        line,
      );
    }
  });
});

describe("commandProblem", () => {
  it("refuses an empty or unsplittable command", () => {
    assert.equal(commandProblem(""), "the command is empty");
    assert.equal(commandProblem([]), "the command is empty");
    assert.equal(commandProblem(["", "x"]), "the command is empty");
    assert.equal(commandProblem("sh -c 'exit"), 'the command "sh -c \'exit" cannot be split: No closing quotation');
    assert.equal(commandProblem("cat"), null);
    assert.equal(commandProblem(["sh", "-c", "cat"]), null);
  });
});

describe("recordText", () => {
  it("writes a string as itself and anything else as JSON", () => {
    assert.equal(recordText("a b"), "a b");
    assert.equal(recordText(3), "3");
    assert.equal(recordText([1, "x"]), '[1,"x"]');
    assert.equal(recordText({ a: null }), '{"a":null}');
    assert.equal(recordText(null), "null");
  });
});

describe("pipePartition", () => {
  let dir = "";
  before(() => {
    dir = fs.mkdtempSync(join(os.tmpdir(), "kernels-pipe-"));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const opts = (command: PipeOptions["command"], more: Partial<PipeOptions> = {}): PipeOptions => ({ command, env: {}, checkCode: true, dir, ...more });
  const pipe = (records: unknown[], command: PipeOptions["command"], more: Partial<PipeOptions> = {}) => [...pipePartition(records, opts(command, more))];

  it("passes records through cat (PySpark's example, an empty record included)", () => {
    assert.deepEqual(pipe(["1", "2", "", "3"], "cat"), ["1", "2", "", "3"]);
    assert.deepEqual(pipe([1, 2, 3], "cat"), ["1", "2", "3"]);
    assert.deepEqual(pipe([], "cat"), []);
  });

  it("runs argv or a split command line, with no shell", () => {
    assert.deepEqual(pipe(["hello", "World"], "tr a-z A-Z"), ["HELLO", "WORLD"]);
    assert.deepEqual(pipe(["x"], ["sh", "-c", 'while read l; do echo "<$l>"; done']), ["<x>"]);
    assert.deepEqual(pipe(["a"], 'echo $HOME "*"'), ["$HOME *"]);
  });

  it("cuts trailing newlines of a record, splits records holding newlines, keeps \\r", () => {
    assert.deepEqual(pipe(["a\n\n", "b\nc", "d\r"], "cat"), ["a", "b", "c", "d\r"]);
  });

  it("takes a last line without a newline as a record", () => {
    assert.deepEqual(pipe([], ["printf", "x\\ny"]), ["x", "y"]);
    assert.deepEqual(pipe([], ["printf", "x\\n\\n"]), ["x", ""]);
  });

  it("carries UTF-8 intact across chunk boundaries", () => {
    const records = Array.from({ length: 30_000 }, (_, i) => `é${i}🙂`);
    assert.deepEqual(pipe(records, "cat"), records);
  });

  it("streams a partition larger than one chunk each way", () => {
    const records = Array.from({ length: 200_000 }, (_, i) => i);
    const out = pipe(records, ["tr", "0-9", "a-j"]);
    assert.equal(out.length, 200_000);
    assert.equal(out[0], "a");
    assert.equal(out[199_999], "bjjjjj");
  });

  it("gives the child exactly env, and runs it in dir", () => {
    assert.deepEqual(pipe([], "env"), []);
    assert.deepEqual(pipe([], "env", { env: { A: "1", B: "x y" } }).sort(), ["A=1", "B=x y"]);
    assert.deepEqual(pipe([], "pwd"), [fs.realpathSync(dir)]);
  });

  it("fails on a non-zero exit with checkCode, naming the command, the code and the end of stderr", () => {
    assert.throws(
      () => pipe(["a"], "sh -c 'exit 3'"),
      (e: unknown) => e instanceof PipeError && e.message === "Pipe function `sh -c 'exit 3'' exited with error code 3",
    );
    assert.throws(() => pipe(["a"], ["sh", "-c", 'echo first >&2; echo "bad input" >&2; exit 2']), {
      message: 'Pipe function `sh -c echo first >&2; echo "bad input" >&2; exit 2\' exited with error code 2; its stderr ends: first\nbad input',
    });
    assert.throws(() => pipe([], ["sh", "-c", "kill -9 $$"]), { message: "Pipe function `sh -c kill -9 $$' was killed by SIGKILL" });
  });

  it("keeps only the end of a long stderr", () => {
    assert.throws(
      () => pipe([], ["sh", "-c", 'i=0; while [ $i -lt 500 ]; do echo "line $i" >&2; i=$((i+1)); done; exit 1']),
      (e: unknown) => {
        const m = (e as Error).message;
        return m.endsWith("line 499") && !m.includes("line 1\n") && m.length < 1200;
      },
    );
  });

  it("ignores the exit code without checkCode, as PySpark does by default", () => {
    assert.deepEqual(pipe(["a"], ["sh", "-c", "cat; exit 3"], { checkCode: false }), ["a"]);
  });

  it("fails when the command cannot start", () => {
    assert.throws(() => pipe(["a"], "no-such-command-here", { checkCode: false }), /^PipeError: Pipe function `no-such-command-here' could not run: spawnSync no-such-command-here ENOENT$/m);
    assert.throws(() => pipe(["a"], ""), /the command is empty/);
  });

  it("fails on output that is not UTF-8", () => {
    assert.throws(() => pipe([], ["printf", "ok\\n\\377\\n"]), { name: "PipeError", message: "Pipe function `printf ok\\n\\377\\n' wrote output that is not UTF-8" });
  });

  it("runs nothing until iterated, and leaves no file behind", () => {
    const marker = join(dir, "marker");
    const lazy = pipePartition(["a"], opts(["sh", "-c", "touch marker"]));
    assert.equal(fs.existsSync(marker), false);
    assert.deepEqual([...lazy], []);
    assert.equal(fs.existsSync(marker), true);
    fs.unlinkSync(marker);
    pipe(["x", "y"], "cat");
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  it("closes its files when the consumer stops early", () => {
    const open = () => fs.readdirSync("/proc/self/fd").length;
    const before = open();
    for (const line of pipePartition([1, 2, 3, 4], opts("cat"))) if (line === "2") break;
    assert.equal(open(), before);
  });
});
