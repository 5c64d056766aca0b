// The SQLite drivers the running Node can use: node:sqlite where it exists
// (Node 22.5 and later), better-sqlite3 below Node 24, where it is not at risk
// of nodejs/node#65446 (src/master/sql-database.ts says why).
import { createRequire } from "node:module";
import type { SqliteDriver } from "../../src/master/sql-database.js";

export function usableDrivers(): SqliteDriver[] {
  const drivers: SqliteDriver[] = [];
  try {
    createRequire(import.meta.url)("node:sqlite");
    drivers.push("node:sqlite");
  } catch {
    // Node 20 has none.
  }
  if (Number(process.versions.node.split(".")[0]) < 24) drivers.push("better-sqlite3");
  return drivers;
}
