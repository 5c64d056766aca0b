// The Parquet encoder of a save part (a PartEncoder, part-encoder.ts): records
// are buffered into a row group of at most `rows` records or about `bytes`
// estimated bytes, then encoded by hyparquet-writer's ParquetWriter, whose
// bytes go to the part's sink as they are produced (at most about a MiB held
// at once), so a part of any size takes one row group's memory. The columns
// are the save's `schema`, or inferred from the part's first row group
// (parquet-writer-types.ts says how); the footer is written at the end.
// Compression is the pages' codec, inside the file: the part is never
// compressed as a whole.
import zlib from "node:zlib";
import type { CompressionCodec } from "hyparquet";
import { ByteWriter, ParquetWriter } from "hyparquet-writer";
import { UserCodeError } from "../functions/user-function.js";
import type { ParquetColumnSpec } from "../plan/physical.js";
import type { PartEncoder, SaveAction } from "./part-encoder.js";
import type { PartSink } from "./part-sink.js";
import { CompressionError, zstdAvailable } from "./sync-codec.js";
import { columnConverter, inferColumns, ParquetRecordError, recordFields, schemaElements } from "./parquet-writer-types.js";

export type ParquetSaveAction = Extract<SaveAction, { format: "parquet" }>;

/** When a row group is written: the first bound reached. */
export interface RowGroupLimits {
  rows: number;
  /** Estimated from the records (strings by length, other scalars 8 bytes): the memory a group holds is a small multiple of it. */
  bytes: number;
}

/**
 * Spark's row group is 128 MiB of encoded data; a task here holds its row group
 * as JS values, their columns and hyparquet-writer's pages at once, so groups are
 * smaller: measured, 1M records of five columns peak at 178 MB RSS with these
 * limits, 262 MB with 100,000 rows / 32 MiB, for no gain in speed.
 */
export const ROW_GROUP_LIMITS: RowGroupLimits = { rows: 20_000, bytes: 8 * 1024 * 1024 };

/** hyparquet-writer's buffer goes to the sink once it holds this much, and after every row group. */
const FLUSH_BYTES = 1 << 20;

/** hyparquet-writer's output buffer, emptied into the part's sink. */
class SinkWriter extends ByteWriter {
  constructor(private readonly sink: PartSink) {
    super(64 * 1024);
  }

  override ensure(size: number): void {
    // Offsets in the file come from `offset` (all bytes written), so the buffer may be emptied between any two writes.
    if (this.index > FLUSH_BYTES) this.flush();
    super.ensure(size);
  }

  flush(): void {
    if (this.index === 0) return;
    this.sink.write(new Uint8Array(this.buffer, 0, this.index));
    this.index = 0;
  }

  override finish(): void {
    this.flush();
  }
}

const CODECS: Record<string, CompressionCodec> = { snappy: "SNAPPY", gzip: "GZIP", zstd: "ZSTD" };

type Compressor = (input: Uint8Array) => Uint8Array;

/** The page compressor of `compression` (hyparquet-writer has snappy built in), or why it cannot run here. */
function compressors(compression: ParquetSaveAction["compression"], what: string): Partial<Record<CompressionCodec, Compressor>> {
  if (compression === "gzip") return { GZIP: (b) => zlib.gzipSync(b) };
  if (compression === "zstd") {
    if (!zstdAvailable()) throw new CompressionError(`${what}: zstd needs Node.js 22.15 or later (its node:zlib has zstd); this worker runs Node.js ${process.versions.node}`);
    const zstd = (zlib as unknown as { zstdCompressSync: Compressor }).zstdCompressSync;
    return { ZSTD: (b) => zstd(b) };
  }
  return {};
}

/**
 * ParquetWriter's write and finish return a promise only when its Writer's
 * flush or finish does (so that an asynchronous destination can apply back
 * pressure); SinkWriter's are synchronous, so they return nothing, and a promise
 * here would mean hyparquet-writer changed: fail rather than drop its outcome.
 */
function synchronously(result: void | Promise<void>): void {
  if (result instanceof Promise) throw new Error("hyparquet-writer returned a promise from a synchronous writer; this minispark does not support its version");
}

