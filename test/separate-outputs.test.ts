// Workers without a shared volume (inputs copied to each, as DESIGN allows):
// a save still completes, each worker's outputs directory holds the parts it
// wrote and a _SUCCESS, and together they hold every record exactly once.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { after, it } from "node:test";
import { LocalCluster } from "../src/client/local-cluster.js";

const root = fs.mkdtempSync(join(os.tmpdir(), "minispark-separate-"));
let cluster: LocalCluster | null = null;
after(async () => {
  await cluster?.stop();
  fs.rmSync(root, { recursive: true, force: true });
});

it("a save over workers with their own data directories commits on each", async () => {
  const dirs = ["a", "b"].map((d) => join(root, d));
  const lines = Array.from({ length: 2000 }, (_, i) => `line ${i}`);
  for (const d of dirs) {
    fs.mkdirSync(join(d, "in"), { recursive: true });
    fs.writeFileSync(join(d, "in", "lines.txt"), lines.join("\n") + "\n");
  }
  cluster = await LocalCluster.start({ workers: 0, slots: 1, dataDir: dirs[0]!, logFile: join(root, "cluster.log") });
  for (const d of dirs) cluster.startWorker(["--data-dir", d]);
  await cluster.waitForWorkers(2);
  const { value } = await cluster.client.run<{ files: string[]; records: number }>({
    nodes: [{ id: "l", op: "textFile", path: "in/lines.txt", maxPartitionBytes: 4096 }],
    action: { op: "save", input: "l", path: "copy" },
  });
  assert.equal(value.records, 2000);
  const written = dirs.map((d) => fs.readdirSync(join(d, "outputs", "copy")).sort());
  for (const files of written) {
    assert.ok(files.includes("_SUCCESS"), `each worker's output is committed: ${files}`);
    assert.ok(!files.includes("_JOB") && !files.includes("_temporary"));
  }
  const parts = written.flatMap((files, i) => files.filter((f) => f.startsWith("part-")).map((f) => join(dirs[i]!, "outputs", "copy", f)));
  assert.equal(parts.length, value.files.length, "every part exactly once, on the worker that wrote it");
  const records = parts.flatMap((p) => fs.readFileSync(p, "utf8").split("\n").filter(Boolean));
  assert.deepEqual(records.sort(), [...lines].sort());
});
