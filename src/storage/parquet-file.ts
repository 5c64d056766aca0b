// Owns reading the rows of a Parquet split, synchronously (task threads are
// synchronous, task-thread.ts): the footer and the row groups the split owns
// (parquet-footer.ts), each selected column chunk read whole through the
// confined descriptor and decoded page by page with hyparquet's synchronous
// decoder (hyparquet/src/column.js; its public read API is promise-based, but
// its page decoding is plain functions over an in-memory buffer), nested
// columns assembled with hyparquet's assembleNested, and values mapped to JSON
// by parquet-values.ts. Rows are objects keyed by column name, in the
// file's column order, or in the order `columns` names them.
//
// Bounded against hostile files: every page header is checked before any page
// is decoded — a page must lie inside its chunk, declare at most
// MAX_PAGE_BYTES uncompressed and MAX_PAGE_VALUES values — and the codecs
// write into at most the declared size, so a 1 KiB file cannot make a task
// allocate gigabytes. Any decoding failure fails the task naming the file.
import zlib from "node:zlib";
import type { Compressors, DecodedArray, FileMetaData, ParquetParsers, SchemaElement, SchemaTree } from "hyparquet";
import { parquetSchema, snappyUncompress } from "hyparquet";
import { assembleNested } from "hyparquet/src/assemble.js";
import { parquetHeader, readColumn } from "hyparquet/src/column.js";
import type { ColumnDecoder } from "hyparquet/src/types.js";
import { DEFAULT_PARSERS } from "hyparquet/src/convert.js";
import { getSchemaPath } from "hyparquet/src/schema.js";
import { leafConverter, ParquetValueError } from "./parquet-values.js";
import type { Json } from "../plan/keys.js";
import type { InputFile } from "./confined-open.js";
import { chunkRange, ownedRowGroups, ParquetFileError, readExactly, readFooter, rowGroupLayouts, type RowGroupLayout } from "./parquet-footer.js";

/** Largest uncompressed page: real writers use about 1 MiB (the same bound as a text line, line-reader.ts). */
export const MAX_PAGE_BYTES = 64 * 1024 * 1024;
/** Most values one page may declare (parquet-mr's pages hold 20,000 rows; DuckDB's about 100,000). */
export const MAX_PAGE_VALUES = 1 << 24;
/** Largest column chunk read into memory at once. */
export const MAX_CHUNK_BYTES = 1024 * 1024 * 1024;

const BATCH = 1024;

/** One row of a Parquet file: column name to JSON value. */
export type ParquetRow = Record<string, Json>;

/** The rows of the row groups whose midpoint lies in [start, end), in batches; `columns` null reads every column. */
export function* readParquetRows(file: InputFile, start: number, end: number, columns: readonly string[] | null): Generator<ParquetRow[]> {
  // An empty file holds no rows, as an empty text file holds no lines; anything else must be Parquet.
  if (file.size === 0 || start >= end) return;
  const footer = readFooter(file);
  const layouts = rowGroupLayouts(file, footer);
  const owned = ownedRowGroups(layouts, start, end);
  if (owned.length === 0) return;
  const schema = schemaOf(file, footer.metadata);
  const selected = selectColumns(file, schema, columns);
  for (const group of owned) yield* groupRows(file, footer.metadata, footer.dataEnd, selected, group);
}

function schemaOf(file: InputFile, metadata: FileMetaData): SchemaTree {
  try {
    return parquetSchema(metadata);
  } catch (e) {
    throw new ParquetFileError(file, `is corrupt: its schema cannot be read (${(e as Error).message})`);
  }
}

