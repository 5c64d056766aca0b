// Jobs waiting to start hold their parsed specs: a client that queues
// submissions while no worker can start them must get 503 before the master's
// heap fills, and room again once waiting jobs leave the queue.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { requestRaw } from "../src/common/http-client.js";
import { admits, specWeight } from "../src/master/queue-budget.js";
import { MAX_SPEC_VALUES } from "../src/planner/validate.js";
import { startTestCluster, type TestCluster } from "./helpers/cluster.js";

describe("the weight of a waiting spec", () => {
  it("counts its bytes and, more, its values", () => {
    assert.equal(specWeight("1"), 1 + 64);
    assert.equal(specWeight('{"a":[1,2]}'), 11 + 64 * 4);
    // A string's commas and brackets are not values.
    assert.equal(specWeight('"[,{"'), 5 + 64);
    assert.ok(specWeight(`[${"{},".repeat(999)}{}]`) > 1000 * 64);
  });

  it("admits one job of any size into an empty queue, then only within the limit", () => {
    assert.ok(admits(0, 10_000, 100));
    assert.ok(admits(40, 60, 100));
    assert.ok(!admits(41, 60, 100));
  });
});

describe("a master with no workers, sent spec after spec", () => {
  let t: TestCluster;
  before(async () => {
    t = await startTestCluster({ workers: 0 });
  });
  after(async () => {
    await t?.stop();
  });

  it("refuses with 503 once the waiting specs pass its budget, keeps serving, and takes jobs again when they leave", async () => {
    // Just under the per-submission cap of values ("{}," counts twice): each spec weighs ~125 MiB, the budget is at most 1 GiB.
    const n = MAX_SPEC_VALUES / 2 - 1000;
    const body = `{"nodes":[{"id":"p","op":"parallelize","data":[${"{},".repeat(n - 1)}{}]}],"action":{"op":"count","input":"p"}}`;
    const accepted: string[] = [];
    let refused: { status: number; text: string } | null = null;
    for (let i = 0; i < 12 && !refused; i++) {
      const res = await requestRaw(t.cluster.masterUrl + "/api/v1/jobs", { body, token: t.cluster.token, timeoutMs: 60_000 });
      const text = res.body.toString("utf8");
      if (res.status === 201) accepted.push(JSON.parse(text).id);
      else refused = { status: res.status, text };
    }
    assert.ok(refused, `all of ${accepted.length} submissions were accepted`);
    assert.equal(refused.status, 503, refused.text);
    assert.match(refused.text, /jobs waiting to start .* its limit is \d+ MiB/);
    assert.ok(accepted.length >= 2, `only ${accepted.length} accepted before the refusal`);
    assert.equal((await t.http("/healthz")).status, 200);
    for (const id of accepted) assert.equal((await t.http(`/api/v1/jobs/${id}/cancel`, { method: "POST" })).status, 200);
    const again = await requestRaw(t.cluster.masterUrl + "/api/v1/jobs", { body, token: t.cluster.token, timeoutMs: 60_000 });
    assert.equal(again.status, 201, again.body.toString("utf8").slice(0, 200));
  });
});
