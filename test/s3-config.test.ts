// Where the S3 client's settings come from (src/storage/s3/s3-config.ts):
// per-call overrides over the AWS environment over the shared files, real
// temporary files named by AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE with
// a profile, and no secret in errors, JSON, util.inspect or toString.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { inspect } from "node:util";
import { DEFAULT_REGION, S3ConfigError, type S3ConfigSources, processSources, resolveS3Config } from "../src/storage/s3/s3-config.js";

const SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRET1";
const FILE_SECRET = "fileSecretValue/abcdefghijklmnop0123";
const TOKEN = "SessionTokenValue+xyz0123456789";

/** The process's file reading, with an environment of our own and a home with no .aws in it. */
function sources(env: Record<string, string>, home: string): S3ConfigSources {
  return { ...processSources(), env: { HOME: home, ...env }, homeDir: home };
}

function assertNoSecret(text: string): void {
  for (const s of [SECRET, FILE_SECRET, TOKEN]) assert.ok(!text.includes(s), `a secret appears in: ${text}`);
}

describe("S3 configuration", () => {
  let dir: string;
  let credentialsFile: string;
  let configFile: string;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "s3-config-"));
    credentialsFile = path.join(dir, "credentials");
    configFile = path.join(dir, "config");
    fs.writeFileSync(
      credentialsFile,
      [
        "# shared credentials",
        "[default]",
        "aws_access_key_id = AKIADEFAULT",
        `aws_secret_access_key = ${FILE_SECRET}`,
        "",
        "[dev]",
        "aws_access_key_id=AKIADEV",
        `aws_secret_access_key=${FILE_SECRET}`,
        `aws_session_token = ${TOKEN}`,
      ].join("\n"),
    );
    fs.writeFileSync(
      configFile,
      [
        "[default]",
        "region = eu-west-1",
        "",
        "[profile dev]",
        "region = ap-south-1",
        "endpoint_url = http://127.0.0.1:9000",
        "s3 =",
        "  addressing_style = virtual",
        "",
        "[profile only-config]",
        "aws_access_key_id = AKIACONFIG",
        `aws_secret_access_key = ${FILE_SECRET}`,
      ].join("\n"),
    );
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("takes keys, token, region and endpoint from the environment; a custom endpoint means path-style", () => {
    const config = resolveS3Config(
      {},
      sources(
        {
          AWS_ACCESS_KEY_ID: "AKIAENV",
          AWS_SECRET_ACCESS_KEY: SECRET,
          AWS_SESSION_TOKEN: TOKEN,
          AWS_REGION: "us-west-2",
          AWS_DEFAULT_REGION: "eu-central-1",
          AWS_ENDPOINT_URL_S3: "http://127.0.0.1:17480",
          AWS_ENDPOINT_URL: "http://other:1",
        },
        dir,
      ),
    );
    assert.equal(config.credentials.accessKeyId, "AKIAENV");
    assert.equal(config.credentials.secretAccessKey, SECRET);
    assert.equal(config.credentials.sessionToken, TOKEN);
    assert.equal(config.credentials.source, "environment");
    assert.equal(config.region, "us-west-2");
    assert.equal(config.endpoint?.href, "http://127.0.0.1:17480/");
    assert.equal(config.pathStyle, true);
  });

  it("falls back AWS_REGION → AWS_DEFAULT_REGION → us-east-1, and AWS_ENDPOINT_URL_S3 → AWS_ENDPOINT_URL → AWS's own", () => {
    const keys = { AWS_ACCESS_KEY_ID: "AKIAENV", AWS_SECRET_ACCESS_KEY: SECRET };
    const empty = path.join(dir, "no-such-home");
    assert.equal(resolveS3Config({}, sources({ ...keys, AWS_DEFAULT_REGION: "eu-central-1", AWS_ENDPOINT_URL: "https://minio.example:9000" }, empty)).region, "eu-central-1");
    assert.equal(resolveS3Config({}, sources({ ...keys, AWS_ENDPOINT_URL: "https://minio.example:9000" }, empty)).endpoint?.host, "minio.example:9000");
    const plain = resolveS3Config({}, sources(keys, empty));
    assert.equal(plain.region, DEFAULT_REGION);
    assert.equal(plain.endpoint, null);
    assert.equal(plain.pathStyle, false);
  });

  it("per-call overrides win over the environment and the files", () => {
    const env = { AWS_ACCESS_KEY_ID: "AKIAENV", AWS_SECRET_ACCESS_KEY: SECRET, AWS_REGION: "us-west-2", AWS_SHARED_CREDENTIALS_FILE: credentialsFile, AWS_CONFIG_FILE: configFile };
    const config = resolveS3Config({ accessKeyId: "AKIAJOB", secretAccessKey: "job-secret-0123456789", region: "sa-east-1", endpoint: "http://10.0.0.5:7480" }, sources(env, dir));
    assert.equal(config.credentials.accessKeyId, "AKIAJOB");
    assert.equal(config.credentials.source, "per-call overrides");
    assert.equal(config.region, "sa-east-1");
    assert.equal(config.endpoint?.host, "10.0.0.5:7480");
  });

  it("reads a profile from the files named by AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE", () => {
    const env = { AWS_SHARED_CREDENTIALS_FILE: credentialsFile, AWS_CONFIG_FILE: configFile };
    const dev = resolveS3Config({}, sources({ ...env, AWS_PROFILE: "dev" }, dir));
    assert.deepEqual([dev.credentials.accessKeyId, dev.credentials.secretAccessKey, dev.credentials.sessionToken], ["AKIADEV", FILE_SECRET, TOKEN]);
    assert.equal(dev.credentials.source, `profile "dev" in ${credentialsFile}`);
    // The nested `s3 =` block is not read as top-level settings.
    assert.deepEqual([dev.region, dev.endpoint?.href, dev.pathStyle], ["ap-south-1", "http://127.0.0.1:9000/", true]);
    const byOverride = resolveS3Config({ profile: "only-config" }, sources({ ...env, AWS_PROFILE: "dev" }, dir));
    assert.equal(byOverride.credentials.accessKeyId, "AKIACONFIG");
    assert.equal(byOverride.credentials.source, `profile "only-config" in ${configFile}`);
    const fallback = resolveS3Config({}, sources(env, dir));
    assert.deepEqual([fallback.credentials.accessKeyId, fallback.region, fallback.endpoint], ["AKIADEFAULT", "eu-west-1", null]);
  });

  it("reads ~/.aws/credentials and ~/.aws/config under HOME when no file is named", () => {
    const home = path.join(dir, "home");
    fs.mkdirSync(path.join(home, ".aws"), { recursive: true });
    fs.copyFileSync(credentialsFile, path.join(home, ".aws", "credentials"));
    fs.copyFileSync(configFile, path.join(home, ".aws", "config"));
    const config = resolveS3Config({}, sources({ AWS_PROFILE: "dev" }, home));
    assert.equal(config.credentials.accessKeyId, "AKIADEV");
    assert.equal(config.region, "ap-south-1");
  });

  it("environment keys win over AWS_PROFILE's (the SDKs' order)", () => {
    const config = resolveS3Config(
      {},
      sources({ AWS_ACCESS_KEY_ID: "AKIAENV", AWS_SECRET_ACCESS_KEY: SECRET, AWS_PROFILE: "dev", AWS_SHARED_CREDENTIALS_FILE: credentialsFile, AWS_CONFIG_FILE: configFile }, dir),
    );
    assert.equal(config.credentials.accessKeyId, "AKIAENV");
    assert.equal(config.region, "ap-south-1");
  });

  it("fails with a message naming the setting or file, never a value", () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ AWS_ACCESS_KEY_ID: "AKIAENV" }, /AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not/],
      [{ AWS_SECRET_ACCESS_KEY: SECRET }, /AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not/],
      [{ AWS_PROFILE: "nope", AWS_SHARED_CREDENTIALS_FILE: credentialsFile, AWS_CONFIG_FILE: configFile }, /profile "nope" has no aws_access_key_id/],
      [{ AWS_SHARED_CREDENTIALS_FILE: path.join(dir, "missing") }, /missing \(named by AWS_SHARED_CREDENTIALS_FILE\) does not exist/],
      [{ AWS_ACCESS_KEY_ID: "AKIAENV", AWS_SECRET_ACCESS_KEY: SECRET, AWS_ENDPOINT_URL_S3: "not a url" }, /S3 endpoint "not a url" is not a URL/],
      // The secret's "/" makes this no URL at all: the message must still not quote it.
      [{ AWS_ACCESS_KEY_ID: "AKIAENV", AWS_SECRET_ACCESS_KEY: SECRET, AWS_ENDPOINT_URL_S3: `http://AKIAENV:${SECRET}@host:1` }, /S3 endpoint "http:\/\/…@host:1" is not a URL/],
      [{ AWS_ACCESS_KEY_ID: "AKIAENV", AWS_SECRET_ACCESS_KEY: SECRET, AWS_ENDPOINT_URL_S3: `http://AKIAENV:${encodeURIComponent(SECRET)}@host:1` }, /credentials in its URL/],
      [{ AWS_ACCESS_KEY_ID: "AKIAENV", AWS_SECRET_ACCESS_KEY: SECRET, AWS_REGION: "us east 1" }, /is not a region name/],
    ];
    for (const [env, problem] of cases) {
      assert.throws(
        () => resolveS3Config({}, sources(env, path.join(dir, "no-such-home"))),
        (e: unknown) => {
          assert.ok(e instanceof S3ConfigError, String(e));
          assert.match(e.message, problem);
          assertNoSecret(e.message);
          return true;
        },
      );
    }
    const broken = path.join(dir, "broken");
    fs.writeFileSync(broken, `[default]\naws_secret_access_key ${FILE_SECRET}\n`);
    assert.throws(
      () => resolveS3Config({}, sources({ AWS_SHARED_CREDENTIALS_FILE: broken }, dir)),
      (e: unknown) => e instanceof S3ConfigError && /broken, line 2: expected "name = value"/.test(e.message) && !e.message.includes(FILE_SECRET),
    );
  });

  it("shows no secret through JSON.stringify, util.inspect, toString or string interpolation", () => {
    const config = resolveS3Config({}, sources({ AWS_ACCESS_KEY_ID: "AKIAENV", AWS_SECRET_ACCESS_KEY: SECRET, AWS_SESSION_TOKEN: TOKEN, AWS_ENDPOINT_URL_S3: "http://127.0.0.1:17480" }, dir));
    const shown = [
      JSON.stringify(config),
      inspect(config, { depth: 10, showHidden: true }),
      String(config.credentials),
      `${config.credentials}`,
      inspect(config.credentials, { showHidden: true }),
      JSON.stringify({ wrapped: [config] }),
    ];
    for (const text of shown) {
      assertNoSecret(text);
      assert.ok(text.includes("AKIAENV"), `the access key id, which is not secret, helps: ${text}`);
    }
    assert.match(JSON.stringify(config), /"secretAccessKey":"\[redacted\]"/);
    assert.equal(config.credentials.secretAccessKey, SECRET);
  });
});