/** The top-level columns to read, in output order; a name the file lacks fails, naming the file's columns. */
function selectColumns(file: InputFile, schema: SchemaTree, columns: readonly string[] | null): SchemaTree[] {
  // Rows with no columns would come only from the declared row counts, which nothing checks: refused.
  if (schema.children.length === 0) throw new ParquetFileError(file, "has no columns");
  if (columns === null) return schema.children;
  return columns.map((name) => {
    const child = schema.children.find((c) => c.element.name === name);
    if (!child) {
      const names = schema.children.map((c) => JSON.stringify(c.element.name)).join(", ");
      throw new ParquetFileError(file, `has no column "${name}" (its columns: ${names})`);
    }
    return child;
  });
}

function* groupRows(file: InputFile, metadata: FileMetaData, dataEnd: number, selected: SchemaTree[], group: RowGroupLayout): Generator<ParquetRow[]> {
  const values = selected.map((col) => columnValues(file, metadata, dataEnd, col, group));
  const names = selected.map((c) => c.element.name);
  for (let i = 0; i < group.rows; i += BATCH) {
    const batch: ParquetRow[] = [];
    for (let r = i; r < Math.min(group.rows, i + BATCH); r++) {
      const row: ParquetRow = {};
      for (let c = 0; c < names.length; c++) {
        // A column a file names "__proto__" is a key like any other, not the row's prototype.
        if (names[c] === "__proto__") Object.defineProperty(row, "__proto__", { value: values[c]![r], enumerable: true, writable: true, configurable: true });
        else row[names[c]!] = values[c]![r] as Json;
      }
      batch.push(row);
    }
    yield batch;
  }
}

/** One top-level column of a row group as JSON values, one per row: a leaf decoded, or a group's leaves assembled. */
function columnValues(file: InputFile, metadata: FileMetaData, dataEnd: number, col: SchemaTree, group: RowGroupLayout): DecodedArray {
  const g = metadata.row_groups[group.index]!;
  const leaves = new Map<string, DecodedArray>();
  for (let c = 0; c < g.columns.length; c++) {
    const path = g.columns[c]!.meta_data!.path_in_schema;
    if (path[0] !== col.element.name) continue;
    leaves.set(path.join("."), leafValues(file, metadata, dataEnd, group, c));
  }
  const name = col.element.name;
  if (leaves.size === 0) throw new ParquetFileError(file, `is corrupt: row group ${group.index} has no column chunk for column "${name}"`);
  let out: DecodedArray | undefined;
  try {
    if (col.children.length > 0) assembleNested(leaves, col, DEFAULT_PARSERS);
    out = leaves.get(name);
  } catch (e) {
    throw new ParquetFileError(file, `column "${name}" of row group ${group.index} cannot be assembled (${(e as Error).message})`);
  }
  if (!out) throw new ParquetFileError(file, `column "${name}" of row group ${group.index} cannot be assembled (its nested layout is not one this reader knows)`);
  if (out.length !== group.rows) throw new ParquetFileError(file, `is corrupt: column "${name}" has ${out.length} values in row group ${group.index}, which declares ${group.rows} rows`);
  return out;
}

/** A leaf column chunk's values, converted to JSON (repeated leaves as nested arrays, for assembly). */
function leafValues(file: InputFile, metadata: FileMetaData, dataEnd: number, group: RowGroupLayout, column: number): DecodedArray {
  const g = metadata.row_groups[group.index]!;
  const meta = g.columns[column]!.meta_data!;
  const where = `column "${meta.path_in_schema.join(".")}" of row group ${group.index}`;
  const { start, end } = chunkRange(file, g, group.index, column, dataEnd);
  if (end - start > MAX_CHUNK_BYTES) throw new ParquetFileError(file, `${where} is ${end - start} bytes, more than the ${MAX_CHUNK_BYTES} one column chunk may be here`);
  const bytes = readExactly(file, start, end - start, where);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const schemaPath = getSchemaPath(metadata.schema, meta.path_in_schema);
  const element = schemaPath[schemaPath.length - 1]!.element;
  try {
    checkPages(view);
    const decoder: ColumnDecoder = {
      pathInSchema: meta.path_in_schema,
      type: meta.type,
      element: physicalOnly(element),
      schemaPath,
      codec: meta.codec,
      parsers: RAW_PARSERS,
      compressors: COMPRESSORS,
      utf8: false,
    };
    const { data } = readColumn({ view, offset: 0 }, { groupStart: 0, selectStart: 0, selectEnd: group.rows, groupRows: group.rows }, decoder);
    const convert = leafConverter(element);
    const out: Json[] = [];
    for (const chunk of data) for (let i = 0; i < chunk.length; i++) out.push(convert(chunk[i]));
    return out;
  } catch (e) {
    if (e instanceof ParquetFileError) throw e;
    const what = e instanceof ParquetValueError ? "has a value this reader cannot map to JSON" : "cannot be decoded (the file is corrupt or uses a feature this reader lacks)";
    throw new ParquetFileError(file, `${where} ${what}: ${(e as Error).message}`);
  }
}

