// Broadcast variables' pure parts (issue 17, item 4): the JobSpec env form and
// its validation, and the master's registry decisions (declared sizes at the
// limit and at 10^9, hostile declarations, the worker picked for the upload,
// holders, destroy, an application's end, why a job may not name one).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BROADCAST_ID_PATTERN, newBroadcastId, type AppId, type BroadcastId, type WorkerId } from "../src/common/ids.js";
import { envBroadcasts, jobBroadcasts, parseBroadcast } from "../src/plan/broadcasts.js";
import { validateJobSpec } from "../src/planner/validate.js";
import { BroadcastRegistry, MAX_BROADCASTS_PER_APP, MAX_QUEUED_BROADCAST_RELEASES, leastLoaded } from "../src/master/broadcast-registry.js";
import { errorCode } from "./helpers/error-code.js";

const APP = "app-000000001-abcdef" as AppId;
const OTHER = "app-000000002-abcdef" as AppId;
const BC = "bc-000000001-0123abcd" as BroadcastId;
const w = (n: number) => ({ id: `worker-${n}` as WorkerId, address: `127.0.0.1:${9000 + n}` });

function job(env: Record<string, unknown>, application: string | null = APP) {
  return {
    ...(application === null ? {} : { application }),
    nodes: [
      { id: "r", op: "range", start: 0, end: 4 },
      { id: "m", op: "map", input: "r", fn: "(x, env) => env.lookup.value[x]", env },
    ],
    action: { op: "collect", input: "m" },
  };
}

const code = errorCode;

