// A synchronous SQLite connection: better-sqlite3 on Node 20 and 22, Node's own
// node:sqlite from Node 24 on. Two drivers, because no one driver is safe on
// all three: on Node 24.19 and later, an addon built on node::ObjectWrap, as
// better-sqlite3 12 is, aborts the process when one of its garbage statements
// or databases is collected outside JavaScript, by an idle collection or at
// exit (nodejs/node#65446); better-sqlite3 13, which no longer uses it,
// crashes on Node 20; Node 20 has no node:sqlite, and Node 22's warns that it
// is experimental.
import { createRequire } from "node:module";

export type SqlValue = string | number | bigint | null | Uint8Array;
/** Positional values, or one object of named ones (`@name` in the SQL, `name` as the key). */
export type SqlParams = SqlValue[] | [Record<string, SqlValue>];

export interface SqlStatement {
  run(...params: SqlParams): unknown;
  get(...params: SqlParams): unknown;
  all(...params: SqlParams): unknown[];
}

export interface SqlDatabase {
  readonly isOpen: boolean;
  /** Runs SQL without making a statement object. */
  exec(sql: string): void;
  prepare(sql: string): SqlStatement;
  /** Runs `body` in one transaction: all of its writes, or none if it throws. */
  transaction(body: () => void): void;
  close(): void;
}

export type SqliteDriver = "node:sqlite" | "better-sqlite3";

export const SQLITE_DRIVER: SqliteDriver = Number(process.versions.node.split(".")[0]) >= 24 ? "node:sqlite" : "better-sqlite3";

const require = createRequire(import.meta.url);

interface Connection {
  exec(sql: string): void;
  prepare(sql: string): SqlStatement;
  close(): void;
}

export function openSqlDatabase(path: string, driver: SqliteDriver = SQLITE_DRIVER): SqlDatabase {
  if (driver === "node:sqlite") {
    const { DatabaseSync } = require("node:sqlite") as { DatabaseSync: new (path: string) => Connection & { isOpen: boolean; isTransaction: boolean } };
    const db = new DatabaseSync(path);
    return wrap(
      db,
      () => db.isOpen,
      () => db.isTransaction,
    );
  }
  const Database = require("better-sqlite3") as new (path: string) => Connection & { open: boolean; inTransaction: boolean };
  const db = new Database(path);
  return wrap(
    db,
    () => db.open,
    () => db.inTransaction,
  );
}

function wrap(db: Connection, isOpen: () => boolean, inTransaction: () => boolean): SqlDatabase {
  return {
    get isOpen() {
      return isOpen();
    },
    exec: (sql) => db.exec(sql),
    prepare: (sql) => db.prepare(sql),
    // BEGIN and COMMIT through exec, so that no statement object is made.
    transaction(body) {
      db.exec("BEGIN");
      try {
        body();
        db.exec("COMMIT");
      } catch (e) {
        // A failed COMMIT may have ended the transaction already.
        if (inTransaction()) db.exec("ROLLBACK");
        throw e;
      }
    },
    close: () => db.close(),
  };
}
