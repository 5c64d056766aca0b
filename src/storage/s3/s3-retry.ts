// Owns when an S3 request is tried again and how long to wait first: throttling
// (429, 503 SlowDown and S3's other throttling codes), any 5xx, and a
// connection that failed or was reset; never another 4xx, which a retry would
// only repeat. Waits grow exponentially with "equal jitter" (half the step
// fixed, half random), so concurrent clients spread out yet each one surely
// backs off; attempts and the longest wait are bounded.

/** How many times to try and how long to wait between tries. */
export interface RetryPolicy {
  /** Tries in all, the first included. */
  maxAttempts: number;
  /** The first wait's upper bound; each retry doubles it. */
  baseDelayMs: number;
  /** No wait is longer than this. */
  maxDelayMs: number;
}

/** Five tries over about 1.5 s at most: long enough for a throttled prefix to recover, short enough to fail a task promptly. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 5000 };

/** S3's (and S3-compatible servers') codes for "slow down", whatever the status. */
const THROTTLING_CODES = new Set([
  "SlowDown",
  "Throttling",
  "ThrottlingException",
  "ThrottledException",
  "RequestThrottled",
  "RequestLimitExceeded",
  "TooManyRequests",
  "TooManyRequestsException",
  "RequestThrottledException",
]);

/** Socket errors after which the same request may well succeed. */
const TRANSIENT_SOCKET_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "ENOTFOUND",
  "ECONNABORTED",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
  "UND_ERR_SOCKET",
  "S3_TIMEOUT",
  "S3_TRUNCATED",
]);

/** Whether an answer with this status and S3 code is worth another try. */
export function isRetryableAnswer(status: number, code: string): boolean {
  return status === 429 || status >= 500 || THROTTLING_CODES.has(code);
}

/** Whether a request that got no complete answer, failing with this socket error code, is worth another try. */
export function isRetryableSocketError(code: string): boolean {
  return TRANSIENT_SOCKET_CODES.has(code);
}

/** The wait before retry number `retry` (1 for the first retry): between half and all of min(maxDelay, base × 2^(retry−1)). */
export function backoffDelayMs(policy: RetryPolicy, retry: number, random: () => number = Math.random): number {
  const step = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  return step / 2 + random() * (step / 2);
}

/** What is wrong with a policy, or null. */
export function retryPolicyProblem(policy: RetryPolicy): string | null {
  if (!Number.isInteger(policy.maxAttempts) || policy.maxAttempts < 1 || policy.maxAttempts > 20) return `maxAttempts must be an integer from 1 to 20, got ${policy.maxAttempts}`;
  if (!(policy.baseDelayMs >= 0) || !(policy.maxDelayMs >= policy.baseDelayMs)) return `delays must satisfy 0 ≤ baseDelayMs ≤ maxDelayMs, got ${policy.baseDelayMs} and ${policy.maxDelayMs}`;
  return null;
}
