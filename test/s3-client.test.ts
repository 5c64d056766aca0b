// The S3 client (src/storage/s3/) against a real S3 server on loopback
// (test/helpers/s3-server.ts, Ceph's radosgw): listing past 1,000 keys through
// a glob, ranged reads exact across a boundary, multipart uploads completed,
// aborted and cleaned up by prefix, DeleteObjects, and the retry policy seen
// from a small HTTP proxy in front of the server that answers 503 SlowDown,
// 500 or a reset before letting a request through. Results are checked with
// the tests' own independent client (test/helpers/s3-client.ts).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { S3Client, type S3ClientOptions } from "../src/storage/s3/s3-client.js";
import { type S3ConfigOverrides, resolveS3Config } from "../src/storage/s3/s3-config.js";
import { S3Error } from "../src/storage/s3/s3-error.js";
import { listMatching } from "../src/storage/s3/s3-listing.js";
import { parseS3Glob } from "../src/plan/s3-location.js";
import type { RetryPolicy } from "../src/storage/s3/s3-retry.js";
import { PREREQUISITES, prerequisiteSkip } from "./helpers/prereq.js";
import { S3TestClient } from "./helpers/s3-client.js";
import { type S3Server, startS3Server } from "./helpers/s3-server.js";
import { type Behaviour, scriptedProxy } from "./helpers/s3-proxy.js";

const skip = prerequisiteSkip(PREREQUISITES.radosgw, PREREQUISITES.cephMon, PREREQUISITES.cephOsd);
const MiB = 1024 * 1024;
const BUCKET = "minispark-client";

/** Settings from `overrides` alone: nothing from this machine's environment or ~/.aws. */
function clientFor(overrides: S3ConfigOverrides, options: S3ClientOptions = {}): S3Client {
  return new S3Client(resolveS3Config(overrides, { env: {}, homeDir: "/nonexistent", readFile: () => null }), options);
}

/** Runs `work` over `items`, `width` at a time. */
async function inParallel<T>(items: readonly T[], width: number, work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: width }, lane));
}

