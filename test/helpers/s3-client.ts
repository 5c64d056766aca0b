// The few S3 calls tests make to set up and check a test server's contents
// (test/helpers/s3-server.ts) without going through the S3 data source:
// path-style requests signed by ./sigv4.ts, responses read with just enough
// XML handling for the elements these calls return.
import { createHash } from "node:crypto";
import { type SigningKey, sha256Hex, signRequest, uriEncode } from "./sigv4.js";

/** An S3 error response: the HTTP status and S3's error code. */
export class S3RequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** One page of ListObjectsV2. */
export interface ObjectPage {
  keys: string[];
  nextContinuationToken: string | null;
}

/** A multipart upload still open. */
export interface OpenUpload {
  key: string;
  uploadId: string;
}

const XML_ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

const unescapeXml = (text: string): string =>
  text.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (whole, e: string) => {
    if (e[0] === "#") return String.fromCodePoint(e[1] === "x" || e[1] === "X" ? Number.parseInt(e.slice(2), 16) : Number(e.slice(1)));
    return XML_ENTITIES[e] ?? whole;
  });

/** The text of every `<tag>` element in `xml`, in order (these responses never nest a tag in itself). */
export function xmlTexts(xml: string, tag: string): string[] {
  return [...xml.matchAll(new RegExp(`<${tag}>([^<]*)</${tag}>`, "g"))].map((m) => unescapeXml(m[1]!));
}

