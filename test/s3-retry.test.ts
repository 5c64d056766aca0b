// The S3 retry policy (src/storage/s3/s3-retry.ts) as pure functions: which
// answers and socket errors are retried, and the bounds of each wait.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_RETRY_POLICY, backoffDelayMs, isRetryableAnswer, isRetryableSocketError, retryPolicyProblem } from "../src/storage/s3/s3-retry.js";

describe("S3 retry policy", () => {
  it("retries throttling and 5xx, never another 4xx", () => {
    for (const [status, code] of [
      [503, "SlowDown"],
      [429, ""],
      [500, "InternalError"],
      [502, ""],
      [400, "RequestLimitExceeded"],
      [400, "ThrottlingException"],
    ] as const) {
      assert.equal(isRetryableAnswer(status, code), true, `${status} ${code}`);
    }
    for (const [status, code] of [
      [400, "InvalidArgument"],
      [403, "SignatureDoesNotMatch"],
      [403, "AccessDenied"],
      [404, "NoSuchKey"],
      [409, "BucketNotEmpty"],
      [416, "InvalidRange"],
    ] as const) {
      assert.equal(isRetryableAnswer(status, code), false, `${status} ${code}`);
    }
  });

  it("retries resets and timeouts, not a refused answer size or an unknown failure", () => {
    for (const code of ["ECONNRESET", "EPIPE", "ETIMEDOUT", "S3_TIMEOUT", "S3_TRUNCATED"]) assert.equal(isRetryableSocketError(code), true, code);
    for (const code of ["S3_TOO_LARGE", "ERR_INVALID_ARG_TYPE", "CERT_HAS_EXPIRED"]) assert.equal(isRetryableSocketError(code), false, code);
  });

  it("waits between half and all of a doubling step, capped", () => {
    const policy = { maxAttempts: 8, baseDelayMs: 100, maxDelayMs: 1000 };
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6].map((n) => backoffDelayMs(policy, n, () => 0)),
      [50, 100, 200, 400, 500, 500],
    );
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6].map((n) => backoffDelayMs(policy, n, () => 1)),
      [100, 200, 400, 800, 1000, 1000],
    );
    const total = [1, 2, 3, 4].reduce((sum, n) => sum + backoffDelayMs(DEFAULT_RETRY_POLICY, n, () => 1), 0);
    assert.equal(total, 1500, "the default policy's four waits are at most 1.5 s together");
  });

  it("refuses a policy that would not stop or not wait", () => {
    assert.equal(retryPolicyProblem(DEFAULT_RETRY_POLICY), null);
    assert.match(retryPolicyProblem({ maxAttempts: 0, baseDelayMs: 1, maxDelayMs: 1 }) ?? "", /maxAttempts/);
    assert.match(retryPolicyProblem({ maxAttempts: Number.POSITIVE_INFINITY, baseDelayMs: 1, maxDelayMs: 1 }) ?? "", /maxAttempts/);
    assert.match(retryPolicyProblem({ maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 5 }) ?? "", /baseDelayMs/);
  });
});