describe("the S3 client against a real S3 server", { skip, timeout: 180_000 }, () => {
  let server: S3Server;
  let check: S3TestClient;
  let client: S3Client;

  before(async () => {
    server = await startS3Server();
    check = new S3TestClient(server);
    await check.createBucket(BUCKET);
    client = clientFor({ accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey, region: server.region, endpoint: server.endpoint });
  });

  after(async () => {
    client?.close();
    await server?.stop();
  });

  it("lists 1,005 keys through a glob over two ListObjectsV2 pages, then deletes them in two DeleteObjects batches", async () => {
    const csv = [...Array.from({ length: 1000 }, (_, i) => `logs/2024-01/part-${String(i).padStart(5, "0")}.csv`), "logs/2024-02/a.csv", "logs/2024-02/b.csv", "logs/2024-02/c.csv"];
    const others = ["logs/2024-01/_SUCCESS", "logs/2024-02/notes.json"];
    await inParallel([...csv, ...others, "logs/2023-12/old.csv"], 16, (key) => client.putObject(BUCKET, key, Buffer.from(`${key}\n`)));

    const url = `s3://${BUCKET}/logs/2024-*/*.csv`;
    const glob = parseS3Glob(url);
    assert.equal(glob.listPrefix, "logs/2024-");
    const { objects, pages } = await listMatching(client, url, glob);
    assert.equal(pages, 2, "1,005 keys under the prefix take two pages of 1,000");
    assert.deepEqual(
      objects.map((o) => o.key),
      csv,
    );
    for (const o of objects) assert.equal(o.size, Buffer.byteLength(`${o.key}\n`));
    const first = await client.listObjectsPage(BUCKET, "logs/2024-", null);
    assert.equal(first.objects.length, 1000);
    assert.ok(first.nextContinuationToken !== null);

    await assert.rejects(listMatching(client, url, glob, { pageSize: 100, maxKeysVisited: 500 }), /makes the listing look at more than 500 keys under "logs\/2024-"/);
    await assert.rejects(listMatching(client, url, glob, { maxMatches: 1002 }), /matches more than 1002 objects; at most 1002 are allowed/);

    await client.deleteObjects(BUCKET, [...csv, ...others, "logs/never-existed"]);
    assert.deepEqual((await check.listAllKeys(BUCKET, "logs/2024-")).keys, []);
    assert.deepEqual((await check.listAllKeys(BUCKET, "logs/")).keys, ["logs/2023-12/old.csv"]);
  });

  it("reads byte ranges exactly, across a boundary and at the object's end; a range past the end fails at once", async () => {
    const data = randomBytes(MiB);
    await client.putObject(BUCKET, "ranges/blob.bin", data, "application/octet-stream");
    const boundary = 256 * 1024;
    assert.deepEqual(Buffer.from(await client.getRange(BUCKET, "ranges/blob.bin", boundary - 7, boundary + 8)), data.subarray(boundary - 7, boundary + 9));
    assert.deepEqual(Buffer.from(await client.getRange(BUCKET, "ranges/blob.bin", 0, 0)), data.subarray(0, 1));
    assert.deepEqual(Buffer.from(await client.getRange(BUCKET, "ranges/blob.bin", MiB - 3, MiB + 100)), data.subarray(MiB - 3), "a range running past the end gives the tail");
    assert.deepEqual(Buffer.from(await client.getRange(BUCKET, "ranges/blob.bin", 0, MiB - 1)), data);
    await assert.rejects(
      client.getRange(BUCKET, "ranges/blob.bin", MiB, MiB + 10),
      (e: unknown) => e instanceof S3Error && e.status === 416 && e.code === "InvalidRange" && e.attempts === 1 && e.message.includes(`s3://${BUCKET}/ranges/blob.bin`),
    );
    await assert.rejects(
      client.getRange(BUCKET, "ranges/missing", 0, 9),
      (e: unknown) => e instanceof S3Error && e.code === "NoSuchKey" && /^S3 GetObject s3:\/\/minispark-client\/ranges\/missing: 404 NoSuchKey/.test(e.message),
    );
    const head = await client.headObject(BUCKET, "ranges/blob.bin");
    assert.equal(head?.size, MiB);
    assert.match(head?.etag ?? "", /^"[0-9a-f]{32}"$/);
    assert.equal(await client.headObject(BUCKET, "ranges/missing"), null);
  });

  it("signs keys with spaces, +, %, =, & and non-ASCII characters as sent", async () => {
    const key = "odd/a b+c%d=e&f é 日本.txt";
    await client.putObject(BUCKET, key, Buffer.from("odd"));
    assert.equal((await client.headObject(BUCKET, key))?.size, 3);
    assert.equal(Buffer.from(await client.getRange(BUCKET, key, 0, 2)).toString(), "odd");
    assert.deepEqual(
      (await client.listObjectsPage(BUCKET, "odd/a b+", null)).objects.map((o) => o.key),
      [key],
    );
    await client.deleteObjects(BUCKET, [key]);
    assert.equal(await client.headObject(BUCKET, key), null);
  });

  it("completes a three-part multipart upload, visible only once complete, and reads it back whole and across part boundaries", async () => {
    const parts = [randomBytes(5 * MiB), randomBytes(5 * MiB), randomBytes(1000)];
    const whole = Buffer.concat(parts);
    const key = "multi/out.bin";
    const uploadId = await client.createMultipartUpload(BUCKET, key);
    // Upload the parts out of order: completion orders them by number.
    const uploaded = await Promise.all([2, 0, 1].map((i) => client.uploadPart(BUCKET, key, uploadId, i + 1, parts[i]!)));
    assert.equal(await client.headObject(BUCKET, key), null, "nothing at the key before completion");
    assert.deepEqual(
      (await client.listMultipartUploads(BUCKET, "multi/")).map((u) => [u.key, u.uploadId]),
      [[key, uploadId]],
    );
    await client.completeMultipartUpload(BUCKET, key, uploadId, uploaded);
    const head = await client.headObject(BUCKET, key);
    assert.equal(head?.size, whole.length);
    assert.match(head?.etag ?? "", /-3"$/, "HeadObject's ETag is a three-part upload's");
    assert.deepEqual(Buffer.from(await client.getRange(BUCKET, key, 0, whole.length - 1)), whole);
    assert.deepEqual(Buffer.from(await client.getRange(BUCKET, key, 5 * MiB - 5, 5 * MiB + 4)), whole.subarray(5 * MiB - 5, 5 * MiB + 5));
    assert.deepEqual(await client.listMultipartUploads(BUCKET, "multi/"), []);
  });

  it("an aborted upload leaves no upload, no key and no listing entry; aborting again says there was none", async () => {
    const key = "aborted/out.bin";
    const uploadId = await client.createMultipartUpload(BUCKET, key);
    await client.uploadPart(BUCKET, key, uploadId, 1, randomBytes(5 * MiB));
    assert.equal(await client.abortMultipartUpload(BUCKET, key, uploadId), true);
    assert.deepEqual(await client.listMultipartUploads(BUCKET, "aborted/"), []);
    assert.deepEqual(await check.listMultipartUploads(BUCKET), []);
    assert.deepEqual((await check.listAllKeys(BUCKET, "aborted/")).keys, []);
    assert.equal(await client.headObject(BUCKET, key), null);
    assert.equal(await client.abortMultipartUpload(BUCKET, key, uploadId), false);
    await assert.rejects(client.uploadPart(BUCKET, key, uploadId, 2, Buffer.from("late")), (e: unknown) => e instanceof S3Error && e.code === "NoSuchUpload");
  });

  it("lists the open uploads under one job's prefix and aborts them, leaving another prefix's alone", async () => {
    const ids = await Promise.all(["job-1/part-0", "job-1/part-1", "job-1/sub/part-2"].map(async (key) => ({ key, uploadId: await client.createMultipartUpload(BUCKET, key) })));
    const other = await client.createMultipartUpload(BUCKET, "job-2/part-0");
    const open = await client.listMultipartUploads(BUCKET, "job-1/");
    assert.deepEqual(open.map((u) => [u.key, u.uploadId]).sort(), ids.map((u) => [u.key, u.uploadId]).sort());
    for (const u of open) assert.ok(!Number.isNaN(Date.parse(u.initiated)), `initiated time ${u.initiated}`);
    for (const u of open) assert.equal(await client.abortMultipartUpload(BUCKET, u.key, u.uploadId), true);
    assert.deepEqual(await client.listMultipartUploads(BUCKET, "job-1/"), []);
    assert.deepEqual(
      (await client.listMultipartUploads(BUCKET, "job-")).map((u) => u.uploadId),
      [other],
    );
    await client.abortMultipartUpload(BUCKET, "job-2/part-0", other);
  });

  it("a wrong secret fails at once with SignatureDoesNotMatch, naming the call and object, without either secret or the signature", async () => {
    const wrong = "definitely-not-the-secret-0123456789abcdef";
    const proxy = await scriptedProxy(server.endpoint, []);
    const bad = clientFor({ accessKeyId: server.accessKeyId, secretAccessKey: wrong, region: server.region, endpoint: proxy.endpoint });
    try {
      await assert.rejects(bad.getRange(BUCKET, "ranges/blob.bin", 0, 9), (e: unknown) => {
        assert.ok(e instanceof S3Error, String(e));
        assert.equal(e.status, 403);
        assert.equal(e.code, "SignatureDoesNotMatch");
        assert.equal(e.attempts, 1);
        assert.match(e.message, /^S3 GetObject s3:\/\/minispark-client\/ranges\/blob\.bin: 403 SignatureDoesNotMatch/);
        for (const text of [e.message, String(e.stack), JSON.stringify(e)]) {
          assert.ok(!text.includes(wrong) && !text.includes(server.secretAccessKey) && !/Signature=/.test(text), text);
        }
        return true;
      });
      assert.equal(proxy.arrivals.length, 1, "a 403 is not retried");
    } finally {
      bad.close();
      await proxy.close();
    }
  });

  it("sends and signs a session token, and signs the payload's hash", async () => {
    const proxy = await scriptedProxy(server.endpoint, ["bad-request"]);
    const temporary = clientFor({ accessKeyId: "ASIATEMPORARY", secretAccessKey: server.secretAccessKey, sessionToken: "the-session-token", region: server.region, endpoint: proxy.endpoint });
    try {
      await assert.rejects(
        temporary.putObject(BUCKET, "token/x", Buffer.from("abc")),
        (e: unknown) => e instanceof S3Error && e.code === "InvalidArgument" && !e.message.includes("the-session-token"),
      );
      const [headers] = proxy.requests;
      assert.equal(headers?.["x-amz-security-token"], "the-session-token");
      assert.equal(headers?.["x-amz-content-sha256"], "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
      assert.equal(headers?.["content-length"], "3");
      assert.match(
        String(headers?.authorization),
        /^AWS4-HMAC-SHA256 Credential=ASIATEMPORARY\/\d{8}\/us-east-1\/s3\/aws4_request,SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,Signature=[0-9a-f]{64}$/,
      );
    } finally {
      temporary.close();
      await proxy.close();
    }
  });

  it("retries 503 SlowDown with growing, jittered waits, then succeeds through to the server", async () => {
    const policy: RetryPolicy = { maxAttempts: 5, baseDelayMs: 200, maxDelayMs: 5000 };
    const proxy = await scriptedProxy(server.endpoint, ["slowdown", "slowdown"]);
    const through = clientFor({ accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey, region: server.region, endpoint: proxy.endpoint }, { retry: policy });
    try {
      await through.putObject(BUCKET, "retried/ok.txt", Buffer.from("after two 503s"));
      assert.equal(proxy.arrivals.length, 3, "two refusals and the attempt that got through");
      const [a, b, c] = proxy.arrivals as [number, number, number];
      // Equal jitter: the first wait is within [100, 200] ms, the second within [200, 400] ms (plus scheduling).
      assert.ok(b - a >= 95 && b - a < 600, `first wait ${b - a} ms`);
      assert.ok(c - b >= 195 && c - b < 900, `second wait ${c - b} ms`);
      assert.equal(Buffer.from(await client.getRange(BUCKET, "retried/ok.txt", 0, 13)).toString(), "after two 503s");
    } finally {
      through.close();
      await proxy.close();
    }
  });

  it("retries a 500, a reset, a truncated answer and a silent server; gives up after five attempts; never retries another 4xx", async () => {
    // A short idle timeout, so that a silent server fails an attempt quickly.
    const options = { retry: { maxAttempts: 5, baseDelayMs: 20, maxDelayMs: 100 }, idleTimeoutMs: 300 };
    const overrides = { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey, region: server.region };
    const where = "S3 GetObject s3://minispark-client/ranges/blob.bin:";
    const cases: { script: Behaviour[]; arrivals: number; error: string | null }[] = [
      { script: ["internal-error", "reset"], arrivals: 3, error: null },
      { script: ["truncate", "hang"], arrivals: 3, error: null },
      { script: Array<Behaviour>(10).fill("hang"), arrivals: 5, error: `${where} S3_TIMEOUT (no data for 300 ms), after 5 attempts` },
      { script: Array<Behaviour>(10).fill("slowdown"), arrivals: 5, error: `${where} 503 SlowDown (scripted SlowDown), after 5 attempts` },
      { script: Array<Behaviour>(10).fill("reset"), arrivals: 5, error: `${where} ECONNRESET (socket hang up), after 5 attempts` },
      { script: ["bad-request"], arrivals: 1, error: `${where} 400 InvalidArgument (scripted InvalidArgument)` },
    ];
    for (const { script, arrivals, error } of cases) {
      const proxy = await scriptedProxy(server.endpoint, script);
      const through = clientFor({ ...overrides, endpoint: proxy.endpoint }, options);
      try {
        const read = through.getRange(BUCKET, "ranges/blob.bin", 0, 9);
        if (error === null) assert.equal((await read).length, 10);
        else await assert.rejects(read, (e: unknown) => e instanceof S3Error && e.message === error);
        assert.equal(proxy.arrivals.length, arrivals, script.join(","));
      } finally {
        through.close();
        await proxy.close();
      }
    }
    // A HEAD answer has no body to carry S3's code: the status names it.
    const proxy = await scriptedProxy(server.endpoint, Array<Behaviour>(10).fill("slowdown"));
    const through = clientFor({ ...overrides, endpoint: proxy.endpoint }, options);
    try {
      await assert.rejects(
        through.headObject(BUCKET, "ranges/blob.bin"),
        (e: unknown) => e instanceof S3Error && e.message === "S3 HeadObject s3://minispark-client/ranges/blob.bin: 503 ServiceUnavailable, after 5 attempts",
      );
    } finally {
      through.close();
      await proxy.close();
    }
  });
});
