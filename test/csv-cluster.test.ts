// CSV as Spark reads it, end to end on a real cluster (a master and two worker
// processes on loopback): inferSchema's probe gives each column one type in every
// partition, each mode's handling of malformed records, FAILFAST's message naming
// the file and the line, options refused at submit, and csv save with a header
// read back into the same records.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { JobFailedError } from "../src/client/rest-client.js";
import { readParts, startTestCluster, writeFile, type TestCluster } from "./helpers/cluster.js";

let t: TestCluster;

before(async () => {
  t = await startTestCluster({ workers: 2, slots: 1 });
});

after(async () => {
  await t?.stop();
});

/** ~6,000 rows over two files in 16 KiB splits: the one non-number of column "code" is in the last split of the second file. */
function writeTyped(): { rows: number } {
  const rows: string[][] = [[], []];
  for (let i = 0; i < 6000; i++) rows[i % 2]!.push(`${i},${i % 7 === 0 ? `${i}.5` : i},${i % 3 === 0},${i}`);
  rows[1]![rows[1]!.length - 1] = "5999,5999.5,false,X-1";
  writeFile(t.dataDir, "typed/a.csv", `id,amount,flag,code\n${rows[0]!.join("\n")}\n`);
  writeFile(t.dataDir, "typed/b.csv", `id,amount,flag,code\n${rows[1]!.join("\n")}\n`);
  return { rows: 6000 };
}

