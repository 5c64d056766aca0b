// The SQLite connection under the job store (src/master/sql-database.ts), on
// every driver the running Node can use: one transaction's writes all or none,
// named and positional values, and, run again on each Node in CI, that garbage
// statements never abort the process, as better-sqlite3 12 does on Node 24.19
// and later (nodejs/node#65446).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { openSqlDatabase } from "../src/master/sql-database.js";
import { usableDrivers } from "./helpers/sqlite-drivers.js";

const SQL_DATABASE = fileURLToPath(new URL("../src/master/sql-database.js", import.meta.url));

for (const driver of usableDrivers()) {
  describe(`SqlDatabase on ${driver}`, () => {
    it("commits a transaction's writes together, and none of them when its body throws", () => {
      const db = openSqlDatabase(":memory:", driver);
      db.exec("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)");
      const put = db.prepare("INSERT INTO t (k, v) VALUES (@k, @v)");
      db.transaction(() => {
        put.run({ k: "a", v: 1 });
        put.run({ k: "b", v: 2 });
      });
      assert.throws(
        () =>
          db.transaction(() => {
            put.run({ k: "c", v: 3 });
            put.run({ k: "a", v: 4 }); // the key is taken
          }),
        /UNIQUE/,
      );
      assert.deepEqual(
        db
          .prepare("SELECT k, v FROM t ORDER BY k")
          .all()
          .map((r) => ({ ...(r as object) })),
        [
          { k: "a", v: 1 },
          { k: "b", v: 2 },
        ],
      );
      // The failed one is over: another can begin.
      db.transaction(() => put.run({ k: "d", v: 5 }));
      assert.deepEqual({ ...(db.prepare("SELECT COUNT(*) AS n FROM t WHERE v > ?").get(1) as object) }, { n: 2 });
      assert.equal(db.prepare("SELECT v FROM t WHERE k = ?").get("zz"), undefined);
      assert.equal(db.isOpen, true);
      db.close();
      assert.equal(db.isOpen, false);
    });

    it("lets a process collect 300,000 garbage statements and exit cleanly", () => {
      const script = `import { openSqlDatabase } from ${JSON.stringify(SQL_DATABASE)};
const db = openSqlDatabase(":memory:", ${JSON.stringify(driver)});
let junk = [];
for (let i = 0; i < 300000; i++) { junk.push(db.prepare("SELECT 1")); if (junk.length > 1000) junk = []; }
junk = [];
setTimeout(() => { db.close(); console.log("done"); }, 500);`;
      const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 60_000 });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, "done\n");
    });
  });
}
