// Leftovers named for their owner's pid are swept only when that owner is dead
// and the leftover is older than a few seconds (stale-leftovers.ts).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { leftoverKind, leftoverName, sweepLeftovers } from "../src/common/stale-leftovers.js";

describe("stale leftovers", () => {
  const kind = leftoverKind(".app.", ".mjs");

  it("reads the owner from the name, and only from names of its kind", () => {
    assert.equal(kind.owner(".app.1234-0a1b2c3d.mjs"), 1234);
    assert.equal(kind.owner(leftoverName(".app.", "ff", ".mjs")), process.pid);
    assert.equal(kind.owner(".app.0a1b2c3d.mjs"), undefined, "an older minispark's name has no pid");
    assert.equal(kind.owner(".other.1234-aa.mjs"), undefined);
    assert.equal(kind.owner(".app.1234-aa.mts"), undefined);
    assert.equal(leftoverKind("minispark-local-").owner("minispark-local-77-XyZ123"), 77);
  });

  it("removes a dead owner's old leftover, and keeps a live owner's or a young one", () => {
    const dir = fs.mkdtempSync(join(os.tmpdir(), "minispark-sweep-"));
    try {
      const dead = spawnSync(process.execPath, ["-e", "0"]).pid!;
      const old = new Date(Date.now() - 60_000);
      const names = { deadOld: `.app.${dead}-aa.mjs`, deadYoung: `.app.${dead}-bb.mjs`, liveOld: `.app.${process.ppid}-cc.mjs`, mineOld: `.app.${process.pid}-dd.mjs` };
      for (const n of Object.values(names)) fs.writeFileSync(join(dir, n), "");
      for (const n of [names.deadOld, names.liveOld, names.mineOld]) fs.utimesSync(join(dir, n), old, old);
      assert.deepEqual(sweepLeftovers(dir, kind), [join(dir, names.deadOld)]);
      assert.deepEqual(fs.readdirSync(dir).sort(), [names.deadYoung, names.liveOld, names.mineOld].sort());
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
