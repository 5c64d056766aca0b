// The deployment files (issues 9 and 15): docker-compose.yml is valid for
// `docker-compose config` (CI installs Debian's docker-compose; there is no Docker
// engine, so the image build itself is not exercised), needs the token, and its
// worker service scales; every flag the compose file, the systemd units and the
// Kubernetes manifests pass to minispark is one the CLI knows; the Dockerfile
// copies what its ENTRYPOINT and HEALTHCHECK run, as a non-root user, and its
// HEALTHCHECK tells a live master from a port nothing answers on.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import { healthTarget } from "../src/common/container-healthcheck.js";
import { PREREQUISITES, prerequisiteSkip } from "./helpers/prereq.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CLI = fileURLToPath(new URL("../src/cli/main.js", import.meta.url));
const COMPOSE = `${ROOT}deploy/docker-compose.yml`;
const DOCKERFILE = `${ROOT}deploy/Dockerfile`;
const KUBERNETES = `${ROOT}deploy/kubernetes/`;
const HEALTHCHECK = fileURLToPath(new URL("../src/common/container-healthcheck.js", import.meta.url));
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

/** Whether a usage text lists `flag` itself (not merely a longer flag it begins, as --memory does --memory-fraction). */
function knows(help: string, flag: string): boolean {
  return new RegExp(`(^|[\\s,])${flag}(?![\\w-])`, "m").test(help);
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
            assert.ok(knows(help[command], flag), `${file}: minispark ${command} has no ${flag}`);
            checked++;
          }
        }
      }
    }
    assert.ok(checked >= 15, `only ${checked} flags found`);
  });

  it("passes minispark only flags its CLI knows in the Kubernetes manifests", () => {
    const help = { master: usage("master"), worker: usage("worker") };
    const seen = new Set<string>();
    for (const file of fs.readdirSync(KUBERNETES).filter((f) => f.endsWith(".yaml"))) {
      for (const doc of parseAllDocuments(fs.readFileSync(KUBERNETES + file, "utf8")).map((d) => d.toJS())) {
        for (const c of doc?.spec?.template?.spec?.containers ?? []) {
          const [command, ...args] = c.args as string[];
          assert.ok(command === "master" || command === "worker", `${file}: ${command}`);
          for (const flag of args.filter((a) => a.startsWith("--")).map((a) => a.split("=")[0]!)) {
            assert.ok(knows(help[command], flag), `${file}: minispark ${command} has no ${flag}`);
            seen.add(command);
          }
        }
      }
    }
    assert.deepEqual([...seen].sort(), ["master", "worker"]);
    assert.ok(knows(help.worker, "--memory") && !knows(help.worker, "--mem") && !knows(help.worker, "--memory-f"), "a flag is matched whole");
  });

  it("the Dockerfile runs the CLI and its health check from what it copies, on one Node major in both stages, as a non-root user", () => {
    const lines = fs
      .readFileSync(DOCKERFILE, "utf8")
      .replace(/\\\n/g, " ")
      .split("\n")
      .filter((l) => /^[A-Z]/.test(l));
    const all = (op: string) => lines.filter((l) => l.startsWith(op + " ")).map((l) => l.slice(op.length + 1).trim());
    const [build, run] = all("FROM");
    assert.match(build!, /^node:(\d+)-(\w+) AS build$/);
    assert.equal(run, build!.replace(/ AS build$/, "-slim"), "the native addon is built for the Node and Debian it runs on");
    assert.ok(Number(/^node:(\d+)/.exec(run!)![1]) >= 22, "a Node line that is not past its end of life");
    const user = all("USER").at(-1);
    assert.ok(user && user !== "root" && user !== "0", "runs as a non-root user");
    const workdir = all("WORKDIR").at(-1)!;
    const copied = all("COPY")
      .filter((c) => c.startsWith("--from=build "))
      .map((c) => c.split(" ")[2]!.replace(`${workdir}/`, "").replace(/^\.\//, ""));
    /** A path in the image that a COPY from the build stage brought and that the build made in this repository. */
    const inImage = (path: string) => {
      const rel = path.replace(`${workdir}/`, "");
      assert.ok(
        copied.some((c) => rel.startsWith(c.replace(/\/$/, "") + "/")),
        `${path} is not copied into the image`,
      );
      const built = rel.startsWith("dist/") ? fileURLToPath(new URL(`../${rel.slice("dist/".length)}`, import.meta.url)) : ROOT + rel;
      assert.ok(fs.existsSync(built), `${rel} does not exist`);
      return built;
    };
    const entrypoint = JSON.parse(all("ENTRYPOINT")[0]!) as string[];
    const cmd = JSON.parse(all("CMD").at(-1)!) as string[];
    assert.equal(entrypoint[0], "node");
    const cli = spawnSync(process.execPath, [inImage(entrypoint[1]!), ...cmd], { encoding: "utf8" });
    assert.equal(cli.status, 0, cli.stderr);
    assert.match(cli.stdout, /usage: minispark/);
    const health = /^--interval=\S+ --timeout=\S+ --start-period=\S+ --retries=\d+ +CMD (\[.*\])$/.exec(all("HEALTHCHECK")[0] ?? "");
    assert.ok(health, "a HEALTHCHECK in exec form");
    const probe = JSON.parse(health[1]!) as string[];
    assert.equal(probe[0], "node", "the slim image has no curl");
    assert.equal(inImage(probe[1]!), HEALTHCHECK);
  });

  it("the image's health check finds the port in the process's command line or environment and asks its /healthz", async () => {
    assert.deepEqual(healthTarget(["node", "/opt/minispark/bin/minispark.js", "master", "--host", "0.0.0.0", "--port", "7077"]), { url: new URL("http://127.0.0.1:7077/healthz") });
    assert.deepEqual(healthTarget(["node", "m.js", "master"]), { url: new URL("http://127.0.0.1:7077/healthz") }, "the master's default port");
    assert.deepEqual(healthTarget(["node", "m.js", "worker", "--port=7078", "--host", "10.1.2.3", "--tls-cert", "w.pem"]), { url: new URL("https://10.1.2.3:7078/healthz") });
    assert.deepEqual(healthTarget(["node", "m.js", "worker", "--host", "::", "--port", "7078"]), { url: new URL("http://[::1]:7078/healthz") });
    assert.ok("skip" in healthTarget(["node", "m.js", "worker", "--master", "http://m:7077"]), "a worker on a random port cannot be checked");
    assert.ok("skip" in healthTarget(["node", "m.js", "--help"]));
    assert.deepEqual(
      healthTarget(["node", "m.js", "worker"], { MINISPARK_PORT: "7078", MINISPARK_HOST: "10.1.2.3" }),
      { url: new URL("http://10.1.2.3:7078/healthz") },
      "a container configured by its environment",
    );
    assert.deepEqual(
      healthTarget(["node", "m.js", "worker", "--port", "7079"], { MINISPARK_PORT: "7078", MINISPARK_TLS_CERT: "" }),
      { url: new URL("http://127.0.0.1:7079/healthz") },
      "the flag wins; an empty variable is unset",
    );

    const home = fs.mkdtempSync(join(os.tmpdir(), "minispark-healthcheck-"));
    // Below Linux's ephemeral range (32768 and up), where other tests' connections take their local ports.
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    // Its port only in its environment, as a container sets it.
    const master = spawn(process.execPath, [CLI, "master", "--host", "127.0.0.1", "--db", join(home, "m.db"), "--token", "t0ken"], {
      env: { ...process.env, MINISPARK_HOME: home, MINISPARK_PORT: String(port) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    // A process whose command line names a master on a port nothing listens on.
    const silent = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60_000)", "master", "--port", String(port + 1)], { stdio: "ignore" });
    try {
      let up = false;
      for (let i = 0; i < 200 && !up; i++) {
        up = await fetch(`http://127.0.0.1:${port}/healthz`).then(
          (r) => r.ok,
          () => false,
        );
        if (!up) await new Promise((r) => setTimeout(r, 50));
      }
      assert.ok(up, "the master started");
      const check = (pid: number) => spawnSync(process.execPath, [HEALTHCHECK, String(pid)], { encoding: "utf8" });
      assert.equal(check(master.pid!).status, 0, check(master.pid!).stdout);
      const down = check(silent.pid!);
      assert.equal(down.status, 1);
      assert.match(down.stdout, new RegExp(`127\\.0\\.0\\.1:${port + 1}/healthz: .*ECONNREFUSED`));
    } finally {
      silent.kill();
      // A master that could not start has exited already: waiting for its exit would never end.
      if (master.exitCode === null && master.signalCode === null) {
        const exited = new Promise((r) => master.once("exit", r));
        master.kill("SIGTERM");
        await exited;
      }
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});
