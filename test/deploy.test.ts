// The deployment files (issue 9): docker-compose.yml is valid for
// `docker-compose config` (CI installs Debian's docker-compose; there is no Docker
// engine, so the image build itself is not exercised), needs the token, and its
// worker service scales; every flag the compose file and the systemd units pass
// to minispark is one the CLI knows.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { fileURLToPath } from "node:url";
import { PREREQUISITES, prerequisiteSkip } from "./helpers/prereq.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CLI = fileURLToPath(new URL("../src/cli/main.js", import.meta.url));
const COMPOSE = `${ROOT}deploy/docker-compose.yml`;
const composeSkip = prerequisiteSkip(PREREQUISITES.dockerCompose);

function compose(args: string[], env: Record<string, string | undefined>) {
  return spawnSync("docker-compose", ["-f", COMPOSE, ...args], { encoding: "utf8", env: { ...process.env, ...env } });
}

/** The usage text of `minispark <command> --help`. */
function usage(command: string): string {
  const r = spawnSync(process.execPath, [CLI, command, "--help"], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

describe("deployment files", () => {
  it("docker-compose.yml passes `docker-compose config`, needs the token, and scales its workers", { skip: composeSkip }, () => {
    const ok = compose(["config"], { MINISPARK_TOKEN: "t0ken" });
    assert.equal(ok.status, 0, ok.stderr);
    assert.deepEqual(compose(["config", "--services"], { MINISPARK_TOKEN: "t0ken" }).stdout.trim().split("\n").sort(), ["master", "worker"]);
    const worker = ok.stdout.slice(ok.stdout.indexOf("\n  worker:"), ok.stdout.indexOf("\nvolumes:"));
    assert.match(worker, /replicas: 3/);
    assert.doesNotMatch(worker, /container_name|ports:/, "a scaled service can have neither a fixed name nor a fixed host port");
    assert.match(worker, /MINISPARK_TOKEN: t0ken/);
    const missing = compose(["config"], { MINISPARK_TOKEN: undefined });
    assert.notEqual(missing.status, 0);
    assert.match(missing.stderr, /MINISPARK_TOKEN/);
  });

  it("passes minispark only flags its CLI knows", () => {
    const files = [COMPOSE, `${ROOT}deploy/systemd/minispark-master.service`, `${ROOT}deploy/systemd/minispark-worker.service`];
    const help = { master: usage("master"), worker: usage("worker") };
    let checked = 0;
    for (const file of files) {
      const text = fs.readFileSync(file, "utf8").replace(/\\\n/g, " ");
      for (const command of ["master", "worker"] as const) {
        const invocations = text.match(new RegExp(`(minispark\\.js ${command}|\\["${command}")[^\\n]*`, "g")) ?? [];
        for (const line of invocations) {
          for (const flag of line.match(/--[a-z-]+/g) ?? []) {
            assert.ok(help[command].includes(flag), `${file}: minispark ${command} has no ${flag}`);
            checked++;
          }
        }
      }
    }
    assert.ok(checked >= 15, `only ${checked} flags found`);
  });
});
