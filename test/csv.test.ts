// The CSV reader as Spark reads CSV, against strings and real files: the
// tokenizer (quotes, escape, nulls, line breaks), the record maker (header
// names, schema types, what is malformed), column types and the DDL schema, and
// a split's records and schema probe read through the worker's reader in each mode.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { CsvError, CsvScanner, dialectProblem, parseCsvLine } from "../src/common/csv.js";
import { type CsvOptions, csvScanner, headerNames, isSkippedLine, makeCsvRecordMaker } from "../src/common/csv-records.js";
import { convertField, type CsvSeen, finalType, mergeColumnTypes, parseCsvSchema, typeOfField } from "../src/common/csv-types.js";
import { csvOptions, csvProblems } from "../src/ops/csv-options.js";
import { probeCsvSplit, readCsvSplit } from "../src/worker/csv-input.js";
import { openInput } from "../src/storage/confined-open.js";
import { listSplits } from "../src/storage/splits.js";
import { UserCodeError } from "../src/functions/user-function.js";
import { runInline } from "../src/inline/inline-runner.js";

const DEFAULTS: CsvOptions = csvOptions({});
const opts = (o: Partial<CsvOptions> = {}): CsvOptions => ({ ...DEFAULTS, ...o });

/** Every record of one text under the options (the multiLine way: the whole text, record after record). */
function records(text: string, o: CsvOptions = DEFAULTS) {
  const s = csvScanner(text, o);
  const out = [];
  for (let pos = 0; pos < text.length; ) {
    const t = s.record(pos);
    out.push({ fields: t.fields, problem: t.problem });
    pos = t.next;
  }
  return out;
}
const line = (text: string, o: CsvOptions = DEFAULTS) => csvScanner(text, o).record(0);

