// Owns a Parquet file's footer and layout: reading the footer through the
// confined descriptor (bounded: a declared length past the file or past
// MAX_FOOTER_BYTES is refused before anything is allocated), checking that
// every column chunk lies inside the file's data region, and choosing which row
// groups a byte-range split owns. Called by the reader (parquet-file.ts).
//
// Splits are byte ranges cut as for any splittable file (splits.ts); a row
// group belongs to the split holding its midpoint, Spark's (parquet-mr's)
// rule. The listing stays format-blind (no footer read on the planning path),
// and since the splits tile [0, size) and every row group's midpoint is
// checked to lie inside the file, each row group has exactly one owner: every
// row is read once whatever the split size. Each task reads the footer and
// checks all row groups, so a corrupt layout fails every split, not just one.
import { parquetMetadata, type FileMetaData, type RowGroup } from "hyparquet";
import type { InputFile } from "./confined-open.js";
import { UserCodeError } from "../functions/user-function.js";

/** The largest footer read: far past real files' (kilobytes to a few megabytes), far below a task's memory. */
export const MAX_FOOTER_BYTES = 64 * 1024 * 1024;
const MAGIC = 0x31524150; // "PAR1", little-endian
/** Leading magic, and the trailing footer length and magic. */
const HEAD_BYTES = 4;
const TAIL_BYTES = 8;

/** A Parquet input that cannot be read as one; names the file and what is wrong. */
export class ParquetFileError extends UserCodeError {
  constructor(file: InputFile, problem: string) {
    super(`input "${file.path}": ${problem}`);
    this.name = "ParquetFileError";
  }
}

/** A row group's place in the file: its column chunks span [start, end). */
export interface RowGroupLayout {
  index: number;
  rows: number;
  start: number;
  end: number;
}

/** The parsed footer, with the file's data region end (where the footer starts). */
export interface ParquetFooter {
  metadata: FileMetaData;
  dataEnd: number;
}

/** Reads and parses the footer; `file.size` bounds every length it declares. */
export function readFooter(file: InputFile): ParquetFooter {
  const size = file.size;
  if (size < HEAD_BYTES + TAIL_BYTES) throw new ParquetFileError(file, `is not a Parquet file (${size} bytes, shorter than the 12 a Parquet file's magic and footer length take)`);
  const tail = readExactly(file, size - TAIL_BYTES, TAIL_BYTES, "the footer length");
  const head = readExactly(file, 0, HEAD_BYTES, "the leading magic");
  if (head.readUInt32LE(0) !== MAGIC || tail.readUInt32LE(4) !== MAGIC) {
    throw new ParquetFileError(file, 'is not a Parquet file (it does not begin and end with the magic bytes "PAR1")');
  }
  const footerLength = tail.readUInt32LE(0);
  const room = size - HEAD_BYTES - TAIL_BYTES;
  if (footerLength > room) throw new ParquetFileError(file, `is corrupt: its footer length is ${footerLength} bytes, but the file has only ${room} bytes between its magic numbers`);
  if (footerLength > MAX_FOOTER_BYTES) throw new ParquetFileError(file, `has a footer of ${footerLength} bytes, more than the ${MAX_FOOTER_BYTES} this reader reads`);
  const dataEnd = size - TAIL_BYTES - footerLength;
  const footer = readExactly(file, dataEnd, footerLength + TAIL_BYTES, "the footer");
  let metadata: FileMetaData;
  try {
    metadata = parquetMetadata(new Uint8Array(footer.buffer, footer.byteOffset, footer.length));
  } catch (e) {
    throw new ParquetFileError(file, `is corrupt: its footer cannot be parsed (${(e as Error).message})`);
  }
  if (!Array.isArray(metadata.row_groups) || !Array.isArray(metadata.schema) || metadata.schema.length === 0) {
    throw new ParquetFileError(file, "is corrupt: its footer has no schema or no row group list");
  }
  return { metadata, dataEnd };
}

/** Every row group's layout, each checked to lie in the data region [4, dataEnd). */
export function rowGroupLayouts(file: InputFile, footer: ParquetFooter): RowGroupLayout[] {
  return footer.metadata.row_groups.map((g, index) => layoutOf(file, g, index, footer.dataEnd));
}

/** The row groups whose midpoint lies in [start, end). */
export function ownedRowGroups(layouts: RowGroupLayout[], start: number, end: number): RowGroupLayout[] {
  return layouts.filter((g) => {
    const mid = g.start + Math.floor((g.end - g.start) / 2);
    return start <= mid && mid < end;
  });
}

/** Where a column chunk's bytes lie: from its dictionary page (if any) through its data pages. */
export function chunkRange(file: InputFile, g: RowGroup, group: number, column: number, dataEnd: number): { start: number; end: number } {
  const meta = g.columns[column]?.meta_data;
  if (!meta) throw new ParquetFileError(file, `is corrupt: column chunk ${column} of row group ${group} has no metadata`);
  const data = Number(meta.data_page_offset);
  const dict = meta.dictionary_page_offset === undefined ? 0 : Number(meta.dictionary_page_offset);
  // Some writers put 0 for "no dictionary page"; a dictionary page always precedes the data pages.
  const start = dict > 0 && dict < data ? dict : data;
  const end = start + Number(meta.total_compressed_size);
  if (!(Number.isSafeInteger(start) && Number.isSafeInteger(end) && HEAD_BYTES <= start && start < end && end <= dataEnd)) {
    throw new ParquetFileError(
      file,
      `is corrupt: column chunk "${meta.path_in_schema?.join(".")}" of row group ${group} claims bytes [${start}, ${end}), outside the file's data (bytes [4, ${dataEnd})); the file may be truncated`,
    );
  }
  return { start, end };
}

function layoutOf(file: InputFile, g: RowGroup, index: number, dataEnd: number): RowGroupLayout {
  const rows = Number(g.num_rows);
  if (!Number.isSafeInteger(rows) || rows < 0) throw new ParquetFileError(file, `is corrupt: row group ${index} declares ${String(g.num_rows)} rows`);
  if (!Array.isArray(g.columns) || g.columns.length === 0) throw new ParquetFileError(file, `is corrupt: row group ${index} has no column chunks`);
  let start = Number.POSITIVE_INFINITY;
  let end = 0;
  for (let c = 0; c < g.columns.length; c++) {
    const r = chunkRange(file, g, index, c, dataEnd);
    start = Math.min(start, r.start);
    end = Math.max(end, r.end);
  }
  return { index, rows, start, end };
}

/** `length` bytes from `pos`, or a truncation error saying what was being read. */
export function readExactly(file: InputFile, pos: number, length: number, what: string): Buffer {
  const buf = Buffer.allocUnsafeSlow(length);
  let got = 0;
  while (got < length) {
    const n = file.read(buf, got, length - got, pos + got);
    if (n === 0) throw new ParquetFileError(file, `is truncated: ${what} (bytes [${pos}, ${pos + length})) runs past the end of the file, now ${pos + got} bytes`);
    got += n;
  }
  return buf;
}
