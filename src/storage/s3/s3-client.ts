// Owns minispark's S3 client: the S3Operations calls over node:http/https,
// each signed with SigV4 (s3-signer.ts), retried by s3-retry.ts's policy, and
// failing with an S3Error that names the call, bucket, key and S3 code.
//
// Why our own client rather than @aws-sdk/client-s3 (decided for issue 18;
// the charter asks for "a well-kept S3 client", and this one is kept here, to
// the project's bar, with no dependency): minispark needs ten S3 calls, static
// credentials from the standard environment and files, and path-style requests
// to S3-compatible servers. The SDK brings tens of @aws-sdk/* and @smithy/*
// packages into every worker's install (the project has two runtime
// dependencies), warns that Node >= 22 will be needed after early 2027 (the
// project supports Node >= 20), and by default streams uploads with a
// checksum trailer that Ceph 16 refuses (411 MissingContentLength). What we
// own instead is small and tested: a SigV4 signer that reproduces AWS's
// published signatures, a bounded retry policy, and XML reading for six
// answers, all run against a real radosgw. Not covered: credentials from
// instance metadata, ECS, SSO or web identity (static keys and session tokens
// only), checksums other than Content-MD5 and x-amz-content-sha256, streaming
// bodies (each request and answer is held whole: a part or a range).
import { createHash } from "node:crypto";
import { STATUS_CODES } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import type { S3Config } from "./s3-config.js";
import { S3Error, scrub } from "./s3-error.js";
import type { S3ObjectInfo, S3ObjectPage, S3OpenUpload, S3Operations, S3UploadedPart } from "./s3-operations.js";
import { DEFAULT_RETRY_POLICY, type RetryPolicy, backoffDelayMs, isRetryableAnswer, isRetryableSocketError, retryPolicyProblem } from "./s3-retry.js";
import { EMPTY_SHA256, amzDate, authorization, canonicalQuery, sha256Hex, uriEncode } from "./s3-signer.js";
import { type HttpAnswer, Transport, TransportError } from "./s3-transport.js";
import { escapeXml, xmlElements, xmlText } from "./s3-xml.js";

/** Tuning of a client, all optional. */
export interface S3ClientOptions {
  retry?: RetryPolicy;
  /** A socket idle this long fails the attempt (retried). Default 30 s. */
  idleTimeoutMs?: number;
}

/** S3's bound on keys per DeleteObjects request and per listing page. */
const MAX_KEYS_PER_REQUEST = 1000;
/** The largest body an answer other than GetObject may have: listings of 1,000 long keys fit. */
const MAX_XML_ANSWER_BYTES = 16 * 1024 * 1024;
/** S3's bounds on multipart uploads. */
const MAX_PART_NUMBER = 10_000;

interface Call {
  operation: string;
  method: "GET" | "HEAD" | "PUT" | "POST" | "DELETE";
  bucket: string;
  key: string | null;
  query?: [string, string][];
  headers?: Record<string, string>;
  body?: Uint8Array;
  maxBodyBytes?: number;
  /** Statuses that are answers, not errors, for this call (e.g. 404 for HeadObject). */
  accept?: readonly number[];
  /** The call may answer 200 with an <Error> body (the work failed after the headers went out). */
  errorIn200?: boolean;
}

/** An S3 client for one configuration; reuse it (it keeps connections alive) and close() it when done. */
export class S3Client implements S3Operations {
  private readonly transport: Transport;
  private readonly retry: RetryPolicy;

  constructor(
    private readonly config: S3Config,
    options: S3ClientOptions = {},
  ) {
    this.retry = options.retry ?? DEFAULT_RETRY_POLICY;
    const problem = retryPolicyProblem(this.retry);
    if (problem !== null) throw new Error(`S3 client retry policy: ${problem}`);
    this.transport = new Transport(options.idleTimeoutMs ?? 30_000);
  }

  async listObjectsPage(bucket: string, prefix: string, continuationToken: string | null, maxKeys = MAX_KEYS_PER_REQUEST): Promise<S3ObjectPage> {
    if (!Number.isInteger(maxKeys) || maxKeys < 1 || maxKeys > MAX_KEYS_PER_REQUEST) throw new RangeError(`ListObjectsV2 maxKeys must be 1 to ${MAX_KEYS_PER_REQUEST}, got ${maxKeys}`);
    const query: [string, string][] = [
      ["list-type", "2"],
      ["prefix", prefix],
      ["max-keys", String(maxKeys)],
    ];
    if (continuationToken !== null) query.push(["continuation-token", continuationToken]);
    const call: Call = { operation: "ListObjectsV2", method: "GET", bucket, key: null, query };
    const xml = (await this.send(call)).body.toString("utf8");
    const objects = xmlElements(xml, "Contents").map((c) => this.objectInfo(call, c));
    const truncated = xmlText(xml, "IsTruncated") === "true";
    const next = xmlText(xml, "NextContinuationToken");
    if (truncated && !next) throw this.malformed(call, "a truncated listing without NextContinuationToken");
    return { objects, nextContinuationToken: truncated ? next : null };
  }

