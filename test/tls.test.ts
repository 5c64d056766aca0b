// TLS on every listener (issue 8): a master and workers with certificates from
// a CA made here by openssl, shuffling over https between workers, and clients
// that trust only that CA; clients that do not trust it, or speak plain http,
// are turned away.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { configureTls, requestRaw } from "../src/common/http-client.js";
import { startTestCluster, type TestCluster } from "./helpers/cluster.js";
import { PREREQUISITES, prerequisiteSkip } from "./helpers/prereq.js";

const CLI = new URL("../src/cli/main.js", import.meta.url).pathname;

/** A CA and one certificate it signed for 127.0.0.1 and localhost, as PEM files in `dir`. */
function makeCertificates(dir: string): { ca: string; cert: string; key: string } {
  const ssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  ssl("req", "-x509", ...ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=minispark test CA");
  ssl("req", ...ec, "-keyout", "node.key", "-out", "node.csr", "-subj", "/CN=localhost");
  fs.writeFileSync(join(dir, "node.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n");
  ssl("x509", "-req", "-in", "node.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "node.pem", "-days", "2", "-extfile", "node.ext");
  return { ca: join(dir, "ca.pem"), cert: join(dir, "node.pem"), key: join(dir, "node.key") };
}

describe("TLS on every listener", { skip: prerequisiteSkip(PREREQUISITES.openssl) }, () => {
  let t: TestCluster;
  let certs: { ca: string; cert: string; key: string };
  const dir = fs.mkdtempSync(join(os.tmpdir(), "minispark-tls-"));

  before(async () => {
    certs = makeCertificates(dir);
    const tls = ["--tls-cert", certs.cert, "--tls-key", certs.key, "--tls-ca", certs.ca];
    configureTls({ ca: fs.readFileSync(certs.ca), peers: false });
    t = await startTestCluster({ masterArgs: tls, workerArgs: tls });
  });

  after(async () => {
    await t?.stop();
    configureTls({ ca: null, peers: false });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("serves https and runs a job whose shuffle crosses workers over https", async () => {
    assert.match(t.cluster.masterUrl, /^https:\/\/127\.0\.0\.1:\d+$/);
    const lines = Array.from({ length: 2000 }, (_, i) => `w${i % 37} w${i % 11} tail`);
    const counts = await t.run<[string, number][]>({
      nodes: [
        { id: "lines", op: "parallelize", data: lines, numSlices: 4 },
        { id: "words", op: "flatMap", input: "lines", fn: "l => l.split(' ')" },
        { id: "ones", op: "map", input: "words", fn: "w => [w, 1]" },
        { id: "counts", op: "reduceByKey", input: "ones", fn: "(a, b) => a + b", numPartitions: 3 },
      ],
      action: { op: "collect", input: "counts" },
    });
    const expected = new Map<string, number>();
    for (const w of lines.flatMap((l) => l.split(" "))) expected.set(w, (expected.get(w) ?? 0) + 1);
    assert.deepEqual(new Map(counts), expected);
    const job = (await t.http("/api/v1/jobs")).body.jobs[0];
    const view = (await t.http(`/api/v1/jobs/${job.id}`)).body;
    assert.ok(view.metrics.shuffleBytesFetchedRemote > 0, "some shuffle blocks came from the other worker");
    const workers = (await t.http("/api/v1/workers")).body.workers as { status: string }[];
    assert.deepEqual(
      workers.map((w) => w.status),
      ["ALIVE", "ALIVE"],
    );
  });

  it("refuses plain http on the TLS port", async () => {
    const plain = t.cluster.masterUrl.replace("https://", "http://");
    const res = await requestRaw(`${plain}/api/v1/workers`, { token: t.cluster.token }).catch((e: Error) => e);
    assert.ok(res instanceof Error || res.status === 400, "no plain-http answer");
  });

  it("the CLI verifies the master's certificate: with the CA it connects, without it names the problem", () => {
    const env = { ...process.env, MINISPARK_TOKEN: t.cluster.token, MINISPARK_TLS_CA: "", NODE_EXTRA_CA_CERTS: "" };
    const withCa = spawnSync(process.execPath, [CLI, "workers", "--master", t.cluster.masterUrl, "--tls-ca", certs.ca], { env, encoding: "utf8" });
    assert.equal(withCa.status, 0, withCa.stderr);
    assert.match(withCa.stdout, /ALIVE/);
    const without = spawnSync(process.execPath, [CLI, "workers", "--master", t.cluster.masterUrl], { env, encoding: "utf8" });
    assert.notEqual(without.status, 0);
    assert.match(without.stderr, /cannot reach https:\/\/127\.0\.0\.1:\d+.*(self-signed|unable to verify|certificate)/i);
  });

  it("a worker that does not trust the cluster's CA cannot join", async () => {
    const other = makeCertificates(fs.mkdtempSync(join(dir, "other-")));
    const stranger = t.cluster.startWorker(["--tls-cert", other.cert, "--tls-key", other.key, "--tls-ca", other.ca]);
    await new Promise((r) => setTimeout(r, 3000));
    const workers = (await t.http("/api/v1/workers")).body.workers as unknown[];
    assert.equal(workers.length, 2, "the stranger never registered");
    stranger.kill("SIGKILL");
  });
});
