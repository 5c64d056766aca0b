// The installed package's version, read once from its package.json (three
// levels above every compiled file under dist/src/<folder>/), for
// `minispark --version` and the master's GET /api/v1/version.
import fs from "node:fs";

let cached: string | null = null;

export function packageVersion(): string {
  cached ??= (JSON.parse(fs.readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string }).version;
  return cached;
}
