// Progress bars on a terminal (cli/format.ts, cli/terminal-lines.ts): every
// line fits the width, long names are ellipsized, and a redraw fed to a small
// terminal model (wrapping, cursor up, erase below) leaves exactly the last
// frame on screen — which counting text lines instead of screen lines did not.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Writable } from "node:stream";
import type { JobInfo } from "../src/common/api-types.js";
import { ProgressPrinter, progressLines } from "../src/cli/format.js";
import { clip, displayWidth, redraw, screenLines } from "../src/cli/terminal-lines.js";

const LONG = "textFile(data/very/long/path/to/a/corpus/*.txt) → flatMap → map → reduceByKey(numPartitions=64)";

function job(name: string, stageNames: string[], succeeded = 0): JobInfo {
  return {
    id: "job-1",
    name,
    status: "RUNNING",
    progress: 12.5,
    submittedAt: "",
    startedAt: null,
    finishedAt: null,
    error: null,
    action: "collect",
    stages: stageNames.map((n, i) => ({
      id: i,
      name: n,
      status: "RUNNING",
      kind: "shuffleMap",
      parents: [],
      numTasks: 4,
      tasks: { pending: Math.max(0, 3 - succeeded), succeeded, running: 1, failed: 0 },
      attempts: succeeded + 1,
      failedAttempts: 0,
      startedAt: null,
      finishedAt: null,
      durationMs: null,
      metrics: { durationMs: 0, recordsIn: 0, recordsOut: 0, bytesRead: 0, shuffleBytesWritten: 0, shuffleBytesRead: 0, shuffleBytesFetchedRemote: 0, spillCount: 0, spillBytes: 0 },
    })),
    failedTasks: [],
    events: [],
    metrics: { durationMs: null },
    application: null,
  };
}

/** A terminal `width` columns wide: printable characters wrap at the edge; \r, \n, ESC[nA (up), ESC[J (erase below), ESC[K (erase line). */
class Terminal {
  private rows: string[][] = [[]];
  private row = 0;
  private col = 0;

  constructor(private readonly width: number) {}

  write(text: string): void {
    for (let i = 0; i < text.length; i++) {
      const ch = text[i]!;
      if (ch === "\x1b") {
        // biome-ignore lint/suspicious/noControlCharactersInRegex: it parses the terminal's escape sequences, which start with ESC
        const m = /^\x1b\[(\d*)([AJK])/.exec(text.slice(i));
        assert.ok(m, `unknown escape at ${JSON.stringify(text.slice(i, i + 8))}`);
        if (m[2] === "A") this.row = Math.max(0, this.row - Number(m[1] || 1));
        else if (m[2] === "J") this.rows = [...this.rows.slice(0, this.row), this.line().slice(0, this.col)];
        else this.rows[this.row] = this.line().slice(0, this.col);
        i += m[0].length - 1;
      } else if (ch === "\r") this.col = 0;
      else if (ch === "\n") this.moveDown();
      else {
        if (this.col === this.width) this.moveDown();
        this.line()[this.col++] = ch;
      }
    }
  }

  screen(): string[] {
    const rows = this.rows.map((r) => r.join(""));
    while (rows.length > 0 && rows[rows.length - 1] === "") rows.pop();
    return rows;
  }

  private line(): string[] {
    return (this.rows[this.row] ??= []);
  }

  private moveDown(): void {
    this.row++;
    this.col = 0;
    this.line();
  }
}

describe("progress lines fit the terminal", () => {
  for (const width of [20, 40, 80]) {
    it(`at ${width} columns every drawn line fits, a long name is ellipsized, the counts stay visible at 40 and more`, () => {
      const lines = progressLines(job(`nightly ${LONG}`, [LONG, "short"], 3), width);
      const { text } = redraw(0, lines, width);
      const drawn = text.split("\n").slice(0, -1);
      assert.equal(drawn.length, lines.length);
      for (const l of drawn) assert.ok(displayWidth(l) < width, `${JSON.stringify(l)} fits ${width}`);
      assert.ok(drawn[1]!.endsWith("…"), "the long stage name is cut with an ellipsis");
      if (width >= 40) assert.match(drawn[1]!, /3\/4 RUNNING/);
      if (width >= 80) assert.equal(drawn[2], lines[2], "a short line is left whole");
    });
  }

  it("width counts wide characters twice and combining marks not at all; clipping never splits past the width", () => {
    assert.equal(displayWidth("abc"), 3);
    assert.equal(displayWidth("日本語"), 6);
    assert.equal(displayWidth("e\u0301"), 1);
    assert.equal(clip("日本語テキスト", 7), "日本語…");
    assert.equal(displayWidth(clip("日本語テキスト", 6)), 5);
    assert.equal(clip("short", 5), "short");
    assert.equal(screenLines("x".repeat(81), 80), 2);
    assert.equal(screenLines("", 80), 1);
  });
});

describe("redrawing", () => {
  function frames(width: number): string[][] {
    return [0, 1, 2, 4].map((done) => progressLines(job(`wc ${LONG}`, [LONG, `second ${LONG}`, "third"], done), width));
  }

  for (const width of [20, 40, 80]) {
    it(`at ${width} columns the screen ends showing the last frame only`, () => {
      const term = new Terminal(width);
      term.write("$ minispark\n");
      let drawn = 0;
      const all = frames(width);
      for (const lines of all) {
        const r = redraw(drawn, lines, width);
        term.write(r.text);
        drawn = r.screenLines;
      }
      const last = all[all.length - 1]!.map((l) => clip(l, width - 1));
      assert.deepEqual(term.screen(), ["$ minispark", ...last], "the line above the bars is kept");
    });
  }

  it("counting text lines where lines wrap, as before, leaves old frames on screen", () => {
    const width = 40;
    const term = new Terminal(width);
    let drawn = 0;
    for (const lines of frames(width).map((f) => f.map((l) => l + " " + LONG))) {
      term.write(`${drawn > 0 ? `\x1b[${drawn}A\x1b[J` : ""}${lines.join("\n")}\n`);
      drawn = lines.length;
    }
    const wrapped = frames(width)[3]!.reduce((n, l) => n + screenLines(l + " " + LONG, width), 0);
    assert.ok(term.screen().length > wrapped, "the old way leaves more rows than the last frame takes");
  });

  it("ProgressPrinter uses the stream's width on a terminal and plain lines elsewhere", () => {
    const sink = (tty: boolean) => {
      const chunks: string[] = [];
      const out = new Writable({
        write: (c, _e, cb) => {
          chunks.push(String(c));
          cb();
        },
      }) as unknown as NodeJS.WriteStream;
      Object.assign(out, { isTTY: tty, columns: 30 });
      return { out, chunks };
    };
    const tty = sink(true);
    const term = new Terminal(30);
    const printer = new ProgressPrinter(tty.out);
    for (const f of [0, 2, 4]) printer.update(job(`wc ${LONG}`, [LONG, "b"], f));
    for (const c of tty.chunks) term.write(c);
    assert.deepEqual(
      term.screen(),
      progressLines(job(`wc ${LONG}`, [LONG, "b"], 4), 30).map((l) => clip(l, 29)),
    );

    const plain = sink(false);
    const p = new ProgressPrinter(plain.out);
    p.update(job("j", [LONG]));
    p.update(job("j", [LONG], 1));
    assert.deepEqual(plain.chunks, ["job-1 RUNNING 12.5%\n"]);
  });
});
