// A worker's side of the output commit on a temporary data directory, without
// processes: staged parts are invisible until published, an attempt of a job
// that ended or was overwritten cannot write or publish, every step repeats
// harmlessly (a restarted master), and no symlink under outputs/ is followed.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import type { ResultAction } from "../src/plan/physical.js";
import { abortOutput, checkIdSegment, committedBy, finalizeOutput, prepareOutput, publishParts } from "../src/storage/output-files.js";
import { type PartWriter, stagedPartWriter } from "../src/storage/part-writer.js";

const root = fs.mkdtempSync(join(os.tmpdir(), "minispark-output-files-"));
after(() => fs.rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = () => {
  const d = join(root, `data-${n++}`);
  fs.mkdirSync(d);
  return d;
};
const action = { type: "save", path: "out", format: "text", header: false, compression: null } as ResultAction & { type: "save" };
const A = "job-000000001-aaaaaa";
const B = "job-000000002-bbbbbb";
const att = (job: string, p: number, k = 0) => `${job}.0.${p}.${k}`;

function stage(data: string, job: string, p: number, k = 0, path = "out"): PartWriter {
  const w = stagedPartWriter(data, path, job, att(job, p, k), p, { ...action, path });
  w.add(`${job}:${p}:${k}`);
  return w;
}

const visible = (data: string, path = "out") =>
  fs
    .readdirSync(join(data, "outputs", path))
    .filter((f) => !f.startsWith("_"))
    .sort();

describe("staging, publish and finalize", () => {
  it("parts are invisible until published; _SUCCESS names the job and its files", () => {
    const data = fresh();
    prepareOutput(data, "out", "error", A);
    stage(data, A, 0).finish();
    stage(data, A, 1, 0).finish();
    stage(data, A, 1, 1).finish(); // a duplicate attempt of partition 1
    assert.deepEqual(visible(data), []);
    publishParts(data, "out", A, [
      { partition: 0, attemptId: att(A, 0) },
      { partition: 1, attemptId: att(A, 1, 1) },
    ]);
    finalizeOutput(data, "out", A, 2);
    const dir = join(data, "outputs", "out");
    assert.deepEqual(fs.readdirSync(dir).sort(), ["_SUCCESS", "part-00000", "part-00001"]);
    assert.deepEqual(JSON.parse(fs.readFileSync(join(dir, "_SUCCESS"), "utf8")), { job: A, files: ["part-00000", "part-00001"], partitions: 2 });
    assert.equal(fs.readFileSync(join(dir, "part-00001"), "utf8"), `${A}:1:1\n`, "the authorised attempt's file, not the other one");
    assert.equal(committedBy(dir), A);
  });

  it("publish and finalize repeat harmlessly (a master restarted mid-commit sends them again)", () => {
    const data = fresh();
    prepareOutput(data, "out", "error", A);
    stage(data, A, 0).finish();
    stage(data, A, 1).finish();
    const parts = [
      { partition: 0, attemptId: att(A, 0) },
      { partition: 1, attemptId: att(A, 1) },
    ];
    assert.deepEqual(publishParts(data, "out", A, parts.slice(0, 1)), { published: 1 });
    assert.deepEqual(publishParts(data, "out", A, parts), { published: 1 });
    finalizeOutput(data, "out", A, 2);
    assert.deepEqual(publishParts(data, "out", A, parts), { published: 0 });
    finalizeOutput(data, "out", A, 2);
    assert.deepEqual(visible(data), ["part-00000", "part-00001"]);
  });

  it("a publish naming an attempt that staged nothing here fails instead of committing a hole", () => {
    const data = fresh();
    prepareOutput(data, "out", "error", A);
    assert.throws(() => publishParts(data, "out", A, [{ partition: 0, attemptId: att(A, 0) }]), /staged part-00000 of attempt .* is not on this worker/);
  });
});

describe("late attempts", () => {
  it("an attempt starting after its job committed is refused; one already writing leaves nothing visible", () => {
    const data = fresh();
    prepareOutput(data, "out", "error", A);
    stage(data, A, 0).finish();
    const asleep = stage(data, A, 1, 1); // open before the commit, "wakes" after it
    const early = stage(data, A, 1, 0);
    early.finish();
    publishParts(data, "out", A, [
      { partition: 0, attemptId: att(A, 0) },
      { partition: 1, attemptId: att(A, 1, 0) },
    ]);
    finalizeOutput(data, "out", A, 2);
    const before = fs.readdirSync(join(data, "outputs", "out")).sort();
    asleep.add("late record");
    asleep.finish();
    assert.throws(() => stage(data, A, 1, 2), /not owned by job .* committed or removed/);
    assert.deepEqual(publishParts(data, "out", A, [{ partition: 1, attemptId: att(A, 1, 1) }]), { published: 0 }, "after the commit, a publish changes nothing");
    assert.deepEqual(fs.readdirSync(join(data, "outputs", "out")).sort(), before);
    assert.equal(fs.readFileSync(join(data, "outputs", "out", "part-00001"), "utf8"), `${A}:1:0\n`);
  });

  it("after an overwrite took the path, the earlier job can neither stage nor publish nor finalize", () => {
    const data = fresh();
    prepareOutput(data, "out", "error", A);
    const open = stage(data, A, 0);
    prepareOutput(data, "out", "overwrite", B);
    open.finish();
    assert.throws(() => stage(data, A, 1), /not owned by job job-000000001-aaaaaa \(job job-000000002-bbbbbb owns it\)/);
    assert.throws(() => publishParts(data, "out", A, [{ partition: 0, attemptId: att(A, 0) }]), /took it over/);
    assert.throws(() => finalizeOutput(data, "out", A, 1), /took it over/);
    abortOutput(data, "out", A, false);
    stage(data, B, 0).finish();
    publishParts(data, "out", B, [{ partition: 0, attemptId: att(B, 0) }]);
    finalizeOutput(data, "out", B, 1);
    assert.equal(committedBy(join(data, "outputs", "out")), B);
    assert.equal(fs.readFileSync(join(data, "outputs", "out", "part-00000"), "utf8"), `${B}:0:0\n`);
  });

  it("abort removes a failed job's reservation and parts, and keeps a committed output when told the job committed", () => {
    const data = fresh();
    prepareOutput(data, "out", "error", A);
    stage(data, A, 0).finish();
    publishParts(data, "out", A, [{ partition: 0, attemptId: att(A, 0) }]);
    abortOutput(data, "out", A, false);
    assert.ok(!fs.existsSync(join(data, "outputs", "out")));
    prepareOutput(data, "out", "error", B);
    stage(data, B, 0).finish();
    publishParts(data, "out", B, [{ partition: 0, attemptId: att(B, 0) }]);
    finalizeOutput(data, "out", B, 1);
    abortOutput(data, "out", B, true);
    assert.equal(committedBy(join(data, "outputs", "out")), B);
    abortOutput(data, "out", B, false);
    assert.ok(!fs.existsSync(join(data, "outputs", "out")), "a job that reports FAILED leaves no _SUCCESS");
  });
});

describe("confinement", () => {
  it("a symlink anywhere on the output path is refused, and what it points at is untouched", () => {
    const data = fresh();
    const outside = fs.mkdtempSync(join(root, "outside-"));
    fs.writeFileSync(join(outside, "keep"), "x");
    fs.mkdirSync(join(outside, "sub"));
    fs.mkdirSync(join(data, "outputs"));
    fs.symlinkSync(outside, join(data, "outputs", "link"));
    assert.throws(() => prepareOutput(data, "link/sub", "overwrite", A), /"outputs\/link" is a symbolic link/);
    assert.throws(() => prepareOutput(data, "link", "overwrite", A), /"outputs\/link" is a symbolic link/);
    assert.throws(() => abortOutput(data, "link", A, false), /symbolic link/);
    const data2 = fresh();
    fs.symlinkSync(outside, join(data2, "outputs"));
    assert.throws(() => prepareOutput(data2, "fresh", "error", A), /"outputs" is a symbolic link/);
    assert.deepEqual(fs.readdirSync(outside).sort(), ["keep", "sub"]);
    assert.deepEqual(fs.readdirSync(join(outside, "sub")), []);
  });

  it("a staged file planted as a symlink is replaced, not written through; a planted staging link is refused", () => {
    const data = fresh();
    const outside = fs.mkdtempSync(join(root, "outside-"));
    fs.writeFileSync(join(outside, "target"), "untouched");
    prepareOutput(data, "out", "error", A);
    const attemptDir = join(data, "outputs", "out", "_temporary", A, att(A, 0));
    fs.mkdirSync(attemptDir);
    fs.symlinkSync(join(outside, "target"), join(attemptDir, "part-00000"));
    stage(data, A, 0).finish();
    assert.equal(fs.readFileSync(join(outside, "target"), "utf8"), "untouched");
    fs.symlinkSync(outside, join(data, "outputs", "out", "_temporary", A, att(A, 1)));
    assert.throws(() => stage(data, A, 1), /symbolic link/);
    assert.throws(() => publishParts(data, "out", A, [{ partition: 1, attemptId: att(A, 1) }]), /symbolic link/);
    assert.deepEqual(fs.readdirSync(outside), ["target"]);
  });

  it("ids and paths that would leave their directory are refused before any file is touched", () => {
    for (const bad of ["", ".", "..", "../x", "a/b", ".hidden", "x\0y", 7]) assert.throws(() => checkIdSegment("job id", bad), /not a valid id/);
    const data = fresh();
    assert.throws(() => prepareOutput(data, "out", "error", "../../evil"), /not a valid id/);
    assert.throws(() => prepareOutput(data, "../out", "error", A), /leaves the data directory/);
    assert.throws(() => stagedPartWriter(data, "out", A, "../../x", 0, action), /not a valid id/);
    assert.deepEqual(fs.readdirSync(data), []);
  });

  it("a plain file at the output path is refused in mode error and replaced in mode overwrite", () => {
    const data = fresh();
    fs.mkdirSync(join(data, "outputs"));
    fs.writeFileSync(join(data, "outputs", "out"), "old");
    assert.throws(() => prepareOutput(data, "out", "error", A), /already exists \(a file\)/);
    prepareOutput(data, "out", "overwrite", A);
    assert.deepEqual(fs.readdirSync(join(data, "outputs", "out")).sort(), ["_JOB", "_temporary"]);
  });

  it("nothing is saved inside another job's output", () => {
    const data = fresh();
    prepareOutput(data, "out", "error", A);
    assert.throws(() => prepareOutput(data, "out/inner", "overwrite", B), /inside the output "out" of another job/);
    finalizeOutput(data, "out", A, 0);
    assert.throws(() => prepareOutput(data, "out/inner", "overwrite", B), /inside the output "out" of another job/);
  });
});