  async headObject(bucket: string, key: string): Promise<S3ObjectInfo | null> {
    const answer = await this.send({ operation: "HeadObject", method: "HEAD", bucket, key, accept: [404] });
    if (answer.status === 404) return null;
    const size = Number(answer.headers["content-length"]);
    const etag = answer.headers.etag;
    if (!Number.isSafeInteger(size) || etag === undefined) throw this.malformed({ operation: "HeadObject", bucket, key }, "an answer without Content-Length or ETag");
    const modified = answer.headers["last-modified"];
    return { key, size, etag, lastModified: modified === undefined ? "" : new Date(modified).toISOString() };
  }

  async getRange(bucket: string, key: string, first: number, last: number): Promise<Uint8Array> {
    if (!Number.isSafeInteger(first) || !Number.isSafeInteger(last) || first < 0 || last < first)
      throw new RangeError(`GetObject range ${first}..${last} of s3://${bucket}/${key} is not a byte range`);
    const call: Call = { operation: "GetObject", method: "GET", bucket, key, headers: { range: `bytes=${first}-${last}` }, maxBodyBytes: last - first + 1 };
    const answer = await this.send(call);
    // A 200 would be the whole object, not the range asked for.
    if (answer.status !== 206) throw this.malformed(call, `status ${answer.status} to a ranged GET, not 206 Partial Content`);
    const range = /^bytes (\d+)-(\d+)\//.exec(String(answer.headers["content-range"] ?? ""));
    if (range === null || Number(range[1]) !== first || Number(range[2]) - first + 1 !== answer.body.length)
      throw this.malformed(call, `Content-Range "${answer.headers["content-range"] ?? ""}" for bytes=${first}-${last}`);
    return answer.body;
  }

  async putObject(bucket: string, key: string, body: Uint8Array, contentType?: string): Promise<string> {
    const call: Call = { operation: "PutObject", method: "PUT", bucket, key, body, headers: contentType === undefined ? {} : { "content-type": contentType } };
    return this.etagOf(call, await this.send(call));
  }

  async createMultipartUpload(bucket: string, key: string, contentType?: string): Promise<string> {
    const call: Call = { operation: "CreateMultipartUpload", method: "POST", bucket, key, query: [["uploads", ""]], headers: contentType === undefined ? {} : { "content-type": contentType } };
    const id = xmlText((await this.send(call)).body.toString("utf8"), "UploadId");
    if (!id) throw this.malformed(call, "an answer without UploadId");
    return id;
  }

