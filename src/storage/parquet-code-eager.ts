// Parquet's code loaded with the importer, for a runner that has no point to
// await it before a task (the in-process runner): see parquet-code.ts.
import { provideParquet } from "./parquet-code.js";
import * as reader from "./parquet-file.js";
import * as writer from "./parquet-writer.js";

provideParquet(reader, writer);
