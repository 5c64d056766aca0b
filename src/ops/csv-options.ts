// The csv source's parameters as Spark names them, their defaults, the rules
// between them that the types alone do not say (checked at submit, so a bad
// option is a 400 naming it, not a failed task) and the CsvOptions a plan
// carries. Used by file-sources.ts.
import { dialectProblem } from "../common/csv.js";
import type { CsvMode, CsvOptions } from "../common/csv-records.js";
import { parseCsvSchema } from "../common/csv-types.js";

export const CSV_MODES = ["PERMISSIVE", "DROPMALFORMED", "FAILFAST"] as const satisfies readonly CsvMode[];

/** The csv source's own parameters, as checked (and, with the file options, the library's CsvOptions). */
export interface CsvParams {
  /** The first line names the columns; records are then objects instead of arrays. */
  header?: boolean;
  /** The field separator (default ","). */
  delimiter?: string;
  /** The quote character (default '"'; "" for none). */
  quote?: string;
  /** Before a quote inside a quoted field, a literal quote (default "\\", as Spark); a doubled quote is one too. */
  escape?: string;
  /** Lines starting with this character are skipped (default: none). */
  comment?: string;
  /** A field equal to it is null (default "": empty fields are null, as in Spark). */
  nullValue?: string;
  /** What a malformed record becomes: kept as far as it parses (PERMISSIVE, the default), dropped, or the job fails naming its file and line. */
  mode?: "PERMISSIVE" | "DROPMALFORMED" | "FAILFAST";
  /** Each column gets one type (integer, double, boolean or string) from all its values, by a probe over the whole input before the job reads it. */
  inferSchema?: boolean;
  /** Spark's DDL schema, e.g. "id INT, name STRING": names and types the columns (records are then objects); overrides inferSchema. */
  schema?: string;
  /** A STRING column of `schema` by this name holds a malformed record's text (default "_corrupt_record"). */
  columnNameOfCorruptRecord?: string;
  /** Quoted fields may contain line breaks (each file is then read whole, by one task). */
  multiLine?: boolean;
  /** A record with more fields is malformed (default 20480, as Spark). */
  maxColumns?: number;
}

/** Spark's default maxColumns. */
const MAX_COLUMNS = 20480;

/** Spark's default name of the corrupt record column (spark.sql.columnNameOfCorruptRecord). */
const CORRUPT_RECORD = "_corrupt_record";

/** Each a phrase after the node's description: what is wrong with the options. */
export function csvProblems(p: CsvParams): string[] {
  const problems: string[] = [];
  const dialect = dialectProblem({ delimiter: p.delimiter ?? ",", quote: p.quote ?? '"', escape: p.escape ?? "\\" });
  if (dialect) problems.push(dialect);
  if (p.comment !== undefined && p.comment.length > 1) problems.push(`parameter "comment" must be one character, or "" for none; got ${JSON.stringify(p.comment.slice(0, 20))}`);
  if (p.schema !== undefined) {
    const schema = parseCsvSchema(p.schema);
    if (typeof schema === "string") problems.push(`parameter "schema" ${schema}; write it as Spark's DDL, e.g. "id INT, name STRING, price DOUBLE"`);
    else {
      const corrupt = schema.find((c) => c.name === (p.columnNameOfCorruptRecord ?? CORRUPT_RECORD));
      if (corrupt && corrupt.type !== "string") problems.push(`the corrupt record column "${corrupt.name}" of parameter "schema" must be STRING`);
    }
  }
  return problems;
}

/** The options a plan carries; the parameters passed csvProblems. */
export function csvOptions(p: CsvParams): CsvOptions {
  const schema = p.schema === undefined ? null : parseCsvSchema(p.schema);
  if (typeof schema === "string") throw new Error(`csv schema was not checked: ${schema}`);
  return {
    delimiter: p.delimiter ?? ",",
    quote: p.quote ?? '"',
    escape: p.escape ?? "\\",
    comment: p.comment ?? "",
    // Spark's default: an empty field is null, whatever its type.
    nullValue: p.nullValue ?? "",
    header: p.header ?? false,
    inferSchema: p.inferSchema ?? false,
    multiLine: p.multiLine ?? false,
    maxColumns: p.maxColumns ?? MAX_COLUMNS,
    mode: p.mode ?? "PERMISSIVE",
    schema,
    columnNameOfCorruptRecord: p.columnNameOfCorruptRecord ?? CORRUPT_RECORD,
    types: null,
  };
}
