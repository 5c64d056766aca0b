// The installed package's version, read once from its package.json (three
// levels above every compiled file under dist/src/<folder>/), for
// `minispark --version` and the master's GET /api/v1/version; and the version
// of the protocol its processes speak, which every control message and request
// between them carries (cluster/protocol.ts).
import fs from "node:fs";

/** Raised whenever a message's or a plan's shape changes: a stored plan of another protocol is planned again. */
export const PROTOCOL_VERSION = 6;

let cached: string | null = null;

export function packageVersion(): string {
  cached ??= (JSON.parse(fs.readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string }).version;
  return cached;
}