  async uploadPart(bucket: string, key: string, uploadId: string, partNumber: number, body: Uint8Array): Promise<S3UploadedPart> {
    if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > MAX_PART_NUMBER) throw new RangeError(`UploadPart number must be 1 to ${MAX_PART_NUMBER}, got ${partNumber}`);
    const call: Call = {
      operation: "UploadPart",
      method: "PUT",
      bucket,
      key,
      body,
      query: [
        ["partNumber", String(partNumber)],
        ["uploadId", uploadId],
      ],
    };
    return { partNumber, etag: this.etagOf(call, await this.send(call)) };
  }

  async completeMultipartUpload(bucket: string, key: string, uploadId: string, parts: readonly S3UploadedPart[]): Promise<void> {
    if (parts.length === 0) throw new RangeError(`CompleteMultipartUpload of s3://${bucket}/${key} needs at least one part`);
    const sorted = [...parts].sort((a, b) => a.partNumber - b.partNumber);
    const xml = sorted.map((p) => `<Part><PartNumber>${p.partNumber}</PartNumber><ETag>${escapeXml(p.etag)}</ETag></Part>`).join("");
    const body = Buffer.from(`<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${xml}</CompleteMultipartUpload>`);
    await this.send({ operation: "CompleteMultipartUpload", method: "POST", bucket, key, query: [["uploadId", uploadId]], body, headers: { "content-type": "application/xml" }, errorIn200: true });
  }

  async abortMultipartUpload(bucket: string, key: string, uploadId: string): Promise<boolean> {
    const answer = await this.send({ operation: "AbortMultipartUpload", method: "DELETE", bucket, key, query: [["uploadId", uploadId]], accept: [404] });
    if (answer.status !== 404) return true;
    const code = xmlText(answer.body.toString("utf8"), "Code");
    if (code === "NoSuchUpload") return false;
    throw this.errorFor({ operation: "AbortMultipartUpload", bucket, key }, answer, 1);
  }

  async listMultipartUploads(bucket: string, prefix: string): Promise<S3OpenUpload[]> {
    const uploads: S3OpenUpload[] = [];
    let keyMarker: string | null = null;
    let uploadIdMarker: string | null = null;
    for (;;) {
      const query: [string, string][] = [
        ["uploads", ""],
        ["prefix", prefix],
      ];
      if (keyMarker !== null) query.push(["key-marker", keyMarker]);
      if (uploadIdMarker !== null) query.push(["upload-id-marker", uploadIdMarker]);
      const call: Call = { operation: "ListMultipartUploads", method: "GET", bucket, key: null, query };
      const xml = (await this.send(call)).body.toString("utf8");
      for (const u of xmlElements(xml, "Upload")) {
        const key = xmlText(u, "Key");
        const uploadId = xmlText(u, "UploadId");
        if (key === null || !uploadId) throw this.malformed(call, "an <Upload> without Key or UploadId");
        uploads.push({ key, uploadId, initiated: xmlText(u, "Initiated") ?? "" });
      }
      if (xmlText(xml, "IsTruncated") !== "true") return uploads;
      const nextKey = xmlText(xml, "NextKeyMarker");
      const nextId = xmlText(xml, "NextUploadIdMarker");
      if (nextKey === null || (nextKey === keyMarker && nextId === uploadIdMarker)) throw this.malformed(call, "a truncated listing whose markers do not advance");
      keyMarker = nextKey;
      uploadIdMarker = nextId;
    }
  }

  async deleteObjects(bucket: string, keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += MAX_KEYS_PER_REQUEST) {
      const batch = keys.slice(i, i + MAX_KEYS_PER_REQUEST);
      const body = Buffer.from(`<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Quiet>true</Quiet>${batch.map((k) => `<Object><Key>${escapeXml(k)}</Key></Object>`).join("")}</Delete>`);
      // DeleteObjects requires Content-MD5 (or a newer checksum header).
      const headers = { "content-md5": createHash("md5").update(body).digest("base64"), "content-type": "application/xml" };
      const call: Call = { operation: "DeleteObjects", method: "POST", bucket, key: null, query: [["delete", ""]], body, headers };
      const xml = (await this.send(call)).body.toString("utf8");
      const failures = xmlElements(xml, "Error").map((e) => `${xmlText(e, "Key") ?? "?"}: ${xmlText(e, "Code") ?? "?"}`);
      if (failures.length > 0) {
        const code = xmlText(xmlElements(xml, "Error")[0]!, "Code") ?? "DeleteFailed";
        throw new S3Error("DeleteObjects", bucket, null, 200, code, `${failures.length} of ${batch.length} keys not deleted: ${failures.slice(0, 5).join(", ")}${failures.length > 5 ? ", …" : ""}`, 1);
      }
    }
  }

  /** Ends the client's kept-alive connections. */
  close(): void {
    this.transport.close();
  }

  /** Sends `call`, retrying transient failures; resolves with a 2xx answer or one of `call.accept`. */
  private async send(call: Call): Promise<HttpAnswer> {
    for (let attempt = 1; ; attempt++) {
      let answer: HttpAnswer;
      try {
        answer = await this.transport.exchange(
          this.originOf(call.bucket),
          this.pathAndQuery(call),
          call.method,
          this.signedHeaders(call),
          call.body ?? null,
          call.maxBodyBytes ?? MAX_XML_ANSWER_BYTES,
        );
      } catch (e) {
        if (!(e instanceof TransportError)) throw e;
        if (attempt < this.retry.maxAttempts && isRetryableSocketError(e.code)) {
          await sleep(backoffDelayMs(this.retry, attempt));
          continue;
        }
        throw new S3Error(call.operation, call.bucket, call.key, null, e.code, this.scrubbed(e.message), attempt);
      }
      const ok = answer.status >= 200 && answer.status < 300;
      const errorInBody = ok && call.errorIn200 === true && answer.body.includes("<Error>");
      if ((ok && !errorInBody) || call.accept?.includes(answer.status)) return answer;
      const code = xmlText(answer.body.toString("utf8"), "Code") ?? "";
      if (attempt < this.retry.maxAttempts && (isRetryableAnswer(answer.status, code) || (errorInBody && (code === "InternalError" || code === "SlowDown")))) {
        await sleep(backoffDelayMs(this.retry, attempt));
        continue;
      }
      throw this.errorFor(call, answer, attempt);
    }
  }

  private errorFor(call: Pick<Call, "operation" | "bucket" | "key">, answer: HttpAnswer, attempts: number): S3Error {
    const xml = answer.body.toString("utf8");
    // A HEAD answer has no body: the status is all there is ("ServiceUnavailable", "NotFound", …).
    const code = xmlText(xml, "Code") || (STATUS_CODES[answer.status] ?? "UnknownError").replace(/[^A-Za-z]/g, "");
    const message = (xmlText(xml, "Message") ?? "").slice(0, 300);
    return new S3Error(call.operation, call.bucket, call.key, answer.status, code, this.scrubbed(message), attempts);
  }

  private malformed(call: Pick<Call, "operation" | "bucket" | "key">, what: string): S3Error {
    return new S3Error(call.operation, call.bucket, call.key, null, "MalformedAnswer", `the server sent ${what}`, 1);
  }

  private etagOf(call: Call, answer: HttpAnswer): string {
    const etag = answer.headers.etag;
    if (!etag) throw this.malformed(call, "an answer without ETag");
    return etag;
  }

  private objectInfo(call: Call, contents: string): S3ObjectInfo {
    const key = xmlText(contents, "Key");
    const size = Number(xmlText(contents, "Size"));
    if (key === null || !Number.isSafeInteger(size)) throw this.malformed(call, "a <Contents> without Key or Size");
    return { key, size, etag: xmlText(contents, "ETag") ?? "", lastModified: xmlText(contents, "LastModified") ?? "" };
  }

  private scrubbed(text: string): string {
    return scrub(text, this.config.credentials.secrets());
  }

  /** The path as sent and signed: `/bucket/key` path-style, `/key` on a virtual host; keys encoded once, `/` kept. */
  private encodedPath(call: Call): string {
    const base = this.config.endpoint === null ? "" : this.config.endpoint.pathname.replace(/\/+$/, "");
    const key = call.key === null ? "" : uriEncode(call.key, true);
    return this.pathStyle(call.bucket) ? `${base}/${call.bucket}${call.key === null ? "" : `/${key}`}` : `${base}/${key}`;
  }

  /** Buckets with dots go in the path: as a host name they would not match S3's TLS certificate. */
  private pathStyle(bucket: string): boolean {
    return this.config.pathStyle || bucket.includes(".");
  }

  private hostOf(bucket: string): string {
    const endpoint = this.config.endpoint;
    const host = endpoint === null ? `s3.${this.config.region}.amazonaws.com` : endpoint.host;
    return this.pathStyle(bucket) ? host : `${bucket}.${host}`;
  }

  /** Where to connect; the path is sent separately, as signed, since a URL object would resolve `.` and `..` in keys. */
  private originOf(bucket: string): URL {
    return new URL(`${this.config.endpoint?.protocol ?? "https:"}//${this.hostOf(bucket)}`);
  }

  private pathAndQuery(call: Call): string {
    const query = canonicalQuery(call.query ?? []);
    return `${this.encodedPath(call)}${query === "" ? "" : `?${query}`}`;
  }

  private signedHeaders(call: Call): Record<string, string> {
    const { credentials, region } = this.config;
    const headers: Record<string, string> = {
      ...call.headers,
      host: this.hostOf(call.bucket),
      "x-amz-date": amzDate(new Date()),
      "x-amz-content-sha256": call.body === undefined ? EMPTY_SHA256 : sha256Hex(call.body),
    };
    if (credentials.sessionToken !== null) headers["x-amz-security-token"] = credentials.sessionToken;
    const signed = { method: call.method, encodedPath: this.encodedPath(call), query: call.query ?? [], headers, payloadHash: headers["x-amz-content-sha256"]! };
    const auth = authorization(signed, { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey, region, service: "s3" });
    const sent: Record<string, string> = { ...headers, authorization: auth };
    if (call.method === "PUT" || call.method === "POST") sent["content-length"] = String(call.body?.length ?? 0);
    return sent;
  }
}