describe("csv tokenizer", () => {
  it("cuts RFC 4180 fields, with doubled quotes still one quote", () => {
    assert.deepEqual(line('a,"b,c","say ""hi"""').fields, ["a", "b,c", 'say "hi"']);
    assert.deepEqual(line('x"y,z').fields, ['x"y', "z"], "a quote mid-field is literal");
    assert.deepEqual(line('a||b||"c||d"', opts({ delimiter: "||" })).fields, ["a", "b", "c||d"]);
    assert.deepEqual(line('"a,b",c', opts({ quote: "" })).fields, ['"a', 'b"', "c"], "empty quote disables quoting");
  });

  it("reads the escape before a quote as a quote, a doubled escape as one, and leaves other escapes alone", () => {
    assert.deepEqual(line('"a\\"b",c').fields, ['a"b', "c"]);
    assert.deepEqual(line('"ends in \\\\",x').fields, ["ends in \\", "x"]);
    assert.deepEqual(line('"C:\\temp",x').fields, ["C:\\temp", "x"]);
    assert.deepEqual(line('C:\\temp\\",x').fields, ['C:\\temp\\"', "x"], "unquoted, the escape means nothing");
    assert.deepEqual(line("'it~'s';b", opts({ delimiter: ";", quote: "'", escape: "~" })).fields, ["it's", "b"]);
    assert.deepEqual(line('"a""b"', opts({ escape: '"' })).fields, ['a"b'], "escape = quote: RFC doubling only");
  });

  it("makes a field null when it equals nullValue or is empty and unquoted (Spark's rule)", () => {
    assert.deepEqual(line('a,,"",c,').fields, ["a", null, null, "c", null], 'default nullValue "": quoted empty is null too');
    assert.deepEqual(line('NA,,"",x,"NA"', opts({ nullValue: "NA" })).fields, [null, null, "", "x", null]);
    assert.deepEqual(line("").fields, [null]);
  });

  it("says what is malformed instead of throwing: an unterminated quote, text after a closing quote", () => {
    const open = line('1,"abc');
    assert.deepEqual(open.fields, ["1"]);
    assert.match(open.problem!, /unterminated quoted field at character 3 of the record/);
    assert.match(line('"a"x,b').problem!, /unexpected text after a closing quote at character 4/);
    const escAtEnd = line('1,"abc\\"');
    assert.match(escAtEnd.problem!, /unterminated/, "an escaped quote does not close the field");
    assert.deepEqual(line("abc\\").fields, ["abc\\"], "an escape at the end of an unquoted line is itself");
  });

  it("lets quoted fields span lines in a whole text, and ends records at LF or CRLF", () => {
    assert.deepEqual(records('a,"x\r\ny"\r\nb,c\n\nd,e'), [
      { fields: ["a", "x\r\ny"], problem: null },
      { fields: ["b", "c"], problem: null },
      { fields: [null], problem: null },
      { fields: ["d", "e"], problem: null },
    ]);
    // An unterminated quote does not swallow the file: with no quote left, the next lines read as records again.
    assert.deepEqual(records('1,"open\n2,ok\n'), [
      { fields: ["1"], problem: "unterminated quoted field at character 3 of the record" },
      { fields: ["2", "ok"], problem: null },
    ]);
    const eof = records('1,"x\\');
    assert.equal(eof.length, 1);
    assert.match(eof[0]!.problem!, /unterminated/, "an escape at the end of the file inside quotes");
  });

  it("reads a million columns when maxColumns allows, and a 16 MiB field", () => {
    const million = Array.from({ length: 1_000_000 }, (_, i) => i).join(",");
    const wide = line(million, opts({ maxColumns: 1_000_000 }));
    assert.equal(wide.problem, null);
    assert.equal(wide.fields.length, 1_000_000);
    assert.equal(line(million).fields.length, 20480, "by default the record is malformed and holds no more than 20480 fields");
    assert.equal(wide.fields[999_999], "999999");
    const huge = "x".repeat(16 << 20);
    const t = line(`1,"${huge}",2`);
    assert.equal(t.fields[1]!.length, 16 << 20);
    assert.equal(t.fields[2], "2");
  });

  it("makes a record with more than maxColumns fields malformed, keeping no more than that", () => {
    const t = new CsvScanner("a,b,c,d", DEFAULTS, "", 3).record(0);
    assert.deepEqual(t, { fields: ["a", "b", "c"], problem: "it has more than 3 fields (maxColumns)", next: 7 });
    assert.equal(new CsvScanner("a,b,c", DEFAULTS, "", 3).record(0).problem, null);
    assert.equal(DEFAULTS.maxColumns, 20480, "Spark's default");
  });

  it("cuts one long multiLine text with few delimiters in linear time", () => {
    const text = "x\n".repeat(200_000);
    const started = performance.now();
    assert.equal(records(text).length, 200_000);
    assert.ok(performance.now() - started < 2000, "each search is remembered, not repeated per record");
  });

  it("keeps parse_csv's RFC behaviour and refuses bad dialects", () => {
    assert.deepEqual(parseCsvLine('a,,"b\\"', ",", '"'), ["a", "", "b\\"]);
    assert.throws(
      () => parseCsvLine('a,"bc', ",", '"'),
      (e: unknown) => e instanceof CsvError && /unterminated quoted field at character 3/.test((e as Error).message),
    );
    assert.match(dialectProblem({ delimiter: "", quote: '"', escape: "\\" })!, /delimiter must not be empty/);
    assert.match(dialectProblem({ delimiter: ",", quote: '""', escape: "\\" })!, /quote must be one character/);
    assert.match(dialectProblem({ delimiter: ",", quote: '"', escape: "" })!, /escape must be one character/);
    assert.match(dialectProblem({ delimiter: "\\", quote: '"', escape: "\\" })!, /must not contain the escape/);
  });
});

