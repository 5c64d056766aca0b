// AWS Signature Version 4 for the tests' own S3 requests (header-signed,
// payload hash sent in x-amz-content-sha256), as
// https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
// describes it. Enough for path-style requests to one test server, and kept
// here rather than in src/: it buffers whole bodies (no streaming or chunked
// signing), has no presigning, and no retries.
import { createHash, createHmac } from "node:crypto";

/** Who signs, and where the request goes. */
export interface SigningKey {
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
}

/** A request to sign: `url`'s path and query are signed as given. */
export interface UnsignedRequest {
  method: string;
  url: URL;
  /** Headers to send and sign besides host and the x-amz-* ones this adds; lower-case names. */
  headers: Record<string, string>;
  /** Hex SHA-256 of the body. */
  payloadHash: string;
}

export const sha256Hex = (data: Uint8Array | string): string => createHash("sha256").update(data).digest("hex");

const hmac = (key: Uint8Array | string, data: string): Buffer => createHmac("sha256", key).update(data).digest();

/** RFC 3986 encoding, as SigV4 wants it: everything but unreserved characters, `/` kept when `keepSlash`. */
export function uriEncode(text: string, keepSlash: boolean): string {
  const encoded = encodeURIComponent(text).replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
  return keepSlash ? encoded.replace(/%2F/g, "/") : encoded;
}

function canonicalQuery(url: URL): string {
  const pairs = [...url.searchParams].map(([k, v]) => [uriEncode(k, false), uriEncode(v, false)] as const);
  pairs.sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join("&");
}

/** `request`'s headers with host, x-amz-date, x-amz-content-sha256 and authorization added, signed at `now`. */
export function signRequest(request: UnsignedRequest, key: SigningKey, now = new Date()): Record<string, string> {
  const amzDate = now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
  const day = amzDate.slice(0, 8);
  const headers: Record<string, string> = { ...request.headers, host: request.url.host, "x-amz-date": amzDate, "x-amz-content-sha256": request.payloadHash };
  const names = Object.keys(headers).sort();
  const canonicalHeaders = names.map((n) => `${n}:${headers[n]!.trim().replace(/\s+/g, " ")}\n`).join("");
  const signedHeaders = names.join(";");
  // The path arrives percent-encoded by URL; S3 signs it encoded once, so decode before encoding.
  const path = uriEncode(decodeURIComponent(request.url.pathname), true);
  const canonicalRequest = [request.method, path, canonicalQuery(request.url), canonicalHeaders, signedHeaders, request.payloadHash].join("\n");
  const scope = `${day}/${key.region}/s3/aws4_request`;
  const stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256Hex(canonicalRequest)].join("\n");
  const signingKey = hmac(hmac(hmac(hmac("AWS4" + key.secretAccessKey, day), key.region), "s3"), "aws4_request");
  const signature = createHmac("sha256", signingKey).update(stringToSign).digest("hex");
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${key.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return headers;
}
