// SigV4 (src/storage/s3/s3-signer.ts) against AWS's published signatures: the
// worked examples of the S3 API reference ("Examples of the complete Version 4
// signing process", sig-v4-header-based-auth.html, key AKIAIOSFODNN7EXAMPLE)
// and the get-vanilla case of AWS's Signature Version 4 test suite. A signer
// that differs by one byte anywhere in the canonical request fails these.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { EMPTY_SHA256, amzDate, authorization, sha256Hex, uriEncode } from "../src/storage/s3/s3-signer.js";

const EXAMPLE = { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", region: "us-east-1", service: "s3" };
const HOST = "examplebucket.s3.amazonaws.com";
const DATE = "20130524T000000Z";
const signatureOf = (header: string) => /Signature=([0-9a-f]{64})$/.exec(header)?.[1];

describe("SigV4 signer: AWS's published examples", () => {
  it("GET /test.txt with Range bytes=0-9 (the S3 reference's first example)", () => {
    const header = authorization(
      { method: "GET", encodedPath: "/test.txt", query: [], headers: { host: HOST, range: "bytes=0-9", "x-amz-content-sha256": EMPTY_SHA256, "x-amz-date": DATE }, payloadHash: EMPTY_SHA256 },
      EXAMPLE,
    );
    assert.equal(
      header,
      "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
    );
  });

  it("PUT /test$file.text with a body, a Date and a storage class (the path's $ is encoded)", () => {
    const body = "Welcome to Amazon S3.";
    const hash = sha256Hex(body);
    assert.equal(hash, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
    const header = authorization(
      {
        method: "PUT",
        encodedPath: "/" + uriEncode("test$file.text", true),
        query: [],
        headers: { date: "Fri, 24 May 2013 00:00:00 GMT", host: HOST, "x-amz-content-sha256": hash, "x-amz-date": DATE, "x-amz-storage-class": "REDUCED_REDUNDANCY" },
        payloadHash: hash,
      },
      EXAMPLE,
    );
    assert.equal(signatureOf(header), "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
  });

  it("GET ?lifecycle (a query parameter without a value)", () => {
    const header = authorization(
      { method: "GET", encodedPath: "/", query: [["lifecycle", ""]], headers: { host: HOST, "x-amz-content-sha256": EMPTY_SHA256, "x-amz-date": DATE }, payloadHash: EMPTY_SHA256 },
      EXAMPLE,
    );
    assert.equal(signatureOf(header), "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
  });

  it("GET ?max-keys=2&prefix=J (query parameters sorted by name)", () => {
    const header = authorization(
      {
        method: "GET",
        encodedPath: "/",
        query: [
          ["prefix", "J"],
          ["max-keys", "2"],
        ],
        headers: { host: HOST, "x-amz-content-sha256": EMPTY_SHA256, "x-amz-date": DATE },
        payloadHash: EMPTY_SHA256,
      },
      EXAMPLE,
    );
    assert.equal(signatureOf(header), "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
  });

  it("the test suite's get-vanilla (another service, region and key)", () => {
    const header = authorization(
      { method: "GET", encodedPath: "/", query: [], headers: { host: "example.amazonaws.com", "x-amz-date": "20150830T123600Z" }, payloadHash: EMPTY_SHA256 },
      { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", region: "us-east-1", service: "service" },
    );
    assert.equal(
      header,
      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request,SignedHeaders=host;x-amz-date,Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
    );
  });
});

describe("SigV4 signer: encoding and dates", () => {
  it("encodes everything but unreserved characters, and / only outside paths", () => {
    assert.equal(uriEncode("a b/c~d_e-f.g!*'()+=&%", true), "a%20b/c~d_e-f.g%21%2A%27%28%29%2B%3D%26%25");
    assert.equal(uriEncode("a/b", false), "a%2Fb");
    assert.equal(uriEncode("é", true), "%C3%A9");
  });

  it("writes x-amz-date without separators or milliseconds", () => {
    assert.equal(amzDate(new Date("2013-05-24T00:00:00.123Z")), DATE);
  });

  it("refuses a request without x-amz-date rather than signing a wrong scope", () => {
    assert.throws(() => authorization({ method: "GET", encodedPath: "/", query: [], headers: { host: HOST }, payloadHash: EMPTY_SHA256 }, EXAMPLE), /x-amz-date/);
  });
});
