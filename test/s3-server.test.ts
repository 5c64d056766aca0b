// The S3 test server (issue 18's test infrastructure): a real radosgw on
// loopback answers what the S3 data source will rely on — listing past 1,000
// keys by continuation token, ranged reads across a boundary, multipart
// uploads completed and aborted, DeleteObjects — and stop() leaves no daemon.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { PREREQUISITES, prerequisiteSkip } from "./helpers/prereq.js";
import { S3RequestError, S3TestClient } from "./helpers/s3-client.js";
import { type S3Server, startS3Server } from "./helpers/s3-server.js";

const skip = prerequisiteSkip(PREREQUISITES.radosgw, PREREQUISITES.cephMon, PREREQUISITES.cephOsd);
const MiB = 1024 * 1024;

/** This process's children and other processes whose command line names `dir` (the daemons pass `-c dir/ceph.conf`), zombies included. */
function processesUsing(dir: string): string[] {
  const found: string[] = [];
  for (const pid of fs.readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
      const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
      const field = (name: string) => new RegExp(`^${name}:\\s+(\\S+)`, "m").exec(status)?.[1] ?? "";
      // A zombie's cmdline is empty: one of ours is known by its parent and name instead.
      const ourZombie = field("State") === "Z" && field("PPid") === String(process.pid) && /ceph|radosgw/.test(field("Name"));
      if (cmdline.includes(dir) || ourZombie) found.push(`${pid} ${field("State")} ${field("Name")} ${cmdline}`);
    } catch {
      // Exited while being read.
    }
  }
  return found;
}

/** Runs `work` over `items`, `width` at a time. */
async function inParallel<T>(items: readonly T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: width }, lane));
}

/** Waits up to `ms` for no process to use `dir`, and returns those still there. */
async function leftAfter(dir: string, ms: number): Promise<string[]> {
  const deadline = Date.now() + ms;
  while (processesUsing(dir).length > 0 && Date.now() < deadline) await sleep(50);
  return processesUsing(dir);
}

const HELPER = new URL("./helpers/s3-server.js", import.meta.url).href;

/** A node process that starts a server, prints its dir, then does `then`; resolves with the dir once that process has ended. */
function ownerThat(then: "exits" | "is killed"): Promise<string> {
  const script = `import { startS3Server } from ${JSON.stringify(HELPER)};
const server = await startS3Server();
console.log(server.dir);
${then === "exits" ? "process.exit(0);" : "setInterval(() => {}, 1000);"}`;
  const owner = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let out = "";
    owner.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString("utf8");
      if (out.endsWith("\n") && then === "is killed") owner.kill("SIGKILL");
    });
    owner.on("error", reject);
    owner.on("exit", () => (out.trim() ? resolve(out.trim()) : reject(new Error("the owner process printed no directory"))));
  });
}

