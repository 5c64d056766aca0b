// s3:// URLs and globs (src/storage/s3/s3-location.ts): bucket rules, the
// literal prefix a listing starts from, and which keys a glob brings in, with
// the local glob's Hadoop rules (hidden names, "directories").
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { S3LocationError, parseS3Glob, parseS3Url } from "../src/plan/s3-location.js";

const matching = (url: string, keys: string[]) => keys.filter((k) => parseS3Glob(url).matches(k));

describe("s3:// URLs", () => {
  it("splits bucket and key, and takes s3a:// too", () => {
    assert.deepEqual(parseS3Url("s3://my-bucket/logs/2024/a.csv"), { bucket: "my-bucket", key: "logs/2024/a.csv" });
    assert.deepEqual(parseS3Url("s3a://my.bucket.1/x"), { bucket: "my.bucket.1", key: "x" });
    assert.deepEqual(parseS3Url("s3://bucket"), { bucket: "bucket", key: "" });
  });

  it("names what is wrong with a bad URL", () => {
    const bad: [string, RegExp][] = [
      ["/data/x.csv", /does not start with "s3:\/\/"/],
      ["S3://bucket/x", /does not start with "s3:\/\/"/],
      ["s3:///key", /names no bucket/],
      ["s3://ab/x", /3 to 63/],
      ["s3://" + "a".repeat(64) + "/x", /3 to 63/],
      ["s3://My_Bucket/x", /lower-case letters/],
      ["s3://-bucket/x", /begin and end/],
      ["s3://a..b/x", /two adjacent periods/],
      ["s3://192.168.1.1/x", /IP address/],
      ["s3://bucket//x", /starts with "\/"/],
      ["s3://bucket/" + "é".repeat(513), /1026 bytes; S3 keys have at most 1024/],
      ["s3://bucket/a\nb", /control character/],
    ];
    for (const [url, problem] of bad) {
      assert.throws(
        () => parseS3Url(url),
        (e: unknown) => e instanceof S3LocationError && problem.test(e.message) && e.message.includes("S3 location"),
        url,
      );
    }
  });
});

describe("s3:// globs", () => {
  it("lists by the longest literal prefix, to the character", () => {
    assert.equal(parseS3Glob("s3://b0b/logs/2024-*/*.csv").listPrefix, "logs/2024-");
    assert.equal(parseS3Glob("s3://b0b/logs/a.csv").listPrefix, "logs/a.csv");
    assert.equal(parseS3Glob("s3://b0b/logs/{2023,2024}/*.csv").listPrefix, "logs/202");
    assert.equal(parseS3Glob("s3://b0b/*.csv").listPrefix, "");
    assert.equal(parseS3Glob("s3://b0b/data/file?.txt").listPrefix, "data/file");
  });

  it("matches keys segment by segment: * stays within one segment, ** spans several", () => {
    const keys = ["logs/2024-01/a.csv", "logs/2024-01/b.json", "logs/2024-02/deep/c.csv", "logs/2023-12/d.csv", "logs/2024-03/e.csv"];
    assert.deepEqual(matching("s3://b0b/logs/2024-*/*.csv", keys), ["logs/2024-01/a.csv", "logs/2024-03/e.csv"]);
    assert.deepEqual(matching("s3://b0b/logs/**/*.csv", keys), ["logs/2024-01/a.csv", "logs/2024-02/deep/c.csv", "logs/2023-12/d.csv", "logs/2024-03/e.csv"]);
    assert.deepEqual(matching("s3://b0b/logs/{2023-12,2024-03}/?.csv", keys), ["logs/2023-12/d.csv", "logs/2024-03/e.csv"]);
    // "deep" matches the last `*` as a directory, so the objects directly inside it come too (Hadoop's rule, as on disk).
    assert.deepEqual(matching("s3://b0b/logs/2024-0[1-2]/*", keys), ["logs/2024-01/a.csv", "logs/2024-01/b.json", "logs/2024-02/deep/c.csv"]);
  });

  it("a literal key is the object itself or a directory of objects directly inside it, not deeper", () => {
    const keys = ["data", "data/a", "data/_SUCCESS", "data/.a.crc", "data/sub/b", "database/x"];
    assert.deepEqual(matching("s3://b0b/data", keys), ["data", "data/a"]);
    assert.deepEqual(matching("s3://b0b/data/", keys), ["data/a"]);
    assert.deepEqual(matching("s3://b0b", ["top.csv", "dir/inner.csv", "_SUCCESS"]), ["top.csv"]);
  });

  it("wildcards skip hidden names unless the pattern's segment is itself hidden", () => {
    const keys = ["out/part-0", "out/_SUCCESS", "out/.part-0.crc", "out/_temporary/0/part-1"];
    assert.deepEqual(matching("s3://b0b/out/*", keys), ["out/part-0"]);
    assert.deepEqual(matching("s3://b0b/out/_*", keys), ["out/_SUCCESS"]);
    assert.deepEqual(matching("s3://b0b/out/**", keys), ["out/part-0"]);
  });

  it("refuses a glob past the shape bounds with the glob's own phrase", () => {
    assert.throws(
      () => parseS3Glob("s3://b0b/" + "{a,b}".repeat(11)),
      (e: unknown) => e instanceof S3LocationError && /brace alternatives/.test(e.message),
    );
    assert.throws(
      () => parseS3Glob("s3://b0b/**/**/**/**/**/x"),
      (e: unknown) => e instanceof S3LocationError && /"\*\*" segments/.test(e.message),
    );
  });
});
