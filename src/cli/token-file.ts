// Where a master on this machine keeps the token it generated, so that the
// processes that need it find it without being told: a master started without
// a token listens on loopback only (args.ts refuses otherwise), generates a
// random token and writes it, mode 0600 in a 0700 directory, to
// <minispark home>/tokens/localhost-<port> (home: MINISPARK_HOME, default
// ~/.minispark). `minispark worker --master http://127.0.0.1:<port>` and the
// client commands read it there when given no token; a restarted master on
// the same port reuses it, so its workers and clients keep working. Called by
// cluster-commands.ts and args.ts. The local cluster passes its own token.
// A master on --port 0 removes its file when it stops cleanly: no later master
// gets that port on purpose, so the file would only pile up.
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { isLoopbackHost } from "../common/host-policy.js";
import { makePrivateDir } from "../common/private-files.js";

export function minisparkHome(): string {
  return process.env.MINISPARK_HOME || join(os.homedir(), ".minispark");
}

/** The token file of a loopback master on `port`. */
export function tokenFilePath(port: number): string {
  return join(minisparkHome(), "tokens", `localhost-${port}`);
}

/** The token a master at `url` on this machine's loopback wrote; null if it is not local or wrote none. */
export function readLocalToken(url: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (!isLoopbackHost(u.hostname)) return null;
  const port = Number(u.port || (u.protocol === "https:" ? 443 : 80));
  try {
    return fs.readFileSync(tokenFilePath(port), "utf8").split("\n")[0]!.trim() || null;
  } catch {
    return null;
  }
}

export function generateToken(): string {
  return randomBytes(32).toString("hex");
}

/** Writes `token` as the token of the loopback master on `port`, readable by this user only; returns the file. */
export function writeLocalToken(port: number, token: string): string {
  const file = tokenFilePath(port);
  makePrivateDir(join(minisparkHome(), "tokens"));
  // A fresh file created 0600 and renamed over the old one: never a moment when another user could read it.
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, token + "\n", { mode: 0o600, flag: "wx" });
  fs.renameSync(tmp, file);
  return file;
}

/** Removes the token file of the master on `port` if it still holds `token` (another master may have taken the port since). */
export function removeLocalToken(port: number, token: string): void {
  if (readLocalToken(`http://127.0.0.1:${port}`) === token) fs.rmSync(tokenFilePath(port), { force: true });
}
