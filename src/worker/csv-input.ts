// Reads the CSV records of one split, in the mode the source names: a malformed
// record is kept as far as it parses (PERMISSIVE), dropped (DROPMALFORMED) or
// fails the task with the file, the line and what is wrong (FAILFAST). Also runs
// inferSchema's probe: the types each column's fields suggest in one split, which
// the master merges over every split before any stage reads the source
// (plan/resolution.ts), so that a column has one type in every partition.
// Called by rdd-compute.ts (reading) and task-runner.ts (the probe).
import { previewCsv, type CsvTokens } from "../common/csv.js";
import { type CsvOptions, csvScanner, headerNames, isSkippedLine, makeCsvRecordMaker, needsHeaderNames } from "../common/csv-records.js";
import { type CsvSeen, mergeTypes, typeOfField } from "../common/csv-types.js";
import { UserCodeError } from "../functions/user-function.js";
import type { InputSplit } from "../plan/physical.js";
import type { InputFile } from "../storage/confined-open.js";
import { readLineBatches, readWholeFile } from "../storage/line-reader.js";

const BATCH = 1024;

/** One record of a split as cut, before it is shaped: `line` finds its line number (only an error needs it). */
interface CutRecord {
  tokens: CsvTokens;
  raw: string;
  line: () => number;
}

/** Where a source's messages come from: `node "sales" (csv)`. */
type Where = string;

/** The split's records, shaped under the source's options and mode. */
export function* readCsvSplit(opts: CsvOptions, split: InputSplit, file: InputFile, where: Where, metrics: { recordsIn: number }): Generator<unknown[]> {
  const input = openCsv(opts, split, file, where);
  if (!input) return;
  const make = makeCsvRecordMaker(opts, input.names);
  let out: unknown[] = [];
  for (const r of input.records) {
    const { record, problem } = make(r.tokens.fields, r.tokens.problem, r.raw);
    if (problem !== null) {
      if (opts.mode === "FAILFAST") throw malformed(where, file, r, problem);
      if (opts.mode === "DROPMALFORMED") continue;
    }
    out.push(record);
    if (out.length >= BATCH) {
      metrics.recordsIn += out.length;
      yield out;
      out = [];
    }
  }
  metrics.recordsIn += out.length;
  if (out.length > 0) yield out;
}

/**
 * The types the split's fields suggest, column by column (by position). A record
 * DROPMALFORMED would drop counts for nothing; in FAILFAST the probe fails on it,
 * before any stage reads the source.
 */
export function probeCsvSplit(opts: CsvOptions, split: InputSplit, file: InputFile, where: Where): CsvSeen[] {
  const types: CsvSeen[] = [];
  const input = openCsv(opts, split, file, where);
  if (!input) return types;
  const { names } = input;
  for (const r of input.records) {
    const { fields } = r.tokens;
    const problem = r.tokens.problem ?? (names && fields.length !== names.length ? `it has ${fields.length} fields, the header has ${names.length}` : null);
    if (problem !== null && opts.mode === "FAILFAST") throw malformed(where, file, r, problem);
    if (problem !== null && opts.mode === "DROPMALFORMED") continue;
    const width = names ? Math.min(names.length, fields.length) : fields.length;
    for (let k = 0; k < width; k++) types[k] = mergeTypes(types[k] ?? "null", typeOfField(fields[k]!));
  }
  return types;
}

/**
 * The split's records and the names its file's header gives (null without a
 * header, or with a schema); null when the file has a header to read but no line
 * that is neither blank nor a comment, so no records.
 */
function openCsv(opts: CsvOptions, split: InputSplit, file: InputFile, where: Where): { names: string[] | null; records: Iterable<CutRecord> } | null {
  if (opts.multiLine) {
    // One task reads the whole file (the listing made one split of it); other splits have nothing.
    if (split.start !== 0) return null;
    const records = cutMultiLine(opts, readWholeFile(file));
    if (!opts.header) return { names: null, records };
    const first = records.next();
    if (first.done) return null;
    return { names: needsHeaderNames(opts) ? namesOf(first.value, where, file) : null, records };
  }
  const names = needsHeaderNames(opts) ? fileHeader(opts, file, where) : null;
  if (needsHeaderNames(opts) && names === null) return null;
  return { names, records: cutLines(opts, split, file) };
}

