// `minispark submit app.ts` without shipping the compiler: on Node 20 through the
// typescript package, on Node 22 and 24 (the npm registry's `node` package) through
// Node's own type stripping — each a real program whose typed functions run on a
// cluster started by this Node (better-sqlite3 is built for its ABI only).
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { nodeStripArgs, noTypeScriptMessage } from "../src/cli/typescript-program.js";
import { startTestCluster, type TestCluster } from "./helpers/cluster.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(ROOT, "bin", "minispark.js");

describe("which Node strips types itself", () => {
  it("uses Node's stripping when it is on, the flag from 22.6, and the compiler before", () => {
    assert.deepEqual(nodeStripArgs("24.21.0", "strip"), []);
    assert.deepEqual(nodeStripArgs("23.6.0", "transform"), []);
    assert.deepEqual(nodeStripArgs("22.12.0", false), ["--experimental-strip-types"]);
    assert.deepEqual(nodeStripArgs("v22.6.0", undefined), ["--experimental-strip-types"]);
    assert.deepEqual(nodeStripArgs("23.0.0", undefined), ["--experimental-strip-types"]);
    assert.equal(nodeStripArgs("22.5.1", undefined), undefined);
    assert.equal(nodeStripArgs("20.20.2", undefined), undefined);
  });

  it("tells the user both ways out, and Node's rule for relative imports", () => {
    const m = noTypeScriptMessage("app.ts", "v20.20.2");
    assert.match(m, /typescript package is not installed/);
    assert.match(m, /npm install --save-dev typescript@5/);
    assert.match(m, /Node >= 22\.18/);
    assert.match(m, /"\.\/util\.ts"/);
    assert.match(noTypeScriptMessage("app.ts", "v20.20.2", "7.0.2"), /typescript 7\.0\.2 has no JavaScript API/);
  });
});

// Types in the functions that travel to the workers as source, an interface, a generic and
// `as`: stripped or transpiled, what reaches the workers must be valid JavaScript.
const PROGRAM = `import { connect } from "minispark";
interface Count { word: string; n: number }
const sc = await connect(undefined, { appName: "typed" });
try {
  const pairs = sc
    .textFile("words/*.txt")
    .flatMap((line: string): string[] => line.split(" "))
    .filter((w: string): boolean => w.length > 0)
    .map((w: string) => [w, 1] as [string, number])
    .reduceByKey((a: number, b: number): number => a + b);
  const counts: Count[] = (await pairs.collect()).map(([word, n]): Count => ({ word, n }));
  counts.sort((a: Count, b: Count) => b.n - a.n || (a.word < b.word ? -1 : 1));
  console.log(JSON.stringify({ ranAs: import.meta.url.split("/").pop(), counts }));
} finally {
  await sc.close();
}
`;

/** The npm registry's node@<major>, cached by npx; undefined (skip) if it cannot be fetched, outside CI. */
function otherNode(major: number): string | undefined {
  try {
    const out = execFileSync("npx", ["-y", "--prefer-offline", "-p", `node@${major}`, "node", "-p", "process.execPath"], { encoding: "utf8", timeout: 180_000, cwd: os.tmpdir() });
    return out.trim().split("\n").pop();
  } catch (e) {
    if (process.env.CI === "true") throw new Error(`node@${major} from the npm registry is needed under CI: ${String(e)}`);
    return undefined;
  }
}

describe("minispark submit app.ts against a cluster", () => {
  let tc: TestCluster;
  let dir: string;
  before(async () => {
    tc = await startTestCluster();
    fs.mkdirSync(join(tc.dataDir, "words"));
    fs.writeFileSync(join(tc.dataDir, "words", "a.txt"), "b a c\na  b\n");
    fs.writeFileSync(join(tc.dataDir, "words", "b.txt"), "a\n");
    // A user's project: minispark in its node_modules, the program beside it.
    dir = fs.mkdtempSync(join(os.tmpdir(), "minispark-ts-"));
    fs.mkdirSync(join(dir, "node_modules"));
    fs.symlinkSync(ROOT, join(dir, "node_modules", "minispark"));
    fs.writeFileSync(join(dir, "app.ts"), PROGRAM);
  });
  after(async () => {
    await tc?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  async function submit(node: string): Promise<{ ranAs: string; counts: { word: string; n: number }[] }> {
    const { stdout } = await promisify(execFile)(node, [BIN, "submit", "--master", tc.cluster.masterUrl, "app.ts"], {
      cwd: dir,
      timeout: 60_000,
      env: { ...process.env, MINISPARK_TOKEN: tc.cluster.token },
    });
    return JSON.parse(stdout.trim().split("\n").pop()!);
  }
  const EXPECTED = [{ word: "a", n: 3 }, { word: "b", n: 2 }, { word: "c", n: 1 }];

  it(`runs on this Node (${process.version})`, async () => {
    const r = await submit(process.execPath);
    assert.deepEqual(r.counts, EXPECTED);
    const stripped = nodeStripArgs(process.versions.node, (process.features as { typescript?: unknown }).typescript) !== undefined;
    // The compiler writes a hidden .mjs beside the program and removes it afterwards.
    assert.match(r.ranAs, stripped ? /^app\.ts$/ : /^\.app\.[0-9a-f]{8}\.mjs$/);
    assert.deepEqual(fs.readdirSync(dir).sort(), ["app.ts", "node_modules"]);
  });

  for (const major of [22, 24]) {
    it(`runs on Node ${major} through its own type stripping`, async (t) => {
      const node = otherNode(major);
      if (!node) return t.skip(`node@${major} could not be fetched from the npm registry (npx -p node@${major})`);
      const r = await submit(node);
      assert.deepEqual(r.counts, EXPECTED);
      assert.equal(r.ranAs, "app.ts", "Node ran the program itself, not a transpiled copy");
    });
  }
});
