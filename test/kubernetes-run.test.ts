// The Kubernetes manifests' master and worker containers, run here as the
// processes their pods would start (the same args and env, mounts as
// directories, ports moved to free ones, the pod IP as 127.0.0.1), under
// strace: the worker registers under its advertised pod IP, a job reads from
// the data volume and saves to it, the master answers its Service's names and
// refuses others, both stop cleanly on SIGTERM (the worker within its
// termination grace), and neither writes anywhere but its volumes, which is
// what lets their root file systems be read-only.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, it } from "node:test";
import { fileURLToPath } from "node:url";
import { MinisparkClient } from "../src/client/rest-client.js";
import { loadManifests, localCommand, type LocalPlacement } from "./helpers/kubernetes-manifests.js";
import { PREREQUISITES, prerequisiteSkip } from "./helpers/prereq.js";
import { wordCountSave } from "./helpers/pipe.js";

const CLI = fileURLToPath(new URL("../src/cli/main.js", import.meta.url));
const straceSkip = prerequisiteSkip(PREREQUISITES.strace);
const tmp = fs.mkdtempSync(join(os.tmpdir(), "minispark-k8s-run-"));
const TOKEN = "k8s-run-secret";
const pids: number[] = [];

after(() => {
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** The paths a strace log (-y: descriptors with their paths) shows being created, written, renamed or removed. */
function writtenPaths(log: string): string[] {
  const paths: string[] = [];
  for (const line of log.split("\n")) {
    const call = /\b(open|openat2?|mkdir|mkdirat|rename|renameat2?|unlink|unlinkat|rmdir|symlink|link|truncate)\((.*)$/.exec(line);
    if (!call) continue;
    if (call[1]!.startsWith("open") && !/O_WRONLY|O_RDWR|O_CREAT|O_TRUNC|O_APPEND/.test(call[2]!)) continue;
    // Every path argument, relative ones resolved against the descriptor (or working directory) before them.
    for (const [, dir, path] of call[2]!.matchAll(/(?:(?:AT_FDCWD|\d+)(?:<([^>]*)>)?, )?"([^"]+)"/g)) paths.push(path!.startsWith("/") || !dir ? path! : `${dir}/${path}`);
  }
  return paths;
}

/** Starts `node CLI <args>` under strace; resolves once it logs `ready`, with its pid (the first the trace names: strace's child). */
function start(name: string, ready: string, cmd: { env: Record<string, string>; args: string[] }, env: Record<string, string>): Promise<{ proc: ChildProcess; pid: number; log: string }> {
  const log = join(tmp, `${name}.strace`);
  const proc = spawn(
    "strace",
    [
      "-f",
      "-qq",
      "-y",
      "--seccomp-bpf",
      "-e",
      "trace=open,openat,openat2,mkdir,mkdirat,rename,renameat,renameat2,unlink,unlinkat,rmdir,symlink,link,truncate",
      "-o",
      log,
      process.execPath,
      CLI,
      ...cmd.args,
    ],
    {
      cwd: join(tmp, "root"),
      env: { PATH: process.env.PATH!, ...env, ...cmd.env },
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  const lines: string[] = [];
  return new Promise((resolve, reject) => {
    createInterface({ input: proc.stderr! }).on("line", (l) => {
      lines.push(l);
      if (!l.includes(`"msg":"${ready}"`)) return;
      const pid = Number(/^(\d+) /.exec(fs.readFileSync(log, "utf8"))?.[1]);
      pids.push(pid);
      resolve({ proc, pid, log });
    });
    proc.once("exit", (code) => reject(new Error(`${name} exited ${code}: ${lines.join("\n")}`)));
  });
}

function hostStatus(port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: "127.0.0.1", port, path: "/api/v1/version", headers: { host, authorization: `Bearer ${TOKEN}` } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
      .on("error", reject);
  });
}

it("the manifests' master and worker run as their pods would, writing only to their volumes", { skip: straceSkip, timeout: 90_000 }, async () => {
  const manifests = loadManifests(fileURLToPath(new URL("../../deploy/kubernetes/", import.meta.url)));
  const pod = (kind: string) => (manifests.find((m) => m.doc.kind === kind)!.doc as any).spec.template.spec;
  const masterPod = pod("StatefulSet");
  const workerPod = pod("Deployment");
  const mounts = new Map<string, string>();
  for (const c of [...masterPod.containers, ...workerPod.containers]) for (const v of c.volumeMounts) mounts.set(v.mountPath, join(tmp, "volumes", `${c.name}-${v.name}`));
  for (const dir of [...mounts.values(), join(tmp, "root"), join(tmp, "home")]) fs.mkdirSync(dir, { recursive: true });
  const place: LocalPlacement = {
    mounts,
    ports: new Map([
      [7077, await freePort()],
      [7078, await freePort()],
    ]),
    hosts: new Map([["minispark-master", "127.0.0.1"]]),
    fields: { "status.podIP": "127.0.0.1" },
    secrets: { "minispark-token/token": TOKEN },
  };
  const masterPort = place.ports.get(7077)!;
  const workerPort = place.ports.get(7078)!;
  // What the image gives every process: a HOME on the read-only root, /tmp a volume.
  const base = (c: any) => ({ HOME: join(tmp, "home"), TMPDIR: mounts.get(c.volumeMounts.find((v: any) => v.mountPath === "/tmp").mountPath)!, MALLOC_ARENA_MAX: "2" });

  const master = await start("master", "master listening", localCommand(masterPod.containers[0], place), base(masterPod.containers[0]));
  const workerCmd = localCommand(workerPod.containers[0], place);
  assert.ok(workerCmd.args.includes(`127.0.0.1:${workerPort}`), `advertises the pod IP: ${workerCmd.args.join(" ")}`);
  const worker = await start("worker", "worker started", workerCmd, base(workerPod.containers[0]));

  const client = new MinisparkClient(`http://127.0.0.1:${masterPort}`, TOKEN);
  for (let i = 0; (await client.workers().catch(() => [])).length < 1; i++) {
    assert.ok(i < 300, "the worker registered");
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.deepEqual(
    (await client.workers()).map((w) => w.address),
    [`127.0.0.1:${workerPort}`],
  );
  for (const name of ["minispark-master", "minispark-master.minispark.svc", "minispark-master.minispark.svc.cluster.local", "localhost", "127.0.0.1"]) {
    assert.equal(await hostStatus(masterPort, `${name}:${masterPort}`), 200, name);
  }
  assert.notEqual(await hostStatus(masterPort, `rebound.example:${masterPort}`), 200);

  const data = mounts.get("/data")!;
  fs.mkdirSync(join(data, "in"));
  fs.writeFileSync(join(data, "in", "a.txt"), "to be or not to be\nthat is the question\n".repeat(2000));
  const { value } = await client.run<{ records: number }>(wordCountSave("in/*.txt", "counts"));
  assert.equal(value.records, 8);
  assert.ok(fs.existsSync(join(data, "outputs", "counts", "_SUCCESS")));

  // Scale-down: SIGTERM drains the worker, which leaves within its pod's grace period.
  const t0 = Date.now();
  process.kill(worker.pid, "SIGTERM");
  const [workerCode] = await new Promise<[number | null]>((r) => worker.proc.once("exit", (code) => r([code])));
  assert.equal(workerCode, 0);
  assert.ok(Date.now() - t0 < workerPod.terminationGracePeriodSeconds * 1000);
  assert.deepEqual(await client.workers().then((ws) => ws.filter((w) => w.status === "ALIVE")), [], "it deregistered");
  process.kill(master.pid, "SIGTERM");
  const [masterCode] = await new Promise<[number | null]>((r) => master.proc.once("exit", (code) => r([code])));
  assert.equal(masterCode, 0);

  const volumes = [...mounts.values()];
  for (const [name, log] of [
    ["master", master.log],
    ["worker", worker.log],
  ] as const) {
    const written = writtenPaths(fs.readFileSync(log, "utf8"));
    assert.ok(written.length > 0, `the trace of the ${name} sees its writes`);
    const outside = written.filter((p) => !volumes.some((v) => p === v || p.startsWith(v + "/")) && !p.startsWith("/dev/"));
    assert.deepEqual(outside, [], `the ${name} wrote outside its volumes`);
  }
  assert.ok(fs.existsSync(join(mounts.get("/var/lib/minispark")!, "minispark.db")), "the master's database is on its claim");
});

it("reads the paths written from a strace log, relative ones against their directory, reads left out", () => {
  const log = [
    '7 openat(AT_FDCWD</srv/root>, "/v/db/m.db", O_RDWR|O_CREAT|O_CLOEXEC, 0644) = 21</v/db/m.db>',
    '7 openat(AT_FDCWD</srv/root>, "/etc/hosts", O_RDONLY|O_CLOEXEC) = 22</etc/hosts>',
    '8 openat(AT_FDCWD</srv/root>, "notes.txt", O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC, 0666) = 23</srv/root/notes.txt>',
    '8 renameat2(AT_FDCWD</srv/root>, "/v/data/a.tmp", AT_FDCWD</srv/root>, "/home/x/a", RENAME_NOREPLACE) = 0',
    '9 unlinkat(24</v/spill/w1>, "run-0", 0) = 0',
    '9 mkdir("/v/data/.minispark", 0777) = 0',
  ].join("\n");
  assert.deepEqual(writtenPaths(log), ["/v/db/m.db", "/srv/root/notes.txt", "/v/data/a.tmp", "/home/x/a", "/v/spill/w1/run-0", "/v/data/.minispark"]);
});
