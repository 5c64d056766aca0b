// Owns AWS Signature Version 4 for requests signed in the Authorization
// header (https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html).
// The caller gives the path already encoded the way it is sent: S3 signs the
// path as sent (encoded once, no normalization of `.`, `..` or `//`), so the
// client encodes a key once with uriEncode and uses the same text for both.
// Checked against AWS's published examples in test/s3-signer.test.ts.
import { createHash, createHmac } from "node:crypto";

/** The hash S3 expects in x-amz-content-sha256 for an empty body. */
export const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/** A request as it will be sent. */
export interface SignableRequest {
  method: string;
  /** The path, percent-encoded exactly as sent (see uriEncode). */
  encodedPath: string;
  /** Query parameters, unencoded; a parameter without a value is ["name", ""]. */
  query: readonly (readonly [string, string])[];
  /** Headers to sign, lower-case names; must include host and x-amz-date. */
  headers: Readonly<Record<string, string>>;
  /** Hex SHA-256 of the body, or UNSIGNED-PAYLOAD. */
  payloadHash: string;
}

/** What signs: the key pair and the credential scope's region and service. */
export interface SigningIdentity {
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  service: string;
}

export const sha256Hex = (data: Uint8Array | string): string => createHash("sha256").update(data).digest("hex");

const hmac = (key: Uint8Array | string, data: string): Buffer => createHmac("sha256", key).update(data).digest();

/** RFC 3986 percent-encoding as SigV4 defines it: all but A–Z a–z 0–9 - _ . ~, and `/` too when `keepSlash`. */
export function uriEncode(text: string, keepSlash: boolean): string {
  const encoded = encodeURIComponent(text).replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
  return keepSlash ? encoded.replace(/%2F/g, "/") : encoded;
}

/** The query string, encoded and sorted by name then value: sent and signed as this same text. */
export function canonicalQuery(query: SignableRequest["query"]): string {
  const pairs = query.map(([k, v]) => [uriEncode(k, false), uriEncode(v, false)] as const);
  pairs.sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join("&");
}

/** `x-amz-date`'s form of `date`: 20130524T000000Z. */
export function amzDate(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
}

/** The canonical request of SigV4's first step. */
export function canonicalRequest(request: SignableRequest): { text: string; signedHeaders: string } {
  const names = Object.keys(request.headers).sort();
  const canonicalHeaders = names.map((n) => `${n}:${request.headers[n]!.trim().replace(/\s+/g, " ")}\n`).join("");
  const signedHeaders = names.join(";");
  return { text: [request.method, request.encodedPath, canonicalQuery(request.query), canonicalHeaders, signedHeaders, request.payloadHash].join("\n"), signedHeaders };
}

/** The Authorization header's value for `request`, which must carry x-amz-date. */
export function authorization(request: SignableRequest, identity: SigningIdentity): string {
  const date = request.headers["x-amz-date"];
  if (date === undefined || !/^\d{8}T\d{6}Z$/.test(date)) throw new Error("a SigV4 request needs an x-amz-date header of the form 20130524T000000Z");
  const day = date.slice(0, 8);
  const { text, signedHeaders } = canonicalRequest(request);
  const scope = `${day}/${identity.region}/${identity.service}/aws4_request`;
  const stringToSign = ["AWS4-HMAC-SHA256", date, scope, sha256Hex(text)].join("\n");
  const signingKey = hmac(hmac(hmac(hmac("AWS4" + identity.secretAccessKey, day), identity.region), identity.service), "aws4_request");
  const signature = createHmac("sha256", signingKey).update(stringToSign).digest("hex");
  return `AWS4-HMAC-SHA256 Credential=${identity.accessKeyId}/${scope},SignedHeaders=${signedHeaders},Signature=${signature}`;
}
