// Files and directories that only this user may read: the job database holds
// job specs, the functions they ship and environment values, the tokens
// directory holds the masters' tokens. Directories minispark creates are 0700
// (an existing one, e.g. a --db directory the user chose, is left as it is);
// the SQLite database and its -wal and -shm files are 0600 whatever the umask,
// and are made so again if an older minispark left them readable. SQLite gives
// a new -wal or -shm file the mode of its database file, so creating the
// database 0600 before SQLite opens it covers files made later too. Called by
// master/sqlite-job-store.ts and cli/token-file.ts.
import fs from "node:fs";

/** Creates `dir` (and missing parents) as 0700; an existing directory keeps its mode. */
export function makePrivateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/** The files SQLite keeps for the database at `path`. */
export function databaseFiles(path: string): string[] {
  return [path, `${path}-wal`, `${path}-shm`, `${path}-journal`];
}

/** Creates the database file at `path` 0600 if it is missing, and makes it and its companions 0600. */
export function makeDatabasePrivate(path: string): void {
  fs.closeSync(fs.openSync(path, "a", 0o600));
  for (const f of databaseFiles(path)) {
    try {
      fs.chmodSync(f, 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
  }
}
