// The library's API reference (`npm run docs`, typedoc from src/index.ts into docs/api):
// every exported symbol, member and overload is documented and every type a public
// signature names is exported — typedoc's validation with warnings as errors, as
// `npm run docs:check` runs it.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

it("typedoc documents the whole public API without a warning", async () => {
  const pkg = createRequire(import.meta.url).resolve("typedoc/package.json");
  const bin = join(dirname(pkg), "bin", "typedoc");
  const r = await promisify(execFile)(process.execPath, [bin, "--emit", "none", "--treatWarningsAsErrors"], { cwd: ROOT, timeout: 120_000 }).catch(
    (e: { code: number; stdout: string; stderr: string }) => e,
  );
  assert.equal("code" in r ? r.code : 0, 0, `typedoc failed:\n${r.stdout}${r.stderr}`);
});