describe("csv on a cluster", () => {
  it("infers one type per column over every partition: a column with one non-number is strings in all of them", async () => {
    const { rows } = writeTyped();
    const spec = {
      nodes: [
        { id: "c", op: "csv", path: "typed/*.csv", header: true, inferSchema: true, maxPartitionBytes: 16 * 1024 },
        // Each partition reports the JavaScript types it holds per column.
        { id: "kinds", op: "mapPartitions", input: "c", fn: "rs => { const s = new Set(); for (const r of rs) s.add(Object.values(r).map(v => typeof v).join(',')); return [...s]; }" },
        { id: "d", op: "distinct", input: "kinds" },
      ],
      action: { op: "collect", input: "d" },
    };
    const id = await t.cluster.client.submit(spec);
    const job = await t.cluster.client.wait(id);
    assert.equal(job.status, "COMPLETED");
    assert.equal(job.stages[0]!.kind, "csvProbe");
    assert.ok(job.stages[0]!.numTasks >= 6, `many partitions: ${job.stages[0]!.numTasks}`);
    const { value } = await t.cluster.client.results<string[]>(id);
    assert.deepEqual(value, ["number,number,boolean,string"]);
    const count = await t.run({ nodes: [spec.nodes[0]], action: { op: "count", input: "c" } });
    assert.equal(count, rows);
    const first = await t.run<Record<string, unknown>[]>({ nodes: [spec.nodes[0]], action: { op: "take", input: "c", num: 1 } });
    assert.deepEqual(first, [{ id: 0, amount: 0.5, flag: true, code: "0" }]);
  });

  it("an explicit schema types the columns without a probe, and a value that does not convert is malformed", async () => {
    writeFile(t.dataDir, "schema/s.csv", "1,2.5,x\n2,oops,y\n3,4,z\n");
    const node = { id: "c", op: "csv", path: "schema/s.csv", schema: "id INT, price DOUBLE, name STRING, _corrupt_record STRING" };
    assert.deepEqual(await t.run({ nodes: [node], action: { op: "collect", input: "c" } }), [
      { id: 1, price: 2.5, name: "x", _corrupt_record: null },
      { id: 2, price: null, name: "y", _corrupt_record: "2,oops,y" },
      { id: 3, price: 4, name: "z", _corrupt_record: null },
    ]);
    assert.equal(await t.run({ nodes: [{ ...node, mode: "DROPMALFORMED" }], action: { op: "count", input: "c" } }), 2);
  });

  const broken = 'id,name\n1,a\n2\n3,"unterminated\n# note\n4,d,extra\n5,e\n';

  it("PERMISSIVE keeps malformed records, DROPMALFORMED drops them, with comment lines skipped", async () => {
    writeFile(t.dataDir, "modes/m.csv", broken);
    const read = (extra: object) => t.run({ nodes: [{ id: "c", op: "csv", path: "modes/m.csv", header: true, comment: "#", ...extra }], action: { op: "collect", input: "c" } });
    assert.deepEqual(await read({}), [
      { id: "1", name: "a" },
      { id: "2", name: null },
      { id: "3", name: null },
      { id: "4", name: "d" },
      { id: "5", name: "e" },
    ]);
    assert.deepEqual(await read({ mode: "DROPMALFORMED", inferSchema: true }), [
      { id: 1, name: "a" },
      { id: 5, name: "e" },
    ]);
  });

  it("FAILFAST fails the job naming the file, the line and what is wrong", async () => {
    const lines = Array.from({ length: 3000 }, (_, i) => `${i},name ${i}`);
    lines[2500] = `2500,"bad`;
    writeFile(t.dataDir, "modes/big.csv", `id,name\n${lines.join("\n")}\n`);
    for (const inferSchema of [false, true]) {
      await assert.rejects(
        t.run({ nodes: [{ id: "c", op: "csv", path: "modes/big.csv", header: true, mode: "FAILFAST", inferSchema, maxPartitionBytes: 8 * 1024 }], action: { op: "count", input: "c" } }),
        (e: JobFailedError) => /node "c" \(csv\): modes\/big\.csv: line 2502: malformed record \(unterminated quoted field at character 6 of the record\) in FAILFAST mode/.test(e.message),
        `inferSchema ${inferSchema}`,
      );
    }
  });

  it("refuses bad options at submit with 400, naming the parameter and what it may be", async () => {
    const bad = async (extra: object, pattern: RegExp) => {
      const res = await t.http("/api/v1/jobs", { body: { nodes: [{ id: "c", op: "csv", path: "modes/m.csv", ...extra }], action: { op: "count", input: "c" } } });
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.match(res.body.error.message, pattern);
    };
    await bad({ mode: "STRICT" }, /node "c" \(csv\): parameter "mode" must be one of "PERMISSIVE", "DROPMALFORMED", "FAILFAST"/);
    await bad({ escape: "\\\\" }, /node "c" \(csv\): CSV escape must be one character/);
    await bad({ schema: "id INT, when TIMESTAMP" }, /parameter "schema" column "when" has type TIMESTAMP/);
    await bad({ nullValue: 0 }, /parameter "nullValue" must be a string/);
  });

  it("saves records as csv with a header that the csv source reads back into the same records", async () => {
    const records = [
      { id: 1, text: 'say "hi", then leave', path: "C:\\temp\\", empty: "", none: null, ok: true },
      { id: 2, text: "two\nlines", path: '\\"', empty: " ", none: null, ok: false },
      { id: 3, text: "#not a comment", path: "plain", empty: "x", none: 2.5, ok: true },
    ];
    await t.run({ nodes: [{ id: "r", op: "parallelize", data: records, numSlices: 2 }], action: { op: "save", input: "r", path: "csv-out", format: "csv", header: true, mode: "overwrite" } });
    const { lines } = readParts(t.dataDir, "csv-out");
    assert.equal(lines.filter((l) => l === "id,text,path,empty,none,ok").length, 2, "each part file has its header");
    const back = await t.run<Record<string, unknown>[]>({
      nodes: [{ id: "c", op: "csv", path: "outputs/csv-out/part-*", header: true, inferSchema: true, multiLine: true, nullValue: "NULL" }],
      action: { op: "collect", input: "c" },
    });
    const byId = back.sort((a, b) => (a.id as number) - (b.id as number));
    // With nullValue other than "", a quoted "" is an empty string again; an empty field (null) is null either way.
    assert.deepEqual(byId, records);
  });

  it("refuses to save a record whose keys the header does not have, rather than drop them", async () => {
    await assert.rejects(
      t.run({ nodes: [{ id: "r", op: "parallelize", data: [{ a: 1 }, { a: 2, b: 3 }], numSlices: 1 }], action: { op: "save", input: "r", path: "csv-bad", format: "csv", header: true } }),
      (e: JobFailedError) => /save as csv: record 2 has the key "b", not a column of the first record of its partition \(a\)/.test(e.message),
    );
  });
});