/** A record's rough size in a row group, to bound the group's memory. */
function estimate(fields: Record<string, unknown>): number {
  let n = 0;
  for (const k in fields) {
    const v = fields[k];
    n += typeof v === "string" ? v.length + 8 : typeof v === "object" && v !== null ? JSON.stringify(v).length + 8 : 8;
  }
  return n;
}

export class ParquetEncoder implements PartEncoder {
  private columns: readonly ParquetColumnSpec[] | null;
  private writer: ParquetWriter | null = null;
  private readonly out: SinkWriter;
  private readonly compressors: Partial<Record<CompressionCodec, Compressor>>;
  private group: Record<string, unknown>[] = [];
  private groupBytes = 0;
  /** The number of the group's first record, for messages. */
  private groupFirst = 1;

  /** `what` names the part in errors, e.g. `output "sales/part-00000.parquet"`. */
  constructor(
    private readonly action: ParquetSaveAction,
    sink: PartSink,
    what: string,
    private readonly limits: RowGroupLimits = ROW_GROUP_LIMITS,
  ) {
    this.columns = action.schema;
    this.compressors = compressors(action.compression, what);
    this.out = new SinkWriter(sink);
  }

  add(rec: unknown, number: number): void {
    if (this.group.length === 0) this.groupFirst = number;
    const fields = recordFields(rec);
    this.group.push(fields);
    this.groupBytes += estimate(fields);
    if (this.group.length >= this.limits.rows || this.groupBytes >= this.limits.bytes) this.writeGroup();
  }

  end(): void {
    if (this.group.length > 0) this.writeGroup();
    // A part without records still gets a file: its schema (none, when inferred from no records) and no row groups.
    synchronously(this.parquetWriter().finish());
  }

  private parquetWriter(): ParquetWriter {
    this.writer ??= new ParquetWriter({
      writer: this.out,
      schema: schemaElements(this.columns ?? []),
      codec: this.action.compression === null ? "UNCOMPRESSED" : CODECS[this.action.compression]!,
      compressors: this.compressors,
      createdBy: "minispark (hyparquet-writer)",
    });
    return this.writer;
  }

  /** Columns of the buffered records, checked and converted, written as one row group. */
  private writeGroup(): void {
    const records = this.group;
    const first = this.groupFirst;
    this.columns ??= inferColumns(records, first);
    const columns = this.columns;
    const index = new Map(columns.map((c, i) => [c.name, i]));
    const converters = columns.map(columnConverter);
    const data = columns.map(() => new Array<unknown>(records.length));
    for (let r = 0; r < records.length; r++) {
      const rec = records[r]!;
      for (const k of Object.keys(rec)) {
        // A key the columns lack would be dropped without a word.
        if (!index.has(k)) throw new ParquetRecordError(`save as parquet: record ${first + r} has the key ${JSON.stringify(k)}, not a column of its part (${this.columnsSaid()})`);
      }
      for (let c = 0; c < columns.length; c++) {
        try {
          data[c]![r] = converters[c]!(rec[columns[c]!.name]);
        } catch (e) {
          if (e instanceof ParquetRecordError) throw new ParquetRecordError(`save as parquet: record ${first + r}: ${e.message} (${this.columnsSaid()})`);
          throw e;
        }
      }
    }
    const writer = this.parquetWriter();
    try {
      synchronously(writer.write({ columnData: columns.map((c, i) => ({ name: c.name, data: data[i]! })), rowGroupSize: records.length }));
    } catch (e) {
      if (e instanceof UserCodeError) throw e;
      throw new UserCodeError(`save as parquet: row group of records ${first} to ${first + records.length - 1} cannot be encoded: ${(e as Error).message}`);
    }
    this.out.flush();
    this.group = [];
    this.groupBytes = 0;
  }

  private columnsSaid(): string {
    const list = (this.columns ?? []).map((c) => `${c.name} ${c.type}`).join(", ");
    return this.action.schema === null ? `columns inferred from its first row group: ${list}; give "schema" to set them` : `columns of "schema": ${list}`;
  }
}
