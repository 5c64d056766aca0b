// The tests' own S3 requests signed with the production signer
// (src/storage/s3/s3-signer.ts): this only turns a URL into what it signs, so
// that the test client (s3-client.ts) and the server helper can make requests
// the production client has no call for (CreateBucket, DeleteBucket).
import { amzDate, authorization, sha256Hex, uriEncode } from "../../src/storage/s3/s3-signer.js";

export { sha256Hex, uriEncode };

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

/** `request`'s headers with host, x-amz-date, x-amz-content-sha256 and authorization added, signed at `now`. */
export function signRequest(request: UnsignedRequest, key: SigningKey, now = new Date()): Record<string, string> {
  const headers: Record<string, string> = { ...request.headers, host: request.url.host, "x-amz-date": amzDate(now), "x-amz-content-sha256": request.payloadHash };
  // The path arrives percent-encoded by URL; S3 signs it encoded once, so decode before encoding.
  const encodedPath = uriEncode(decodeURIComponent(request.url.pathname), true);
  headers.authorization = authorization({ method: request.method, encodedPath, query: [...request.url.searchParams], headers, payloadHash: request.payloadHash }, { ...key, service: "s3" });
  return headers;
}