function malformed(where: Where, file: InputFile, r: CutRecord, problem: string): UserCodeError {
  return new UserCodeError(`${where}: ${file.path}: line ${r.line()}: malformed record (${problem}) in FAILFAST mode: ${previewCsv(r.raw)}`);
}

/** The file's header names: from its first line that is neither blank nor a comment; null if it has none. */
function fileHeader(opts: CsvOptions, file: InputFile, where: Where): string[] | null {
  let lineNo = 0;
  for (const batch of readLineBatches(file, 0, Number.MAX_SAFE_INTEGER, { chunkBytes: 64 * 1024 })) {
    for (let line of batch) {
      if (lineNo++ === 0) line = line.replace(/^\uFEFF/, "");
      if (isSkippedLine(line, opts.comment)) continue;
      const at = lineNo;
      return namesOf({ tokens: csvScanner(line, opts).record(0), raw: line, line: () => at }, where, file);
    }
  }
  return null;
}

function namesOf(r: CutRecord, where: Where, file: InputFile): string[] {
  if (r.tokens.problem) throw new UserCodeError(`${where}: ${file.path}: line ${r.line()}: the header is malformed (${r.tokens.problem}): ${previewCsv(r.raw)}`);
  return headerNames(r.tokens.fields);
}

function* cutLines(opts: CsvOptions, split: InputSplit, file: InputFile): Generator<CutRecord> {
  let before: number | null = null;
  // Counted only when an error names a line: the newlines before the split's first line.
  const linesBefore = () => (before ??= split.start === 0 ? 0 : 1 + countNewlines(file, split.start - 1));
  let index = 0;
  let skipHeader = opts.header && split.start === 0;
  const scanner = csvScanner("", opts);
  for (const batch of readLineBatches(file, split.start, split.end)) {
    for (let line of batch) {
      const k = index++;
      if (k === 0 && split.start === 0) line = line.replace(/^\uFEFF/, "");
      if (isSkippedLine(line, opts.comment)) continue;
      if (skipHeader) {
        skipHeader = false;
        continue;
      }
      yield { tokens: scanner.reset(line).record(0), raw: line, line: () => linesBefore() + k + 1 };
    }
  }
}

/** A whole file's records (multiLine: a quoted field may hold line breaks). */
function* cutMultiLine(opts: CsvOptions, whole: string): Generator<CutRecord> {
  const text = whole.replace(/^\uFEFF/, "");
  const scanner = csvScanner(text, opts);
  let pos = 0;
  while (pos < text.length) {
    const lineEnd = scanner.lineAfter(pos);
    if (isSkippedLine(text.slice(pos, lineEnd), opts.comment)) {
      pos = lineEnd;
      continue;
    }
    const tokens = scanner.record(pos);
    const start = pos;
    pos = tokens.next;
    const raw = text.slice(start, tokens.next).replace(/\r?\n$/, "");
    yield { tokens, raw, line: () => 1 + countIn(text, start) };
  }
}

function countIn(text: string, end: number): number {
  let n = 0;
  for (let i = text.indexOf("\n"); i >= 0 && i < end; i = text.indexOf("\n", i + 1)) n++;
  return n;
}

/** The '\n' bytes in [0, end) of the file, read through its descriptor. */
function countNewlines(file: InputFile, end: number): number {
  const buf = Buffer.allocUnsafe(1 << 20);
  let n = 0;
  for (let pos = 0; pos < end; ) {
    const got = file.read(buf, 0, Math.min(buf.length, end - pos), pos);
    if (got === 0) break;
    for (let i = buf.indexOf(10, 0); i >= 0 && i < got; i = buf.indexOf(10, i + 1)) n++;
    pos += got;
  }
  return n;
}
