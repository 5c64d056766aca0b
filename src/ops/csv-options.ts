// The csv source's parameters as Spark names them, their defaults, the rules
// between them that the types alone do not say (checked at submit, so a bad
// option is a 400 naming it, not a failed task) and the CsvOptions a plan
// carries. Used by file-sources.ts.
import { dialectProblem } from "../common/csv.js";
import type { CsvMode, CsvOptions } from "../common/csv-records.js";
import { parseCsvSchema } from "../common/csv-types.js";

export const CSV_MODES = ["PERMISSIVE", "DROPMALFORMED", "FAILFAST"] as const satisfies readonly CsvMode[];

/** The csv source's own parameters, as checked. */
export interface CsvParams {
  header?: boolean;
  delimiter?: string;
  quote?: string;
  escape?: string;
  comment?: string;
  nullValue?: string;
  mode?: CsvMode;
  inferSchema?: boolean;
  schema?: string;
  columnNameOfCorruptRecord?: string;
  multiLine?: boolean;
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
