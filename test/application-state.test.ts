// The pure decisions about applications (src/master/application-state.ts) on a
// fake clock: what a registration may say, when a lease runs out, the one-way
// moves ACTIVE → ENDED | EXPIRED, and the bounded list of recently ended ones.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { MinisparkError } from "../src/common/errors.js";
import { asAppId } from "../src/common/ids.js";
import { DEFAULT_LEASE_MS, MAX_APP_NAME_LENGTH, RecentlyEnded, ended, leaseRanOut, parseRegistration, registered, renewed, resumed } from "../src/master/application-state.js";

const A = asAppId("app-000000001-aaaaaa");

function refused(body: unknown, field: RegExp): void {
  assert.throws(
    () => parseRegistration(body),
    (e: MinisparkError) => e.code === "BAD_REQUEST" && field.test(e.message),
    JSON.stringify(body)?.slice(0, 60),
  );
}

describe("parseRegistration", () => {
  it("takes a name and a lease, defaulting the lease", () => {
    assert.deepEqual(parseRegistration({ name: "etl" }), { name: "etl", leaseMs: DEFAULT_LEASE_MS });
    assert.deepEqual(parseRegistration({ name: "x", leaseMs: 1000 }), { name: "x", leaseMs: 1000 });
    assert.deepEqual(parseRegistration({ name: "x", leaseMs: 3_600_000 }), { name: "x", leaseMs: 3_600_000 });
  });

  it("refuses leases out of bounds or not whole numbers, naming leaseMs", () => {
    for (const leaseMs of [1e9, -1, 0, 999, 3_600_001, 1500.5, "x", "30000", null, true, [], {}, Number.MAX_SAFE_INTEGER + 2])
      refused({ name: "a", leaseMs }, /"leaseMs" must be a whole number of milliseconds from 1000 to 3600000/);
  });

  it("refuses names missing, empty, too long, of control characters or not strings, naming name", () => {
    for (const name of [undefined, "", "x".repeat(MAX_APP_NAME_LENGTH + 1), "x".repeat(1_000_000), 7, null, ["a"], "a\u001b[2Jb", "a\nb"]) refused({ name }, /"name" must/);
    assert.equal(parseRegistration({ name: "x".repeat(MAX_APP_NAME_LENGTH) }).name.length, MAX_APP_NAME_LENGTH);
  });

  it("refuses bodies that are not objects, and members it does not know", () => {
    for (const body of [null, [], "app", 3]) refused(body, /a JSON object/);
    refused({ name: "a", lease: 5000 }, /unknown member "lease"/);
  });
});

describe("an application's lease and status", () => {
  const app = registered(A, { name: "n", leaseMs: 1000 }, 100);

  it("runs out only after leaseMs without a renewal", () => {
    assert.equal(leaseRanOut(app, 1100), false);
    assert.equal(leaseRanOut(app, 1101), true);
    const later = renewed(app, 1000)!;
    assert.equal(later.renewedAt, 1000);
    assert.equal(leaseRanOut(later, 1101), false);
    assert.equal(leaseRanOut(later, 2001), true);
  });

  it("cannot be renewed once its lease has run out, even before anyone noticed, nor once ended", () => {
    assert.equal(renewed(app, 1101), null);
    assert.equal(renewed(ended(app, "ENDED", 500)!, 600), null);
  });

  it("a renewal never moves the lease back (a clock step back)", () => {
    assert.equal(renewed(renewed(app, 900)!, 800)!.renewedAt, 900);
  });

  it("ends once, as ENDED or EXPIRED with the reason, and never comes back", () => {
    const byClient = ended(app, "ENDED", 500)!;
    assert.deepEqual([byClient.status, byClient.endedAt, byClient.endReason], ["ENDED", 500, `application ${A} ended`]);
    const byLease = ended(app, "EXPIRED", 1200)!;
    assert.deepEqual([byLease.status, byLease.endReason], ["EXPIRED", `application ${A}'s lease ran out (no renewal for 1100 ms)`]);
    assert.equal(ended(byClient, "EXPIRED", 2000), null);
    assert.equal(ended(byLease, "ENDED", 2000), null);
    assert.equal(leaseRanOut(byClient, 1e12), false);
  });

  it("after a restart, an ACTIVE lease counts from the master's start; an ended one stays ended", () => {
    assert.equal(resumed(app, 50_000).renewedAt, 50_000);
    assert.equal(leaseRanOut(resumed(app, 50_000), 50_900), false);
    const gone = ended(app, "ENDED", 500)!;
    assert.deepEqual(resumed(gone, 50_000), gone);
  });
});

describe("RecentlyEnded", () => {
  const id = (n: number) => asAppId(`app-${String(n).padStart(9, "0")}-aaaaaa`);

  it("names ended applications newest first until they are older than the window", () => {
    const r = new RecentlyEnded(1000, 10);
    r.add(id(1), 100);
    r.add(id(2), 200);
    assert.deepEqual(r.list(1100), [id(2), id(1)]);
    assert.deepEqual(r.list(1101), [id(2)]);
    assert.deepEqual(r.list(1201), []);
  });

  it("keeps only the newest `max`, whatever order they were added in", () => {
    const r = new RecentlyEnded(1e9, 3);
    for (const n of [5, 1, 4, 2, 3]) r.add(id(n), n);
    assert.deepEqual(r.list(10), [id(5), id(4), id(3)]);
  });

  it("stays bounded under a flood of ends", () => {
    const r = new RecentlyEnded();
    for (let n = 0; n < 5000; n++) r.add(id(n), n);
    const names = r.list(5000);
    assert.equal(names.length, 1000);
    assert.equal(names[0], id(4999));
  });
});
