// `minispark submit app.ts` without shipping the compiler: on Node 20 through the
// typescript package, on Node 22 and 24 (the npm registry's `node` package) through
// Node's own type stripping — each a real program whose typed functions run on a
// cluster started by this Node (better-sqlite3 is built for its ABI only) —
// in a project whose package.json says "type": "commonjs" (as `npm init -y`
// writes), "module", or has none. A killed submit's hidden file is swept by
// the next.
import assert from "node:assert/strict";
import { execFile, execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { needsModuleCopy, nodeStripArgs, noTypeScriptMessage } from "../src/cli/typescript-program.js";
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

  it('copies a .ts to .mts unless its package says "type": "module"; an .mts is a module anyway', () => {
    assert.equal(needsModuleCopy("/p/app.ts", "commonjs"), true);
    assert.equal(needsModuleCopy("/p/app.ts", undefined), true);
    assert.equal(needsModuleCopy("/p/app.ts", "module"), false);
    assert.equal(needsModuleCopy("/p/app.mts", "commonjs"), false);
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

const PROJECTS = { none: undefined, commonjs: "commonjs", module: "module" } as const;
type Project = keyof typeof PROJECTS;

describe("minispark submit app.ts against a cluster", () => {
  let tc: TestCluster;
  let root: string;
  const project = (p: Project) => join(root, p);
  before(async () => {
    tc = await startTestCluster();
    fs.mkdirSync(join(tc.dataDir, "words"));
    fs.writeFileSync(join(tc.dataDir, "words", "a.txt"), "b a c\na  b\n");
    fs.writeFileSync(join(tc.dataDir, "words", "b.txt"), "a\n");
    // A user's projects: minispark in node_modules, the program beside it, and package.json as the kind says.
    root = fs.mkdtempSync(join(os.tmpdir(), "minispark-ts-"));
    for (const [p, type] of Object.entries(PROJECTS)) {
      const dir = join(root, p);
      fs.mkdirSync(join(dir, "node_modules"), { recursive: true });
      fs.symlinkSync(ROOT, join(dir, "node_modules", "minispark"));
      fs.writeFileSync(join(dir, "app.ts"), PROGRAM);
      if (type) fs.writeFileSync(join(dir, "package.json"), JSON.stringify({ name: `app-${p}`, version: "1.0.0", type }));
    }
  });
  after(async () => {
    await tc?.stop();
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  const env = () => ({ ...process.env, MINISPARK_TOKEN: tc.cluster.token });
  async function submit(node: string, p: Project): Promise<{ ranAs: string; counts: { word: string; n: number }[] }> {
    const { stdout } = await promisify(execFile)(node, [BIN, "submit", "--master", tc.cluster.masterUrl, "app.ts"], { cwd: project(p), timeout: 60_000, env: env() });
    return JSON.parse(stdout.trim().split("\n").pop()!);
  }
  const EXPECTED = [
    { word: "a", n: 3 },
    { word: "b", n: 2 },
    { word: "c", n: 1 },
  ];
  const files = (p: Project) => fs.readdirSync(project(p)).sort();
  const projectFiles = (p: Project) => (PROJECTS[p] ? ["app.ts", "node_modules", "package.json"] : ["app.ts", "node_modules"]);

  const thisNodeStrips = nodeStripArgs(process.versions.node, (process.features as { typescript?: unknown }).typescript) !== undefined;
  for (const p of Object.keys(PROJECTS) as Project[]) {
    it(`runs on this Node (${process.version}) in a project with ${PROJECTS[p] ? `"type": "${PROJECTS[p]}"` : "no package.json"}`, async () => {
      const r = await submit(process.execPath, p);
      assert.deepEqual(r.counts, EXPECTED);
      // The compiler writes a hidden .mjs beside the program, Node's stripping outside a "module" package a hidden .mts; both are removed afterwards.
      assert.match(r.ranAs, !thisNodeStrips ? /^\.app\.\d+-[0-9a-f]{8}\.mjs$/ : p === "module" ? /^app\.ts$/ : /^\.app\.\d+-[0-9a-f]{8}\.mts$/);
      assert.deepEqual(files(p), projectFiles(p));
    });
  }

  for (const major of [22, 24]) {
    for (const p of Object.keys(PROJECTS) as Project[]) {
      it(`runs on Node ${major} through its own type stripping, package.json ${PROJECTS[p] ? `"type": "${PROJECTS[p]}"` : "absent"}`, async (t) => {
        const node = otherNode(major);
        if (!node) return t.skip(`node@${major} could not be fetched from the npm registry (npx -p node@${major})`);
        const r = await submit(node, p);
        assert.deepEqual(r.counts, EXPECTED);
        if (p === "module") assert.equal(r.ranAs, "app.ts", "Node ran the program itself, not a copy");
        else assert.match(r.ranAs, /^\.app\.\d+-[0-9a-f]{8}\.mts$/, "run as an ES module copy, whatever Node would make of a .ts here");
        assert.deepEqual(files(p), projectFiles(p));
      });
    }
  }

  it("sweeps the hidden program a submit killed with -9 left behind", async () => {
    const dir = project("none");
    fs.writeFileSync(join(dir, "slow.ts"), `const ms: number = Number(process.env.SLEEP_MS ?? 0);\nawait new Promise((r) => setTimeout(r, ms));\nconsole.log("done");\nexport {};\n`);
    const killed = spawn(process.execPath, [BIN, "submit", "--master", tc.cluster.masterUrl, "slow.ts"], { cwd: dir, env: { ...env(), SLEEP_MS: "60000" }, stdio: "ignore" });
    const hidden = () => fs.readdirSync(dir).filter((n) => n.startsWith(".slow."));
    for (const until = Date.now() + 30_000; hidden().length === 0 && Date.now() < until; ) await new Promise((r) => setTimeout(r, 50));
    const [left] = hidden();
    assert.ok(left, "submit wrote its hidden program");
    killed.kill("SIGKILL");
    await new Promise((r) => killed.once("exit", r));
    assert.ok(fs.existsSync(join(dir, left)), "kill -9 leaves it");
    // Older than the few seconds a just-recycled pid's new owner could have had.
    const past = new Date(Date.now() - 60_000);
    fs.utimesSync(join(dir, left), past, past);
    const { stdout } = await promisify(execFile)(process.execPath, [BIN, "submit", "--master", tc.cluster.masterUrl, "slow.ts"], { cwd: dir, timeout: 60_000, env: env() });
    assert.match(stdout, /done/);
    assert.deepEqual(hidden(), [], "the next submit of that program removed it");
    fs.rmSync(join(dir, "slow.ts"));
  });
});
