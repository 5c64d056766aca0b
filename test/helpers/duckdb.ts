// DuckDB (the @duckdb/node-api npm package, a devDependency) as the independent
// Parquet implementation the Parquet tests write files with and read them back
// through. Loaded by name at run time, so the suite still compiles without it:
// `duckdbSkip` is false when it loads, else the reason to skip, and under
// CI=true a missing DuckDB throws instead (as prereq.ts does for programs), so
// CI cannot pass without running the interoperability tests.

/** The part of @duckdb/node-api the tests use. */
export interface DuckDb {
  /** Runs a statement (COPY … TO 'x.parquet' (FORMAT parquet)). */
  run(sql: string): Promise<void>;
  /** The rows of a query, as @duckdb/node-api's JSON-safe objects. */
  rows(sql: string): Promise<Record<string, unknown>[]>;
  close(): void;
}

interface DuckDbModule {
  DuckDBInstance: {
    create(path: string): Promise<{
      connect(): Promise<{ run(sql: string): Promise<unknown>; runAndReadAll(sql: string): Promise<{ getRowObjectsJson(): Record<string, unknown>[] }>; closeSync(): void }>;
      closeSync(): void;
    }>;
  };
}

const PACKAGE = "@duckdb/node-api";

async function load(): Promise<DuckDbModule | string> {
  try {
    return (await import(PACKAGE)) as DuckDbModule;
  } catch (e) {
    return `DuckDB (npm package ${PACKAGE}) cannot be loaded: ${(e as Error).message.split("\n")[0]}; install the devDependencies (npm ci)`;
  }
}

const loaded = await load();
if (typeof loaded === "string" && process.env.CI === "true") throw new Error(`${loaded} (CI=true: the Parquet interoperability tests must run)`);

/** false when DuckDB loads, else why the tests that need it skip. */
export const duckdbSkip: false | string = typeof loaded === "string" ? loaded : false;

/** An in-memory DuckDB database. */
export async function openDuckDb(): Promise<DuckDb> {
  if (typeof loaded === "string") throw new Error(loaded);
  const instance = await loaded.DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  return {
    run: async (sql) => {
      await connection.run(sql);
    },
    rows: async (sql) => (await connection.runAndReadAll(sql)).getRowObjectsJson(),
    close: () => {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

/** A SQL string literal. */
export function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}