describe("csv records", () => {
  it("skips blank lines (Spark trims them) and comment lines, and only at a line's start", () => {
    assert.equal(isSkippedLine("", ""), true);
    assert.equal(isSkippedLine(" \t ", ""), true);
    assert.equal(isSkippedLine("#", "#"), true, "a line of only the comment character");
    assert.equal(isSkippedLine("# note", "#"), true);
    assert.equal(isSkippedLine(" #x", "#"), false);
    assert.equal(isSkippedLine("#x", ""), false, "comments are off by default");
  });

  it("names header columns safely like Spark", () => {
    assert.deepEqual(headerNames(["id", "x", "id", null, "Id"]), ["id0", "x", "id2", "_c3", "Id"]);
    const rec = makeCsvRecordMaker(opts({ header: true }), headerNames(["__proto__", "a"]))(["evil", "1"], null, "").record as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(rec), Object.prototype);
    assert.equal(Object.getOwnPropertyDescriptor(rec, "__proto__")?.value, "evil");
  });

  it("marks a field count other than the header's malformed, keeping what parses", () => {
    const make = makeCsvRecordMaker(opts({ header: true }), ["a", "b", "c"]);
    assert.deepEqual(make(["1", "2", "3"], null, ""), { record: { a: "1", b: "2", c: "3" }, problem: null });
    assert.deepEqual(make(["1"], null, ""), { record: { a: "1", b: null, c: null }, problem: "it has 1 fields, the header has 3" });
    assert.deepEqual(make(["1", "2", "3", "4"], null, ""), { record: { a: "1", b: "2", c: "3" }, problem: "it has 4 fields, the header has 3" });
    assert.deepEqual(make(["1"], "unterminated quoted field at character 3 of the record", "").record, { a: "1", b: null, c: null });
  });

  it("makes arrays without a header, of any length, typed by position once inferred", () => {
    const make = makeCsvRecordMaker(opts({ inferSchema: true, types: ["integer", "string", "boolean"] }), null);
    assert.deepEqual(make(["1", "x", "TRUE"], null, ""), { record: [1, "x", true], problem: null });
    assert.deepEqual(make(["2"], null, "").record, [2]);
    assert.deepEqual(make(["3", "y", "z", "extra"], null, ""), { record: [3, "y", null, "extra"], problem: 'field 3 is "z", not a boolean' });
    assert.throws(() => makeCsvRecordMaker(opts({ inferSchema: true }), null), /before its schema probe/);
  });

  it("types columns by an explicit schema, with a corrupt record column holding a malformed line", () => {
    const schema = parseCsvSchema("id INT, price DOUBLE, ok BOOLEAN, name STRING, _corrupt_record STRING, name2 STRING");
    assert.ok(Array.isArray(schema));
    const make = makeCsvRecordMaker(opts({ schema }), null);
    assert.deepEqual(make(["007", "2.5", "false", "x", "x2"], null, "007,2.5,false,x,x2"), {
      record: { id: 7, price: 2.5, ok: false, name: "x", _corrupt_record: null, name2: "x2" },
      problem: null,
    });
    const bad = make(["1.5", "2", "yes", "y", "z"], null, "1.5,2,yes,y,z");
    assert.equal(make(["1", "2", "true", "y"], null, "").problem, "it has 4 fields, the schema has 5");
    assert.deepEqual(bad.record, { id: null, price: 2, ok: null, name: "y", _corrupt_record: "1.5,2,yes,y,z", name2: "z" });
    assert.deepEqual(Object.keys(bad.record as object), ["id", "price", "ok", "name", "_corrupt_record", "name2"], "the corrupt record column where the schema has it");
    assert.equal(bad.problem, 'field 1 ("id") is "1.5", not an integer');
  });
});

