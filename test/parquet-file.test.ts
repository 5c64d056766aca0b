// The Parquet reader in one process, on real files (a DuckDB-written sample,
// helpers/parquet-sample.ts, and corruptions of it): which split reads which
// row group, the checks on page headers and value counts, and the value rule's
// edge cases (exact decimals, integers past 2^53).
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { openInput } from "../src/storage/confined-open.js";
import { readParquetRows, type ParquetRow } from "../src/storage/parquet-file.js";
import { decimalString, integerJson } from "../src/storage/parquet-values.js";
import { SAMPLE_PARQUET_BASE64, SAMPLE_PARQUET_ROWS } from "./helpers/parquet-sample.js";

const dir = fs.mkdtempSync(join(os.tmpdir(), "minispark-parquet-"));
const sample = Buffer.from(SAMPLE_PARQUET_BASE64, "base64");

function read(bytes: Buffer, start = 0, end = bytes.length, columns: string[] | null = null): ParquetRow[] {
  const name = `f${Math.random().toString(36).slice(2)}.parquet`;
  fs.writeFileSync(join(dir, name), bytes);
  const file = openInput(dir, name);
  try {
    return [...readParquetRows(file, start, end, columns)].flat();
  } finally {
    file.close();
  }
}

/** The sample with `byte` at `at` replaced. */
function patched(at: number, byte: number): Buffer {
  const b = Buffer.from(sample);
  b[at] = byte;
  return b;
}

describe("parquet reader", () => {
  it("reads the sample; a split holds the row group only if it holds its midpoint", () => {
    assert.deepEqual(read(sample), SAMPLE_PARQUET_ROWS);
    // The one row group spans the column chunks, bytes [4, 130): its midpoint is byte 67.
    assert.deepEqual(read(sample, 0, 67), []);
    assert.deepEqual(read(sample, 67, sample.length), SAMPLE_PARQUET_ROWS);
    assert.deepEqual(read(sample, 60, 68), SAMPLE_PARQUET_ROWS);
    assert.deepEqual(read(sample, 68, sample.length), []);
  });

  it("projects columns in the order named", () => {
    assert.deepEqual(read(sample, 0, sample.length, ["score", "id"]), [
      { score: "30.5", id: 1 },
      { score: null, id: 2 },
    ]);
  });

  it("a page that runs past its column chunk fails naming the file, the column and the page", () => {
    // Column "id"'s page header at byte 4: 15 00 (type), 15 1c (uncompressed 14), 15 1c (compressed 14); 7e is 63 bytes.
    assert.equal(sample[9], 0x1c);
    assert.throws(
      () => read(patched(9, 0x7e)),
      /input "f\w+\.parquet": column "id" of row group 0 cannot be decoded .*: the page at byte 0 of the chunk declares 63 bytes, past the chunk's end \(31 bytes\)/,
    );
  });

  it("a column whose value count is not its row group's fails rather than shift the rows", () => {
    // num_values of column "id"'s page: 2 (zigzag 04) made 3 (06).
    assert.equal(sample[12], 0x04);
    assert.throws(() => read(patched(12, 0x06)), /input "f\w+\.parquet": is corrupt: column "id" has 3 values in row group 0, which declares 2 rows/);
  });

  it("decimals are exact strings at their scale; integers past 2^53 are strings", () => {
    assert.equal(decimalString(-17857n, 2), "-178.57");
    assert.equal(decimalString(-7n, 3), "-0.007");
    assert.equal(decimalString(10n, 4), "0.0010");
    assert.equal(decimalString(12n, 0), "12");
    assert.equal(decimalString(123456789012345678901234567890123456n, 10), "12345678901234567890123456.7890123456");
    assert.equal(integerJson(9007199254740991n), 9007199254740991);
    assert.equal(integerJson(-9007199254740991n), -9007199254740991);
    assert.equal(integerJson(9007199254740992n), "9007199254740992");
    assert.equal(integerJson(-9223372036854775808n), "-9223372036854775808");
  });
});