describe("the $broadcast env form", () => {
  it("is made by the master in the shape every check accepts", () => {
    const id = newBroadcastId(Date.now());
    assert.match(id, BROADCAST_ID_PATTERN);
    assert.notEqual(id, newBroadcastId(Date.now()));
    assert.deepEqual(parseBroadcast({ $broadcast: { id } }), { id });
  });

  it("refuses every other shape, naming what is wrong", () => {
    const cases: [unknown, RegExp][] = [
      [{ $broadcast: { id: BC }, x: 1 }, /nothing else/],
      [{ $broadcast: [BC] }, /must be an object/],
      [{ $broadcast: null }, /must be an object/],
      [{ $broadcast: { id: BC, value: 1 } }, /only an id, not "value"/],
      [{ $broadcast: {} }, /got none/],
      [{ $broadcast: { id: 7 } }, /got 7/],
      [{ $broadcast: { id: "bc-../../etc" } }, /one the master made/],
      [{ $broadcast: { id: `${BC}\n` } }, /one the master made/],
      [{ $broadcast: { id: "x".repeat(10_000) } }, /one the master made/],
    ];
    for (const [v, re] of cases) {
      const r = parseBroadcast(v as { $broadcast: unknown });
      assert.ok("problem" in r, JSON.stringify(v).slice(0, 60));
      assert.match(r.problem, re);
      assert.ok(r.problem.length < 300);
    }
  });

  it("lists each broadcast a job names once, in envs of nodes and the action", () => {
    const b2 = "bc-000000002-0123abcd";
    const v = validateJobSpec({
      ...job({ lookup: { $broadcast: { id: BC } }, again: { $broadcast: { id: BC } }, n: 3 }),
      action: { op: "foreach", input: "m", fn: "(x, env) => env.b.value", env: { b: { $broadcast: { id: b2 } } } },
    });
    assert.deepEqual(jobBroadcasts(v), [BC, b2]);
    assert.deepEqual(envBroadcasts([{ a: 1, b: { notBroadcast: true } }]), []);
  });

  it("is validated at submit: malformed members name their node and env name; a job that names one must name its application", () => {
    assert.throws(() => validateJobSpec(job({ lookup: { $broadcast: { id: "nope" } } })), /node "m" \(map\): env "lookup": a broadcast's id must be one the master made/);
    assert.throws(() => validateJobSpec(job({ lookup: { $broadcast: { id: BC } } }, null)), /names no "application"/);
    assert.equal(validateJobSpec(job({ lookup: { $broadcast: { id: BC } } })).application, APP);
  });
});

describe("the master's broadcast registry", () => {
  it("declares a broadcast up to the limit, refusing more with the limit named, and hostile sizes with 400", () => {
    const reg = new BroadcastRegistry(1000);
    assert.equal(reg.create(BC, APP, 1000, [w(1)], 5).entry.bytes, 1000);
    assert.match(
      code(() => reg.create(newBroadcastId(1), APP, 1001, [w(1)], 5)),
      /^PAYLOAD_TOO_LARGE: a broadcast of 1001 bytes is over this cluster's limit of 1000 bytes \(--max-broadcast-size\)/,
    );
    assert.match(
      code(() => reg.create(newBroadcastId(1), APP, 1e9, [w(1)], 5)),
      /^PAYLOAD_TOO_LARGE: a broadcast of 1000000000 bytes/,
    );
    for (const bytes of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 60, "10", null, undefined, [1], { n: 1 }]) {
      assert.match(
        code(() => reg.create(newBroadcastId(1), APP, bytes, [w(1)], 5)),
        /^BAD_REQUEST: a broadcast is declared with \{ "bytes": n \}/,
        String(bytes),
      );
    }
    assert.equal(reg.count(APP), 1);
  });

  it("has the client upload to the live worker holding the fewest broadcast bytes, and answers BUSY when there is none", () => {
    const reg = new BroadcastRegistry(10_000);
    assert.equal(reg.create(newBroadcastId(1), APP, 500, [w(2), w(1)], 0).uploadTo.id, "worker-1");
    assert.equal(reg.create(newBroadcastId(1), APP, 100, [w(1), w(2)], 0).uploadTo.id, "worker-2");
    assert.equal(reg.create(newBroadcastId(1), APP, 100, [w(1), w(2)], 0).uploadTo.id, "worker-2");
    assert.equal(reg.create(newBroadcastId(1), APP, 400, [w(1), w(2)], 0).uploadTo.id, "worker-2");
    assert.equal(reg.create(newBroadcastId(1), APP, 1, [w(1), w(2)], 0).uploadTo.id, "worker-1", "a tie goes to the lower id");
    assert.match(
      code(() => reg.create(newBroadcastId(1), APP, 1, [], 0)),
      /^BUSY: no live worker/,
    );
    assert.equal(leastLoaded([], new Map()), null);
  });

  it("limits the broadcasts one application holds", () => {
    const reg = new BroadcastRegistry(10);
    for (let i = 0; i < MAX_BROADCASTS_PER_APP; i++) reg.create(newBroadcastId(i), APP, 1, [w(1)], 0);
    assert.match(
      code(() => reg.create(newBroadcastId(1), APP, 1, [w(1)], 0)),
      /^BUSY: application app-000000001-abcdef holds 1000 broadcasts, the limit/,
    );
    assert.equal(reg.create(newBroadcastId(1), OTHER, 1, [w(1)], 0).entry.application, OTHER);
  });

  it("keeps holders: the upload's worker, then those that report it; the dead are forgotten", () => {
    const reg = new BroadcastRegistry(10);
    reg.create(BC, APP, 5, [w(1)], 0);
    reg.reportHeld(APP, BC, w(2).id);
    reg.reportHeld(APP, BC, w(2).id);
    reg.reportHeld(OTHER, BC, w(4).id);
    assert.deepEqual(
      reg.holders(BC, () => true),
      ["worker-1", "worker-2"],
    );
    assert.deepEqual(
      reg.holders(BC, (x) => x !== "worker-1"),
      ["worker-2"],
    );
    assert.deepEqual(
      reg.holders(BC, () => true),
      ["worker-2"],
    );
    reg.reportHeld(APP, "bc-000000009-00000000" as BroadcastId, w(2).id);
    reg.reportHeld(APP, "bc-000000009-00000000" as BroadcastId, w(2).id);
    assert.deepEqual(reg.takeReleases(w(2).id), [{ application: APP, id: "bc-000000009-00000000" }], "one never declared is dropped (nothing else would free it), once");
    assert.deepEqual(reg.takeReleases(w(4).id), [{ application: OTHER, id: BC }], "another application's copy of an id is dropped");
  });

  it("destroys once: each holder is told once, a second DELETE answers 0, another application's or an unknown id is NOT_FOUND", () => {
    const reg = new BroadcastRegistry(10);
    reg.create(BC, APP, 5, [w(1)], 0);
    reg.reportHeld(APP, BC, w(2).id);
    assert.match(
      code(() => reg.destroy(OTHER, BC)),
      /^NOT_FOUND: application app-000000002-abcdef has no broadcast/,
    );
    assert.equal(reg.destroy(APP, BC), 2);
    assert.equal(reg.destroy(APP, BC), 0);
    assert.match(
      code(() => reg.destroy(APP, "bc-000000009-00000000" as BroadcastId)),
      /^NOT_FOUND/,
    );
    assert.deepEqual(reg.takeReleases(w(1).id), [{ application: APP, id: BC }]);
    assert.deepEqual(reg.takeReleases(w(1).id), []);
    assert.deepEqual(reg.takeReleases(w(2).id), [{ application: APP, id: BC }]);
    reg.reportHeld(APP, BC, w(3).id);
    reg.reportHeld(APP, BC, w(3).id);
    assert.deepEqual(reg.takeReleases(w(3).id), [{ application: APP, id: BC }], "a worker that reports a destroyed one is told once to drop it");
    assert.deepEqual(
      reg.holders(BC, () => true),
      [],
    );
    assert.equal(reg.count(APP), 0);
  });

  it("bounds a worker's queued releases, dropping the oldest", () => {
    const reg = new BroadcastRegistry(10);
    const ids: BroadcastId[] = [];
    for (let i = 0; i < MAX_QUEUED_BROADCAST_RELEASES + 5; i++) {
      const id = newBroadcastId(i);
      ids.push(id);
      reg.create(id, i % 2 === 0 ? APP : OTHER, 1, [w(1)], 0);
      reg.destroy(i % 2 === 0 ? APP : OTHER, id);
    }
    const queued = reg.takeReleases(w(1).id);
    assert.equal(queued.length, MAX_QUEUED_BROADCAST_RELEASES);
    assert.equal(queued[0]!.id, ids[5]);
  });

  it("says why a job may not name a broadcast: unknown, destroyed, another application's, its application ended", () => {
    const reg = new BroadcastRegistry(10);
    reg.create(BC, APP, 5, [w(1)], 0);
    assert.equal(reg.problem(APP, BC), null);
    assert.equal(reg.problem(OTHER, BC), `broadcast ${BC} belongs to application ${APP}, not ${OTHER}`);
    assert.match(reg.problem(APP, "bc-000000009-00000000" as BroadcastId)!, /^no broadcast with id/);
    const b2 = newBroadcastId(3);
    reg.create(b2, APP, 5, [w(1)], 0);
    reg.destroy(APP, b2);
    assert.equal(reg.problem(APP, b2), `broadcast ${b2} was destroyed`);
    assert.equal(reg.removeApp(APP, "application x ended"), 1);
    assert.equal(reg.problem(APP, BC), `broadcast ${BC} is gone: application x ended`);
    assert.deepEqual(reg.takeReleases(w(1).id), [{ application: APP, id: b2 }], "an application's end queues nothing: workers hear ended_apps");
    assert.equal(reg.removeApp(APP, "again"), 0);
  });
});