/** The element without its logical and converted types, so hyparquet's decoder leaves values as stored and parquet-values.ts maps them. */
function physicalOnly(e: SchemaElement): SchemaElement {
  const { converted_type: _c, logical_type: _l, ...rest } = e;
  return rest;
}

/** Parsers hyparquet calls for INT96 even without a converted type: keep the nanoseconds, parquet-values.ts renders them. */
const RAW_PARSERS: ParquetParsers = { ...DEFAULT_PARSERS, timestampFromNanoseconds: (nanos: bigint) => nanos };

/** Every page header of the chunk, checked before any page is decoded or decompressed. */
function checkPages(view: DataView): void {
  const reader = { view, offset: 0 };
  while (reader.offset < view.byteLength - 1) {
    const at = reader.offset;
    const h = parquetHeader(reader);
    const compressed = h.compressed_page_size;
    const uncompressed = h.uncompressed_page_size;
    if (!(Number.isSafeInteger(compressed) && compressed >= 0 && reader.offset + compressed <= view.byteLength)) {
      throw new Error(`the page at byte ${at} of the chunk declares ${compressed} bytes, past the chunk's end (${view.byteLength} bytes)`);
    }
    if (!(Number.isSafeInteger(uncompressed) && uncompressed >= 0 && uncompressed <= MAX_PAGE_BYTES)) {
      throw new Error(`the page at byte ${at} of the chunk declares ${uncompressed} bytes uncompressed; at most ${MAX_PAGE_BYTES} are allowed`);
    }
    const n = h.data_page_header?.num_values ?? h.data_page_header_v2?.num_values ?? h.dictionary_page_header?.num_values ?? 0;
    if (!(Number.isSafeInteger(n) && n >= 0 && n <= MAX_PAGE_VALUES)) {
      throw new Error(`the page at byte ${at} of the chunk declares ${n} values; at most ${MAX_PAGE_VALUES} are allowed`);
    }
    reader.offset += compressed;
  }
}

/** Decompressors writing at most the page's declared (and checked) size. */
const COMPRESSORS: Compressors = {
  SNAPPY: (input, length) => {
    const out = new Uint8Array(length);
    snappyUncompress(input, out);
    return out;
  },
  GZIP: (input, length) => zlib.gunzipSync(input, { maxOutputLength: Math.max(1, length) }),
  BROTLI: (input, length) => zlib.brotliDecompressSync(input, { maxOutputLength: Math.max(1, length) }),
  ZSTD: (input, length) => zstdDecompress(input, length),
};

function zstdDecompress(input: Uint8Array, length: number): Uint8Array {
  const zstd = (zlib as { zstdDecompressSync?: (b: Uint8Array, o: { maxOutputLength: number }) => Buffer }).zstdDecompressSync;
  if (!zstd) throw new Error(`ZSTD-compressed pages need Node 22.15 or later (this is Node ${process.versions.node})`);
  return zstd(input, { maxOutputLength: Math.max(1, length) });
}