describe("csv column types", () => {
  it("suggests one type per field, keeping leading-zero ids and unsafe integers strings", () => {
    const cases: Array<[string | null, string]> = [
      [null, "null"],
      ["0", "integer"],
      ["-7", "integer"],
      ["+3", "integer"],
      ["3.25", "double"],
      ["1e3", "double"],
      ["true", "boolean"],
      ["FALSE", "boolean"],
      ["007", "string"],
      ["00.5", "string"],
      ["1e999", "string"],
      ["12345678901234567890", "string"],
      [" 12", "string"],
      ["NaN", "string"],
      [".5", "string"],
      ["abc", "string"],
    ];
    for (const [field, want] of cases) assert.equal(typeOfField(field), want, JSON.stringify(field));
  });

  it("merges a column's types: integer and double make double, any other mix string, nulls nothing", () => {
    assert.deepEqual(mergeColumnTypes(["integer", "integer", "null", "boolean", "integer"], ["double", "null", "string", "boolean"]), ["double", "integer", "string", "boolean", "integer"]);
    assert.deepEqual(mergeColumnTypes(["integer"], ["boolean"]), ["string"]);
  });

  it("converts a field to its type or says it does not", () => {
    assert.equal(convertField("42", "integer"), 42);
    assert.equal(convertField("9007199254740993", "integer"), undefined, "past 2^53 a double would alter it");
    assert.equal(convertField("1e3", "double"), 1000);
    assert.equal(convertField("Infinity", "double"), undefined, "JSON has no infinities");
    assert.equal(convertField("x", "boolean"), undefined);
    assert.equal(convertField(null, "integer"), null);
  });

  it("parses Spark's DDL schema and names what is wrong", () => {
    assert.deepEqual(parseCsvSchema("a INT, `b c` string,d: BIGINT"), [
      { name: "a", type: "integer" },
      { name: "b c", type: "string" },
      { name: "d", type: "integer" },
    ]);
    assert.match(parseCsvSchema("a INT, b DECIMAL") as string, /column "b" has type DECIMAL; the types are/);
    assert.match(parseCsvSchema("a INT, a STRING") as string, /named twice/);
    assert.match(parseCsvSchema("a") as string, /is not "<name> <type>"/);
    assert.equal(parseCsvSchema(""), 'column "" is not "<name> <type>" (a name with other characters goes in backquotes)');
  });

  it("refuses bad options with what is wrong, at submit", () => {
    assert.deepEqual(csvProblems({}), []);
    assert.match(csvProblems({ escape: "ab" })[0]!, /escape must be one character/);
    assert.match(csvProblems({ comment: "//" })[0]!, /"comment" must be one character/);
    assert.match(csvProblems({ schema: "x BLOB" })[0]!, /parameter "schema" column "x" has type BLOB/);
    assert.match(csvProblems({ schema: "x INT, _corrupt_record INT" })[0]!, /must be STRING/);
  });
});