describe("the S3 test server (radosgw on loopback)", { skip, timeout: 120_000 }, () => {
  let server: S3Server;
  let client: S3TestClient;
  const bucket = "minispark-test";

  before(async () => {
    const started = performance.now();
    server = await startS3Server();
    console.log(`S3 test server up in ${Math.round(performance.now() - started)} ms at ${server.endpoint}`);
    client = new S3TestClient(server);
    await client.createBucket(bucket);
  });

  after(async () => {
    await server?.stop();
  });

  it("lists 1,005 keys back over two pages of ListObjectsV2, then deletes them with DeleteObjects", async () => {
    const keys = Array.from({ length: 1005 }, (_, i) => `many/part-${String(i).padStart(5, "0")}.txt`);
    await inParallel(keys, 16, (key) => client.putObject(bucket, key, `${key}\n`));
    const listed = await client.listAllKeys(bucket, "many/", 1000);
    assert.equal(listed.pages, 2);
    assert.deepEqual(listed.keys, keys);
    const first = await client.listObjectsPage(bucket, { prefix: "many/", maxKeys: 1000 });
    assert.equal(first.keys.length, 1000);
    assert.ok(first.nextContinuationToken);
    assert.equal(await client.deleteObjects(bucket, keys.slice(0, 1000)), 1000);
    assert.equal(await client.deleteObjects(bucket, keys.slice(1000)), 5);
    assert.deepEqual((await client.listAllKeys(bucket, "many/")).keys, []);
  });

  it("answers a ranged GET across a boundary with exactly those bytes", async () => {
    const data = randomBytes(MiB + 17);
    await client.putObject(bucket, "ranged/data.bin", data);
    const boundary = 256 * 1024;
    assert.deepEqual(await client.getObject(bucket, "ranged/data.bin", { first: boundary - 100, last: boundary + 99 }), data.subarray(boundary - 100, boundary + 100));
    assert.deepEqual(await client.getObject(bucket, "ranged/data.bin", { first: data.length - 1, last: data.length - 1 }), data.subarray(data.length - 1));
    assert.deepEqual(await client.getObject(bucket, "ranged/data.bin"), data);
  });

  it("completes a multipart upload of three parts and reads it back whole", async () => {
    const parts = [randomBytes(5 * MiB), randomBytes(5 * MiB), randomBytes(1000)];
    const key = "multipart/whole.bin";
    const uploadId = await client.createMultipartUpload(bucket, key);
    // Nothing is visible under the key before the upload completes.
    assert.deepEqual((await client.listAllKeys(bucket, "multipart/")).keys, []);
    const etags: string[] = [];
    for (const [i, part] of parts.entries()) etags.push(await client.uploadPart(bucket, key, uploadId, i + 1, part));
    await client.completeMultipartUpload(bucket, key, uploadId, etags);
    const whole = Buffer.concat(parts);
    assert.deepEqual(await client.getObject(bucket, key), whole);
    assert.deepEqual(await client.getObject(bucket, key, { first: 5 * MiB - 10, last: 5 * MiB + 9 }), whole.subarray(5 * MiB - 10, 5 * MiB + 10));
    assert.deepEqual((await client.listAllKeys(bucket, "multipart/")).keys, [key]);
    assert.deepEqual(await client.listMultipartUploads(bucket), []);
  });

  it("leaves nothing listed after an aborted multipart upload", async () => {
    const key = "aborted/never.bin";
    const uploadId = await client.createMultipartUpload(bucket, key);
    await client.uploadPart(bucket, key, uploadId, 1, randomBytes(5 * MiB));
    assert.deepEqual(await client.listMultipartUploads(bucket), [{ key, uploadId }]);
    await client.abortMultipartUpload(bucket, key, uploadId);
    assert.deepEqual(await client.listMultipartUploads(bucket), []);
    assert.deepEqual((await client.listAllKeys(bucket, "aborted/")).keys, []);
    await assert.rejects(client.getObject(bucket, key), (e: unknown) => e instanceof S3RequestError && e.status === 404 && e.code === "NoSuchKey");
  });

  it("refuses a request signed with the wrong secret", async () => {
    const stranger = new S3TestClient({ ...server, secretAccessKey: "not-the-secret" });
    await assert.rejects(stranger.listObjectsPage(bucket), (e: unknown) => e instanceof S3RequestError && e.status === 403 && e.code === "SignatureDoesNotMatch");
  });

  it("stop() leaves no ceph or radosgw process and removes its directory", async () => {
    const second = await startS3Server();
    assert.equal(processesUsing(second.dir).length, 3, processesUsing(second.dir).join("\n"));
    const started = performance.now();
    await second.stop();
    console.log(`S3 test server stopped in ${Math.round(performance.now() - started)} ms`);
    assert.deepEqual(processesUsing(second.dir), []);
    assert.equal(fs.existsSync(second.dir), false);
    await second.stop();
  });

  it("tries another port when radosgw cannot listen on its first", async () => {
    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen({ host: "127.0.0.1", port: 0 }, resolve));
    const taken = (squatter.address() as net.AddressInfo).port;
    try {
      const moved = await startS3Server({ port: taken });
      try {
        assert.notEqual(moved.endpoint, `http://127.0.0.1:${taken}`);
        const movedClient = new S3TestClient(moved);
        await movedClient.createBucket("moved");
        assert.deepEqual((await movedClient.listAllKeys("moved")).keys, []);
      } finally {
        await moved.stop();
      }
    } finally {
      squatter.close();
    }
  });

  it("fails to start with the daemons' log tails, and leaves nothing behind", async () => {
    // One byte of OSD storage: radosgw waits forever for pools that cannot be written.
    const failure = await startS3Server({ deviceBytes: 1, stepTimeoutMs: 2500 }).then(
      () => assert.fail("a server with one byte of storage started"),
      (e: unknown) => e as Error,
    );
    assert.match(failure.message, /^radosgw on port \d+: not ready after 2500 ms\n--- \S+\/client\.rgw\.s3\.log:\n.*radosgw/s);
    assert.match(failure.message, /osd\.0\.log:\n/);
    const dir = /--- (\S+)\/client\.rgw\.s3\.log/.exec(failure.message)![1]!;
    assert.deepEqual(processesUsing(dir), []);
    assert.equal(fs.existsSync(dir), false);
  });

  it("takes its daemons down with a test process that exits without stop(), or is killed", async () => {
    const [exited, killed] = await Promise.all([ownerThat("exits"), ownerThat("is killed")]);
    try {
      assert.deepEqual(await leftAfter(exited, 5000), []);
      assert.equal(fs.existsSync(exited), false, "the exit hook removes the directory");
      // SIGKILL leaves no time to remove the directory; the kernel's parent-death signal still ends the daemons.
      assert.deepEqual(await leftAfter(killed, 5000), []);
    } finally {
      fs.rmSync(killed, { recursive: true, force: true });
    }
  });
});