const escapeXml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&${Object.keys(XML_ENTITIES).find((k) => XML_ENTITIES[k] === c)};`);

/** A client for one S3 endpoint with one user's keys. */
export class S3TestClient {
  constructor(private readonly server: SigningKey & { endpoint: string }) {}

  /** Sends a signed request; a non-2xx answer throws S3RequestError. */
  async request(method: string, bucket: string, key: string | null, query: Record<string, string> = {}, body?: Uint8Array | string, headers: Record<string, string> = {}): Promise<Response> {
    const url = new URL(`${this.server.endpoint}/${uriEncode(bucket, false)}${key === null ? "" : "/" + uriEncode(key, true)}`);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    const bytes = typeof body === "string" ? Buffer.from(body) : body;
    const signed = signRequest({ method, url, headers, payloadHash: sha256Hex(bytes ?? "") }, this.server);
    // fetch sets Host itself, to the same url.host that was signed.
    delete signed.host;
    const response = await fetch(url, { method, headers: signed, ...(bytes ? { body: bytes } : {}) });
    if (response.ok) return response;
    const text = await response.text();
    const code = xmlTexts(text, "Code")[0] ?? "";
    throw new S3RequestError(response.status, code, `S3 ${method} ${url.pathname}${url.search}: ${response.status} ${code || text.slice(0, 200)}`);
  }

  async createBucket(bucket: string): Promise<void> {
    await (await this.request("PUT", bucket, null)).arrayBuffer();
  }

  async deleteBucket(bucket: string): Promise<void> {
    await (await this.request("DELETE", bucket, null)).arrayBuffer();
  }

  async putObject(bucket: string, key: string, body: Uint8Array | string): Promise<void> {
    await (await this.request("PUT", bucket, key, {}, body)).arrayBuffer();
  }

  /** The object's bytes, or bytes `first`..`last` inclusive of it, as HTTP ranges count. */
  async getObject(bucket: string, key: string, range?: { first: number; last: number }): Promise<Buffer> {
    const headers: Record<string, string> = range ? { range: `bytes=${range.first}-${range.last}` } : {};
    const response = await this.request("GET", bucket, key, {}, undefined, headers);
    if (range && response.status !== 206) throw new Error(`ranged GET of ${key} answered ${response.status}, not 206`);
    return Buffer.from(await response.arrayBuffer());
  }

  async listObjectsPage(bucket: string, opts: { prefix?: string; maxKeys?: number; continuationToken?: string | null } = {}): Promise<ObjectPage> {
    const query: Record<string, string> = { "list-type": "2" };
    if (opts.prefix !== undefined) query.prefix = opts.prefix;
    if (opts.maxKeys !== undefined) query["max-keys"] = String(opts.maxKeys);
    if (opts.continuationToken) query["continuation-token"] = opts.continuationToken;
    const xml = await (await this.request("GET", bucket, null, query)).text();
    const truncated = xmlTexts(xml, "IsTruncated")[0] === "true";
    const token = xmlTexts(xml, "NextContinuationToken")[0] ?? null;
    if (truncated && !token) throw new Error(`ListObjectsV2 of ${bucket} is truncated but gave no continuation token`);
    return { keys: xmlTexts(xml, "Key"), nextContinuationToken: truncated ? token : null };
  }

  /** Every key under `prefix`, following continuation tokens, and how many pages that took. */
  async listAllKeys(bucket: string, prefix?: string, maxKeys?: number): Promise<{ keys: string[]; pages: number }> {
    const keys: string[] = [];
    let pages = 0;
    let token: string | null = null;
    do {
      const page: ObjectPage = await this.listObjectsPage(bucket, { ...(prefix !== undefined ? { prefix } : {}), ...(maxKeys !== undefined ? { maxKeys } : {}), continuationToken: token });
      keys.push(...page.keys);
      pages++;
      token = page.nextContinuationToken;
    } while (token);
    return { keys, pages };
  }

  /** Deletes `keys` (at most 1,000, S3's bound for one request); throws if S3 reports any key it could not delete. */
  async deleteObjects(bucket: string, keys: readonly string[]): Promise<number> {
    if (keys.length > 1000) throw new Error(`DeleteObjects takes at most 1000 keys, got ${keys.length}`);
    const body = `<Delete><Quiet>false</Quiet>${keys.map((k) => `<Object><Key>${escapeXml(k)}</Key></Object>`).join("")}</Delete>`;
    const md5 = createHash("md5").update(body).digest("base64");
    const xml = await (await this.request("POST", bucket, null, { delete: "" }, body, { "content-md5": md5, "content-type": "application/xml" })).text();
    if (xml.includes("<Error>")) throw new Error(`DeleteObjects in ${bucket} failed for some keys: ${xml.slice(0, 500)}`);
    return (xml.match(/<Deleted>/g) ?? []).length;
  }

  async createMultipartUpload(bucket: string, key: string): Promise<string> {
    const xml = await (await this.request("POST", bucket, key, { uploads: "" })).text();
    const id = xmlTexts(xml, "UploadId")[0];
    if (!id) throw new Error(`CreateMultipartUpload of ${key} gave no UploadId: ${xml.slice(0, 300)}`);
    return id;
  }

  /** Uploads part `partNumber` and returns its ETag. */
  async uploadPart(bucket: string, key: string, uploadId: string, partNumber: number, body: Uint8Array): Promise<string> {
    const response = await this.request("PUT", bucket, key, { partNumber: String(partNumber), uploadId }, body);
    await response.arrayBuffer();
    const etag = response.headers.get("etag");
    if (!etag) throw new Error(`UploadPart ${partNumber} of ${key} gave no ETag`);
    return etag;
  }

  /** Completes the upload. (Ceph 16 answers an empty ETag here, tracker 58879, so none is returned.) */
  async completeMultipartUpload(bucket: string, key: string, uploadId: string, etags: readonly string[]): Promise<void> {
    const parts = etags.map((etag, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${escapeXml(etag)}</ETag></Part>`).join("");
    const xml = await (await this.request("POST", bucket, key, { uploadId }, `<CompleteMultipartUpload>${parts}</CompleteMultipartUpload>`)).text();
    // S3 may answer 200 with an error in the body.
    if (xml.includes("<Error>")) throw new Error(`CompleteMultipartUpload of ${key} failed: ${xml.slice(0, 500)}`);
  }

  async abortMultipartUpload(bucket: string, key: string, uploadId: string): Promise<void> {
    await (await this.request("DELETE", bucket, key, { uploadId })).arrayBuffer();
  }

  async listMultipartUploads(bucket: string): Promise<OpenUpload[]> {
    const xml = await (await this.request("GET", bucket, null, { uploads: "" })).text();
    return [...xml.matchAll(/<Upload>([\s\S]*?)<\/Upload>/g)].map((m) => ({ key: xmlTexts(m[1]!, "Key")[0]!, uploadId: xmlTexts(m[1]!, "UploadId")[0]! }));
  }
}
