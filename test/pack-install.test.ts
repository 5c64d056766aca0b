// The package as a new user meets it: `npm pack`, `npm install <tarball>` into an
// empty project, a TypeScript program that imports "minispark", runs a word count on
// connect("local[2]") and is started with `npx minispark submit app.ts` — first, on a
// Node without type stripping, refused with the message naming the compiler to
// install, then with typescript@5 installed. Also the tarball's file list.
//
// One departure from a user's machine: GitHub (where better-sqlite3's prebuilt binaries
// live) is unreachable here, so npm would compile it from source (about 5 minutes on this
// machine). The project pins better-sqlite3 to the version this repository built and the
// download is served from loopback with that build. MINISPARK_PACK_FROM_SOURCE=1 skips
// both and takes the user's full path.
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import { delimiter, dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { nodeStripArgs } from "../src/cli/typescript-program.js";
import { PROTOCOL_VERSION, packageVersion } from "../src/common/version.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const FROM_SOURCE = process.env.MINISPARK_PACK_FROM_SOURCE === "1";
const INSTALL_TIMEOUT_MS = FROM_SOURCE ? 900_000 : 240_000;

const PROGRAM = `import { connect, type Dataset } from "minispark";

const sc = await connect("local[2]", { dataDir: "data" });
try {
  const words: Dataset<string> = sc.textFile("text/*.txt").flatMap((line: string) => line.split(/\\s+/).filter((w) => w.length > 0));
  const counts = await words.map((w: string) => [w, 1] as [string, number]).reduceByKey((a: number, b: number) => a + b).collect();
  console.log(JSON.stringify(counts.sort((a, b) => (a[0] < b[0] ? -1 : 1))));
} finally {
  await sc.close();
}
`;

/** Serves this repository's better-sqlite3 build where prebuild-install looks for a download; `served` counts the downloads. */
function prebuildMirror(version: string, served: { count: number }): Promise<http.Server> {
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  const tarball = execFileSync("tar", ["-czf", "-", "-C", join(ROOT, "node_modules", "better-sqlite3"), "build/Release/better_sqlite3.node"], { maxBuffer: 64 << 20 });
  const server = http.createServer((req, res) => {
    if (req.url === `/v${version}/${name}`) {
      served.count++;
      res.writeHead(200, { "content-type": "application/gzip" }).end(tarball);
    } else res.writeHead(404).end();
  });
  return new Promise((res) => server.listen(0, "127.0.0.1", () => res(server)));
}

describe("npm pack, installed into a fresh project", { timeout: INSTALL_TIMEOUT_MS + 300_000 }, () => {
  const tmp = fs.mkdtempSync(join(os.tmpdir(), "minispark-pack-"));
  const app = join(tmp, "app");
  // The same Node for npm, npx and the minispark bin (its shebang asks PATH for node).
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH}`, NODE_TEST_CONTEXT: undefined };
  let files: string[] = [];
  let tarball = "";
  let mirror: http.Server | undefined;
  const served = { count: 0 };

  const run = (cmd: string, args: string[], timeout: number) => promisify(execFile)(cmd, args, { cwd: app, env, timeout, maxBuffer: 16 << 20 });

  before(async () => {
    const [packed] = JSON.parse(execFileSync("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", tmp], { cwd: ROOT, env, encoding: "utf8", timeout: 120_000 })) as [
      { filename: string; files: { path: string }[] },
    ];
    files = packed.files.map((f) => f.path);
    tarball = join(tmp, packed.filename);
    fs.mkdirSync(join(app, "data", "text"), { recursive: true });
    fs.writeFileSync(join(app, "data", "text", "a.txt"), "to be or not to be\nthat is the question\n");
    fs.writeFileSync(join(app, "app.ts"), PROGRAM);
    const pkg: Record<string, unknown> = { name: "pack-test-app", private: true, type: "module" };
    if (!FROM_SOURCE) {
      const version = (JSON.parse(fs.readFileSync(join(ROOT, "node_modules", "better-sqlite3", "package.json"), "utf8")) as { version: string }).version;
      pkg.overrides = { "better-sqlite3": version };
      mirror = await prebuildMirror(version, served);
      env.npm_config_better_sqlite3_binary_host = `http://127.0.0.1:${(mirror.address() as AddressInfo).port}`;
      // A cache of its own, as on a fresh machine: prebuild-install keeps downloads under the npm cache by a hash of their URL, and a mirror
      // port that an earlier run had used would be served from there instead of from this mirror.
      env.npm_config_cache = join(tmp, "npm-cache");
    }
    fs.writeFileSync(join(app, "package.json"), JSON.stringify(pkg, null, 2));
  });
  after(() => {
    mirror?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("ships the build, the web UI's compiled script, the bin, the LICENSE and the schemas, and no sources or tests", () => {
    for (const f of [
      "package.json",
      "LICENSE",
      "README.md",
      "bin/minispark.js",
      "dist/src/index.js",
      "dist/src/index.d.ts",
      "dist/src/cli/main.js",
      "dist/src/master/ui/app/main.js",
      "schema/jobspec.schema.json",
      "docs/openapi.json",
      "examples/wordcount.ts",
    ]) {
      assert.ok(files.includes(f), `${f} is in the tarball`);
    }
    const unwanted = files.filter((f) => /^(src|test|bench|dist\/test|dist\/bench)\//.test(f) || (f.endsWith(".ts") && !f.endsWith(".d.ts") && !f.startsWith("examples/")));
    assert.deepEqual(unwanted, []);
  });

  it('installs with npm and runs a TypeScript program on connect("local[2]") with npx minispark submit', async (t) => {
    const started = Date.now();
    await run("npm", ["install", "--no-audit", "--no-fund", tarball], INSTALL_TIMEOUT_MS);
    t.diagnostic(`npm install of the tarball took ${((Date.now() - started) / 1000).toFixed(1)} s${FROM_SOURCE ? " (better-sqlite3 from source)" : ""}`);
    assert.ok(!fs.existsSync(join(app, "node_modules", "typescript")), "the compiler is not installed with minispark");
    if (!FROM_SOURCE) assert.equal(served.count, 1, "better-sqlite3 came from the loopback mirror");

    const expected = [
      ["be", 2],
      ["is", 1],
      ["not", 1],
      ["or", 1],
      ["question", 1],
      ["that", 1],
      ["the", 1],
      ["to", 2],
    ];
    if (nodeStripArgs(process.versions.node, (process.features as { typescript?: unknown }).typescript) === undefined) {
      await assert.rejects(run("npx", ["minispark", "submit", "app.ts"], 60_000), (e: { code: number; stderr: string }) => {
        assert.equal(e.code, 2);
        assert.match(e.stderr, /npm install --save-dev typescript@5/);
        return true;
      });
      await run("npm", ["install", "--no-audit", "--no-fund", "--save-dev", "typescript@5"], 120_000);
    }
    const { stdout } = await run("npx", ["minispark", "submit", "app.ts"], 120_000);
    assert.deepEqual(JSON.parse(stdout.trim().split("\n").pop()!), expected);
    const { stdout: schema } = await run(process.execPath, ["--input-type=module", "-e", 'import s from "minispark/schema/jobspec.schema.json" with { type: "json" }; console.log(s.$id)'], 30_000);
    assert.match(schema, /jobspec\.schema\.json$/m, "the JobSpec schema is importable as minispark/schema/jobspec.schema.json");
    const { stdout: version } = await run("npx", ["minispark", "--version"], 30_000);
    assert.equal(version.trim(), `minispark ${packageVersion()} (protocol ${PROTOCOL_VERSION})`);
    t.diagnostic(`install and runs took ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });
});
