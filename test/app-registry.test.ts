// The master's application registry (src/master/app-registry.ts) over both job
// stores on a fake clock: register, renew, end by the client or by the lease on
// the tick, onEnded told once per end, what heartbeats name, what a submit may
// name, and a registry started again on the same store (a restarted master).
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { MinisparkError } from "../src/common/errors.js";
import { asAppId, asJobId, type AppId } from "../src/common/ids.js";
import { configureLogging, logger } from "../src/common/log.js";
import { AppRegistry, MAX_ACTIVE_APPS } from "../src/master/app-registry.js";
import type { Application } from "../src/master/application-state.js";
import type { JobStore } from "../src/master/job-store.js";
import { MemoryJobStore } from "../src/master/memory-job-store.js";
import { SqliteJobStore } from "../src/master/sqlite-job-store.js";

function code(c: string, re: RegExp) {
  return (e: MinisparkError) => e.code === c && re.test(e.message);
}

for (const [kind, open] of [
  ["memory", () => ({ store: new MemoryJobStore() as JobStore, reopen: (s: JobStore) => s })],
  [
    "sqlite",
    () => {
      const dir = fs.mkdtempSync(join(os.tmpdir(), "minispark-apps-"));
      const path = join(dir, "master.db");
      return {
        store: new SqliteJobStore(path) as JobStore,
        reopen: (s: JobStore) => {
          s.close();
          return new SqliteJobStore(path);
        },
      };
    },
  ],
] as const) {
  describe(`AppRegistry on the ${kind} store`, () => {
    const setup = () => {
      const { store, reopen } = open();
      const clock = { t: 1_000_000 };
      const reg = new AppRegistry(store, () => clock.t, logger("apps"));
      const endedSeen: Application[] = [];
      reg.onEnded((a) => endedSeen.push(a));
      return { store, reopen, clock, reg, endedSeen };
    };

    it("registers, lists newest first with job counts, renews, and ends idempotently", () => {
      const { store, clock, reg, endedSeen } = setup();
      const a = reg.register({ name: "first", leaseMs: 5000 });
      clock.t += 10;
      const b = reg.register({ name: "second" });
      assert.deepEqual([a.status, a.leaseMs, a.endedAt, a.jobs, b.leaseMs], ["ACTIVE", 5000, null, 0, 30_000]);
      store.insertJob(asJobId("job-1"), "j", "{}", clock.t, a.id as AppId);
      assert.deepEqual(
        reg.list(10).map((x) => [x.name, x.jobs]),
        [
          ["second", 0],
          ["first", 1],
        ],
      );
      clock.t += 4000;
      assert.equal(reg.renew(asAppId(a.id)).renewedAt, clock.t);
      const end = reg.endByClient(asAppId(a.id));
      assert.deepEqual([end.status, end.endedAt, end.endReason], ["ENDED", clock.t, `application ${a.id} ended`]);
      clock.t += 1;
      assert.deepEqual(reg.endByClient(asAppId(a.id)), end, "a second DELETE changes nothing");
      assert.equal(endedSeen.length, 1, "onEnded is told once");
      assert.throws(() => reg.renew(asAppId(a.id)), code("GONE", new RegExp(`application ${a.id} ended; register a new application`)));
      assert.throws(() => reg.get(asAppId("app-000000000-000000")), code("NOT_FOUND", /no application with id app-000000000-000000/));
      assert.throws(() => reg.renew(asAppId("app-000000000-000000")), code("NOT_FOUND", /no application/));
      assert.throws(() => reg.endByClient(asAppId("nope")), code("NOT_FOUND", /no application/));
    });

    it("expires an application on the tick once its lease runs out, and names it in heartbeats for ten minutes", () => {
      const { clock, reg, endedSeen } = setup();
      const a = reg.register({ name: "a", leaseMs: 1000 });
      const b = reg.register({ name: "b", leaseMs: 1000 });
      clock.t += 600;
      reg.renew(asAppId(b.id));
      clock.t += 500;
      reg.expire();
      assert.deepEqual(
        endedSeen.map((x) => [x.id, x.status]),
        [[a.id, "EXPIRED"]],
      );
      assert.match(endedSeen[0]!.endReason!, /lease ran out \(no renewal for 1100 ms\)/);
      assert.deepEqual(reg.endedApps(), [a.id]);
      reg.expire();
      assert.equal(endedSeen.length, 1, "an expired application is not ended again");
      assert.throws(() => reg.renew(asAppId(a.id)), code("GONE", /lease ran out/));
      clock.t += 10 * 60_000 + 1;
      reg.expire();
      assert.deepEqual(reg.endedApps(), [b.id], "a's end is old news; b's lease ran out meanwhile");
    });

    it("a renew or a job's check after the lease ran out, before any tick, finds it expired", () => {
      const { clock, reg, endedSeen } = setup();
      const a = reg.register({ name: "a", leaseMs: 1000 });
      const b = reg.register({ name: "b", leaseMs: 1000 });
      clock.t += 1001;
      assert.throws(() => reg.renew(asAppId(a.id)), code("GONE", /lease ran out/));
      assert.match(reg.inactiveReason(asAppId(b.id))!, new RegExp(`application ${b.id} is EXPIRED \\(application ${b.id}'s lease ran out`));
      assert.equal(endedSeen.length, 2);
    });

    it("lets a job name only an ACTIVE application", () => {
      const { reg } = setup();
      const a = reg.register({ name: "a" });
      assert.equal(reg.inactiveReason(asAppId(a.id)), null);
      reg.endByClient(asAppId(a.id));
      assert.equal(reg.inactiveReason(asAppId(a.id)), `application ${a.id} is ENDED (application ${a.id} ended)`);
      assert.equal(reg.inactiveReason(asAppId("app-000000000-000000")), "no application with id app-000000000-000000");
    });

    it("a registry on the same store keeps the applications: ACTIVE leases counted from its start, recent ends still named", () => {
      const { store, reopen, clock, reg } = setup();
      const live = reg.register({ name: "live", leaseMs: 2000 });
      clock.t += 1;
      const done = reg.register({ name: "done" });
      reg.endByClient(asAppId(done.id));
      clock.t += 60_000;
      const again = new AppRegistry(reopen(store), () => clock.t, logger("apps"));
      again.load();
      assert.deepEqual(
        again.list(10).map((x) => [x.name, x.status]),
        [
          ["done", "ENDED"],
          ["live", "ACTIVE"],
        ],
      );
      assert.equal(again.get(asAppId(live.id)).renewedAt, clock.t);
      assert.deepEqual(again.endedApps(), [done.id]);
      clock.t += 1999;
      again.expire();
      assert.equal(again.get(asAppId(live.id)).status, "ACTIVE");
      clock.t += 2;
      again.expire();
      assert.equal(again.get(asAppId(live.id)).status, "EXPIRED");
      assert.deepEqual(again.counts(), { ACTIVE: 0, ENDED: 1, EXPIRED: 1 });
    });

    it("a listener that throws does not keep the others from hearing of the end", () => {
      const { reg, endedSeen } = setup();
      const heard: string[] = [];
      reg.onEnded(() => {
        throw new Error("boom");
      });
      reg.onEnded((a) => heard.push(a.id));
      const a = reg.register({ name: "a" });
      reg.endByClient(asAppId(a.id));
      assert.deepEqual([endedSeen.length, heard], [1, [a.id]]);
    });
  });
}

describe("AppRegistry's bound", () => {
  it(`refuses a registration past ${MAX_ACTIVE_APPS} ACTIVE applications, and takes one again once one ends`, (t) => {
    const clock = { t: 1 };
    const reg = new AppRegistry(new MemoryJobStore(), () => clock.t, logger("apps"));
    // Ten thousand registrations need not be logged here.
    configureLogging({ sink: { write: () => {} } });
    t.after(() => configureLogging({ sink: { write: (l) => void process.stderr.write(l) } }));
    let first: string | null = null;
    for (let i = 0; i < MAX_ACTIVE_APPS; i++) {
      clock.t++;
      const a = reg.register({ name: `a${i}` });
      first ??= a.id;
    }
    assert.throws(() => reg.register({ name: "one too many" }), code("BUSY", /holds 10000 active applications, its limit/));
    reg.endByClient(asAppId(first!));
    assert.equal(reg.register({ name: "now there is room" }).status, "ACTIVE");
  });
});