describe("csv splits read by the worker", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "minispark-csv-"));
  const where = 'node "c" (csv)';

  /** Every split's records, a file cut into splits of `bytes`; with inferSchema, typed by the probe of all splits first, as a job does. */
  function readAll(name: string, content: string, o: CsvOptions, bytes = 1 << 20) {
    fs.writeFileSync(path.join(dir, name), content);
    const splits = listSplits(dir, name, { minPartitions: 1, maxPartitionBytes: bytes, splittable: !o.multiLine });
    const withFile = <T>(split: (typeof splits)[number], f: (file: ReturnType<typeof openInput>) => T): T => {
      const file = openInput(dir, split.path);
      try {
        return f(file);
      } finally {
        file.close();
      }
    };
    const types = splits.reduce<CsvSeen[]>(
      (acc, split) =>
        mergeColumnTypes(
          acc,
          withFile(split, (file) => probeCsvSplit(o, split, file, where)),
        ),
      [],
    );
    const typed: CsvOptions = { ...o, types: o.inferSchema ? types.map(finalType) : null };
    const out = splits.flatMap((split) => withFile(split, (file) => [...readCsvSplit(typed, split, file, where, { recordsIn: 0 })].flat()));
    return { out, types };
  }

  it("drops the BOM, comments, blank lines and the header once, across many splits", () => {
    const rows = Array.from({ length: 300 }, (_, i) => `${i},"name ${i}, é",${i % 2 === 0}`);
    const text = `\uFEFF# exported\n\nid,name,even\r\n${rows.join("\r\n")}\r\n#\n`;
    for (const bytes of [64, 97, 1 << 20]) {
      const { out } = readAll("people.csv", text, opts({ header: true, comment: "#" }), bytes);
      assert.equal(out.length, 300, `splits of ${bytes} bytes`);
      assert.deepEqual(out[7], { id: "7", name: "name 7, é", even: "false" });
    }
  });

  it("an empty file, or one of only comments, has no records even with a header", () => {
    assert.deepEqual(readAll("empty.csv", "", opts({ header: true })).out, []);
    assert.deepEqual(readAll("comments.csv", "#a\n#b\n", opts({ header: true, comment: "#" })).out, []);
  });

  it("probes one type per column over the whole file: one string anywhere makes it a string column", () => {
    const rows = Array.from({ length: 200 }, (_, i) => `${i},${i / 2},${i === 150 ? "n/a" : i}`);
    // Small splits: the string in column 3 is in one split only, and still types the column everywhere.
    const { out, types } = readAll("typed.csv", `a,b,c\n${rows.join("\n")}\n`, opts({ header: true, inferSchema: true }), 100);
    assert.deepEqual(types, ["integer", "double", "string"]);
    assert.deepEqual(out[3], { a: 3, b: 1.5, c: "3" });
    assert.deepEqual(out[150], { a: 150, b: 75, c: "n/a" });
  });

  const broken = 'a,b\n1,2\n3\n"4,5\n6,7,8\n9,10\n';

  it("PERMISSIVE keeps malformed records as far as they parse", () => {
    assert.deepEqual(readAll("p.csv", broken, opts({ header: true })).out, [
      { a: "1", b: "2" },
      { a: "3", b: null },
      { a: null, b: null },
      { a: "6", b: "7" },
      { a: "9", b: "10" },
    ]);
  });

  it("DROPMALFORMED drops them, and they type no column", () => {
    const { out, types } = readAll("d.csv", `${broken}x,11,12\n`, opts({ header: true, mode: "DROPMALFORMED", inferSchema: true }));
    assert.deepEqual(out, [
      { a: 1, b: 2 },
      { a: 9, b: 10 },
    ]);
    assert.deepEqual(types, ["integer", "integer"]);
  });

  it("FAILFAST fails naming the file, the line and what is wrong, in any split", () => {
    const lines = Array.from({ length: 500 }, (_, i) => `${i},x`);
    lines[421] = '421,"open';
    for (const bytes of [128, 1 << 20]) {
      assert.throws(
        () => readAll("f.csv", `id,v\n${lines.join("\n")}\n`, opts({ header: true, mode: "FAILFAST" }), bytes),
        (e: unknown) =>
          e instanceof UserCodeError &&
          /^node "c" \(csv\): f\.csv: line 423: malformed record \(unterminated quoted field at character 5 of the record\) in FAILFAST mode: "421,\\"open"$/.test(e.message),
      );
    }
    assert.throws(() => readAll("g.csv", "a,b\n1,2\n\n#c\n3\n", opts({ header: true, mode: "FAILFAST", comment: "#" })), /g\.csv: line 5: malformed record \(it has 1 fields, the header has 2\)/);
  });

  it("multiLine reads quoted line breaks, and FAILFAST names the record's first line", () => {
    const text = 'id,note\n1,"two\nlines"\n2,"a ""quote"" and \\" escape"\n3,"never closed\n';
    const { out } = readAll("m.csv", text, opts({ header: true, multiLine: true }));
    assert.deepEqual(out, [
      { id: "1", note: "two\nlines" },
      { id: "2", note: 'a "quote" and " escape' },
      { id: "3", note: null },
    ]);
    assert.throws(() => readAll("m2.csv", text, opts({ header: true, multiLine: true, mode: "FAILFAST" })), /m2\.csv: line 5: malformed record \(unterminated/);
  });

  it("a malformed header fails in every mode, naming its line", () => {
    assert.throws(() => readAll("h.csv", '\n"a,b\n1,2\n', opts({ header: true })), /h\.csv: line 2: the header is malformed \(unterminated/);
  });
});

describe("csv in-process (runInline)", () => {
  it("runs the schema probe before the stages that read the source, so every partition has the same types", () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "minispark-csv-inline-"));
    try {
      const rows = Array.from({ length: 2000 }, (_, i) => `${i},${i === 1999 ? "1.5" : i},${i === 0 ? "zero" : i}`);
      fs.writeFileSync(path.join(dataDir, "t.csv"), `a,b,c\n${rows.join("\n")}\n`);
      const value = runInline(
        {
          nodes: [
            { id: "c", op: "csv", path: "t.csv", header: true, inferSchema: true, maxPartitionBytes: 2048 },
            { id: "k", op: "map", input: "c", fn: "r => [typeof r.a, typeof r.b, typeof r.c].join()" },
            { id: "d", op: "distinct", input: "k" },
          ],
          action: { op: "collect", input: "d" },
        },
        { dataDir },
      );
      assert.deepEqual(value, ["number,number,string"]);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
